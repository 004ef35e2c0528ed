"""A warm process for the pipeline runs the portal starts: the imports paid once, when the
portal starts, and every run a fresh child process forked from it.

A `sped pipeline` command spends about 5 s importing Dagster (with the job's definitions), dbt,
Great Expectations, polars and DuckDB before it reads a file: half of what a district's
resubmission costs. The portal starts this worker (`python -m sped.launch.run_worker`) beside
itself; the worker imports all of that (sped/launch/run_imports.py), has dbt parse the project for
the vars of the portal's runs (the state profile and the as-of date; sped/frameworks/dbt_cli.py
`prepare`), and then waits. For each run it forks a child that runs the pipeline
(`pipeline_run.run_request`) exactly as `sped pipeline` would, its output appended to the run's log.
The parse fills dbt's own caches and stores the parse the runs start from, which takes about 2 s off
each run on the state scale; when the vars change (a new day, with no fixed as-of date), the worker
parses again before the next run. Once, at start, it also builds the project on an empty scratch
warehouse (`rehearse_dbt`), so that what a process does only on its first build is not done again in
every run.

- **Each run is its own process**, as with the command: killing or crashing one is a crash of
  that run only (the pipeline's crash safety applies unchanged), and nothing of one run
  (connections, caches, signal handlers) is left for the next.
- **Forking is safe only without threads holding locks**, so the worker never opens a file, a
  connection or a thread itself, and checks that no import started a Python thread; if one
  did, it says so and the portal runs the command as a fresh process instead. The imports do
  start native threads: jemalloc's background threads and OpenBLAS's pool (both libraries
  re-initialise in a forked child through `pthread_atfork`) and polars' spill-file cleaner,
  which a child simply starts without. polars' and DuckDB's worker pools start on first use,
  which only ever happens in a child.
- **The worker's objects are frozen** (`gc.freeze()`) once warm: about 600,000 of them (modules,
  dbt's parsed project). A run's collector never walks them: otherwise the first full
  collection in every run walked them all, a pause of about 0.4 s with every thread stopped
  (seen in the middle of the dbt build). They also stay shared with the worker, page for page,
  instead of being copied when the collector touches them.
- **Protocol**, one JSON object per line. On stdout, once the imports are done:
  `{"ready": true}` or `{"ready": false, "why": "..."}`. Then, for each
  `{"run": {<options>}, "log": "<path>"}` read on stdin, one `{"exit": <code>}` when the run has
  ended. The worker exits when its stdin closes (the portal stopped), after the run in hand.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sped.launch.run_imports import freeze_for_good, import_run_modules


def warm_up(profile: str | None = None, as_of: str | None = None) -> str | None:
    """Import the run's modules and parse the dbt project for the runs' vars; None if the
    worker may fork, else why not."""
    import_run_modules()
    resolve_definitions()
    prepare_dbt(profile, as_of)
    rehearse_dbt(profile, as_of)
    rehearse_dagster()
    gc.collect()
    freeze_for_good()
    return _unsafe_to_fork()


def resolve_definitions() -> None:
    """Resolve the pipeline job and read the dbt manifest, which every run does first (about
    0.03 s of each run forked from the worker); both are cached in the process."""
    from dagster_project.assets.dbt import incremental_assets
    from dagster_project.definitions import defs

    defs.resolve_job_def("pipeline")
    incremental_assets()


def _unsafe_to_fork() -> str | None:
    """Why forking this process now would be unsafe (a Python thread besides this one)."""
    others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if others:
        return f"an import started threads ({', '.join(sorted(others))}); forking is unsafe"
    return None


def run_vars(profile: str | None, as_of: str | None) -> dict:
    """The dbt vars a run with this profile and as-of date builds with: computed by the job's
    own resource (dagster_project/resources.py), as the run's dbt step computes them."""
    from dagster_project.resources import SpedSettings

    sped = SpedSettings(profile=profile or "", as_of=as_of or "")
    return sped.state_profile().dbt_vars(sped.as_of_date())


#: The vars dbt last parsed the project for in this worker (sped/frameworks/dbt_cli.py `prepare`).
_PREPARED: list[str] = []


