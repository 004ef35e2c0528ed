"""Upload-to-result time of a typical district roster through the HTTP API.

Builds a small state (generator + the real pipeline) in a temporary folder, serves it with
`sped serve` (uvicorn) on 127.0.0.1, and sends a district roster of median size 20 times
through `POST /api/v1/submissions` with a district's API token, each time different bytes (one
row fewer) so every upload is a new submission checked in full. Reports p50 and p95 of the
time from the request to the validation result; the first upload (which starts GX in the
server process, unless its warm-up is done) is reported on its own. Wall time depends on how
busy the machine is, so the server's own CPU time per upload and the load average are reported
with it. The goal: p95 under 2 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from sped.config.settings import Installation
from sped.generate import generate
from sped.landing.accounts import current_os_user
from sped.launch.pipeline_run import run_pipeline
from sped.run.steps import open_registry
from sped.web.local_server import serving

AS_OF = "2026-11-01"
RESULTS = Path(__file__).resolve().parent / "results" / "upload_latency.json"


def _typical_roster(inst: Installation) -> tuple[str, bytes]:
    with open_registry(inst) as reg:
        rosters = [
            (reg.read_bytes(s), s.lea_id)
            for s in reg.submissions(collection="placements", status="accepted")
        ]
    rosters = [(d, lea) for d, lea in rosters if d.startswith(b"lea_id,")]
    rosters.sort(key=lambda r: len(r[0]))
    data, lea = rosters[len(rosters) // 2]
    return lea, data


def _server_process(base: str) -> psutil.Process:
    """The `sped serve` process listening on the base URL's port."""
    port = int(base.rsplit(":", 1)[1])
    for proc in psutil.Process().children(recursive=True):
        try:
            if any(c.laddr.port == port for c in proc.net_connections(kind="tcp")):
                return proc
        except psutil.Error:
            continue
    raise RuntimeError("the sped serve process was not found")


def _cpu(proc: psutil.Process) -> float:
    """CPU seconds the process (and its threads) used so far."""
    times = proc.cpu_times()
    return times.user + times.system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--scale", default="small")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        work = Path(tmp)
        generate(work / "landing", scale=args.scale, years=1, seed=8)
        warehouse = work / "wh" / "warehouse.duckdb"
        code = run_pipeline(
            landing=work / "landing",
            warehouse=str(warehouse),
            profile=None,
            as_of=AS_OF,
            submitter=f"operator:{current_os_user()}",
            out=lambda _line: None,
        )
        if code != 0:
            raise SystemExit("the pipeline failed")
        inst = Installation(warehouse.resolve())
        lea, roster = _typical_roster(inst)
        with open_registry(inst) as reg:
            reg.add_account("bench-clerk", "district", [lea])
            token = reg.create_token("bench-clerk")
        lines = roster.rstrip(b"\n").split(b"\n")
        times: list[float] = []
        statuses: list[int] = []
        cpu: list[float] = []
        with serving(warehouse, as_of=AS_OF) as base, httpx.Client(timeout=120) as client:
            server = _server_process(base)
            time.sleep(1)
            for i in range(args.uploads + 1):  # the first one may wait for the warm-up
                before = _cpu(server)
                data = b"\n".join(lines[: len(lines) - 1 - i]) + b"\n"
                clock = time.perf_counter()
                answer = client.post(
                    f"{base}/api/v1/submissions",
                    headers={"Authorization": f"Bearer {token}"},
                    data={"collection": "placements", "lea_id": lea, "period": "2025-26"},
                    files={"file": ("roster.csv", data, "text/csv")},
                )
                times.append(time.perf_counter() - clock)
                cpu.append(_cpu(server) - before)
                statuses.append(answer.status_code)
                answer.json()  # the result is in the answer
        load = os.getloadavg()[0]
        first, rest = times[0], sorted(times[1:])
        server_cpu = statistics.median(cpu[1:])
        p50 = statistics.median(rest)
        p95 = rest[max(0, round(0.95 * len(rest)) - 1)]
        print(
            f"upload latency, district roster of {len(lines) - 1} rows ({len(roster):,} bytes), "
            f"{len(rest)} API uploads: p50 {p50:.2f} s, p95 {p95:.2f} s, max {rest[-1]:.2f} s "
            f"(first upload: {first:.2f} s); server CPU per upload (median) {server_cpu:.2f} s; "
            f"load average {load:.1f} on {os.cpu_count()} cores; answers {sorted(set(statuses))}"
        )
        report = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "roster_rows": len(lines) - 1,
            "uploads": len(rest),
            "p50_s": round(p50, 3),
            "p95_s": round(p95, 3),
            "max_s": round(rest[-1], 3),
            "first_upload_s": round(first, 3),
            "server_cpu_per_upload_s": round(server_cpu, 3),
            "load_average": round(load, 2),
            "statuses": sorted(set(statuses)),
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"written to {RESULTS} (bench/pipeline.py reads its p95)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
