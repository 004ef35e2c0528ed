"""The floor: what plain DuckDB needs to compute the core figures from the same landing tree.

No validation, no registry, no lineage, no framework: the newest file of each (collection, LEA,
period) is read as text (CSV by DuckDB's multi-file reader, XLSX through openpyxl), typed with
the contracts' spellings, and aggregated into

Rows count for the LEA their file was sent for (the landing path), as the registry files them.

- `ood`: students and out-of-district students per LEA and school year (fct_out_of_district);
- `lre`: students per LEA, school year, age group and educational environment
  (fct_lre_environments);
- `share`: per LEA and fiscal year, the PPPS and public counts (3-21, 3-5) and the IDEA 611/619
  proportionate shares in cents, count-based, rounded at the end (34 CFR 300.133;
  fct_proportionate_share with the shipped `round_at_end` rule, home-schooled children counted);
- `spending`: per LEA and fiscal year, IDEA 611/619 equitable-services spending in cents in the
  initial period and in the carryover period (34 CFR 300.133(a)(3); int_equitable_spending:
  obligated by the as-of date, child-find evaluations not counted, the next year's grant
  paying a carryover obligation counted in the year it pays);
- `coverage`: per LEA and school year, out-of-district students and those fully covered (a
  monitoring plan and a countable monitoring activity in the school year;
  fct_monitoring_coverage);
- `child_find`: per LEA and school year, students referred, determined eligible and evaluated
  within the timeline (fct_child_find).

These are all the core figures the marts compute from district files, so the floor reads every
collection the pipeline reads, as the pipeline must.

The pipeline's marts must agree with these on every LEA whose files were all accepted
(bench/pipeline.py checks). Run: `python -m bench.floor LANDING OUT.duckdb`.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import duckdb

COLLECTIONS = (
    "placements",
    "ppps_count",
    "allocations",
    "expenditures",
    "monitoring_log",
    "child_find",
)
#: The as-of date the benchmark runs the pipeline with (bench/pipeline.py).
AS_OF = "2026-11-01"
#: Days from consent to evaluation (the shipped state profile, 34 CFR 300.301(c)(1)).
TIMELINE_DAYS = 60


def newest_files(landing: Path, collection: str) -> list[Path]:
    """The newest file (by modification time, i.e. received last) of each LEA and period."""
    newest: dict[Path, Path] = {}
    for path in sorted((landing / collection).rglob("*")):
        if path.suffix.lower() not in (".csv", ".xlsx") or not path.is_file():
            continue
        key = path.parent
        if key not in newest or path.stat().st_mtime_ns > newest[key].stat().st_mtime_ns:
            newest[key] = path
    return sorted(newest.values())


def _xlsx_as_csv(path: Path, scratch: Path) -> Path:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        out = scratch / (
            path.parent.parent.name + "_" + path.parent.name + "_" + path.stem + ".csv"
        )
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            for row in wb[wb.sheetnames[0]].iter_rows(values_only=True):
                writer.writerow(["" if v is None else _cell(v) for v in row])
    finally:
        wb.close()
    return out


def _readable(path: Path, scratch: Path) -> Path | None:
    """A UTF-8 CSV DuckDB can read for `path`: itself, or a converted copy (XLSX, UTF-16,
    Windows-1252); None for a file that is not a table at all (the pipeline rejects it)."""
    if path.suffix.lower() == ".xlsx":
        return _xlsx_as_csv(path, scratch)
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return path
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data[:4096]:
        return None
    else:
        text = data.decode("cp1252", errors="replace")
    out = scratch / f"{path.parent.parent.name}_{path.parent.name}_{path.stem}.csv"
    out.write_text(text, encoding="utf-8")
    return out


def _cell(value: object) -> str:
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _load(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], scratch: Path) -> None:
    """All files of a collection as one text table, each row with the LEA its file was sent
    for (`declared_lea`, from the landing path; the row's own lea_id for state files)."""
    usable = [(p, _readable(p, scratch)) for p in files]
    paths = [str(q) for _, q in usable if q is not None]
    declared = [p.parent.parent.name for p, q in usable if q is not None]
    con.execute("CREATE OR REPLACE TEMP TABLE declared (filename VARCHAR, declared_lea VARCHAR)")
    con.executemany("INSERT INTO declared VALUES (?, ?)", list(zip(paths, declared, strict=True)))
    by_header: dict[str, list[str]] = {}
    for path in paths:  # one multi-file read per header: DuckDB sniffs one file of each
        with open(path, encoding="utf-8", errors="replace") as fh:
            by_header.setdefault(fh.readline().strip(), []).append(path)
    reads = []
    for group in by_header.values():
        listed = ", ".join("'" + p.replace("'", "''") + "'" for p in group)
        reads.append(
            f"SELECT * FROM read_csv([{listed}], all_varchar = true, header = true, "
            "filename = true, delim = ',', quote = '\"', strict_mode = false)"
        )
    con.execute(
        f"CREATE TABLE {name} AS SELECT t.* EXCLUDE (filename), d.declared_lea FROM ("
        + " UNION ALL BY NAME ".join(reads)
        + ") AS t JOIN declared AS d USING (filename)"
    )


DATE = "coalesce(try_strptime(trim({c}), '%Y-%m-%d'), try_strptime(trim({c}), '%m/%d/%Y'))::DATE"
FLAG = "(upper(trim({c})) IN ('Y', 'TRUE'))"
AGE = (
    "(year(cd) - year(bd) - CASE WHEN month(cd) * 100 + day(cd) < month(bd) * 100 + day(bd) "
    "THEN 1 ELSE 0 END)"
)

FIGURES = f"""
CREATE TABLE roster AS
SELECT declared_lea AS lea_id, trim(school_year) AS school_year, trim(student_id) AS student_id,
       upper(trim(grade_level)) AS grade_level,
       upper(trim(educational_environment)) AS environment,
       upper(trim(placement_type)) AS placement_type,
       {DATE.format(c="count_date")} AS cd, {DATE.format(c="birth_date")} AS bd
FROM placements_text;

CREATE TABLE ood AS
SELECT lea_id, school_year, count(*) AS students,
       count(*) FILTER (WHERE placement_type <> 'IN_DISTRICT') AS ood_students
FROM roster GROUP BY ALL;

CREATE TABLE lre AS
SELECT lea_id, school_year,
       CASE WHEN {AGE} >= 6 OR ({AGE} = 5 AND grade_level = 'KG') THEN '6-21' ELSE '3-5' END
           AS age_group,
       environment AS educational_environment, count(*) AS students
FROM roster GROUP BY ALL;

CREATE TABLE public_counts AS
SELECT lea_id, CAST(left(school_year, 4) AS INTEGER) + 1 AS fiscal_year,
       count(DISTINCT student_id) FILTER (WHERE {AGE} BETWEEN 3 AND 21) AS public_3_21,
       count(DISTINCT student_id) FILTER (WHERE {AGE} BETWEEN 3 AND 5) AS public_3_5
FROM roster GROUP BY ALL;

CREATE TABLE ppps AS
SELECT declared_lea AS lea_id, CAST(left(trim(school_year), 4) AS INTEGER) + 1 AS fiscal_year,
       trim(student_id) AS student_id,
       {DATE.format(c="count_date")} AS cd, {DATE.format(c="birth_date")} AS bd,
       CASE WHEN {FLAG.format(c="home_schooled")} THEN true
            ELSE {FLAG.format(c="private_school_nonprofit")} END
       AND ({AGE} >= 6 OR {FLAG.format(c="elementary_or_secondary")}) AS counts
FROM ppps_count_text;

CREATE TABLE ppps_counts AS
SELECT lea_id, fiscal_year,
       count(DISTINCT student_id) FILTER (WHERE counts AND {AGE} BETWEEN 3 AND 21) AS ppps_3_21,
       count(DISTINCT student_id) FILTER (WHERE counts AND {AGE} BETWEEN 3 AND 5) AS ppps_3_5
FROM ppps GROUP BY ALL;

CREATE TABLE share AS
SELECT a.lea_id, a.fiscal_year, p.ppps_3_21, u.public_3_21, p.ppps_3_5, u.public_3_5,
       CASE WHEN p.ppps_3_21 = 0 THEN 0 ELSE
           (2 * CAST(round(CAST(trim(a.idea_611_subgrant) AS DECIMAL(18, 2)) * 100) AS HUGEINT)
            * p.ppps_3_21 + (u.public_3_21 + p.ppps_3_21))
           // (2 * (u.public_3_21 + p.ppps_3_21)) END AS required_611_cents,
       CASE WHEN p.ppps_3_5 = 0 THEN 0 ELSE
           (2 * CAST(round(CAST(trim(a.idea_619_subgrant) AS DECIMAL(18, 2)) * 100) AS HUGEINT)
            * p.ppps_3_5 + (u.public_3_5 + p.ppps_3_5))
           // (2 * (u.public_3_5 + p.ppps_3_5)) END AS required_619_cents
FROM (SELECT trim(lea_id) AS lea_id, CAST(trim(fiscal_year) AS INTEGER) AS fiscal_year,
             idea_611_subgrant, idea_619_subgrant FROM allocations_text) AS a
JOIN ppps_counts AS p USING (lea_id, fiscal_year)
JOIN public_counts AS u USING (lea_id, fiscal_year);

CREATE TABLE spent AS
SELECT declared_lea AS lea_id, CAST(trim(fiscal_year) AS INTEGER) AS charged_fy,
       coalesce(TRY_CAST(trim(applies_to_fiscal_year) AS INTEGER),
                CAST(trim(fiscal_year) AS INTEGER)) AS fy,
       upper(trim(fund_source)) AS fund, upper(trim(category)) <> 'CHILD_FIND_EVALUATION' AS counts,
       CAST(round(CAST(trim(amount) AS DECIMAL(18, 2)) * 100) AS HUGEINT) AS cents,
       {DATE.format(c="obligation_date")} AS od
FROM expenditures_text
WHERE upper(trim(fund_source)) IN ('IDEA_611', 'IDEA_619')
  AND {DATE.format(c="obligation_date")} <= DATE '{AS_OF}';

-- a row counts toward the year whose share it pays (fy; next year's grant paying a carryover
-- obligation counts in that year's carryover period only); a year with IDEA funds charged to
-- its grant has a row too
CREATE TABLE spending AS
SELECT k.lea_id, k.fy AS fiscal_year,
       coalesce(sum(cents) FILTER (WHERE fund = 'IDEA_611' AND counts AND s.fy = charged_fy
           AND od BETWEEN make_date(s.fy, 7, 1) AND make_date(s.fy + 1, 9, 30)), 0)
           AS s611_initial,
       coalesce(sum(cents) FILTER (WHERE fund = 'IDEA_611' AND counts
           AND od > make_date(s.fy + 1, 9, 30) AND od <= make_date(s.fy + 2, 9, 30)), 0)
           AS s611_carryover,
       coalesce(sum(cents) FILTER (WHERE fund = 'IDEA_619' AND counts AND s.fy = charged_fy
           AND od BETWEEN make_date(s.fy, 7, 1) AND make_date(s.fy + 1, 9, 30)), 0)
           AS s619_initial,
       coalesce(sum(cents) FILTER (WHERE fund = 'IDEA_619' AND counts
           AND od > make_date(s.fy + 1, 9, 30) AND od <= make_date(s.fy + 2, 9, 30)), 0)
           AS s619_carryover
FROM (SELECT lea_id, fy FROM spent UNION SELECT lea_id, charged_fy FROM spent) AS k
LEFT JOIN spent AS s USING (lea_id, fy)
GROUP BY ALL;

CREATE TABLE activity AS
SELECT declared_lea AS lea_id, trim(school_year) AS school_year, trim(student_id) AS student_id,
       count(*) FILTER (WHERE upper(trim(conducted_by)) IN ('DISTRICT_STAFF', 'CONTRACTED_MONITOR'))
           AS countable
FROM monitoring_log_text GROUP BY ALL;

CREATE TABLE coverage AS
SELECT r.lea_id, r.school_year, count(*) AS ood_students,
       count(*) FILTER (WHERE upper(trim(r.plan)) IN ('Y', 'TRUE') AND a.countable > 0)
           AS fully_covered
FROM (SELECT declared_lea AS lea_id, trim(school_year) AS school_year,
             trim(student_id) AS student_id, monitoring_plan_on_file AS plan
      FROM placements_text WHERE upper(trim(placement_type)) <> 'IN_DISTRICT') AS r
LEFT JOIN activity AS a USING (lea_id, school_year, student_id)
GROUP BY ALL;

CREATE TABLE child_find AS
SELECT declared_lea AS lea_id, trim(school_year) AS school_year,
       count(DISTINCT trim(student_id)) AS referred,
       count(DISTINCT trim(student_id)) FILTER (WHERE upper(trim(eligibility)) = 'ELIGIBLE')
           AS determined_eligible,
       count(*) FILTER (WHERE date_diff('day', {DATE.format(c="consent_date")},
           {DATE.format(c="evaluation_date")}) <= {TIMELINE_DAYS}) AS within_timeline
FROM child_find_text GROUP BY ALL;
"""
TABLES = ("ood", "lre", "share", "spending", "coverage", "child_find")


def compute(landing: Path, out: Path) -> dict[str, int]:
    """Write the TABLES to the DuckDB file `out`; their row counts."""
    import tempfile

    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    try:
        with tempfile.TemporaryDirectory(prefix="floor-") as scratch:
            for name in COLLECTIONS:
                _load(con, f"{name}_text", newest_files(landing, name), Path(scratch))
        # an optional column no file of a landing tree written before it has
        con.execute(
            "ALTER TABLE expenditures_text ADD COLUMN IF NOT EXISTS applies_to_fiscal_year VARCHAR"
        )
        con.execute(FIGURES)
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


if __name__ == "__main__":
    clock = time.perf_counter()
    counts = compute(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"floor {time.perf_counter() - clock:.3f} s {counts}")