def prepare_dbt(profile: str | None, as_of: str | None) -> None:
    """Have dbt parse the project for the next run's vars, unless it already did (a failure
    only means the run parses for itself)."""
    from sped.frameworks import dbt_cli

    try:
        dbt_vars = run_vars(profile, as_of)
        key = dbt_cli.vars_key(dbt_vars)
        if key not in _PREPARED and dbt_cli.prepare(dbt_vars):
            _PREPARED[:] = [key]
    except Exception as exc:  # a bad profile: the run itself says what is wrong
        print(f"sped run worker: dbt not prepared ({type(exc).__name__})", file=sys.stderr)


def rehearse_dagster() -> bool:
    """Run a one-asset job in a scratch installation's own Dagster instance (removed after),
    through Dagster's public API only, as a run executes the pipeline job: what Dagster imports
    and sets up on a process's first run (its SQLite run, event and schedule storages, the
    in-process executor and plan, the compute log manager) is then in the worker, imported and
    frozen, instead of in every forked run. It replaces a list of Dagster's private module names
    imported by name. False if it failed (the runs then import them themselves)."""
    import tempfile

    from dagster import Definitions, asset, define_asset_job

    from sped.config import settings
    from sped.frameworks.dagster_home import open_instance

    @asset
    def rehearsal() -> int:
        return 1

    try:
        job = Definitions(assets=[rehearsal], jobs=[define_asset_job("rehearsal")]).resolve_job_def(
            "rehearsal"
        )
        with tempfile.TemporaryDirectory(prefix="sped-dagster-rehearsal-") as scratch:
            inst = settings.installation(str(Path(scratch) / "warehouse.duckdb"))
            with open_instance(inst) as instance:
                quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
                return job.execute_in_process(instance=instance, run_config=quiet).success
    except Exception as exc:  # only a head start
        print(f"sped run worker: Dagster not rehearsed ({type(exc).__name__})", file=sys.stderr)
        return False


def rehearse_dbt(profile: str | None, as_of: str | None) -> bool:
    """Build the whole project once on an empty scratch warehouse (removed after), with the
    runs' own arguments. What dbt and DuckDB do only the first time a process builds (adapter
    set-up, DuckDB's own start, modules dbt loads on first use) is then done once here instead
    of in every forked run: about 0.3 s of a resubmission's dbt step at the state scale. An
    incremental build rehearsed after it measured no further gain, so it is left out (it cost
    the worker's start 1.3 s). False if it failed (the runs then pay for it themselves). dbt's
    output goes to stderr: stdout is the protocol."""
    import tempfile

    import duckdb

    from dagster_project.assets.dbt import PRODUCTION_EXCLUDES
    from sped.frameworks import dbt_cli
    from sped.warehouse.schema import ensure_schemas

    before = os.environ.get("SPED_WAREHOUSE")  # dbt_cli.run leaves it naming its warehouse
    try:
        dbt_vars = run_vars(profile, as_of)
        with (
            tempfile.TemporaryDirectory(prefix="sped-dbt-rehearsal-") as scratch,
            contextlib.redirect_stdout(sys.stderr),
        ):
            warehouse, target = Path(scratch) / "warehouse.duckdb", Path(scratch) / "target"
            con = duckdb.connect(str(warehouse))
            try:
                ensure_schemas(con)
            finally:
                con.close()
            command = ["build", *PRODUCTION_EXCLUDES]
            args = [*dbt_cli.dbt_args(command, target=target, dbt_vars=dbt_vars),
                    "--no-write-json"]  # fmt: skip
            result = dbt_cli.run(args, warehouse=warehouse, target=target, dbt_vars=dbt_vars)
        return bool(result.success)
    except Exception as exc:  # only a head start
        print(f"sped run worker: dbt not rehearsed ({type(exc).__name__})", file=sys.stderr)
        return False
    finally:
        if before is None:
            os.environ.pop("SPED_WAREHOUSE", None)
        else:
            os.environ["SPED_WAREHOUSE"] = before


def _child(request: dict, log: str) -> int:
    """In the forked child: the run's output to its log, then the run."""
    from sped.launch.pipeline_run import run_request

    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.close(null)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the worker ignores it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return run_request(request, out=lambda line: print(line, flush=True))


