"""What a page says to a reader: its visible text (no tags, scripts or attributes), and what
must never be in it: a dbt expression, a repository path, a code without its words, a mart's
column name."""

from __future__ import annotations

import html
import re

import duckdb

from sped.contracts.labels import CODE_SETS

_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_CODE_CELL = re.compile(r"<code[^>]*>.*?</code>", re.S)


def visible_text(page: str) -> str:
    """The words a reader sees (a `<code>` element is shown as code, beside its words)."""
    text = _CODE_CELL.sub(" ", _SCRIPT.sub(" ", page))
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def column_names(warehouse) -> set[str]:
    """Every column name of the marts and shared tables that a reader would not write (those
    with an underscore)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT column_name FROM information_schema.columns "
            "WHERE table_schema IN ('marts', 'shared')"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows if "_" in r[0]}


def raw_codes() -> set[str]:
    """Codes that are not words: with an underscore, or the environment codes."""
    codes = {code for words in CODE_SETS.values() for code in words if "_" in code}
    short = {"H", "SC", "SS", "RF", "HH", "CF", "PPPS"}  # also words or acronyms in prose
    return codes | set(CODE_SETS["environment"]) - short


def leaks(page: str, columns: set[str]) -> list[str]:
    """What a page shows that a reader should not have to decode."""
    text = re.sub(r"\S+\.(?:csv|xlsx)\b", " ", visible_text(page))  # file names as sent
    found = [m for m in ("var(", "docs/rules", "{{", ".sql", ".yml") if m in text]
    tokens = set(re.findall(r"[A-Za-z0-9_]+", text))
    found += sorted(tokens & (raw_codes() | columns))
    return found
