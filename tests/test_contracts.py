"""One source of truth: the contracts in code agree with the project's own statement of them
(docs/rules/contracts.md: columns, types, required-ness, codes, which columns carry blocking and
warning rules), and everything derived from them (data dictionary, templates, raw tables)
matches what is committed."""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest

from sped.contracts import COLLECTIONS
from sped.contracts.publish import DICTIONARY, TEMPLATES, render_dictionary, templates
from sped.warehouse.schema import create_table_sql, ensure_schemas

RULES_DOC = Path(__file__).resolve().parents[1] / "docs" / "rules" / "contracts.md"
HEADER = "| column | type | required | codes | rule |"


def _contract_tables() -> dict[str, dict[str, dict[str, str]]]:
    """{collection: {column: {type, required, codes, rule}}} from the tables of contracts.md."""
    text = RULES_DOC.read_text(encoding="utf-8")
    out: dict[str, dict[str, dict[str, str]]] = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        name = section.split()[0]
        if HEADER not in section:
            continue
        cols: dict[str, dict[str, str]] = {}
        for line in section.splitlines():
            if not line.startswith("| ") or line.startswith(("| column", "| ---")):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            assert len(cells) == 5, line
            column, type_, required, codes, rule = cells
            assert column not in cols, (name, column)
            cols[column] = {"type": type_, "required": required, "codes": codes, "rule": rule}
        out[name] = cols
    return out


def _rules_on(collection: str, column: str, severity: str) -> list[str]:
    """Rule ids about a column (ids read <collection>.<column>.<what>), leaving out the rules
    generated for every required column and every code column."""
    c = COLLECTIONS[collection]
    standard = {f"{c.name}.{col.name}.required" for col in c.columns if col.required == "yes"}
    standard |= {f"{c.name}.{col.name}.code" for col in c.columns if col.codes}
    return [
        r.id
        for r in c.rules
        if r.id.split(".")[1] == column and r.severity == severity and r.id not in standard
    ]


def test_every_collection_is_documented_column_by_column():
    tables = _contract_tables()
    assert set(tables) == set(COLLECTIONS)
    for name, cols in tables.items():
        assert list(cols) == list(COLLECTIONS[name].column_names), name


def test_types_match_the_documented_types():
    for name, cols in _contract_tables().items():
        for col in COLLECTIONS[name].columns:
            assert cols[col.name]["type"] == col.type, (name, col.name)


def test_code_sets_match_the_documented_codes_exactly():
    checked = 0
    for name, cols in _contract_tables().items():
        for col in COLLECTIONS[name].columns:
            documented = [c.strip() for c in cols[col.name]["codes"].split(",") if c.strip()]
            assert tuple(documented) == tuple(col.codes or ()), (name, col.name)
            checked += bool(documented)
    assert checked >= 13


def test_required_columns_match_the_documented_ones():
    for name, cols in _contract_tables().items():
        for col in COLLECTIONS[name].columns:
            cell = cols[col.name]["required"]
            if cell.startswith("if "):
                assert col.required == "conditional", (name, col.name, cell)
                assert cell == f"if {col.required_when}", (name, col.name, cell)
            else:
                assert col.required == cell, (name, col.name, cell)


def test_blocking_and_warning_rules_sit_on_the_documented_columns():
    """A column documented with "W:" has a warning rule in code and the reverse; the same for
    "B:" and blocking rules beyond the generated required/code-set ones."""
    for name, cols in _contract_tables().items():
        for column, doc in cols.items():
            for mark, severity in (("W:", "warning"), ("B:", "blocking")):
                rules = _rules_on(name, column, severity)
                if column in ("lea_id", "school_year", "fiscal_year") and severity == "blocking":
                    continue  # the key rules; checked by test_key_columns_match_the_submission
                standard_only = mark == "B:" and not rules and doc["codes"]
                if standard_only:
                    continue  # "B: in the code set" is the generated code-set rule
                assert (mark in doc["rule"]) == bool(rules), (name, column, mark, rules)


