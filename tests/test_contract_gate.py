"""Every contract rule is enforced at the gate (the collection's GX suite, before load), which
is why the dbt staging models carry no data tests repeating them.

For every collection: each required column has a blocking not-null expectation, each coded
column a blocking in-set expectation with exactly the contract's codes, and every other rule
its own expectation (the suites hold each rule exactly once: tests/test_validation_gx.py). And
on a real batch, a row breaking each required/code rule of the roster is caught by GX."""

from __future__ import annotations

import datetime as dt

import great_expectations as gx
import pytest

from sped.contracts import COLLECTIONS, get
from sped.validation import validate_batch
from sped.validation.suites import build_suite
from tests.test_validation_kinds import con, load, placement  # noqa: F401 (fixture)

AS_OF = dt.date(2026, 11, 1)


def _expectations(collection, profile, stage: str = "file") -> dict[str, dict]:
    gx.get_context(mode="ephemeral")
    suite = build_suite(collection, profile, AS_OF, stage=stage)
    return {e["meta"]["rule_id"]: e for e in suite.to_json_dict()["expectations"]}


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_every_contract_rule_has_its_expectation_at_the_gate(name, profile):
    collection = COLLECTIONS[name]
    by_rule = _expectations(collection, profile)
    if any(r.stage == "cross" for r in collection.rules):
        by_rule |= _expectations(collection, profile, "cross")
    assert set(by_rule) == {r.id for r in collection.rules}
    blocking = {r.id for r in collection.rules if r.blocking}
    for col in collection.columns:
        if col.required == "yes":
            rule_id = f"{name}.{col.name}.required"
            exp = by_rule[rule_id]
            assert exp["type"] == "expect_column_values_to_not_be_null", rule_id
            assert exp["kwargs"]["column"] == col.name
            assert rule_id in blocking
        if col.codes:
            rule_id = f"{name}.{col.name}.code"
            exp = by_rule[rule_id]
            assert exp["type"] == "expect_column_values_to_be_in_set", rule_id
            assert exp["kwargs"]["column"] == col.name
            assert sorted(exp["kwargs"]["value_set"]) == sorted(col.codes)
            assert rule_id in blocking


def test_a_missing_required_value_and_a_bad_code_are_caught_in_a_real_batch(
    con,  # noqa: F811
    window_profile,
):
    roster = get("placements")
    required = [c.name for c in roster.columns if c.required == "yes" and c.name != "lea_id"]
    coded = [c.name for c in roster.columns if c.codes]
    rows = [placement(**{"student_id": f"S{i}", col: None}) for i, col in enumerate(required)]
    rows += [placement(**{"student_id": f"C{i}", col: "ZZ_BAD"}) for i, col in enumerate(coded)]
    load(con, "placements", {1: rows})
    fired = {f.rule_id for f in validate_batch(con, "placements", window_profile, AS_OF)}
    for col in required:
        assert f"placements.{col}.required" in fired, col
    for col in coded:
        assert f"placements.{col}.code" in fired, col
