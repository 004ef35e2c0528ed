"""Synthetic statewide data in the landing layout: `generate(out, scale=..., years=..., seed=...)`.

Writes one file per (collection, LEA, period) as districts send them, the state's allocation
files and reference directories, and `_manifest.json` saying what was written and which files
carry a deliberate defect (`defects.py`; share `scales.DEFECT_RATE`). Same seed, same bytes:
every random draw comes from a seeded generator keyed by (seed, purpose, LEA, year), and the
output never depends on today's date.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from sped.contracts import get
from sped.generate import calibration, defects, extracts, reference, roster, writers
from sped.generate.scales import DEFECT_RATE, RESUBMIT_RATE, US_DATES_RATE, XLSX_RATE, get_scale
from sped.profile import StateProfile, load_profile

PURPOSES = {
    "leas": 1,
    "facilities": 2,
    "schools": 3,
    "roster": 4,
    "placements": 5,
    "monitoring": 6,
    "ppps": 7,
    "child_find": 8,
    "alloc": 9,
    "spend": 10,
    "file": 11,
    "count_day": 12,
    "rates": 13,
}


@dataclass
class GenerationSummary:
    scale: str
    seed: int
    school_years: list[str]
    leas: int = 0
    files: Counter = field(default_factory=Counter)
    rows: Counter = field(default_factory=Counter)
    students_per_year: dict[str, int] = field(default_factory=dict)
    defects: Counter = field(default_factory=Counter)
    bytes_written: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        files = ", ".join(f"{k} {v}" for k, v in sorted(self.files.items()))
        return (
            f"{self.leas} LEAs, school years {', '.join(self.school_years)}; "
            f"students per year {self.students_per_year}; files: {files}; "
            f"{sum(self.defects.values())} defective files {dict(self.defects)}; "
            f"{self.bytes_written / 1e6:.1f} MB in {self.seconds:.1f} s"
        )


def _rng(seed: int, purpose: str, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, PURPOSES[purpose], *keys])


def school_years(through: str, years: int) -> list[str]:
    last = int(through[:4])
    if years < 1:
        raise ValueError("years must be at least 1")
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(last - years + 1, last + 1)]


def count_day(profile: StateProfile, fall: int, rng: np.random.Generator) -> dt.date:
    start, end = profile.count_window(fall)
    if start == end or rng.random() < 0.7:
        return start
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))


class _Writer:
    """Writes district files, deciding per file (deterministically) its format and defect."""

    def __init__(self, out: Path, seed: int, summary: GenerationSummary, all_leas: list[str]):
        self.out, self.seed, self.summary, self.all_leas = out, seed, summary, all_leas
        self.manifest: list[dict] = []
        self.copied = False

    def district_file(
        self, collection: str, lea_id: str, period: str, frame: pl.DataFrame, file_no: int
    ) -> None:
        rng = _rng(self.seed, "file", file_no)
        folder = self.out / collection / lea_id / period
        name = f"{collection}_{lea_id}_{period}"
        dates = [c.name for c in get(collection).columns if c.type == "date"]
        u = rng.random()
        kinds = defects.applicable(collection)
        if u < DEFECT_RATE and kinds and frame.height:
            kind = kinds[int(rng.integers(len(kinds)))]
            other = self.all_leas[int(rng.integers(len(self.all_leas)))]
            bad = defects.inject(frame, collection, kind, other, rng)
            self._write(folder / f"{name}.csv", bad, collection, lea_id, period, defect=kind)
            self.summary.defects[kind] += 1
            if rng.random() < RESUBMIT_RATE:
                self._write(folder / f"{name}_v2.csv", frame, collection, lea_id, period)
            return
        if u < DEFECT_RATE + XLSX_RATE:
            path = folder / f"{name}.xlsx"
            size = writers.write_xlsx(frame, path, dates)
            self._record(path, collection, lea_id, period, frame.height, size, fmt="xlsx")
            return
        if u < DEFECT_RATE + XLSX_RATE + US_DATES_RATE:
            frame = writers.us_dates(frame, dates)
        path = self._write(folder / f"{name}.csv", frame, collection, lea_id, period)
        if not self.copied and collection == "placements":  # one identical re-send
            copy = folder / f"{name}_copy.csv"
            shutil.copyfile(path, copy)
            self._record(
                copy,
                collection,
                lea_id,
                period,
                frame.height,
                copy.stat().st_size,
                copy_of=str(path.relative_to(self.out)),
            )
            self.copied = True

    def _write(
        self,
        path: Path,
        frame: pl.DataFrame,
        collection: str,
        lea_id: str | None,
        period: str,
        defect: str | None = None,
    ) -> Path:
        size = writers.write_csv(frame, path)
        self._record(path, collection, lea_id, period, frame.height, size, defect=defect)
        return path

    def _record(
        self,
        path: Path,
        collection: str,
        lea_id: str | None,
        period: str,
        rows: int,
        size: int,
        **extra,
    ) -> None:
        self.summary.files[collection] += 1
        self.summary.rows[collection] += rows
        self.summary.bytes_written += size
        self.manifest.append(
            {
                "path": str(path.relative_to(self.out)),
                "collection": collection,
                "lea_id": lea_id,
                "period": period,
                "rows": rows,
                **{k: v for k, v in extra.items() if v is not None},
            }
        )


def generate(
    out: Path,
    *,
    scale: str = "small",
    years: int = 1,
    seed: int = 0,
    profile: StateProfile | None = None,
    through: str = "2025-26",
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write a synthetic state's files under `out` (which must not already hold files)."""
    clock = time.perf_counter()
    size = get_scale(scale)
    profile = profile or load_profile()
    progress = progress or (lambda _m: None)
    cal, pss = calibration.load(profile.state_code)
    years_list = school_years(through, years)
    as_of = dt.date(int(through[:4]) + 1, 11, 1)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; generate into a new directory")
    summary = GenerationSummary(scale, seed, years_list)

    leas = reference.make_leas(size, profile, pss, cal["lea_sizes_ct_2015_16"], _rng(seed, "leas"))
    facilities = reference.make_facilities(size, profile, leas, _rng(seed, "facilities"))
    schools = reference.make_private_schools(pss, leas, _rng(seed, "schools"))
    summary.leas = leas.height
    lea_ids = leas["lea_id"].to_list()
    writer = _Writer(out, seed, summary, lea_ids)
    for name, frame in (
        ("leas", leas.select(get("leas").column_names)),
        ("facilities", facilities),
        ("private_schools", schools.select(get("private_schools").column_names)),
    ):
        writer._write(out / "reference" / f"{name}.csv", frame, name, None, "current")

    rates = roster.lea_ood_rates(leas.height, _rng(seed, "rates"))
    neighbours = reference.NEIGHBOURS.get(profile.state_code, ["NY"])
    ppps_total = (
        cal["parentally_placed_6_21"] * size.students / (cal["students_6_21"] + cal["students_3_5"])
    )
    enrol = schools.group_by("lea_id").agg(pl.col("enrolment").sum())
    enrol_total = max(int(enrol["enrolment"].sum() or 0), 1)
    ppps_by_lea = {
        lea: round(ppps_total * e / enrol_total)
        for lea, e in zip(enrol["lea_id"], enrol["enrolment"], strict=True)
    }

    rosters: dict[str, pl.DataFrame] = {}
    file_no = 0
    for y, sy in enumerate(years_list):
        fall = int(sy[:4])
        fy = fall + 1
        counts: dict[str, tuple[int, int]] = {}
        ppps_counts: dict[str, tuple[int, int]] = {}
        students = 0
        for i, (lea_id, n) in enumerate(zip(lea_ids, leas["students"], strict=True)):
            rng = _rng(seed, "roster", i, y)
            numeric = i % 3 == 0
            if y == 0:
                frame = roster.first_roster(lea_id, int(n), float(rates[i]), numeric, cal, rng)
            else:
                frame = roster.next_roster(
                    rosters[lea_id], lea_id, y, 1.01, float(rates[i]), numeric, cal, rng
                )
            rosters[lea_id] = frame
            day = count_day(profile, fall, _rng(seed, "count_day", i, y))
            placed = extracts.placements(
                frame, lea_id, sy, day, facilities, _rng(seed, "placements", i, y)
            )
            ages = frame["age"].to_numpy()
            counts[lea_id] = (int(((ages >= 3) & (ages <= 21)).sum()), int((ages <= 5).sum()))
            students += frame.height
            file_no += 1
            writer.district_file("placements", lea_id, sy, placed, file_no)
            if (placed["placement_type"] != "IN_DISTRICT").any():
                log = extracts.monitoring_log(
                    placed, lea_id, sy, as_of, _rng(seed, "monitoring", i, y)
                )
                file_no += 1
                writer.district_file("monitoring_log", lea_id, sy, log, file_no)
            mine = schools.filter(pl.col("lea_id") == lea_id)
            if mine.height:
                rng = _rng(seed, "ppps", i, y)
                n_kids = max(1, int(rng.poisson(max(ppps_by_lea.get(lea_id, 0), 0.5))))
                kids = extracts.ppps_children(
                    mine, n_kids, lea_id, sy, day, neighbours, profile.state_code, cal, rng
                )
                file_no += 1
                writer.district_file("ppps_count", lea_id, sy, kids, file_no)
                young = int((kids["birth_date"].str.slice(0, 4).cast(pl.Int64) >= fall - 5).sum())
                ppps_counts[lea_id] = (kids.height, young)
                cf = extracts.child_find(
                    mine,
                    max(1, n_kids // 2),
                    lea_id,
                    sy,
                    profile.evaluation_timeline_days,
                    profile.state_code,
                    _rng(seed, "child_find", i, y),
                )
                file_no += 1
                writer.district_file("child_find", lea_id, sy, cf, file_no)
            if (i + 1) % max(1, len(lea_ids) // 10) == 0:
                progress(f"{sy}: {i + 1}/{len(lea_ids)} LEAs")
        summary.students_per_year[sy] = students

        alloc, amounts = extracts.allocations(leas, counts, fy, _rng(seed, "alloc", y))
        writer._write(
            out / "allocations" / str(fy) / f"allocations_{fy}.csv",
            alloc,
            "allocations",
            None,
            str(fy),
        )
        for i, lea_id in enumerate(lea_ids):
            if lea_id not in ppps_counts:
                continue
            (p321, p35), (u321, u35) = ppps_counts[lea_id], counts[lea_id]
            a611, a619 = amounts[lea_id]
            need = (a611 * p321 / max(u321 + p321, 1), a619 * p35 / max(u35 + p35, 1))
            spend = extracts.expenditures(lea_id, fy, need, as_of, _rng(seed, "spend", i, y))
            if spend.height:
                file_no += 1
                writer.district_file("expenditures", lea_id, str(fy), spend, file_no)

    manifest = {
        "scale": scale,
        "seed": seed,
        "school_years": years_list,
        "as_of": as_of.isoformat(),
        "defect_rate": DEFECT_RATE,
        "files": sorted(writer.manifest, key=lambda m: m["path"]),
    }
    (out / "_manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    summary.seconds = time.perf_counter() - clock
    return summary
