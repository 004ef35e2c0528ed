"""The shapes a contract is written in: columns, rules and collections.

A `Collection` is one kind of file the state receives (or loads itself). Its `columns` fix names,
types and required-ness; its `rules` say what makes a row or a file wrong, in plain words, with a
machine-checkable `kind` so that validation suites, dbt sources, upload templates and the data
dictionary are all derived from this one definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: Logical column types. `code` is text restricted to a code set; `flag` is Y/N on the wire
#: (also true/false, any case) and BOOLEAN in the warehouse.
ColumnType = Literal["text", "code", "date", "flag", "integer", "decimal", "number"]

#: The DuckDB type each logical type is loaded as (explicit, never inferred: ids keep zeros).
DUCKDB_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "date": "DATE",
    "flag": "BOOLEAN",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,2)",
    "number": "DOUBLE",
}

Severity = Literal["blocking", "warning"]

#: How a rule is checked. Native kinds map onto built-in expectations; `sql` rules carry a
#: predicate that is TRUE for a bad row, over the typed batch (see `Rule.sql`).
RuleKind = Literal[
    "not_null",  # params: column
    "in_set",  # params: column, codes
    "regex",  # params: column, pattern
    "between",  # params: column, min, max (either may be None)
    "unique",  # params: columns (unique within one submitted file)
    "matches_key",  # params: column, key ("lea_id" | "period")
    "single_value",  # params: column (one value for the whole file)
    "in_directory",  # params: column, directory (collection name), directory_column
    "sql",  # params: sql (TRUE when the row breaks the rule), columns
]


@dataclass(frozen=True)
class Column:
    """One column of a collection, as districts send it."""

    name: str
    type: ColumnType
    description: str
    required: Literal["yes", "no", "conditional"] = "yes"
    required_when: str | None = None
    codes: tuple[str, ...] | None = None
    example: str = ""

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]

    @property
    def header_required(self) -> bool:
        """A missing header for this column blocks the file (docs/rules/contracts.md)."""
        return self.required == "yes"


@dataclass(frozen=True)
class Rule:
    """One blocking or warning rule, stated for a district data clerk."""

    id: str
    severity: Severity
    kind: RuleKind
    text: str
    reference: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        if "columns" in self.params:
            return tuple(self.params["columns"])
        if "column" in self.params:
            return (self.params["column"],)
        return ()

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"

    @property
    def stage(self) -> str:
        """`file`: checked on the submitted file alone; `cross`: after load, against the
        district's other accepted data (e.g. the monitoring log against the roster)."""
        return self.params.get("stage", "file")


@dataclass(frozen=True)
class Collection:
    """One collection: what a submitted file holds and how it is keyed.

    `period_kind` says what the submission's period is: a school year (`2025-26`), a federal
    fiscal year (`2026`), or `current` for the state's reference directories. `lea_scoped` is
    False for files the state sends for the whole state (allocations, directories).
    """

    name: str
    title: str
    description: str
    period_kind: Literal["school_year", "fiscal_year", "current"]
    lea_scoped: bool
    submitted_by: Literal["district", "state"]
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    period_column: str | None = None

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_headers(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.header_required)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"{self.name} has no rule {rule_id!r}")
