"""The landing layout: where a file sits says what it is.

    <collection>/<lea_id>/<period>/<name>.csv|xlsx     district files
    allocations/<fiscal_year>/<name>.csv|xlsx           state allocations
    reference/{leas,facilities,private_schools}.csv     state directories

Anything else is reported as a file the system cannot route (never silently skipped), except
top-level names starting with `_` or `.` (generator manifests, hidden files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sped.contracts import COLLECTIONS, REFERENCE_COLLECTIONS

SUFFIXES = (".csv", ".xlsx")
SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
FISCAL_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class DeclaredKey:
    """What a submission says it is: its collection, LEA (None for state files) and period."""

    collection: str
    lea_id: str | None
    period: str


class LayoutError(ValueError):
    """A file's place in the landing directory does not say what it is."""


def valid_school_year(text: str) -> bool:
    m = SCHOOL_YEAR.match(text)
    return bool(m) and (int(m.group(1)) + 1) % 100 == int(m.group(2))


def check_period(collection: str, period: str) -> None:
    kind = COLLECTIONS[collection].period_kind
    if kind == "school_year" and not valid_school_year(period):
        raise LayoutError(f"period {period!r} is not a school year like 2025-26")
    if kind == "fiscal_year" and not FISCAL_YEAR.match(period):
        raise LayoutError(f"period {period!r} is not a fiscal year like 2026")


def declared_key(relative: Path) -> DeclaredKey:
    """The declared key of a file from its path relative to the landing directory."""
    parts = relative.parts
    if relative.suffix.lower() not in SUFFIXES:
        raise LayoutError(f"{relative}: only .csv and .xlsx files are accepted")
    if parts[0] == "reference":
        name = Path(parts[-1]).stem.lower()
        if len(parts) != 2 or name not in REFERENCE_COLLECTIONS:
            raise LayoutError(
                f"{relative}: reference files are reference/<name>.csv with name one of "
                + ", ".join(REFERENCE_COLLECTIONS)
            )
        return DeclaredKey(name, None, "current")
    if parts[0] == "allocations":
        if len(parts) != 3:
            raise LayoutError(f"{relative}: allocations go in allocations/<fiscal_year>/<file>")
        check_period("allocations", parts[1])
        return DeclaredKey("allocations", None, parts[1])
    collection = parts[0]
    if collection not in COLLECTIONS or not COLLECTIONS[collection].lea_scoped:
        raise LayoutError(f"{relative}: {collection!r} is not a district collection")
    if len(parts) != 4:
        raise LayoutError(f"{relative}: district files go in {collection}/<lea_id>/<period>/<file>")
    check_period(collection, parts[2])
    return DeclaredKey(collection, parts[1], parts[2])


def walk(landing: Path) -> list[Path]:
    """Every file under the landing directory, in a stable order (so v2 follows v1)."""
    files = []
    for path in sorted(landing.rglob("*")):
        rel = path.relative_to(landing)
        if not path.is_file() or rel.parts[0].startswith(("_", ".")):
            continue
        if any(p.startswith(".") for p in rel.parts):
            continue
        files.append(path)
    return files
