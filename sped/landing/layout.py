"""The landing layout: where a file sits says what it is.

    <collection>/<lea_id>/<period>/<name>.csv|xlsx     district files
    allocations/<fiscal_year>/<name>.csv|xlsx           state allocations
    enrollment/<school_year>/<name>.csv|xlsx            state enrollment by race/ethnicity
    reference/{leas,facilities,private_schools}.csv     state directories

Anything else is reported as a file the system cannot route (never silently skipped), except
top-level names starting with `_` or `.` (generator manifests, hidden files). Symbolic links,
devices, pipes and sockets, and names with control characters, are refused with the reason and
never read (`walk`); `read_regular` reads a file only if it is still a regular file when opened.
A declared key is checked where it is made (`DeclaredKey`): the period must have its
collection's form and an LEA id is letters, digits, `-`, `_` or `.` only, so no key can carry
a newline into a listing.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from sped.contracts import COLLECTIONS, REFERENCE_COLLECTIONS
from sped.contracts.findings import clip

SUFFIXES = (".csv", ".xlsx")
SCHOOL_YEAR = re.compile(r"(\d{4})-(\d{2})")
FISCAL_YEAR = re.compile(r"\d{4}")
#: State-loaded collections with a period, and what their folder's period is.
STATE_PERIOD_COLLECTIONS = {"allocations": "fiscal_year", "enrollment": "school_year"}
#: The form of any LEA id (the profile's lea_id_pattern and the LEA directory say which exist).
LEA_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


@dataclass(frozen=True)
class DeclaredKey:
    """What a submission says it is: its collection, LEA (None for state files) and period."""

    collection: str
    lea_id: str | None
    period: str

    def __post_init__(self) -> None:
        if self.lea_id is not None:
            check_lea_id(self.lea_id)
        if self.collection in COLLECTIONS:
            check_period(self.collection, self.period)


class LayoutError(ValueError):
    """A file's place in the landing directory does not say what it is."""


def valid_school_year(text: str) -> bool:
    m = SCHOOL_YEAR.fullmatch(text)
    return bool(m) and (int(m.group(1)) + 1) % 100 == int(m.group(2))


def check_period(collection: str, period: str) -> None:
    kind = COLLECTIONS[collection].period_kind
    if not isinstance(period, str):
        raise LayoutError(f"period {period!r} is not text")
    if kind == "school_year" and not valid_school_year(period):
        raise LayoutError(f"period {clip(repr(period), 40)} is not a school year like 2025-26")
    if kind == "fiscal_year" and not FISCAL_YEAR.fullmatch(period):
        raise LayoutError(f"period {clip(repr(period), 40)} is not a fiscal year like 2026")


def check_lea_id(lea_id: str) -> None:
    """An LEA id is 1-32 letters, digits, `-`, `_` or `.` (never a space or a control
    character)."""
    if not isinstance(lea_id, str) or not LEA_ID.fullmatch(lea_id):
        raise LayoutError(
            f"LEA id {clip(repr(lea_id), 40)} is not an LEA id (letters and digits, like 2500010)"
        )


def declared_key(relative: Path) -> DeclaredKey:
    """The declared key of a file from its path relative to the landing directory."""
    parts = relative.parts
    shown = clip(str(relative), 300)
    if relative.suffix.lower() not in SUFFIXES:
        raise LayoutError(f"{shown}: only .csv and .xlsx files are accepted")
    if parts[0] == "reference":
        name = Path(parts[-1]).stem.lower()
        if len(parts) != 2 or name not in REFERENCE_COLLECTIONS:
            raise LayoutError(
                f"{shown}: reference files are reference/<name>.csv with name one of "
                + ", ".join(REFERENCE_COLLECTIONS)
            )
        return DeclaredKey(name, None, "current")
    if parts[0] in STATE_PERIOD_COLLECTIONS:
        name, period = parts[0], STATE_PERIOD_COLLECTIONS[parts[0]]
        if len(parts) != 3:
            raise LayoutError(f"{shown}: {name} go in {name}/<{period}>/<file>")
        check_period(name, parts[1])
        return DeclaredKey(name, None, parts[1])
    collection = parts[0]
    if collection not in COLLECTIONS or not COLLECTIONS[collection].lea_scoped:
        raise LayoutError(f"{shown}: {clip(repr(collection), 60)} is not a district collection")
    if len(parts) != 4:
        raise LayoutError(f"{shown}: district files go in {collection}/<lea_id>/<period>/<file>")
    check_lea_id(parts[1])
    check_period(collection, parts[2])
    return DeclaredKey(collection, parts[1], parts[2])


def _hidden(rel: Path) -> bool:
    return rel.parts[0].startswith("_") or any(p.startswith(".") for p in rel.parts)


def _refusal(entry: os.DirEntry) -> str | None:
    """Why an entry of the landing tree is refused, or None for a regular file or folder."""
    if entry.is_symlink():
        return "a symbolic link is refused (put the file itself in the landing folder)"
    if not entry.name.isprintable():
        return "a name with control characters (such as a line break) is refused"
    if entry.is_dir(follow_symlinks=False) or entry.is_file(follow_symlinks=False):
        return None
    return "not a regular file (a device, pipe or socket) is refused"


def walk(landing: Path, refused: list[tuple[str, str]] | None = None) -> list[Path]:
    """Every regular file under the landing directory, in a stable order (so v2 follows v1).

    Symbolic links (to files or folders), devices, pipes, sockets and names with control
    characters are never followed or read: each is appended to `refused` as (path shown
    printable, why). Hidden and `_`-prefixed entries are skipped as before."""
    files: list[Path] = []
    pending = [landing]
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                path = Path(entry.path)
                rel = path.relative_to(landing)
                if _hidden(rel):
                    continue
                why = _refusal(entry)
                if why:
                    if refused is not None:
                        refused.append((clip(str(rel), 300), why))
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                else:
                    files.append(path)
    return sorted(files)


def read_regular(path: Path, owner: list[int] | None = None) -> bytes:
    """The bytes of `path`, read only if it is a regular file when opened: a symbolic link or a
    device swapped in after `walk` raises OSError instead of being followed or read. `owner`
    receives the uid that owns the file read (from the open file itself, so it is the owner of
    these bytes, whatever the path names later)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise OSError(f"{clip(str(path), 300)} is not a regular file")
        if owner is not None:
            owner.append(opened.st_uid)
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    finally:
        os.close(fd)
