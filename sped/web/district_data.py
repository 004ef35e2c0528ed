"""What the district pages show, read for one LEA: its submissions from the registry and its
figures from the published snapshot (opened read-only for the one request, so a pipeline run
writing the warehouse is never in the way and never waits for the application).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from sped.landing.registry import Submission
from sped.warehouse.schema import has_table
from sped.web.portal import Portal

#: the flags of `fct_compliance_flags` the district page lists, in plain words
OOD_FLAGS = {
    "PRIVATE_PLACEMENT_WITHOUT_CONTRACT": "no contract on file (603 CMR 28.06(3)(f))",
    "OUT_OF_DISTRICT_WITHOUT_MONITORING_PLAN": "no monitoring plan (603 CMR 28.06(3)(b))",
    "OUT_OF_DISTRICT_WITHOUT_COUNTABLE_MONITORING": "no countable monitoring (603 CMR 28.06(3)(b))",
}


@contextmanager
def published(portal: Portal) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the published snapshot, or None before the first publish."""
    path = portal.inst.published_warehouse
    if not path.exists():
        yield None
        return
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def known_leas(portal: Portal) -> dict[str, str]:
    """lea_id -> name: the state directory in the published snapshot, plus any LEA that sent."""
    names: dict[str, str] = {}
    with published(portal) as con:
        if con is not None and has_table(con, "marts.dim_lea"):
            names.update(con.execute("SELECT lea_id, lea_name FROM marts.dim_lea").fetchall())
    with portal.registry() as registry:
        for sub in registry.submissions():
            if sub.lea_id and sub.lea_id not in names:
                names[sub.lea_id] = ""
    return names


def lea_name(portal: Portal, lea_id: str) -> str:
    return known_leas(portal).get(lea_id, "")


def history(portal: Portal, lea_id: str) -> list[Submission]:
    """The LEA's submissions, newest first."""
    with portal.registry() as registry:
        subs = [s for s in registry.submissions() if s.lea_id == lea_id]
    return sorted(subs, key=lambda s: s.submission_id, reverse=True)


@dataclass(frozen=True)
class Rebuilt:
    """When the published figures were last rebuilt, and how."""

    finished_at: dt.datetime | None
    mode: str | None
    covered_lea: bool


def last_rebuilt(portal: Portal, lea_id: str) -> Rebuilt:
    with published(portal) as con:
        if con is None or not has_table(con, "raw.build_log"):
            return Rebuilt(None, None, False)
        row = con.execute(
            "SELECT finished_at, mode FROM raw.build_log WHERE finished_at IS NOT NULL "
            "ORDER BY build_id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return Rebuilt(None, None, False)
        covered = row[1] != "incremental" or (
            has_table(con, "raw.build_scope")
            and con.execute(
                "SELECT count(*) FROM raw.build_scope WHERE lea_id = ?", [lea_id]
            ).fetchone()[0]
            > 0
        )
        return Rebuilt(row[0], row[1], covered)


def submission_status(portal: Portal, lea_id: str) -> list[dict]:
    """Due dates and timeliness per collection and period (fct_submission_status)."""
    with published(portal) as con:
        if con is None or not has_table(con, "marts.fct_submission_status"):
            return []
        return _rows(
            con,
            "SELECT * FROM marts.fct_submission_status WHERE lea_id = ? "
            "ORDER BY period DESC, collection",
            [lea_id],
        )


def proportionate_share(portal: Portal, lea_id: str) -> list[dict]:
    with published(portal) as con:
        if con is None or not has_table(con, "marts.fct_proportionate_share"):
            return []
        return _rows(
            con,
            "SELECT * FROM marts.fct_proportionate_share WHERE lea_id = ? "
            "ORDER BY fiscal_year DESC",
            [lea_id],
        )


def child_find(portal: Portal, lea_id: str) -> list[dict]:
    with published(portal) as con:
        if con is None or not has_table(con, "marts.fct_child_find"):
            return []
        return _rows(
            con,
            "SELECT * FROM marts.fct_child_find WHERE lea_id = ? ORDER BY school_year DESC",
            [lea_id],
        )


def out_of_district_gaps(portal: Portal, lea_id: str) -> list[dict]:
    """The LEA's out-of-district students lacking a contract, a plan or countable monitoring
    (student level: for the state team and the district itself only)."""
    with published(portal) as con:
        if con is None or not has_table(con, "marts.fct_compliance_flags"):
            return []
        rows = _rows(
            con,
            "SELECT school_year, student_id, flag, detail FROM marts.fct_compliance_flags "
            "WHERE lea_id = ? AND list_contains(?, flag) ORDER BY school_year DESC, "
            "student_id, flag",
            [lea_id, list(OOD_FLAGS)],
        )
    for r in rows:
        r["what"] = OOD_FLAGS[r["flag"]]
    return rows


def suppress_small_counts(
    rows: list[dict], min_cell: int, counts: tuple[str, ...] | None = None
) -> list[dict]:
    """For readers beyond the state team and the district (auditors): counts from 1 to
    min_cell - 1 are shown as "<min_cell", and the rates and medians of a row with such a
    count are hidden, so no small cell can be read or worked back from them. `counts` names the
    count columns (default: every integer column)."""
    shown = []
    for row in rows:
        names = counts or tuple(
            k for k, v in row.items() if isinstance(v, int) and not isinstance(v, bool)
        )
        small = [k for k in names if isinstance(row.get(k), int) and 0 < row[k] < min_cell]
        out = dict(row)
        for k in small:
            out[k] = f"<{min_cell}"
        if small:
            for k, v in row.items():
                if isinstance(v, float) or (k.endswith(("_rate", "_days")) and k not in names):
                    out[k] = "suppressed"
        shown.append(out)
    return shown


def shared_totals(portal: Portal) -> Callable[[str, str | None, str], bool]:
    """shown(total, lea_id, school_year): whether the shared tables show an LEA-year's number of
    students ("students": `shr_out_of_district.students`) or of students aged 3-5
    ("students_3_5": `shr_lre_environments.age_group_students`). What counts that equal them
    may be shown to auditors against (sped/privacy/auditor_view.py)."""
    shown: set[tuple[str, str, str]] = set()
    with published(portal) as con:
        if con is not None and has_table(con, "shared.shr_out_of_district"):
            shown.update(
                con.execute(
                    "SELECT 'students', lea_id, school_year FROM shared.shr_out_of_district "
                    "WHERE students IS NOT NULL"
                ).fetchall()
            )
        if con is not None and has_table(con, "shared.shr_lre_environments"):
            shown.update(
                con.execute(
                    "SELECT DISTINCT 'students_3_5', lea_id, school_year "
                    "FROM shared.shr_lre_environments "
                    "WHERE age_group = '3-5' AND age_group_students IS NOT NULL"
                ).fetchall()
            )
    return lambda total, lea_id, school_year: (total, lea_id, school_year) in shown