def test_key_columns_match_the_submission():
    for name, c in COLLECTIONS.items():
        key_rules = [r.id for r in c.rules if r.id.endswith(".matches_submission")]
        if c.lea_scoped:
            assert f"{name}.lea_id.matches_submission" in key_rules, name
        if c.period_column:
            assert f"{name}.{c.period_column}.matches_submission" in key_rules, name


def test_every_rule_cites_a_regulation_or_the_projects_own_rules():
    for c in COLLECTIONS.values():
        for r in c.rules:
            assert re.search(r"\d+ CFR \d|\d+ CMR \d|docs/rules/|state profile", r.reference), (
                r.id,
                r.reference,
            )
            for cited in re.findall(r"docs/rules/[\w.]+\.md", r.reference):
                assert (RULES_DOC.parents[2] / cited).is_file(), (r.id, cited)


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


def _tables_read(rule) -> set[str]:
    """The collections a rule reads besides its own rows: `raw.<table>` in its SQL, the roster
    (`{roster}`), its directory."""
    import json
    import re

    text = json.dumps(rule.params, default=str)
    read = set(re.findall(r"raw\.(\w+)", text))
    read |= {"placements"} if "{roster}" in text else set()
    read |= {rule.params["directory"]} if "directory" in rule.params else set()
    return read


def test_reads_names_every_collection_a_rule_reads():
    """`reads` decides which collections a run must visit after one changed
    (sped/ingest/settled.py): every table a rule's SQL or directory check reads is in it."""
    from sped.contracts import COLLECTIONS, reads

    for name, collection in COLLECTIONS.items():
        read = set().union(*(_tables_read(rule) for rule in collection.rules))
        assert read - {name} <= set(reads(name)), name
        assert all(list(COLLECTIONS).index(r) < list(COLLECTIONS).index(name) for r in reads(name))
    assert "placements" in reads("monitoring_log") and "ppps_count" in reads("child_find")


def test_file_stage_rules_read_only_the_file_and_the_directories():
    """What lets a run reuse an upload's check (sped/ingest/file_checks.py): a file-stage rule
    reads the file's own rows and the reference directories, nothing another district sends
    (the roster counts as read: `_tables_read` names it for `{roster}`)."""
    from sped.contracts import COLLECTIONS, REFERENCE_COLLECTIONS

    for collection in COLLECTIONS.values():
        for rule in collection.rules:
            if rule.stage == "file":
                assert _tables_read(rule) <= set(REFERENCE_COLLECTIONS), rule.id


def test_a_warehouse_made_before_the_federal_columns_keeps_its_rows_and_gains_the_columns():
    """Files sent before the contract gained a column stay in force: ensure_schemas adds the
    column to the existing raw table, and the rows already loaded keep their values with NULL
    there (docs/rules/federal_reporting.md)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    old = [c for c in COLLECTIONS["placements"].columns if c.name not in ("race_ethnicity", "sex")]
    con.execute(
        "CREATE TABLE raw.placements ("
        + ", ".join(f'"{c.name}" {c.duckdb_type}' for c in old)
        + ", _submission_id BIGINT, _source_row BIGINT, _lea_id VARCHAR, _period VARCHAR)"
    )
    con.execute(
        "INSERT INTO raw.placements (lea_id, school_year, student_id, _submission_id) "
        "VALUES ('2500001', '2024-25', 'S1', 7)"
    )
    ensure_schemas(con)
    rows = con.execute(
        "SELECT student_id, _submission_id, race_ethnicity, sex FROM raw.placements"
    ).fetchall()
    assert rows == [("S1", 7, None, None)]
    columns = [r[0] for r in con.execute("DESCRIBE raw.placements").fetchall()]
    assert set(COLLECTIONS["placements"].column_names) <= set(columns)
