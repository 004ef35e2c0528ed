"""`sped validate FILE`: check one file as a district would see it, without registering it.

The file goes through the same reading, typing and rule checks as a submission, within the
profile's limits. Reference data (LEA, facility and private-school directories) comes from the
installation's published snapshot when there is one; without it the rules that read a directory
are not checked (their findings are dropped, never reported against an empty directory) and the
output names them. The file's rows are checked in a scratch DuckDB file inside the
installation (`sped.process.scratch`), removed however the check ends. Whatever goes wrong with the
file, the answer is a finding, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import duckdb

from sped.config.profile import StateProfile
from sped.config.settings import Installation
from sped.contracts import REFERENCE_COLLECTIONS, get
from sped.contracts.finding_repeats import without_repeats
from sped.contracts.findings import SAMPLE_SIZE, Finding
from sped.ingest.batch import read_one, stage_batch
from sped.ingest.limits import LimitExceeded, check_size
from sped.ingest.read import limit_finding
from sped.landing.layout import check_period
from sped.landing.registry import Submission
from sped.landing.store import sha256_bytes
from sped.process import failpoints
from sped.process.scratch import scratch_dir
from sped.warehouse.schema import ensure_schemas

log = logging.getLogger("sped.validation.validate_file")


def _reference_from(con: duckdb.DuckDBPyConnection, published: Path) -> set[str] | None:
    if not published.exists():
        return None
    con.execute("ATTACH ? AS pub (READ_ONLY)", [str(published)])
    for name in REFERENCE_COLLECTIONS:
        con.execute(f"INSERT INTO raw.{name} SELECT * FROM pub.raw.{name}")
    con.execute("DETACH pub")
    return {r[0] for r in con.execute("SELECT lea_id FROM raw.leas").fetchall()}


def check_file(
    path: Path,
    collection: str,
    lea_id: str | None,
    period: str,
    *,
    inst: Installation,
    profile: StateProfile,
    as_of: dt.date,
    sample: int = SAMPLE_SIZE,
    gate: str = "gx",
) -> tuple[list[Finding], int, bool]:
    """(findings, rows read, whether directories were available) for one file; each finding
    lists at most `sample` rows. `gate="sql"` decides the rules by their SQL alone, without
    starting GX (the same findings: sped/validation/sql_gate.py), for a cold command."""
    coll = get(collection)
    check_period(collection, period)
    if coll.lea_scoped and not lea_id:
        raise ValueError(f"{collection} files belong to a district: give --lea")
    try:  # a file beyond the size limit is never read into memory
        check_size(path.stat().st_size, profile.limits)
    except LimitExceeded as exc:
        return [limit_finding(exc, coll)], 0, False
    data = path.read_bytes()
    sub = Submission(
        submission_id=0,
        collection=collection,
        lea_id=lea_id if coll.lea_scoped else None,
        period=period,
        original_name=path.name,
        landing_path=None,
        sha256=sha256_bytes(data),
        size_bytes=len(data),
        received_at="",
        submitter="",
        status="received",
        error_count=None,
        warning_count=None,
        row_count=None,
        validated_at=None,
        superseded_by=None,
    )
    if gate == "sql":
        from sped.validation.sql_gate import validate_batch_sql

        # nothing but DuckDB reads the batch; what it spills stays inside the installation
        with scratch_dir(inst, "validate") as scratch:
            con = duckdb.connect(":memory:", config={"temp_directory": str(scratch)})
            return _check(con, validate_batch_sql, inst, data, sub, profile, as_of, sample)

    from sped.validation import validate_batch
    from sped.validation.gx_duckdb import shared_config

    with scratch_dir(inst, "validate") as scratch:
        # GX reads through its own connection, so the batch lives in a (scratch) file
        con = duckdb.connect(str(scratch / "check.duckdb"), config=shared_config())
        return _check(con, validate_batch, inst, data, sub, profile, as_of, sample)


def _check(con, validate, inst, data, sub, profile, as_of, sample):
    """Read the file into `con` (then closed), and check it with `validate` (the SQL gate or
    GX): findings, rows, and whether the installation's directories were there to check
    against."""
    collection, coll = sub.collection, get(sub.collection)
    try:
        ensure_schemas(con)
        known = _reference_from(con, inst.published_warehouse)
        failpoints.reached("validate:checking")  # scratch made, the file not yet read
        frame, findings, rows = read_one(data, sub, coll, known, profile.limits)
        if frame is not None and stage_batch(con, coll, [frame]):
            try:
                findings += validate(con, collection, profile, as_of, sample=sample)
                findings = without_repeats(findings)  # a cell that could not be typed: once
            except Exception as exc:  # the file cannot pass unchecked; say so plainly
                log.warning("checking a file failed: %s", type(exc).__name__)
                findings.append(_unchecked(exc, collection))
    finally:
        con.close()
    if known is None:  # an empty directory would reject every id: those rules were not checked
        unchecked = {rule.id for rule in directory_rules(collection)}
        findings = [f for f in findings if f.rule_id not in unchecked]
    return findings, rows, known is not None


def directory_rules(collection: str) -> list:
    """The collection's rules that check ids against a directory (LEAs, facilities, private
    schools): they need an installation's published snapshot."""
    return [rule for rule in get(collection).rules if rule.kind == "in_directory"]


def _unchecked(exc: Exception, collection: str) -> Finding:
    return Finding(
        0,
        f"{collection}.file.unchecked",
        "blocking",
        f"The file could not be checked ({type(exc).__name__}), so it cannot be accepted as it "
        "is. This is a problem of the system, not of the file: tell the state's data team.",
        "sped validate",
    )


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render(
    path: Path,
    findings: list[Finding],
    rows: int,
    had_directories: bool,
    collection: str | None = None,
) -> str:
    errors = [f for f in findings if f.blocking]
    warnings = [f for f in findings if not f.blocking]
    unchecked = [] if had_directories or not collection else directory_rules(collection)
    verdict = "would be REJECTED" if errors else "would be accepted"
    if unchecked and not errors:
        verdict = "passes the rules checked"
    counts = f"{_n(len(errors), 'error')}, {_n(len(warnings), 'warning')}"
    lines = [f"{path.name}: {rows} rows; {verdict} ({counts})"]
    if unchecked:
        names = ", ".join(rule.id for rule in unchecked)
        lines.append(
            f"  not checked (no installation's directories to check against; give "
            f"--warehouse): {names}"
        )
    elif not had_directories:
        lines.append(
            "  (no published warehouse: LEA, facility and private-school directory "
            "checks were skipped)"
        )
    lines += [f"  {f.message()}" for f in errors + warnings]
    return "\n".join(lines)
