"""The national reference data: the federal IDEA Section 618 state-level child count and
educational environments file, loaded into `raw.national_environments`.

The file is state-maintained reference data the project ships (`sped/reference/public/`, its
source in PROVENANCE.md there). It is loaded as published: every cell as text (counts, `-` not
available, `x` suppressed, `*` flagged), one row per line of the file, the header's names made
into column names (lower case, runs of other characters as `_`). The publisher's four metadata
lines and trailing legend are not data and are left out. dbt types and maps it
(`stg_national_environments`, `dim_national_lre`).

Loading is idempotent: the table records the file's SHA-256, and an unchanged file is not
reloaded.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sped.config.settings import REPO_ROOT

NATIONAL_FILE = (
    REPO_ROOT / "sped" / "reference" / "public" / "bchildcountandedenvironments2017-18.csv"
)
TABLE = "raw.national_environments"
#: Lines before the header: "Extraction Date:", "Updated:", "Revised:" and a blank line.
METADATA_LINES = 4

#: Columns kept beside the file's own: which file, its checksum and the line of each row.
LINEAGE = (("_file", "VARCHAR"), ("_sha256", "VARCHAR"), ("_source_row", "BIGINT"))

#: The columns dbt reads (the rest of the file's columns are kept as loaded).
REQUIRED_COLUMNS = (
    "year",
    "state_name",
    "sea_education_environment",
    "sea_disability_category",
    "age_3_to_5",
    "ages_6_21",
)


def column_name(header: str) -> str:
    """`Ages 6-21` -> `ages_6_21`; `Asian Age 3-5 ` -> `asian_age_3_5`."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


@dataclass(frozen=True)
class LoadResult:
    rows: int
    sha256: str
    reloaded: bool


def _columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = 'national_environments' "
            "ORDER BY ordinal_position"
        ).fetchall()
    ]


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """An empty `raw.national_environments` with the columns dbt reads, if there is none (a
    warehouse that never loaded the file still builds)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    cols = [f'"{c}" VARCHAR' for c in REQUIRED_COLUMNS] + [f"{n} {t}" for n, t in LINEAGE]
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({', '.join(cols)})")


def header_of(path: Path) -> list[str]:
    """The column names of a 618 file (its header line only)."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as fh:
        for number, line in enumerate(csv.reader(fh)):
            if number == METADATA_LINES:
                return [column_name(h) for h in line]
    return []


def read_rows(path: Path) -> tuple[list[str], list[list[str]], str]:
    """(column names, data rows with their line numbers appended, SHA-256) of a 618 file."""
    import csv
    import io

    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    if len(lines) <= METADATA_LINES:
        raise ValueError(f"{path.name}: no header after {METADATA_LINES} metadata lines")
    header = [column_name(h) for h in lines[METADATA_LINES]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"{path.name}: not a 618 child count file, missing {missing}")
    if len(set(header)) != len(header):
        raise ValueError(f"{path.name}: duplicate column names after normalising the header")
    rows = []
    for number, line in enumerate(lines[METADATA_LINES + 1 :], start=METADATA_LINES + 2):
        if not line or not re.fullmatch(r"\d{4}", line[0].strip()):
            continue  # blank line, the rule and the legend at the end
        if len(line) != len(header):
            raise ValueError(
                f"{path.name} line {number}: {len(line)} fields, expected {len(header)}"
            )
        rows.append([*line, str(number)])
    return header, rows, digest


def load(con: duckdb.DuckDBPyConnection, path: Path = NATIONAL_FILE) -> LoadResult:
    """Load the 618 file into `raw.national_environments` unless that very file is loaded."""
    ensure_table(con)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    loaded = con.execute(f"SELECT DISTINCT _sha256 FROM {TABLE}").fetchall()
    if loaded == [(digest,)]:  # the file is not parsed (0.1 s): its header is enough
        header = header_of(path)
        if _columns(con)[: len(header)] == header:
            count = con.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0]
            return LoadResult(count, digest, reloaded=False)
    header, rows, digest = read_rows(path)
    cols = [f'"{c}" VARCHAR' for c in header] + [f"{n} {t}" for n, t in LINEAGE]
    con.execute("BEGIN")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {TABLE} ({', '.join(cols)})")
        import polars as pl

        frame = pl.DataFrame(
            [r[:-1] for r in rows], schema=dict.fromkeys(header, pl.String), orient="row"
        ).with_columns(
            pl.lit(path.name).alias("_file"),
            pl.lit(digest).alias("_sha256"),
            pl.Series("_source_row", [int(r[-1]) for r in rows], dtype=pl.Int64),
        )
        con.register("national_rows", frame.to_arrow())
        try:
            con.execute(f"INSERT INTO {TABLE} SELECT * FROM national_rows")
        finally:
            con.unregister("national_rows")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return LoadResult(len(rows), digest, reloaded=True)
