"""Finding an LEA by what a person types: its id, or a part of its name (any case, any
accents or punctuation ignored: "andover" finds "Andover", "north andover" finds "North
Andover Public Schools")."""

from __future__ import annotations

import re
import unicodedata

import polars as pl


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def find(leas: pl.DataFrame, wanted: str) -> list[tuple[str, str]]:
    """(lea_id, lea_name) of the LEAs `wanted` names: the one whose id it is, else those whose
    name holds it (an exact name first), in name order."""
    wanted = wanted.strip()
    if not wanted or leas.is_empty():
        return []
    rows = list(zip(leas["lea_id"], leas["lea_name"].fill_null(""), strict=True))
    by_id = [(i, n) for i, n in rows if i.lower() == wanted.lower()]
    if by_id:
        return by_id
    plain = _plain(wanted)
    if not plain:
        return []
    exact = [(i, n) for i, n in rows if _plain(n) == plain]
    if exact:
        return exact
    return sorted(((i, n) for i, n in rows if plain in _plain(n)), key=lambda r: (r[1], r[0]))
