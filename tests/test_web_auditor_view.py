"""Auditors see aggregates only (issue 25, item 5): no student-level value on a submission's page
or in the API (no row numbers, no values found: a birth date with its row is a student's); a
roster's row count and the rows a figure used from it follow the shared table's suppression of
the students they count; the worksheet hides the public counts the shared tables hide and every
dollar figure that gives a hidden or small count back (subgrant x PPPS / (PPPS + public)).
The state team sees all of it: each check is made against what the state is shown."""

from __future__ import annotations

import csv
import io
import re

import duckdb
import pytest
from fastapi.testclient import TestClient

from sped.contracts.labels import CODE_SETS
from sped.run.steps import open_registry
from sped.web.app import create_app
from tests.web_fixtures import AS_OF, PASSWORD, shared_base, web_installation

pytestmark = pytest.mark.slow
YEAR = "2025-26"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    return web_installation(shared_base(tmp_path_factory), tmp_path_factory.mktemp("auditor"))


@pytest.fixture(scope="module")
def app(web):
    return create_app(web.inst, as_of=AS_OF, start_pipeline=False, warm_up=False)


def _signed_in(app, name: str) -> TestClient:
    client = TestClient(app)
    page = client.get("/signin").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/signin",
        data={"account": name, "password": PASSWORD[name], "csrf": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


@pytest.fixture(scope="module")
def pages(app):
    return {"state": _signed_in(app, "analyst"), "auditor": _signed_in(app, "auditor")}


def _api(app, web, role: str, path: str):
    answer = TestClient(app).get(path, headers={"Authorization": f"Bearer {web.tokens[role]}"})
    assert answer.status_code == 200, answer.text
    return answer


def _snapshot(web, sql: str) -> list[tuple]:
    con = duckdb.connect(str(web.inst.published_warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def flawed(app, web):
    """A roster of own_lea sent by the state with one student's birth date making them 76 on
    the count date, and the student ids it holds."""
    lines = web.roster_bytes(web.own_submission).decode("utf-8").splitlines()
    rows = list(csv.DictReader(lines))
    rows[3]["birth_date"] = "1950-03-04"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    answer = TestClient(app).post(
        "/api/v1/submissions",
        headers={"Authorization": f"Bearer {web.tokens['state']}"},
        data={"collection": "placements", "lea_id": web.own_lea, "period": YEAR},
        files={"file": ("roster.csv", out.getvalue().encode(), "text/csv")},
    )
    assert answer.status_code in (201, 422), answer.text
    return answer.json()["submission_id"], [r["student_id"] for r in rows]


def test_no_student_level_value_reaches_auditors_pages_or_api(app, web, pages, flawed):
    sid, student_ids = flawed
    path = f"/api/v1/submissions/{sid}"
    state = _api(app, web, "state", path).json()
    assert any("1950-03-04" in m["values"] and 5 in m["rows"] for m in state["messages"])
    audited = _api(app, web, "auditor", path)
    assert all(m["rows"] == [] and m["values"] == [] for m in audited.json()["messages"])
    page = pages["auditor"].get(f"/district/{web.own_lea}/submissions/{sid}")
    assert page.status_code == 200
    assert "1950-03-04" in pages["state"].get(f"/district/{web.own_lea}/submissions/{sid}").text
    for text in (audited.text, page.text):
        assert "1950-03-04" not in text
        assert not [s for s in student_ids if re.search(rf"\b{re.escape(s)}\b", text)]
    annotated = pages["auditor"].get(f"/district/{web.own_lea}/submissions/{sid}/annotated.csv")
    assert annotated.status_code == 403


def _lineage_rows_used(client: TestClient, lea: str) -> str:
    page = client.get(
        "/auditors/lineage", params={"figure": "out_of_district", "lea_id": lea, "period": YEAR}
    )
    assert page.status_code == 200
    roster = re.escape(CODE_SETS["collection"]["placements"])  # the collection in words
    row = re.search(rf"<tr><td>{roster}</td>.*?</tr>", page.text).group(0)
    return re.findall(r"<td[^>]*>([^<]*)</td>", row)[-1]


def _in_force_roster(web, lea: str) -> int:
    with open_registry(web.inst) as reg:
        (sub,) = [
            s
            for s in reg.submissions(collection="placements", status="accepted")
            if s.lea_id == lea and s.period == YEAR
        ]
    return sub.submission_id


def test_a_rosters_row_count_follows_the_shared_tables_suppression(app, web, pages):
    hidden = _snapshot(
        web,
        "SELECT s.lea_id, f.students FROM shared.shr_out_of_district s JOIN "
        "marts.fct_out_of_district f USING (lea_id, school_year) "
        f"WHERE s.students IS NULL AND f.students >= 10 AND s.school_year = '{YEAR}' "
        "ORDER BY s.lea_id",
    )
    shown = _snapshot(
        web,
        "SELECT lea_id, students FROM shared.shr_out_of_district "
        f"WHERE students IS NOT NULL AND school_year = '{YEAR}' ORDER BY lea_id",
    )
    assert hidden and shown  # a complement hidden though not small, and a shown one
    for lea, students, expected in [(*hidden[0], "suppressed"), (*shown[0], str(shown[0][1]))]:
        sid = _in_force_roster(web, lea)
        state = _api(app, web, "state", f"/api/v1/submissions/{sid}").json()
        assert state["row_count"] == students
        audited = _api(app, web, "auditor", f"/api/v1/submissions/{sid}").json()
        listed = _api(app, web, "auditor", f"/api/v1/submissions?lea_id={lea}").json()
        assert str(audited["row_count"]) == expected
        assert {str(s["row_count"]) for s in listed if s["submission_id"] == sid} == {expected}
        assert _lineage_rows_used(pages["state"], lea) == str(students)
        assert _lineage_rows_used(pages["auditor"], lea) == expected
        page = pages["auditor"].get(f"/district/{lea}/submissions/{sid}").text
        rows_shown = re.search(r"<dt>Rows</dt><dd>([^<]*)</dd>", page).group(1)
        assert rows_shown == expected


def _worksheet_cell(page: str, fiscal_year: int, label: str) -> list[str]:
    section = re.search(rf'id="share-{fiscal_year}".*?</section>', page, re.S).group(0)
    row = re.search(rf"<tr><th>{label}</th>(.*?)</tr>", section, re.S).group(1)
    return [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_dollar_figures_that_give_a_count_back_are_hidden_from_auditors(web, pages):
    small = _snapshot(
        web,
        "SELECT lea_id, fiscal_year, required_611, shortfall_611 "
        "FROM marts.fct_proportionate_share WHERE ppps_count_3_21 BETWEEN 1 AND 9 "
        "AND required_611 > 0 ORDER BY lea_id LIMIT 1",
    )
    hidden_public = _snapshot(
        web,
        "SELECT p.lea_id, p.fiscal_year, p.public_count_3_21, p.required_611 "
        "FROM marts.fct_proportionate_share p JOIN shared.shr_out_of_district s "
        "ON s.lea_id = p.lea_id AND s.school_year = p.count_school_year "
        "WHERE s.students IS NULL AND p.public_count_3_21 >= 10 AND p.ppps_count_3_21 >= 10 "
        "ORDER BY p.lea_id LIMIT 1",
    ) or _snapshot(
        web,
        "SELECT p.lea_id, p.fiscal_year, p.public_count_3_21, p.required_611 "
        "FROM marts.fct_proportionate_share p JOIN shared.shr_out_of_district s "
        "ON s.lea_id = p.lea_id AND s.school_year = p.count_school_year "
        "WHERE s.students IS NULL AND p.public_count_3_21 >= 10 ORDER BY p.lea_id LIMIT 1",
    )
    assert small and hidden_public
    lea, fy, required, shortfall = small[0]
    state = pages["state"].get(f"/district/{lea}/figures").text
    audited = pages["auditor"].get(f"/district/{lea}/figures").text
    assert _worksheet_cell(state, fy, "Required proportionate share")[0] == f"${required:,.2f}"
    assert _worksheet_cell(audited, fy, "Required proportionate share")[0] == "suppressed"
    # the digits, with or without the dollar sign, appear nowhere on the auditor's page
    assert f"{required:,.2f}" not in audited and f"{shortfall:,.2f}" not in audited
    assert _worksheet_cell(audited, fy, "Parentally placed private school children")[0] == "&lt;10"
    lea, fy, public, required = hidden_public[0]
    state = pages["state"].get(f"/district/{lea}/figures").text
    audited = pages["auditor"].get(f"/district/{lea}/figures").text
    public_row = "Public school children with disabilities"
    assert _worksheet_cell(state, fy, public_row)[0] == f"{public:,}"
    assert _worksheet_cell(audited, fy, public_row)[0] == "suppressed"
    assert _worksheet_cell(audited, fy, "Required proportionate share")[0] == "suppressed"
    assert f"{required:,.2f}" not in audited


def _report_table(page: str, heading: str) -> list[dict[str, str]]:
    """The rows of the table under `heading` of a quality report, each {column heading in
    lower case: cell as written}."""
    section = page.split(f"<h2>{heading}</h2>")[1].split("<h2>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
    names = [h.strip().lower() for h in re.findall(r"<th[^>]*>(.*?)</th>", rows[0], re.S)]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows[1:]]
    return [dict(zip(names, (c.strip() for c in row), strict=True)) for row in cells]


def test_the_quality_reports_show_no_roster_row_count_and_no_small_count(web, pages):
    from sped.reports.quality import write_quality_reports

    write_quality_reports(web.inst, [], [], min_cell_size=10)
    page = pages["auditor"].get(f"/auditors/reports/quality/placements_{YEAR}.html")
    assert page.status_code == 200
    in_force = _report_table(page.text, "Submission in force per LEA")
    assert len(in_force) >= 10 and all(r["lea"].isdigit() for r in in_force)
    assert {r["rows"] for r in in_force} == {"suppressed"}
    rules = _report_table(page.text, "Rules that failed")
    counts = [r["rows"] for r in rules]
    assert counts and all(r["submissions"].isdigit() for r in rules)
    assert all(c == "&lt;10" or int(c) >= 10 for c in counts)


def _trail_details(client: TestClient, lea: str, sid: int) -> list[str]:
    answer = client.get("/auditors/trail.csv", params={"lea_id": lea})
    assert answer.status_code == 200
    rows = csv.DictReader(io.StringIO(answer.text))
    return [r["detail"] for r in rows if r["submission_id"] == str(sid)]


def test_the_trail_counts_a_student_files_records_as_auditors_may_see_them(web, pages, flawed):
    from sped.privacy.auditor_view import trail_detail

    sid, _ = flawed
    counts = r"(\S+) (?:rows?|errors?|warnings?)\b"
    state = " ".join(_trail_details(pages["state"], web.own_lea, sid))
    audited = " ".join(_trail_details(pages["auditor"], web.own_lea, sid))
    assert any(0 < int(n) < 10 for n in re.findall(counts, state))  # the state sees them
    shown = re.findall(counts, audited)
    assert shown and all(n == "<10" or int(n) >= 10 for n in shown)
    page = pages["auditor"].get("/auditors/trail", params={"lea_id": web.own_lea}).text
    assert not [n for n in re.findall(counts, page) if n.isdigit() and 0 < int(n) < 10]
    # a roster's row count (a repair) is its LEA's number of students: never shown
    said = "57 rows reloaded from the stored file"
    assert trail_detail("placements", said, 10) == "(suppressed) rows reloaded from the stored file"
    assert trail_detail("child_find", "3 rows removed", 10) == "<10 rows removed"
    assert trail_detail("expenditures", "3 rows removed", 10) == "3 rows removed"
