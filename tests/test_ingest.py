"""Reading and typing district files, and loading a batch: every bad input gets a clear message,
no crash, nothing lost; accepted files replace their key's rows, rejected ones leave them."""

from __future__ import annotations

import datetime as dt
import io

import duckdb
import openpyxl
import pytest

from sped.contracts import get
from sped.ingest.batch import process_collection
from sped.ingest.read import read_table
from sped.ingest.typing import type_table
from sped.landing.layout import DeclaredKey
from sped.run.steps import connect, open_registry
from tests.state_channel import OPERATOR

LEAS = get("leas")
EXP = get("expenditures")
HEADER = "lea_id,name,county,lea_type\n"


def _rules(result) -> list[str]:
    return [f.rule_id.split(".", 1)[1] for f in result.findings]


@pytest.mark.parametrize(
    ("data", "rule", "blocking"),
    [
        (b"", "file.empty", True),
        (b"\n\n  \n", "file.empty", True),
        (HEADER.encode(), "file.no_rows", False),
        (b"lea_id;name;county;lea_type\n2500001;A;B;REGULAR\n", "file.delimiter", True),
        (b"lea_id\tname\tcounty\tlea_type\n", "file.delimiter", True),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file.not_text", True),
        ((HEADER + "2500001,Caf\xe9,B,REGULAR\n").encode("cp1252"), "file.encoding", False),
        ((HEADER + "2500001,A,B,REGULAR\n").encode("utf-16"), "file.encoding", False),
        (b"lea_id,name,name,county,lea_type\n", "file.duplicate_columns", True),
        (b"lea_id,name\n2500001,A\n", "file.missing_columns", True),
        (
            (HEADER.strip() + ",notes\n2500001,A,B,REGULAR,x\n").encode(),
            "file.unknown_columns",
            False,
        ),
        ((HEADER + "2500001,A,B,REGULAR,oops,more\n").encode(), "file.extra_values", True),
    ],
)
def test_bad_files_get_a_clear_finding(data, rule, blocking):
    result = read_table(data, "leas.csv", LEAS, sid=9)
    assert rule in _rules(result)
    finding = next(f for f in result.findings if f.rule_id.endswith(rule))
    assert finding.blocking is blocking
    assert finding.submission_id == 9
    assert finding.message()  # renders in plain words without error


def test_bom_headers_case_and_spaces_and_quoted_newlines():
    data = (
        '\ufeffLEA_ID , Name ,COUNTY,lea_type\n0250001,"Smith,\nJones",Essex,REGULAR\n'
    ).encode()
    result = read_table(data, "leas.csv", LEAS, 1)
    assert result.readable and not result.findings
    row = result.table.to_dicts()[0]
    assert row["lea_id"] == "0250001"  # leading zero kept: values stay text
    assert row["name"] == "Smith,\nJones"
    assert row["_source_row"] == 2


def test_row_numbers_are_spreadsheet_rows_even_with_blank_lines():
    data = (HEADER + "2500001,A,B,REGULAR\n\n2500002,C,D,REGULAR\n").encode()
    rows = read_table(data, "leas.csv", LEAS, 1).table["_source_row"].to_list()
    assert rows == [2, 4]


def test_formula_like_values_stay_inert_text():
    data = (HEADER + '2500001,"=HYPERLINK(""http://x"",""y"")",B,REGULAR\n').encode()
    table = read_table(data, "leas.csv", LEAS, 1).table
    assert table["name"][0] == '=HYPERLINK("http://x","y")'


def _xlsx(build) -> bytes:
    wb = openpyxl.Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_first_sheet_real_dates_and_text_ids():
    def build(wb):
        ws = wb.active
        ws.title = "Expenditures"
        ws.append(list(EXP.column_names))
        ws.append(
            [
                "0250001",
                2026,
                "E1",
                "IDEA_611",
                "DIRECT_SERVICES",
                1250.5,
                dt.datetime(2026, 10, 15),
            ]
        )
        ws.merge_cells("A3:B3")
        wb.create_sheet("Notes").append(["ignore me"])

    result = read_table(_xlsx(build), "spend.xlsx", EXP, 4)
    assert "file.extra_sheets" in _rules(result)
    assert result.readable
    typed, findings = type_table(result.table, EXP, 4)
    assert not findings
    row = typed.to_dicts()[0]
    assert row["lea_id"] == "0250001"
    assert row["obligation_date"] == dt.date(2026, 10, 15)
    assert str(row["amount"]) == "1250.50"


