"""The pipeline run an upload starts, so no state operator has to: `sped pipeline` in the
background, one at a time from this application.

Runs go through a warm worker (sped/launch/run_worker.py) started with the application: each run is
a fresh process forked from one that has already imported Dagster, dbt and Great Expectations
(and had dbt parse the project), so a district's upload reaches the published figures sooner:
2.8 s at the state scale against 7.9 s for a fresh process (`make bench`). Whenever the worker
cannot run it, the run is a `sped pipeline` subprocess as before, and a new worker is started
for the next run. Either way Dagster records the run as the portal's (tag `sped/trigger`:
`portal`; sped/run/run_tags.py).

A request while a run is going marks one more run to follow (files received during a run are
picked up by the next one). When another process holds the installation's run lock (a
"run in progress" answer), the runner waits and tries again a bounded number of times. The
subprocess's output goes to `web_pipeline.log` in the installation, never to the web log.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sped.config.settings import Installation
from sped.launch.run_worker import WarmWorker
from sped.run import run_tags

RETRY_SECONDS = 15
MAX_RETRIES = 40


@dataclass
class RunnerStatus:
    running: bool
    queued: bool
    last_started: str | None
    last_finished: str | None
    last_exit: int | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")


class PipelineRunner:
    def __init__(
        self,
        inst: Installation,
        profile_path: Path | None,
        *,
        as_of: str | None = None,
        enabled: bool = True,
        warm: bool = True,
    ) -> None:
        self.inst = inst
        self.profile_path = profile_path
        self.as_of = as_of
        self.enabled = enabled
        self._lock = threading.Lock()
        self._wanted = False
        self._thread: threading.Thread | None = None
        self.last_started: str | None = None
        self.last_finished: str | None = None
        self.last_exit: int | None = None
        self.last_warm: bool | None = None  # whether the last run went through the worker
        self.warm = warm
        self._worker: WarmWorker | None = None
        if enabled and warm:
            self.inst.root.mkdir(parents=True, exist_ok=True)
            self._worker = self._new_worker()

    @property
    def log_path(self) -> Path:
        return self.inst.root / "web_pipeline.log"

    def run_options(self) -> dict:
        """What this application's runs ask for (sped/launch/pipeline_run.py `REQUEST_OPTIONS`):
        the installation, its profile and as-of date, and only the collections that changed
        (an upload's run: the nightly one visits everything)."""
        return {
            "warehouse": str(self.inst.warehouse),
            "profile": str(self.profile_path) if self.profile_path else None,
            "as_of": self.as_of or None,
            "changed_only": True,
        }

    def command(self) -> list[str]:
        """The same run as a fresh `sped pipeline` process (when the worker cannot run it)."""
        options = self.run_options()
        cmd = [sys.executable, "-m", "sped.cli", "pipeline", "--warehouse", options["warehouse"]]
        cmd.append("--changed-only")
        if options["profile"]:
            cmd += ["--profile", options["profile"]]
        if options["as_of"]:
            cmd += ["--as-of", str(options["as_of"])]
        return cmd

    def request(self) -> bool:
        """Ask for a run soon; False when this application does not start runs."""
        if not self.enabled:
            return False
        with self._lock:
            self._wanted = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="sped-pipeline", daemon=True
                )
                self._thread.start()
        return True

    def status(self) -> RunnerStatus:
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            return RunnerStatus(
                running=alive,
                queued=self._wanted,
                last_started=self.last_started,
                last_finished=self.last_finished,
                last_exit=self.last_exit,
            )

    def wait(self, timeout: float) -> bool:
        """Wait for the runner to go idle (tests, benchmarks); True if it did."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _loop(self) -> None:
        retries = 0
        while True:
            with self._lock:
                if not self._wanted:
                    return
                self._wanted = False
            self.last_started = _now()
            code, busy = self._run_once()
            self.last_finished, self.last_exit = _now(), code
            if busy and retries < MAX_RETRIES:
                retries += 1
                with self._lock:
                    self._wanted = True
                time.sleep(RETRY_SECONDS)

    def _new_worker(self) -> WarmWorker:
        return WarmWorker(self.log_path, profile=self.profile_path, as_of=self.as_of)

    def close(self) -> None:
        """Stop the worker (after the run in hand); runs are then subprocesses."""
        with self._lock:
            worker, self._worker, self.warm = self._worker, None, False
        if worker is not None:
            worker.close()

    def _run_once(self) -> tuple[int, bool]:
        """(exit code, whether another run held the installation)."""
        argv = self.command()[3:]  # after `python -m sped.cli`: the log names the run so
        with self.log_path.open("ab") as log:
            log.write(f"--- {_now()} {' '.join(argv)}\n".encode())
        worker = self._worker
        code = worker.run(self.run_options(), self.log_path) if worker is not None else None
        self.last_warm = code is not None
        if code is None and worker is not None and not self.warm:  # close(): the app is stopping
            with self.log_path.open("ab") as log:
                log.write(b"--- the application is stopping: no new process started\n")
            return 1, False
        if code is None:
            if worker is not None:
                with self.log_path.open("ab") as log:
                    log.write(f"--- the warm worker could not run it ({worker.why}): a new "
                              f"process instead\n".encode())  # fmt: skip
                self._renew_worker(worker)
            with self.log_path.open("ab") as log:
                code = subprocess.run(
                    self.command(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                    env=run_tags.environment("portal"),  # tagged as the portal's run, not cli
                ).returncode
        if code == 0:
            return 0, False
        tail = self.log_path.read_bytes()[-4000:].decode("utf-8", "replace").lower()
        busy = "in progress" in tail or "could not set lock" in tail
        return code, busy

    def _renew_worker(self, broken: WarmWorker) -> None:
        """Replace a worker that failed (a new one warms up while this run goes on), unless it
        could never fork: then runs stay subprocesses."""
        broken.close(timeout=5)
        with self._lock:
            if self._worker is broken:
                self._worker = None if broken.refused or not self.warm else self._new_worker()
