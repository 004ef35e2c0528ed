"""The whole path on the small synthetic state: generate -> register -> Dagster job (validate,
load, dbt build, publish) -> marts; and the `sped` command over the same code path.

The small state is generated and run through the pipeline once per module (about half a
minute); the tests then read what it left.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from sped.cli import main
from sped.config.settings import Installation
from sped.contracts import COLLECTIONS
from sped.generate import generate
from sped.run.steps import open_registry

AS_OF = "2026-11-01"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_state(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing") / "landing"
    generate(out, scale="small", years=2, seed=7)
    return out


@pytest.fixture(scope="module")
def built(small_state, tmp_path_factory) -> tuple[Installation, int, str]:
    """The CLI run once over the small state: (installation, exit code, what it printed)."""
    inst = Installation(tmp_path_factory.mktemp("install") / "warehouse.duckdb")
    lines: list[str] = []
    import sped.cli as cli

    original = cli.common.say
    cli.common.say = lambda m: lines.append(m)
    try:
        code = main(
            [
                "pipeline",
                "--create",
                "--landing",
                str(small_state),
                "--warehouse",
                str(inst.warehouse),
                "--as-of",
                AS_OF,
            ]
        )
    finally:
        cli.common.say = original
    return inst, code, "\n".join(lines)


def _manifest(landing: Path) -> dict:
    return json.loads((landing / "_manifest.json").read_text())


def test_pipeline_succeeds_and_prints_a_summary(built):
    _, code, printed = built
    assert code == 0, printed
    assert "accepted" in printed and "rows in force" in printed
    assert "time per step" in printed


def test_every_file_became_a_submission_or_a_recognised_copy(built, small_state):
    inst, _, _ = built
    files = [p for p in small_state.rglob("*") if p.is_file() and not p.name.startswith("_")]
    with open_registry(inst) as reg:
        receipts = reg.receipts()
        subs = reg.submissions()
    assert len(receipts) == len(files)
    outcomes = Counter(r["outcome"] for r in receipts)
    assert outcomes["unroutable"] == 0
    assert outcomes["new"] == len(subs)
    assert {s.status for s in subs} <= {"accepted", "rejected", "superseded"}


def test_defective_files_are_rejected_and_clean_ones_accepted(built, small_state):
    inst, _, _ = built
    manifest = _manifest(small_state)
    with open_registry(inst) as reg:
        by_path = {s.landing_path: s for s in reg.submissions()}
    defective = [f for f in manifest["files"] if f.get("defect")]
    assert defective, "the generator injects defects"
    blocking = [
        f for f in defective if by_path.get(f["path"]) and by_path[f["path"]].status == "rejected"
    ]
    assert len(blocking) >= len(defective) // 2
    clean = [f for f in manifest["files"] if not f.get("defect") and f["path"] in by_path]
    statuses = Counter(by_path[f["path"]].status for f in clean)
    assert statuses["rejected"] == 0, statuses


def test_rows_in_force_equal_rows_of_accepted_files(built):
    """Contract round trip: every row of an accepted file is in raw and in staging."""
    inst, _, _ = built
    with open_registry(inst) as reg:
        accepted = Counter()
        for s in reg.submissions(status="accepted"):
            accepted[s.collection] += s.row_count
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        for name in COLLECTIONS:
            raw = con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0]
            stg = con.execute(f"SELECT count(*) FROM staging.stg_{name}").fetchone()[0]
            assert raw == accepted[name] == stg, name
    finally:
        con.close()


def test_leading_zeros_survive_end_to_end(built):
    inst, _, _ = built
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        zeros = con.execute(
            "SELECT count(*) FROM staging.stg_placements WHERE student_id LIKE '0%'"
        ).fetchone()[0]
    finally:
        con.close()
    assert zeros > 0


def test_marts_are_built_and_published(built):
    inst, _, _ = built
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        marts = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
            ).fetchall()
        }
        assert "fct_submission_status" in marts
        for mart in marts:
            assert con.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()[0] > 0, mart
    finally:
        con.close()


def test_no_hidden_cell_can_be_worked_back_from_a_shown_total(built):
    """Ground rule 6 on the whole small state: in every LEA's year and age group, and in every
    environment across the LEAs, a line with a hidden cell hides at least two cells holding at
    least min_cell_size students together, or its total is hidden, or every non-zero cell."""
    inst, _, _ = built
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        lines = {}
        row = "lea_id, school_year, age_group"
        column = "school_year, age_group, educational_environment"
        for by in (row, column):
            lines[by] = con.execute(
                "SELECT count(*) FILTER (WHERE s.students IS NULL), "
                "sum(f.students) FILTER (WHERE s.students IS NULL), "
                "count(*) FILTER (WHERE s.students IS NULL) = count(*), "
                "bool_or(s.suppressed = 'COMPLEMENTARY'), "
                "bool_or(s.age_group_students IS NULL) "
                "FROM shared.shr_lre_environments AS s JOIN marts.fct_lre_environments AS f "
                "USING (lea_id, school_year, age_group, educational_environment) "
                f"WHERE s.lea_id <> 'STATE' GROUP BY {by} "
                "HAVING count(*) FILTER (WHERE s.students IS NULL) > 0"
            ).fetchall()
    finally:
        con.close()
    rows, columns = lines.values()
    assert rows and columns, "the small state has small cells to hide"
    assert any(complementary for *_, complementary, _ in rows)
    for hidden, hidden_students, all_hidden, _, total_hidden in rows:
        assert total_hidden or all_hidden or (hidden >= 2 and hidden_students >= 10)
    for hidden, hidden_students, all_hidden, _, _ in columns:
        assert all_hidden or (hidden >= 2 and hidden_students >= 10)


def test_quality_reports_written(built):
    inst, _, _ = built
    index = inst.reports_dir / "quality" / "index.html"
    assert index.exists()
    page = next((inst.reports_dir / "quality").glob("placements_*.html")).read_text()
    assert "Submission in force per LEA" in page and "SHA-256" in page


def test_running_again_adds_nothing_and_recognises_everything(built, small_state, capsys):
    inst, _, _ = built
    with open_registry(inst) as reg:
        before = len(reg.submissions())
    code = main(
        [
            "pipeline",
            "--landing",
            str(small_state),
            "--warehouse",
            str(inst.warehouse),
            "--as-of",
            AS_OF,
        ]
    )
    assert code == 0
    assert "registered 0 new submissions" in capsys.readouterr().out
    with open_registry(inst) as reg:
        assert len(reg.submissions()) == before


def test_submissions_command_lists_every_submission(built, capsys):
    inst, _, _ = built
    assert main(["submissions", "--warehouse", str(inst.warehouse), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {"submission_id", "sha256", "status", "failed_rules"} <= set(rows[0])
    rejected = [r for r in rows if r["status"] == "rejected"]
    assert all(r["error_count"] > 0 and r["failed_rules"] for r in rejected)
    assert main(["submissions", "--warehouse", str(inst.warehouse)]) == 0
    assert "collection" in capsys.readouterr().out


def test_a_bad_profile_stops_before_touching_data(tmp_path, capsys):
    bad = tmp_path / "profile.yaml"
    bad.write_text("state_code: MA\n")
    code = main(
        [
            "pipeline",
            "--create",
            "--warehouse",
            str(tmp_path / "w" / "warehouse.duckdb"),
            "--profile",
            str(bad),
        ]
    )
    assert code == 2
    assert "state profile" in capsys.readouterr().err
    assert not (tmp_path / "w" / "warehouse.duckdb").exists()


def test_dbt_docs_export(built, capsys):
    inst, _, _ = built
    assert main(["docs", "--warehouse", str(inst.warehouse), "--as-of", AS_OF]) == 0
    page = (inst.reports_dir / "dbt_docs" / "index.html").read_text()
    assert "fct_proportionate_share" in page and "300.133" in page
    # linked from the auditors' pages, served sandboxed to the state team and auditors only
    from tests.web_dashboard_state import add_people_of, app_for, signed_in

    people = add_people_of(inst)
    app = app_for(inst, AS_OF)
    assert signed_in(app, None).get("/auditors/model-docs").status_code == 303
    for account, status in ((people.auditor, 200), (people.state, 200), (people.district, 403)):
        answer = signed_in(app, account).get("/auditors/model-docs")
        assert answer.status_code == status, (account, answer.text[:200])
        if status == 200:
            assert answer.text == page
            policy = answer.headers["content-security-policy"]
            assert policy.startswith("sandbox allow-scripts;") and "connect-src" not in policy
    assert 'href="/auditors/model-docs"' in signed_in(app, people.auditor).get("/auditors").text


def test_validate_one_file_as_a_district_sees_it(built, small_state, capsys):
    inst, _, _ = built
    manifest = _manifest(small_state)
    bad = next(
        f
        for f in manifest["files"]
        if f.get("defect") == "bad_code" or f.get("defect") == "wrong_lea"
    )
    code = main(
        [
            "validate",
            str(small_state / bad["path"]),
            "--collection",
            bad["collection"],
            "--lea",
            bad["lea_id"],
            "--period",
            bad["period"],
            "--warehouse",
            str(inst.warehouse),
            "--as-of",
            AS_OF,
        ]
    )
    out = capsys.readouterr().out
    assert code == 1 and "would be REJECTED" in out and "Row" in out
    good = next(
        f
        for f in manifest["files"]
        if not f.get("defect") and f["collection"] == "placements" and f["path"].endswith(".csv")
    )
    code = main(
        [
            "validate",
            str(small_state / good["path"]),
            "--collection",
            "placements",
            "--lea",
            good["lea_id"],
            "--period",
            good["period"],
            "--warehouse",
            str(inst.warehouse),
            "--as-of",
            AS_OF,
        ]
    )
    assert code == 0, capsys.readouterr().out


def test_annotated_download_lists_every_failing_row_and_is_formula_safe(built, tmp_path):
    import csv as csv_module

    from sped.reports.annotated import safe_cell

    inst, _, _ = built
    with open_registry(inst) as reg:
        rejected = next(
            s
            for s in reg.submissions(status="rejected")
            if any(f.sample_rows for f in reg.findings(s.submission_id))
        )
        stored = {f.rule_id: f.failed_count for f in reg.findings(rejected.submission_id)}
    out = tmp_path / "annotated.csv"
    assert (
        main(
            [
                "annotate",
                str(rejected.submission_id),
                "--warehouse",
                str(inst.warehouse),
                "--out",
                str(out),
                "--as-of",
                AS_OF,
            ]
        )
        == 0
    )
    rows = list(csv_module.DictReader(out.open()))
    flagged = [r for r in rows if r["row"] and r["errors"]]
    row_rules = {}
    for r in flagged:
        for label in r["errors"].split(" | "):
            rule = label.split(":")[0]
            row_rules[rule] = row_rules.get(rule, 0) + 1
    for rule, count in row_rules.items():
        assert count == stored[rule], rule  # every failing row, not only the first twenty
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and safe_cell("S1") == "S1"


@pytest.mark.parametrize(
    "name", ["out_of_district_trends.ipynb", "proportionate_share_review.ipynb"]
)
def test_analyst_notebooks_run_on_the_small_state(built, name, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    from notebooks.build_notebooks import HERE, render

    inst, _, _ = built
    assert (HERE / name).read_text() == render(name), "run notebooks/build_notebooks.py"
    monkeypatch.setenv("SPED_WAREHOUSE", str(inst.warehouse))
    nb = nbformat.reads(render(name), as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(HERE.parent)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs)


def test_validation_pages_of_the_data_in_force(built, capsys):
    """`sped datadocs`: GX runs every suite over the rows in force; the pages are the
    project's own, with nothing loaded from anywhere else, and warning-only results read
    "passed with warnings", never "failed"."""
    from sped.reports.data_docs import FAILED, WARNINGS

    inst, _, _ = built
    assert main(["datadocs", "--warehouse", str(inst.warehouse), "--as-of", AS_OF]) == 0
    site = inst.reports_dir / "validation"
    assert f"{site / 'index.html'}" in capsys.readouterr().out
    pages = {p.name: p.read_text() for p in site.glob("*.html")}
    assert set(pages) == {"index.html", *(f"{c}.html" for c in COLLECTIONS)}
    for name, text in pages.items():
        assert not re.search(r"(src|href)=\"(https?:)?//", text), name  # nothing from outside
        assert "<script" not in text, name
    assert "must be one of" in pages["placements.html"]
    # the generated state has warnings on the placements in force, and no blocking failure
    # among rows in force (rejected files never load)
    assert WARNINGS in pages["placements.html"]
    assert f'status {FAILED}">{FAILED}' not in pages["index.html"]
    assert not (inst.reports_dir / "gx").exists()


def test_validation_pages_render_offline_in_chromium(built):
    """The index and a collection page in headless chromium with every non-file request
    aborted: styled, tables filled; the screenshots go to tests/artifacts/."""
    from playwright.sync_api import sync_playwright

    inst, _, _ = built
    site = inst.reports_dir / "validation"
    if not (site / "index.html").exists():
        assert main(["datadocs", "--warehouse", str(inst.warehouse), "--as-of", AS_OF]) == 0
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    blocked: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", only_files)
            page.goto((site / "index.html").as_uri())
            page.screenshot(path=str(artifacts / "validation_index.png"), full_page=True)
            rows = page.locator("table tbody tr")
            assert rows.count() == len(COLLECTIONS)
            first = rows.nth(0).locator("td")
            assert first.count() == 6 and all(first.nth(i).inner_text().strip() for i in range(6))
            statuses = {s.strip() for s in page.locator("td .status").all_inner_texts()}
            assert statuses <= {"passed", "passed with warnings", "failed"} and statuses
            background = page.eval_on_selector("th", "e => getComputedStyle(e).backgroundColor")
            assert background not in ("rgba(0, 0, 0, 0)", "transparent")  # the inline style
            page.click('a[href="placements.html"]')
            page.screenshot(path=str(artifacts / "validation_placements.png"), full_page=True)
            assert page.locator("table tbody tr").count() > 20
            assert page.locator("text=passed with warnings").count() >= 1
        finally:
            browser.close()
    assert blocked == []


def test_no_student_identifier_reaches_logs_or_findings(built, small_state):
    """FERPA practice: messages name rows, never students (docs/rules/identifiers_and_privacy.md)"""
    import csv as csv_module

    inst, _, printed = built
    ids = set()
    for f in _manifest(small_state)["files"]:
        if f["collection"] in ("placements", "monitoring_log", "child_find", "ppps_count") and f[
            "path"
        ].endswith(".csv"):
            with open(small_state / f["path"], encoding="utf-8", errors="replace") as fh:
                ids |= {r.get("student_id", "") for r in csv_module.DictReader(fh)}
    ids = {i for i in ids if i and len(i) >= 6}
    assert len(ids) > 1000
    with open_registry(inst) as reg:
        stored = " ".join(
            " ".join(f.sample_values) + f.text
            for s in reg.submissions()
            for f in reg.findings(s.submission_id)
        )
    dbt_log = "".join(p.read_text(errors="replace") for p in inst.dbt_target.rglob("*.log"))
    for text, where in ((printed, "pipeline output"), (stored, "findings"), (dbt_log, "dbt log")):
        leaked = [i for i in ids if i in text]
        assert not leaked, f"student ids in {where}: {leaked[:3]}"


def test_the_run_is_recorded_in_the_installations_own_dagster_instance(built):
    """`sped pipeline` records in <installation>/dagster (what `dagster dev` opens), not in a
    throwaway instance: the run, every asset's materialization and the dbt tests' check
    results survive the process."""
    from dagster import AssetCheckSeverity, DagsterEventType, DagsterRunStatus

    from sped.frameworks.dagster_home import dagster_home, open_instance

    inst, code, printed = built
    assert code == 0
    home = dagster_home(inst)
    assert "enabled: false" in (home / "dagster.yaml").read_text()  # telemetry off
    with open_instance(inst) as instance:
        assert instance.is_persistent and not instance.telemetry_enabled
        runs = instance.get_runs()  # newest first; another test may run the job again
        assert runs and {r.job_name for r in runs} == {"pipeline"}
        first = runs[-1]
        assert first.status == DagsterRunStatus.SUCCESS
        assert first.tags["sped/trigger"] == "cli"  # sped/run/run_tags.py
        assert "placements" in first.tags["sped/collections"].split(",")
        materialized = {
            e.asset_materialization.asset_key.to_user_string()
            for e in instance.all_logs(first.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        }
        assert {"raw/placements", "published/warehouse"} <= materialized
        assert any(k.endswith("fct_proportionate_share") for k in materialized)
        checks = instance.all_logs(first.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
        assert len(checks) > 50
        evaluations = [c.dagster_event.event_specific_data for c in checks]
        assert any(e.asset_key.path[0] == "raw" for e in evaluations)  # the blocking-rule checks
        rejections = [
            e
            for e in evaluations
            if e.check_name == "submissions_pass_blocking_rules" and not e.passed
        ]
        assert rejections  # the small state's planted defects: rejected by design, not a failure
        for e in rejections:
            assert e.severity == AssetCheckSeverity.WARN, e.asset_key
            assert re.fullmatch(r"\d+ of \d+ files rejected \(.*\)", e.description or ""), e
        dbt_tests = [e for e in evaluations if e.asset_key.path[0] != "raw"]
        assert len(dbt_tests) > 50 and any(e.passed for e in dbt_tests)
        failed = [e for e in dbt_tests if not e.passed]  # a dbt test may warn, never error
        assert all(e.severity == AssetCheckSeverity.WARN for e in failed), failed[:3]
    assert "dbt build (staging, intermediate, marts, shared): started at" in printed
    assert re.search(r"dbt build \(.*\): finished after \d+\.\d s", printed), printed[-2000:]


def test_a_run_keeps_the_warehouse_open_between_its_steps(built, tmp_path, monkeypatch):
    """sped/warehouse/kept_open.py: a run's steps reach the database the run keeps open; only
    the first connection, and the first after dbt and after publishing (which let it go), open
    the file again. A run that kept nothing open (say, the steps naming the warehouse by
    another path) would open it at every step."""
    import shutil

    from sped.warehouse import kept_open

    inst, code, _ = built
    assert code == 0
    copy = Installation(tmp_path / "copy" / "warehouse.duckdb")
    shutil.copytree(inst.root, copy.root)
    opened: list[str] = []
    reused: list[str] = []
    hold = kept_open.hold

    def spy(warehouse, config) -> bool:
        kept = hold(warehouse, config)
        (reused if kept else opened).append(str(warehouse))
        return kept

    monkeypatch.setattr(kept_open, "hold", spy)
    args = ["pipeline", "--warehouse", str(copy.warehouse), "--as-of", AS_OF, "--changed-only"]
    assert main(args) == 0
    assert len(opened) <= 3 < len(opened) + len(reused), (opened, reused)
    assert set(opened + reused) == {str(copy.warehouse)}
    assert kept_open._kept.con is None and kept_open._kept.path is None  # let go at the end


def test_the_demo_explains_its_rejections_as_designed(built, small_state):
    """`make demo`'s closing lines: every file the run rejected is one the generator planted a
    defect in, and the lines say so (sped/generate/demo_outcome.py)."""
    from sped.generate.demo_outcome import closing_lines

    inst, _, _ = built
    with open_registry(inst) as reg:
        rejected = len(reg.submissions(status="rejected"))
    lines = closing_lines(small_state, inst)
    assert rejected > 0
    assert re.match(
        rf"{rejected} of \d+ files were rejected, {rejected} of them as designed", lines[0]
    )
    assert "not failures" in lines[1] and not any("without a planted defect" in ln for ln in lines)


def test_source_freshness_reads_the_receipts_against_the_due_dates(built, profile):
    """`dbt source freshness` on the run's warehouse: each collection with a due date reports
    the due date its latest file met (dbt/macros/due_date_met.sql), a day of the profile's."""
    import datetime as dt

    from sped.frameworks.dbt_cli import dbt_args, run

    inst, _, _ = built
    dbt_vars = profile.dbt_vars(dt.date.fromisoformat(AS_OF))
    args = dbt_args(["source", "freshness"], target=inst.dbt_target, dbt_vars=dbt_vars)
    result = run(args, warehouse=inst.warehouse, target=inst.dbt_target, dbt_vars=dbt_vars)
    assert result.success
    found = json.loads((inst.dbt_target / "sources.json").read_text())["results"]
    met = {r["unique_id"].rsplit(".", 1)[1]: r["max_loaded_at"][:10] for r in found}
    assert set(met) == {"placements", "monitoring_log", "ppps_count", "child_find"}
    for due in profile.due_dates:
        assert met[due.collection][5:] == f"{due.month:02d}-{due.day:02d}", (due, met)
