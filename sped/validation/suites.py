"""One GX expectation suite per collection, built deterministically from the contracts.

Every rule becomes exactly one expectation whose `meta` carries the rule id and severity, so a
GX result maps back to its rule. Rules GX expresses natively on DuckDB become native
expectations (not null, in set, between); the rest (shape patterns — GX's regex is not
implemented for the duckdb dialect — per-file uniqueness, the submission's key, one value per
file, directory look-ups and the contract's SQL rules) become `UnexpectedRowsExpectation`s
whose query is the rule's own predicate. `python -m sped.validation.suites` writes the suites,
rendered with the shipped profile and a fixed as-of date, to `expectations/suites/` for review;
a test keeps those files current.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import great_expectations as gx

from sped.contracts import COLLECTIONS, Collection, Rule
from sped.profile import StateProfile, load_profile
from sped.settings import REPO_ROOT
from sped.validation.rule_sql import predicate

SUITES_DIR = REPO_ROOT / "expectations" / "suites"
#: The as-of date the committed suites are rendered with (only the "after the as-of date"
#: warning on expenditures depends on it).
RENDER_AS_OF = dt.date(2026, 11, 1)


def _meta(rule: Rule) -> dict[str, Any]:
    return {"rule_id": rule.id, "severity": rule.severity, "reference": rule.reference}


def expectation_for(rule: Rule, collection: Collection, params: dict[str, Any]):
    """The one GX expectation that checks `rule`."""
    p = rule.params
    common = {
        "meta": _meta(rule),
        "description": rule.text,
        "severity": "critical" if rule.blocking else "warning",
    }
    if rule.kind == "not_null":
        return gx.expectations.ExpectColumnValuesToNotBeNull(column=p["column"], **common)
    if rule.kind == "in_set":
        return gx.expectations.ExpectColumnValuesToBeInSet(
            column=p["column"], value_set=list(p["codes"]), **common
        )
    if rule.kind == "between":
        return gx.expectations.ExpectColumnValuesToBeBetween(
            column=p["column"], min_value=p.get("min"), max_value=p.get("max"), **common
        )
    if rule.stage != "file":
        raise ValueError(f"{rule.id} is checked after load, not in the file suite")
    query = (
        "SELECT _submission_id, _source_row FROM (SELECT _submission_id, _source_row, "
        f"coalesce({predicate(rule, collection, params)}, false) AS bad FROM {{batch}} AS b) "
        "WHERE bad"
    )
    return gx.expectations.UnexpectedRowsExpectation(unexpected_rows_query=query, **common)


def file_rules(collection: Collection) -> list[Rule]:
    return [r for r in collection.rules if r.stage == "file"]


def build_suite(
    collection: Collection, profile: StateProfile, as_of: dt.date
) -> gx.ExpectationSuite:
    params = profile.sql_params(as_of)
    suite = gx.ExpectationSuite(name=f"{collection.name}_submission")
    for rule in file_rules(collection):
        suite.add_expectation(expectation_for(rule, collection, params))
    return suite


def suite_json(collection: Collection, profile: StateProfile, as_of: dt.date) -> str:
    """The suite as reviewable JSON (ids removed: GX assigns new ones per context)."""
    suite = build_suite(collection, profile, as_of)
    data = suite.to_json_dict()
    data.pop("id", None)
    for exp in data["expectations"]:
        exp.pop("id", None)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_suites(profile: StateProfile | None = None) -> list[str]:
    profile = profile or load_profile()
    gx.get_context(mode="ephemeral")  # suites are built inside an active context
    SUITES_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for c in COLLECTIONS.values():
        path = SUITES_DIR / f"{c.name}.json"
        path.write_text(suite_json(c, profile, RENDER_AS_OF), encoding="utf-8")
        written.append(str(path))
    return written


if __name__ == "__main__":
    for p in write_suites():
        print(p, file=sys.stderr)
