"""The federal edit checks, in one place: the dbt tests of `dbt/tests/federal/`, which every
build runs over the federal marts (severity warn: a failing check is reported, the build
goes on), are run again here, read-only, on the published warehouse before a federal file is
written. Each test's SQL selects the records that break the check; its first comment line says
what the check is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

CHECKS_DIR = Path(__file__).resolve().parents[2] / "dbt" / "tests" / "federal"
_REF = re.compile(r"\{\{\s*ref\('([a-z_0-9]+)'\)\s*\}\}")
_CONFIG = re.compile(r"\{\{\s*config\([^)]*\)\s*\}\}")
#: How many failing records a listing shows per check.
SAMPLE = 5


@dataclass(frozen=True)
class CheckResult:
    name: str
    description: str
    failures: int
    sample: tuple[tuple, ...]
    columns: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.failures == 0


def _relation(model: str) -> str:
    return f"staging.{model}" if model.startswith("stg_") else f"marts.{model}"


def load() -> dict[str, tuple[str, str]]:
    """{check name: (description, SQL runnable on a warehouse)} from dbt/tests/federal/."""
    checks = {}
    for path in sorted(CHECKS_DIR.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        comments = []
        for line in text.splitlines():
            if not line.startswith("--"):
                break
            comments.append(line[2:].strip())
        sql = _REF.sub(lambda m: _relation(m.group(1)), _CONFIG.sub("", text))
        checks[path.stem] = (" ".join(comments), sql)
    return checks


def run(con: duckdb.DuckDBPyConnection, school_year: str, file_spec: str) -> list[CheckResult]:
    """Every check over the warehouse, keeping the failures of one school year and file (a
    record that names no file, such as a roster total, counts for both)."""
    results = []
    for name, (description, sql) in load().items():
        relation = con.sql(sql)
        columns = tuple(relation.columns)
        where = ["school_year = ?"] if "school_year" in columns else []
        params: list = [school_year] if where else []
        if "file_spec" in columns:
            where.append("file_spec = ?")
            params.append(file_spec)
        if "record" in columns:  # the keyed records of the LEA/SEA comparison
            where.append("record LIKE ?")
            params.append(f"{school_year}|{file_spec}|%")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = con.execute(f"SELECT * FROM ({sql}) AS failing{clause}", params).fetchall()
        results.append(CheckResult(name, description, len(rows), tuple(rows[:SAMPLE]), columns))
    return results
