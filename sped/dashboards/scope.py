"""Who is asking (the scope) and what they filtered on, checked before any query runs.

Three scopes, one per role of the web application:

- `state`: the state team; every row of every mart.
- `district`: the LEAs the account belongs to, and only those. A filter naming another LEA is
  refused (`ScopeError`, answered 403), never answered with an empty table.
- `auditor`: the suppressed aggregates in schema `shared` only (`shr_*`: small cells and their
  complements hidden); a figure with no shared table is refused.

Filters are validated here too, so a bad value is a clear message rather than a query error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ROLES = ("state", "district", "auditor")
LEA_TYPES = ("REGULAR", "CHARTER", "REGIONAL", "COLLABORATIVE")


class ScopeError(PermissionError):
    """The caller may not see what it asked for (the web layer answers 403)."""


class FilterError(ValueError):
    """A filter value is malformed (the web layer answers 422 with the message)."""


@dataclass(frozen=True)
class Scope:
    role: str
    lea_ids: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == "district" and not self.lea_ids:
            raise ScopeError("a district account that belongs to no LEA sees no figures")

    @classmethod
    def state(cls) -> Scope:
        return cls("state")

    @classmethod
    def district(cls, lea_ids) -> Scope:
        return cls("district", frozenset(lea_ids))

    @classmethod
    def auditor(cls) -> Scope:
        return cls("auditor")

    def check_lea(self, lea_id: str | None) -> None:
        """Refuse a filter naming an LEA outside a district account's own."""
        if lea_id is not None and self.role == "district" and lea_id not in self.lea_ids:
            raise ScopeError(f"LEA {lea_id} is not one of this account's LEAs")


@dataclass(frozen=True)
class Filters:
    """What a page or API call narrows the figures to; None means no filter."""

    school_year: str | None = None
    fiscal_year: int | None = None
    lea_id: str | None = None
    lea_type: str | None = None
    county: str | None = None

    def __post_init__(self) -> None:
        if self.school_year is not None and not re.fullmatch(r"\d{4}-\d{2}", self.school_year):
            raise FilterError(f"school_year must look like 2025-26, got {self.school_year!r}")
        if self.school_year is not None:
            first, second = int(self.school_year[:4]), int(self.school_year[5:])
            if (first + 1) % 100 != second:
                raise FilterError(f"school_year {self.school_year} is not two consecutive years")
        if self.fiscal_year is not None and not 1990 <= int(self.fiscal_year) <= 2200:
            raise FilterError(f"fiscal_year must be a year, got {self.fiscal_year!r}")
        if self.lea_id is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", self.lea_id):
            raise FilterError("lea_id must be an LEA identifier")
        if self.lea_type is not None and self.lea_type not in LEA_TYPES:
            raise FilterError(f"lea_type must be one of {', '.join(LEA_TYPES)}")
        if self.county is not None and len(self.county) > 100:
            raise FilterError("county is too long")