def test_xlsx_serial_dates_and_lost_zeros_are_explained():
    def build(wb):
        ws = wb.active
        ws.append(list(EXP.column_names))
        ws.append([250001, 2026, "E1", "IDEA_611", "DIRECT_SERVICES", 10, 46310])

    result = read_table(_xlsx(build), "spend.xlsx", EXP, 4)
    typed, findings = type_table(result.table, EXP, 4)
    date_finding = next(f for f in findings if f.column == "obligation_date")
    assert "Excel serial dates" in date_finding.text
    assert typed["lea_id"][0] == "250001"  # kept as sent; the key check will name it


def test_not_really_xlsx():
    result = read_table(b"hello,world\n", "spend.xlsx", EXP, 1)
    assert _rules(result) == ["file.not_xlsx"]


def test_typing_accepts_the_contract_spellings_and_names_the_rest():
    data = (
        ",".join(EXP.column_names) + "\n"
        "2500001,2026,E1,idea_611,DIRECT_SERVICES,1250,2026-10-15\n"
        "2500001,2026,E2,STATE,TRANSPORTATION,.5,7/4/2027\n"
        "2500001,20x6,E3,LOCAL,TRANSPORTATION,1.005,13/45/2026\n"
        '2500001,2026,E4,LOCAL,TRANSPORTATION,"$1,000",\n'
    ).encode()
    typed, findings = type_table(read_table(data, "e.csv", EXP, 3).table, EXP, 3)
    by_col = {f.column: f for f in findings}
    assert set(by_col) == {"fiscal_year", "amount", "obligation_date"}
    assert by_col["amount"].sample_rows == (4, 5) and by_col["amount"].failed_count == 2
    assert by_col["obligation_date"].sample_values == ("13/45/2026",)
    rows = typed.to_dicts()
    assert rows[0]["fund_source"] == "IDEA_611"
    assert rows[1]["obligation_date"] == dt.date(2027, 7, 4)
    assert rows[3]["obligation_date"] is None  # blank is missing, not an error


def test_flags_accept_y_n_true_false_any_case():
    ps = get("private_schools")
    data = (
        b"private_school_id,name,lea_id,nonprofit,level\n"
        b"A1234567,a,2500001,y,ELEMENTARY\nA1234568,b,2500001,False,ELEMENTARY\n"
        b"A1234569,c,2500001,maybe,ELEMENTARY\n"
    )
    typed, findings = type_table(read_table(data, "p.csv", ps, 1).table, ps, 1)
    assert typed["nonprofit"].to_list() == [True, False, None]
    assert [(f.column, f.sample_rows) for f in findings] == [("nonprofit", (4,))]


def test_student_ids_never_appear_in_type_messages():
    pc = get("ppps_count")
    f = type_table(
        read_table((",".join(pc.column_names) + "\n").encode(), "x.csv", pc, 1).table, pc, 1
    )
    assert f[1] == []


# --- batches -----------------------------------------------------------------------------


