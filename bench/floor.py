"""The floor: what a plain script needs to compute the core figures from the same landing tree.

No validation, no registry, no lineage, no framework: the newest file of each (collection, LEA,
period) is read as text and the files of a collection that share a header are written one after
another into one file, each line prefixed with its LEA, which one DuckDB `read_csv` parses
(DuckDB sniffs and plans once per header, not once per file); a workbook's first sheet is read
from its XML directly (regular expressions over the sheet, its shared strings and styles; no
workbook library). The rows are typed with the contracts' spellings, and aggregated into

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
import datetime as dt
import io
import os
import re
import sys
import time
import zipfile
from html import unescape
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
    newest: dict[str, tuple[int, str]] = {}
    for folder, _dirs, names in os.walk(landing / collection):
        for name in names:
            if not name.lower().endswith((".csv", ".xlsx")):
                continue
            entry = os.stat(os.path.join(folder, name))
            stamp = (entry.st_mtime_ns, os.path.join(folder, name))
            if folder not in newest or stamp > newest[folder]:
                newest[folder] = stamp
    return sorted(Path(path) for _, path in newest.values())


_ROW = re.compile(r"<row\b[^>]*>(.*?)</row>", re.S)
_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ATTR = re.compile(r'\b(r|s|t)="([^"]*)"')
_VALUE = re.compile(r"<v>(.*?)</v>", re.S)
_TEXT = re.compile(r"<t\b[^>]*>(.*?)</t>", re.S)
_NUMFMT = re.compile(r'<numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"')
_XF = re.compile(r'<xf\b[^>]*?numFmtId="(\d+)"')


def _xlsx_rows(path: Path) -> list[list[str]]:
    """The first sheet of a workbook as rows of text, read from its XML directly (regular
    expressions over the sheet, shared strings and styles: no workbook library): inline and
    shared strings as they are, numbers in a date format as ISO dates."""
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        read = lambda n: zf.read(n).decode("utf-8") if n in names else ""  # noqa: E731
        shared_xml, styles, sheet = (
            read("xl/sharedStrings.xml"), read("xl/styles.xml"), read("xl/worksheets/sheet1.xml")
        )  # fmt: skip
    shared = [
        unescape("".join(_TEXT.findall(si)))
        for si in re.findall(r"<si>(.*?)</si>", shared_xml, re.S)
    ]
    formats = dict(_NUMFMT.findall(styles))
    xfs = re.search(r"<cellXfs\b.*?</cellXfs>", styles, re.S)
    dated = set()
    for i, fid in enumerate(_XF.findall(xfs.group(0)) if xfs else []):
        code = formats.get(fid, "").split(";")[0].replace('"', "")
        if 14 <= int(fid) <= 22 or re.search(r"[dy]", code):
            dated.add(str(i))
    epoch = dt.date(1899, 12, 30)
    rows = []
    for row in _ROW.findall(sheet):
        cells: list[str] = []
        for attrs, inner in _CELL.findall(row):
            a = dict(_ATTR.findall(attrs))
            col = 0
            for ch in a.get("r", ""):
                if ch.isalpha():
                    col = col * 26 + ord(ch) - 64
            cells.extend([""] * (col - 1 - len(cells)))
            kind = a.get("t", "n")
            if kind == "inlineStr":
                value = unescape("".join(_TEXT.findall(inner)))
            else:
                v = _VALUE.search(inner or "")
                value = unescape(v.group(1)) if v else ""
                if kind == "s" and value:
                    value = shared[int(value)]
                elif kind == "n" and value:
                    number = float(value)
                    if a.get("s", "0") in dated:
                        value = (epoch + dt.timedelta(days=int(number))).isoformat()
                    elif number.is_integer():
                        value = str(int(number))
            cells.append(value)
        rows.append(cells)
    return rows


def _text(path: Path) -> str | None:
    """A file's text: UTF-8 (with or without a byte-order mark), UTF-16 with its mark, else
    Windows-1252; None for a file that is not text at all (the pipeline rejects it)."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        return None
    return data.decode("cp1252", errors="replace")


def _lines(path: Path) -> tuple[str, str] | None:
    """(header, body) of a file as comma-separated text with \\n line ends, the body's lines
    each prefixed with the LEA the file was sent for; None for a file that is not a table."""
    prefix = _csv_field(path.parent.parent.name) + ","
    if path.suffix.lower() == ".xlsx":
        rows = _xlsx_rows(path)
        if not rows:
            return None
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows([prefix[:-1], *r] for r in rows[1:])
        return ",".join(_csv_field(h) for h in rows[0]), out.getvalue()
    text = _text(path)
    if text is None:
        return None
    text = text.replace("\r\n", "\n")
    header, _, body = text.partition("\n")
    if not body.strip():
        return header, ""
    if '"' in body:  # a quoted field may hold a line end: let the csv module split the rows
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows([prefix[:-1], *r] for r in csv.reader(io.StringIO(body)) if r)
        return header, out.getvalue()
    body = body.rstrip("\n")
    return header, prefix + body.replace("\n", "\n" + prefix) + "\n"


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value


def _load(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], scratch: Path) -> None:
    """All files of a collection as one text table, each row with the LEA its file was sent
    for (`declared_lea`, from the landing path). The files that share a header are written
    one after another into one file, each line prefixed with its LEA, and that file is read
    by one `read_csv`: DuckDB sniffs and plans once per header, not once per file."""
    groups: dict[str, list[str]] = {}
    for path in files:
        parts = _lines(path)
        if parts is not None:
            groups.setdefault(parts[0].strip(), []).append(parts[1])
    reads = []
    for i, (header, bodies) in enumerate(groups.items()):
        joined = scratch / f"{name}_{i}.csv"
        with open(joined, "w", encoding="utf-8", newline="") as fh:
            fh.write("declared_lea," + header + "\n")
            fh.writelines(bodies)
        reads.append(
            f"SELECT * FROM read_csv('{joined}', all_varchar = true, header = true, "
            "delim = ',', quote = '\"', escape = '\"', strict_mode = false, "
            "null_padding = true)"
        )
    con.execute(f"CREATE TABLE {name} AS " + " UNION ALL BY NAME ".join(reads))


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
