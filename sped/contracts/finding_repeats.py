"""Each bad cell reported once, by the rule it breaks.

A value that cannot be read as its column's type (a date written `13/45/2011`) is reported by
the typing step (`<collection>.<column>.type`) and then loaded as missing, so every rule that
reads the column would report the same row again: "must be filled in on every row", and a rule
over several columns, such as the age band of an educational environment, which needs the
birth date, would flag a correct `RC80`. `without_repeats` drops those repeats: a rule's rows
that a type finding already reported for one of the rule's columns.

It is exact where both findings list every row they failed on (`failed_count` rows sampled,
up to `SAMPLE_SIZE`; all of them for the annotated file); a finding sampled beyond that is left
as it is (it may then repeat some rows, never hide one).
"""

from __future__ import annotations

from dataclasses import replace

from sped.contracts import COLLECTIONS
from sped.contracts.findings import Finding

TYPE_SUFFIX = ".type"


def _complete(f: Finding) -> bool:
    return f.failed_count == len(f.sample_rows)


def _rule_columns(rule_id: str) -> tuple[str, ...]:
    """The columns a contract rule reads (its own column for a rule the contract lacks)."""
    collection = COLLECTIONS.get(rule_id.split(".", 1)[0])
    if collection is not None:
        for rule in collection.rules:
            if rule.id == rule_id:
                return rule.columns
    parts = rule_id.split(".")
    return (parts[1],) if len(parts) > 2 else ()


def without_repeats(findings: list[Finding]) -> list[Finding]:
    """`findings` (of one or several submissions) without the rows a type finding of the same
    submission already reported for a column the rule reads; a finding left with no row goes."""
    untyped: dict[tuple[int, str], set[int] | None] = {}
    for f in findings:
        if f.rule_id.endswith(TYPE_SUFFIX) and f.column:
            untyped[(f.submission_id, f.column)] = set(f.sample_rows) if _complete(f) else None
    if not untyped:
        return findings
    out = []
    for f in findings:
        if f.rule_id.endswith(TYPE_SUFFIX) or not f.sample_rows or not _complete(f):
            out.append(f)
            continue
        columns = set(_rule_columns(f.rule_id)) | ({f.column} if f.column else set())
        seen = [untyped.get((f.submission_id, c), set()) for c in columns]
        if any(rows is None for rows in seen):  # a type finding sampled beyond its rows
            out.append(f)
            continue
        repeated = set().union(*seen) if seen else set()
        keep = [
            (row, value)
            for row, value in zip(
                f.sample_rows,
                f.sample_values or ("",) * len(f.sample_rows),
                strict=False,
            )
            if row not in repeated
        ]
        if len(keep) == len(f.sample_rows):
            out.append(f)
        elif keep:
            values = tuple(v for _, v in keep) if f.sample_values else ()
            out.append(
                replace(
                    f,
                    failed_count=len(keep),
                    sample_rows=tuple(r for r, _ in keep),
                    sample_values=values,
                )
            )
    return out
