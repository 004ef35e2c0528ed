"""A real `sped serve` (uvicorn) on 127.0.0.1 and a free port, for the browser tests, the API
fuzzing and the upload benchmark; stopped (its own process only) when the block ends."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(
    warehouse: Path, *, as_of: str, timeout: float = 120, pipeline_runs: bool = False
) -> Iterator[str]:
    """Run `sped serve` until the block ends; yields its base URL. Uploads start no pipeline
    run unless `pipeline_runs`."""
    port = free_port()
    cmd = [sys.executable, "-m", "sped.cli", "serve", "--warehouse", str(warehouse)]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--as-of", as_of]
    if not pipeline_runs:
        cmd.append("--no-pipeline-runs")
    log = warehouse.parent / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/openapi.json", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sped serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