def _lea_file(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def _alloc_file(*rows: str) -> bytes:
    return (
        "lea_id,fiscal_year,idea_611_subgrant,idea_619_subgrant\n" + "".join(r + "\n" for r in rows)
    ).encode()


def test_batch_accepts_supersedes_and_keeps_previous_data_when_rejected(inst, profile):
    as_of = dt.date(2026, 11, 1)
    lea_key = DeclaredKey("leas", None, "current")
    alloc = DeclaredKey("allocations", None, "2026")
    with open_registry(inst) as reg:
        reg.receive(
            _lea_file("2500001,A,X,REGULAR", "2500002,B,Y,REGULAR"),
            lea_key,
            original_name="leas.csv",
            submitter=OPERATOR,
        )
        reg.receive(
            _alloc_file("2500001,2026,100.00,10.00"),
            alloc,
            original_name="a1.csv",
            submitter=OPERATOR,
        )
        reg.receive(
            _alloc_file("2500001,2026,200.00,20.00", "2500002,2026,50.00,5.00"),
            alloc,
            original_name="a2.csv",
            submitter=OPERATOR,
        )
        con = connect(inst)
        try:
            r = process_collection(con, reg, get("leas"), profile, as_of)
            assert (r.accepted, r.rows_loaded) == (1, 2)
            r = process_collection(con, reg, get("allocations"), profile, as_of)
            assert (r.accepted, r.superseded, r.rows_loaded) == (1, 1, 2)
            rows = con.execute(
                "SELECT lea_id, idea_611_subgrant, _source_row FROM raw.allocations ORDER BY lea_id"
            ).fetchall()
            assert [(a, float(b), c) for a, b, c in rows] == [
                ("2500001", 200.0, 2),
                ("2500002", 50.0, 3),
            ]
            # a broken file for the same key is rejected and the data in force stays
            reg.receive(b"lea_id;fiscal_year\n", alloc, original_name="a3.csv", submitter=OPERATOR)
            r = process_collection(con, reg, get("allocations"), profile, as_of)
            assert (r.accepted, r.rejected) == (0, 1)
            assert con.execute("SELECT count(*) FROM raw.allocations").fetchone()[0] == 2
            assert (
                con.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'landing'"
                ).fetchone()[0]
                == 0
            )
        finally:
            con.close()
        statuses = [s.status for s in reg.submissions(collection="allocations")]
        assert statuses == ["superseded", "accepted", "rejected"]


def test_a_file_for_an_lea_not_in_the_directory_is_rejected(inst, profile):
    key = DeclaredKey("expenditures", "2599999", "2026")
    data = (
        ",".join(EXP.column_names) + "\n2599999,2026,E1,IDEA_611,DIRECT_SERVICES,10.00,2026-10-15\n"
    ).encode()
    with open_registry(inst) as reg:
        sid = reg.receive(data, key, original_name="e.csv", submitter=OPERATOR).submission_id
        con = connect(inst)
        try:
            process_collection(con, reg, EXP, profile, dt.date(2026, 11, 1))
        finally:
            con.close()
        assert reg.submission(sid).status == "rejected"
        assert [f.rule_id for f in reg.findings(sid)] == ["expenditures.file.unknown_lea"]


def test_raw_tables_keep_leading_zeros_and_types(inst):
    con = connect(inst)
    try:
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'raw' AND table_name = 'placements'"
            ).fetchall()
        )
    finally:
        con.close()
    assert types["student_id"] == "VARCHAR"
    assert types["count_date"] == "DATE"
    assert types["contract_on_file"] == "BOOLEAN"
    assert types["annual_tuition"] == "DECIMAL(18,2)"
    assert types["_submission_id"] == "BIGINT"
    assert isinstance(duckdb.__version__, str)


@pytest.mark.slow
def test_a_million_row_file_is_read_and_typed_whole():
    import time

    import polars as pl

    n = 1_000_000
    pc = get("placements")
    frame = pl.DataFrame(
        {
            "lea_id": ["0250001"] * n,
            "school_year": ["2025-26"] * n,
            "count_date": ["2025-10-01"] * n,
            "student_id": [f"{i:010d}" for i in range(n)],
            "birth_date": ["2014-03-09"] * n,
            "grade_level": ["05"] * n,
            "disability_category": ["SLD"] * n,
            "educational_environment": ["RC80"] * n,
            "placement_type": ["IN_DISTRICT"] * n,
            "facility_id": [""] * n,
            "facility_state": [""] * n,
            "placement_start_date": ["9/5/2023"] * n,
            "twndp_pct": ["85"] * n,
            "lre_checklist_on_file": [""] * n,
            "contract_on_file": [""] * n,
            "monitoring_plan_on_file": [""] * n,
            "transport_minutes_one_way": ["25"] * n,
            "transport_team_approved": [""] * n,
            "return_criteria_documented": [""] * n,
            "annual_tuition": [""] * n,
        }
    )
    data = frame.write_csv().encode()
    clock = time.perf_counter()
    result = read_table(data, "big.csv", pc, 1)
    typed, findings = type_table(result.table, pc, 1)
    seconds = time.perf_counter() - clock
    print(f"1,000,000 rows ({len(data) / 1e6:.0f} MB) read and typed in {seconds:.1f} s")
    assert typed.height == n and not findings and not result.findings
    assert typed["student_id"][0] == "0000000000" and typed["_source_row"][-1] == n + 1
    assert typed["placement_start_date"][0] == dt.date(2023, 9, 5)
