"""One source of truth: the contracts in code agree with CONTRACTS.md, and everything derived
from them (data dictionary, templates, raw tables) matches what is committed."""

from __future__ import annotations

import io
import re

import duckdb
import openpyxl
import pytest

from sped.contracts import COLLECTIONS
from sped.contracts.publish import DICTIONARY, TEMPLATES, render_dictionary, templates
from sped.warehouse.schema import create_table_sql, ensure_schemas
from tests.conftest import SHARED

CONTRACTS_MD = SHARED / "CONTRACTS.md"


def _contract_tables() -> dict[str, dict[str, str]]:
    """{collection: {column: the table row's text}} from the CONTRACTS.md tables."""
    text = CONTRACTS_MD.read_text(encoding="utf-8")
    out: dict[str, dict[str, str]] = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        name = section.split()[0]
        if name not in COLLECTIONS:
            continue
        cols: dict[str, str] = {}
        for line in section.splitlines():
            if not line.startswith("| ") or line.startswith(("| column", "| ---")):
                continue
            first = line.split("|")[1]
            for col in first.split(","):
                cols[col.strip()] = line
        out[name] = cols
    return out


def test_every_district_and_allocation_column_matches_contracts_md():
    tables = _contract_tables()
    assert set(tables) == {
        "placements",
        "monitoring_log",
        "child_find",
        "ppps_count",
        "expenditures",
        "allocations",
    }
    for name, cols in tables.items():
        assert list(cols) == list(COLLECTIONS[name].column_names), name


def test_reference_directories_match_contracts_md():
    text = CONTRACTS_MD.read_text(encoding="utf-8")
    assert "lea_id, name, county or region, lea_type" in text
    assert COLLECTIONS["leas"].column_names == ("lea_id", "name", "county", "lea_type")
    assert (
        "facility_id, name, facility_type" in text
        and "state, approved (Y/N), approval_expires" in text
    )
    assert COLLECTIONS["facilities"].column_names == (
        "facility_id",
        "name",
        "facility_type",
        "state",
        "approved",
        "approval_expires",
    )
    assert "private_school_id (PPIN), name, location lea_id, nonprofit (Y/N)" in text
    assert COLLECTIONS["private_schools"].column_names == (
        "private_school_id",
        "name",
        "lea_id",
        "nonprofit",
        "level",
    )
    for code in COLLECTIONS["facilities"].column("facility_type").codes:
        assert code in text
    for code in COLLECTIONS["private_schools"].column("level").codes:
        assert code in text


def test_code_sets_match_the_codes_contracts_md_lists():
    tables = _contract_tables()
    checked = 0
    for name, cols in tables.items():
        for col in COLLECTIONS[name].columns:
            if not col.codes:
                continue
            row = cols[col.name]
            named = [c for c in col.codes if re.search(rf"\b{c}\b", row)]
            if not named:
                continue  # the row points elsewhere (e.g. DOMAIN.md for environments)
            words = [c for c in col.codes if not c.isdigit()]
            assert all(re.search(rf"\b{c}\b", row) for c in words), (name, col.name)
            checked += 1
    assert checked >= 9


def test_required_columns_match_contracts_md():
    for name, cols in _contract_tables().items():
        for col in COLLECTIONS[name].columns:
            cell = cols[col.name].split("|")[3].strip()
            expected = {"yes": "yes", "no": "no"}.get(cell, "conditional")
            if name == "allocations" or col.name in ("lea_id", "school_year"):
                continue
            assert col.required == expected, (name, col.name, cell)


def test_rules_are_well_formed():
    ids = [r.id for c in COLLECTIONS.values() for r in c.rules]
    assert len(ids) == len(set(ids)), "rule ids must be unique"
    for c in COLLECTIONS.values():
        for r in c.rules:
            assert r.id.startswith(c.name + "."), r.id
            assert r.text.endswith(".") and r.reference, r.id
            for col in r.columns:
                assert col in c.column_names, (r.id, col)


@pytest.mark.parametrize("name", list(COLLECTIONS))
def test_sql_rules_run_in_duckdb(name, profile):
    """Every SQL predicate parses and runs against the typed batch table."""
    con = duckdb.connect()
    ensure_schemas(con)
    c = COLLECTIONS[name]
    con.execute(create_table_sql("landing", c))
    params = {**profile.sql_params(), "roster": "raw.placements"}
    for rule in c.rules:
        if rule.kind == "sql":
            sql = rule.params["sql"].format(**params)
            con.execute(f"SELECT count(*) FROM landing.{name} b WHERE {sql}").fetchall()


def test_committed_data_dictionary_is_current():
    assert DICTIONARY.read_text(encoding="utf-8") == render_dictionary(), (
        "run `python -m sped.contracts.publish`"
    )


def test_committed_templates_are_current_and_readable():
    files = templates()
    assert templates() == files, "templates must be byte-reproducible"
    for name, data in files.items():
        assert (TEMPLATES / name).read_bytes() == data, f"{name}: run sped.contracts.publish"
    for c in COLLECTIONS.values():
        header = files[f"{c.name}.csv"].decode().splitlines()[0]
        assert header.split(",") == list(c.column_names)
        wb = openpyxl.load_workbook(io.BytesIO(files[f"{c.name}.xlsx"]))
        assert [cell.value for cell in wb.worksheets[0][1]] == list(c.column_names)
