"""Where files go and what the manifest says about them.

`Output` writes every file of a run under the landing layout, decides per district file (from the
seed and a running file number, never from the clock) whether it carries a defect, is sent as
XLSX or as CSV with M/D/YYYY dates, and records each file for `_manifest.json` and the summary.

Each file's modification time is the day it was sent, which the landing scan takes as the time
the state received it: district files of a school year a few days before the profile's due
date, some late (LATE_RATE); a corrected or repeated file some days after the first; allocations
on July 1 of their fiscal year; spending reports and directories shortly before the as-of date.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from sped.config.profile import StateProfile
from sped.contracts import get
from sped.generate import defects, writers
from sped.generate.scales import (
    DEFECT_RATE,
    LATE_RATE,
    RESUBMIT_RATE,
    US_DATES_RATE,
    XLSX_RATE,
)

XLSX_MAX_ROWS = 1_500  # larger extracts stay CSV (openpyxl writes cell by cell)


@dataclass
class GenerationSummary:
    """What a run wrote."""

    scale: str
    seed: int
    school_years: list[str]
    leas: int = 0
    files: Counter = field(default_factory=Counter)  # per collection
    rows: Counter = field(default_factory=Counter)  # per collection
    students_per_year: dict[str, int] = field(default_factory=dict)
    defects: Counter = field(default_factory=Counter)  # per kind
    bytes_written: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        files = ", ".join(f"{k} {v}" for k, v in sorted(self.files.items()))
        return (
            f"{self.leas} LEAs, school years {', '.join(self.school_years)}; "
            f"students per year {self.students_per_year}; files: {files}; "
            f"{sum(self.defects.values())} defective files {dict(sorted(self.defects.items()))}; "
            f"{self.bytes_written / 1e6:.1f} MB in {self.seconds:.1f} s"
        )


class Output:
    def __init__(
        self,
        out: Path,
        seed: int,
        summary: GenerationSummary,
        lea_ids: list[str],
        profile: StateProfile,
        as_of: dt.date,
    ):
        self.out, self.seed, self.summary, self.lea_ids = out, seed, summary, lea_ids
        self.profile, self.as_of = profile, as_of
        self.entries: list[dict] = []
        self.file_no = 0
        self.copied = False

    def sent_at(
        self, collection: str, period: str, rng: np.random.Generator, after: dt.datetime | None
    ) -> dt.datetime:
        """When the file was sent (see the module docstring)."""
        minutes = dt.timedelta(minutes=int(rng.integers(8 * 60, 17 * 60)))
        if after is not None:
            return after + dt.timedelta(days=int(rng.integers(1, 15))) + minutes
        kind = get(collection).period_kind
        due = self.profile.due_date(collection, int(period[:4])) if kind == "school_year" else None
        if due is not None:
            late = rng.random() < LATE_RATE
            day = due + dt.timedelta(
                days=int(rng.integers(1, 40)) if late else -int(rng.integers(0, 14))
            )
        elif collection == "allocations":
            day = dt.date(int(period), 7, 1)
        else:
            day = self.as_of - dt.timedelta(days=int(rng.integers(3, 30)))
        return dt.datetime.combine(day, dt.time()) + minutes

    def record(
        self,
        path: Path,
        collection: str,
        lea_id,
        period: str,
        rows: int,
        size: int,
        sent: dt.datetime,
        **extra,
    ) -> None:
        stamp = sent.replace(tzinfo=dt.UTC).timestamp()
        os.utime(path, (stamp, stamp))
        extra["sent_at"] = sent.isoformat(timespec="minutes")
        self.summary.files[collection] += 1
        self.summary.rows[collection] += rows
        self.summary.bytes_written += size
        entry = {
            "path": path.relative_to(self.out).as_posix(),
            "collection": collection,
            "lea_id": lea_id,
            "period": period,
            "rows": rows,
        }
        self.entries.append(entry | {k: v for k, v in extra.items() if v is not None})

    def state_file(self, relative: str, collection: str, period: str, frame: pl.DataFrame) -> None:
        """A state-maintained file (reference directories, allocations): always clean CSV."""
        path = self.out / relative
        size = writers.write_csv(frame.select(get(collection).column_names), path)
        rng = np.random.default_rng([self.seed, 98, len(self.entries)])
        sent = self.sent_at(collection, period, rng, None)
        self.record(path, collection, None, period, frame.height, size, sent)

    def district_file(self, collection: str, lea_id: str, period: str, frame: pl.DataFrame) -> None:
        """One district submission; maybe defective (then maybe a `_v2`), XLSX or M/D/YYYY."""
        self.file_no += 1
        rng = np.random.default_rng([self.seed, 99, self.file_no])
        folder = self.out / collection / lea_id / period
        name = f"{collection}_{lea_id}_{period}"
        dates = [c.name for c in get(collection).columns if c.type == "date"]
        u = rng.random()
        when = np.random.default_rng([self.seed, 97, self.file_no])  # sending times only
        sent = self.sent_at(collection, period, when, None)
        kinds = defects.applicable(collection)
        if u < DEFECT_RATE and frame.height:
            kind = kinds[int(rng.integers(len(kinds)))]
            others = [i for i in self.lea_ids if i != lea_id]
            other = others[int(rng.integers(len(others)))]
            bad, encoding = defects.inject(frame, collection, kind, other, rng)
            path = folder / f"{name}.csv"
            size = writers.write_csv(bad, path, encoding=encoding)
            self.record(
                path,
                collection,
                lea_id,
                period,
                bad.height,
                size,
                sent,
                defect=kind,
                encoding=encoding if encoding != "utf-8" else None,
            )
            self.summary.defects[kind] += 1
            if rng.random() < RESUBMIT_RATE:
                path = folder / f"{name}_v2.csv"
                size = writers.write_csv(frame, path)
                self.record(
                    path,
                    collection,
                    lea_id,
                    period,
                    frame.height,
                    size,
                    self.sent_at(collection, period, when, sent),
                    resubmission_of=f"{name}.csv",
                )
            return
        if u < DEFECT_RATE + XLSX_RATE and frame.height <= XLSX_MAX_ROWS:
            path = folder / f"{name}.xlsx"
            size = writers.write_xlsx(frame, path, dates)
            self.record(path, collection, lea_id, period, frame.height, size, sent, format="xlsx")
            return
        us = DEFECT_RATE + XLSX_RATE <= u < DEFECT_RATE + XLSX_RATE + US_DATES_RATE
        if us:
            frame = writers.us_dates(frame, dates)
        path = folder / f"{name}.csv"
        size = writers.write_csv(frame, path)
        self.record(
            path,
            collection,
            lea_id,
            period,
            frame.height,
            size,
            sent,
            dates="M/D/YYYY" if us else None,
        )
        if not self.copied and collection == "placements":  # one byte-identical re-send
            copy = folder / f"{name}_copy.csv"
            shutil.copyfile(path, copy)
            self.record(
                copy,
                collection,
                lea_id,
                period,
                frame.height,
                size,
                self.sent_at(collection, period, when, sent),
                copy_of=path.relative_to(self.out).as_posix(),
            )
            self.copied = True
