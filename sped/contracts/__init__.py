"""Contracts in code: the single definition of every collection the state receives.

`COLLECTIONS` is ordered so that reference directories load before the files that refer to them,
and each file before the ones whose cross-checks read it (roster before monitoring log, PPPS count
before child find).
"""

from __future__ import annotations

from sped.contracts.collections import (
    ALLOCATIONS,
    CHILD_FIND,
    ENROLLMENT,
    EXPENDITURES,
    FACILITIES,
    LEAS,
    MONITORING_LOG,
    PLACEMENTS,
    PPPS_COUNT,
    PRIVATE_SCHOOLS,
)
from sped.contracts.model import Collection, Column, Rule

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        LEAS,
        FACILITIES,
        PRIVATE_SCHOOLS,
        ALLOCATIONS,
        ENROLLMENT,
        PLACEMENTS,
        MONITORING_LOG,
        PPPS_COUNT,
        CHILD_FIND,
        EXPENDITURES,
    )
}
REFERENCE_COLLECTIONS: tuple[str, ...] = ("leas", "facilities", "private_schools")
#: Collections whose cross-checks read another district collection's data in force.
CROSS_READS: dict[str, tuple[str, ...]] = {
    "monitoring_log": ("placements",),
    "child_find": ("ppps_count",),  # its cross-checks read the PPPS count
}


def reads(name: str) -> tuple[str, ...]:
    """The collections whose data a collection's step reads besides its own: the LEA directory
    for the other directories; every directory, and what its cross-checks read, for a district
    collection. They load before it (`COLLECTIONS` is in that order)."""
    if name == "leas":
        return ()
    if name in REFERENCE_COLLECTIONS:
        return ("leas",)
    return (*REFERENCE_COLLECTIONS, *CROSS_READS.get(name, ()))


def get(name: str) -> Collection:
    """The collection called `name`, or a clear error listing the ones that exist."""
    try:
        return COLLECTIONS[name]
    except KeyError:
        raise KeyError(
            f"unknown collection {name!r}; expected one of: {', '.join(COLLECTIONS)}"
        ) from None


__all__ = [
    "COLLECTIONS",
    "CROSS_READS",
    "REFERENCE_COLLECTIONS",
    "Collection",
    "Column",
    "Rule",
    "get",
    "reads",
]
