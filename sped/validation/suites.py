"""One GX expectation suite per collection, built deterministically from the contracts.

Every file-stage rule becomes exactly one expectation whose `meta` carries the rule id, severity
and reference, so a GX result maps back to its rule:

- `not_null`, `in_set`, `between` -> GX's native column expectations (which ignore NULLs, as
  the contract wants);
- `unique` -> `ExpectCompoundColumnsToBeUnique` over (`_submission_id`, columns): unique per
  submitted file, never across the batch; rows with a missing value are ignored;
- `regex`, `matches_key`, `single_value`, `in_directory`, `sql` -> `UnexpectedRowsExpectation`
  whose query selects the rule's bad rows from `{batch}` (`rule_sql.predicate`). `regex` is
  here, not `ExpectColumnValuesToMatchRegex`, because GX 1.24 has no regex for the duckdb
  dialect: the native expectation raises "Regex is not supported for dialect duckdb".

Cross-stage rules (checked after load against other collections' accepted data, e.g. the
monitoring log against the roster) form a second suite per collection, `<collection>_cross`,
run over `raw.<collection>`; `{roster}` in their SQL is raw.placements.

`python -m sped.validation.suites` writes the suites, rendered with the shipped profile and the
fixed as-of date `RENDER_AS_OF` (only `expenditures.obligation_date.future` depends on it), to
`expectations/suites/<collection>.json` (and `<collection>.cross.json`); a test keeps those files
equal to the regenerated ones.
At run time the suites are built the same way with the run's profile and as-of date.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import great_expectations as gx

from sped.config.profile import StateProfile, load_profile
from sped.config.settings import REPO_ROOT
from sped.contracts import COLLECTIONS, Collection, Rule
from sped.validation.rule_sql import rule_params, unexpected_rows_query

SUITES_DIR = REPO_ROOT / "expectations" / "suites"
#: The as-of date the committed suites are rendered with.
RENDER_AS_OF = dt.date(2026, 11, 1)


def _common(rule: Rule) -> dict[str, Any]:
    return {
        "meta": {"rule_id": rule.id, "severity": rule.severity, "reference": rule.reference},
        "description": rule.text,
        "severity": "critical" if rule.blocking else "warning",
    }


def expectation_for(rule: Rule, collection: Collection, params: dict[str, Any]):
    """The one GX expectation that checks `rule`."""
    p, common = rule.params, _common(rule)
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
    if rule.kind == "unique":
        return gx.expectations.ExpectCompoundColumnsToBeUnique(
            column_list=["_submission_id", *p["columns"]],
            ignore_row_if="any_value_is_missing",
            **common,
        )
    return gx.expectations.UnexpectedRowsExpectation(
        unexpected_rows_query=unexpected_rows_query(rule, collection, params), **common
    )


def stage_rules(collection: Collection, stage: str = "file") -> list[Rule]:
    """The rules of one stage: `file` (the submitted batch) or `cross` (after load)."""
    return [r for r in collection.rules if r.stage == stage]


def file_rules(collection: Collection) -> list[Rule]:
    return stage_rules(collection, "file")


def suite_name(collection: Collection, stage: str = "file") -> str:
    return f"{collection.name}_submission" if stage == "file" else f"{collection.name}_cross"


def build_suite(
    collection: Collection,
    profile: StateProfile,
    as_of: dt.date,
    name: str | None = None,
    stage: str = "file",
) -> gx.ExpectationSuite:
    """The collection's suite of one stage for one profile and as-of date (a new object each
    call: an expectation belongs to one suite only)."""
    params = rule_params(profile.sql_params(as_of))
    suite = gx.ExpectationSuite(name=name or suite_name(collection, stage))
    for rule in stage_rules(collection, stage):
        suite.add_expectation(expectation_for(rule, collection, params))
    return suite


def suite_path(collection: Collection, stage: str = "file") -> Path:
    suffix = "" if stage == "file" else ".cross"
    return SUITES_DIR / f"{collection.name}{suffix}.json"


def committed_stages(collection: Collection) -> list[str]:
    """`file` always; `cross` when the collection has cross-stage rules."""
    return ["file"] + (["cross"] if stage_rules(collection, "cross") else [])


def suite_json(
    collection: Collection, profile: StateProfile, as_of: dt.date, stage: str = "file"
) -> str:
    """The suite as reviewable JSON (ids removed: GX assigns new ones per context)."""
    data = build_suite(collection, profile, as_of, stage=stage).to_json_dict()
    data.pop("id", None)
    for exp in data["expectations"]:
        exp.pop("id", None)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_suites(profile: StateProfile | None = None) -> list[str]:
    """Rewrite `expectations/suites/*.json` from the contracts and the shipped profile."""
    profile = profile or load_profile()
    gx.get_context(mode="ephemeral")  # suites are built inside an active context
    SUITES_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for c in COLLECTIONS.values():
        for stage in committed_stages(c):
            path = suite_path(c, stage)
            path.write_text(suite_json(c, profile, RENDER_AS_OF, stage), encoding="utf-8")
            written.append(str(path))
    return written


if __name__ == "__main__":
    for written in write_suites():
        print(written, file=sys.stderr)
