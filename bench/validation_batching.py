"""Benchmark: validating a collection's pending files as one batch vs one GX run per file.

Generates a synthetic state, reads and types every placement roster once, then times (a) one
batch of all of them through the GX suite and (b) the same files one GX run each, in the same
process, and prints both and their ratio. Run: `make bench` (BENCH_SCALE, BENCH_YEARS).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb

from sped.config.profile import load_profile
from sped.contracts import get
from sped.generate import generate
from sped.ingest.batch import read_one, stage_batch
from sped.landing.layout import declared_key, walk
from sped.landing.registry import Submission
from sped.landing.store import sha256_bytes
from sped.validation import validate_batch
from sped.validation.gx_duckdb import shared_config
from sped.warehouse.schema import ensure_schemas

AS_OF = dt.date(2026, 11, 1)


def _frames(landing: Path, collection: str):
    coll = get(collection)
    frames = []
    for i, path in enumerate(walk(landing), 1):
        key = declared_key(path.relative_to(landing))
        if key.collection != collection:
            continue
        data = path.read_bytes()
        sub = Submission(
            i,
            collection,
            key.lea_id,
            key.period,
            path.name,
            None,
            sha256_bytes(data),
            len(data),
            "",
            "",
            "received",
            None,
            None,
            None,
            None,
            None,
        )
        frame, _, _ = read_one(data, sub, coll, None)
        if frame is not None:
            frames.append(frame)
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--collection", default="placements")
    parser.add_argument("--max-files", type=int, default=60)
    args = parser.parse_args()
    profile = load_profile()
    with tempfile.TemporaryDirectory(prefix="sped-bench-") as tmp:
        landing = Path(tmp) / "landing"
        generate(landing, scale=args.scale, years=args.years, seed=1)
        frames = _frames(landing, args.collection)[: args.max_files]
        rows = sum(f.height for f in frames)
        con = duckdb.connect(str(Path(tmp) / "w.duckdb"), config=shared_config())
        ensure_schemas(con)
        coll = get(args.collection)
        stage_batch(con, coll, frames[:1])  # warm-up: imports, the first GX context
        validate_batch(con, args.collection, profile, AS_OF)

        clock = time.perf_counter()
        stage_batch(con, coll, frames)
        batch_findings = validate_batch(con, args.collection, profile, AS_OF)
        batch = time.perf_counter() - clock

        clock = time.perf_counter()
        per_file_findings = []
        for frame in frames:
            stage_batch(con, coll, [frame])
            per_file_findings += validate_batch(con, args.collection, profile, AS_OF)
        per_file = time.perf_counter() - clock
        con.close()

    key = sorted((f.submission_id, f.rule_id, f.failed_count) for f in batch_findings)
    same = key == sorted((f.submission_id, f.rule_id, f.failed_count) for f in per_file_findings)
    print(f"{args.collection}: {len(frames)} files, {rows:,} rows, scale {args.scale}")
    print(f"  one batch      {batch:8.2f} s")
    print(f"  one run a file {per_file:8.2f} s  ({per_file / len(frames):.3f} s per file)")
    print(f"  ratio per-file / batch: {per_file / batch:.1f}x; same findings: {same}")


if __name__ == "__main__":
    main()