def run_child(request: dict, log: str) -> int:
    """Fork a child for one run and wait for it; its exit code (negative: killed by a signal)."""
    freeze_for_good()  # what the worker made since warming up, too (see the module's docstring)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            code = _child(request, log)
        except BaseException as exc:  # the child must end here, whatever happened
            print(f"sped: the run ended with an error: {type(exc).__name__}", file=sys.stderr)
        finally:
            from sped.process.process_exit import exit_now

            exit_now(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def serve(stdin=None, stdout=None, profile: str | None = None, as_of: str | None = None) -> int:
    """The worker's loop: warm up, say so, then one forked run per request line."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    clock = time.perf_counter()
    why = warm_up(profile, as_of)
    said = {"ready": why is None, "seconds": round(time.perf_counter() - clock, 2)}
    if why:
        said["why"] = why
    stdout.write(json.dumps(said) + "\n")
    stdout.flush()
    if why:
        return 1
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        prepare_dbt(profile, as_of)  # again only if the vars changed (a new day)
        if _unsafe_to_fork():  # the portal reads the end of file: a fresh process instead
            return 1
        code = run_child(request["run"], str(request["log"]))
        stdout.write(json.dumps({"exit": code}) + "\n")
        stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="the portal's warm worker for pipeline runs")
    parser.add_argument("--profile", default=None)
    parser.add_argument("--as-of", default=None)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the portal stops it by closing its stdin
    code = serve(profile=args.profile, as_of=args.as_of)
    sys.stdout.flush()
    release_dbt()
    os._exit(code)


def release_dbt() -> None:
    """Before the worker ends (without the interpreter's teardown): let go of dbt's adapter and
    of the project it parsed. Their locks are named semaphores (dbt makes them in
    multiprocessing's spawn context), which multiprocessing's resource tracker, a process of its
    own writing to the runs' log, would otherwise report once the worker is gone ("There appear
    to be 2 leaked semaphore objects to clean up at shutdown"), although it removes them itself.
    Collected, they unregister themselves; the worker's objects are frozen (`freeze_for_good`),
    so they are unfrozen first. A few tenths of a second, when the portal stops."""
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    gc.unfreeze()
    gc.collect()


class WarmWorker:
    """The portal's end of the worker: started at once (its imports run beside the portal's
    start), then one run at a time. `run` answers None whenever the worker cannot run the
    command (it could not fork safely, it died, it said something unexpected); the caller then
    runs the command as a fresh process, and asks for a new worker for the next run."""

    READY_TIMEOUT = 300.0

    def __init__(
        self, log_path: Path, *, profile: Path | None = None, as_of: str | None = None
    ) -> None:
        self._log = open(log_path, "ab")  # noqa: SIM115 - the worker's stderr while it lives
        command = [sys.executable, "-m", "sped.launch.run_worker"]
        if profile:
            command += ["--profile", str(profile)]
        if as_of:
            command += ["--as-of", str(as_of)]
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
        )
        self._ready: bool | None = None
        self.why: str | None = None
        self.refused = False  # it started and said it cannot fork safely (any new one would too)

    def _wait_ready(self) -> bool:
        if self._ready is None:
            said = self._read(self.READY_TIMEOUT)
            self._ready = bool(said and said.get("ready"))
            self.refused = said is not None and said.get("ready") is False
            self.why = None if self._ready else (said or {}).get("why", "the worker did not start")
        return self._ready

    def _read(self, timeout: float) -> dict | None:
        with selectors.DefaultSelector() as sel:
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                return None
        line = self._proc.stdout.readline()
        try:
            said = json.loads(line) if line else None
        except ValueError:
            return None
        return said if isinstance(said, dict) else None

    def run(self, request: dict, log: Path) -> int | None:
        """The run `request` names (sped/launch/pipeline_run.py `REQUEST_OPTIONS`) in a child of the
        worker, its output appended to `log`; its exit code, or None if the worker could not
        run it."""
        if not self._wait_ready():
            return None
        try:
            self._proc.stdin.write(json.dumps({"run": request, "log": str(log)}) + "\n")
            self._proc.stdin.flush()
        except OSError:
            self._ready, self.why = False, "the worker has ended"
            return None
        said = self._read(timeout=24 * 3600.0)  # a run ends, or the worker dies (end of file)
        if said is None or not isinstance(said.get("exit"), int):
            self._ready, self.why = False, "the worker ended during a run"
            return None
        return said["exit"]

    @property
    def usable(self) -> bool:
        return self._ready is not False and self._proc.poll() is None

    def close(self, timeout: float = 30.0) -> None:
        """Close its stdin (it exits after the run in hand) and wait; kill it if it does not."""
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        with contextlib.suppress(OSError):
            self._proc.stdout.close()
        self._log.close()


if __name__ == "__main__":
    main()
