"""The dashboards' data layer on the small state run through the pipeline: the figures equal
the marts (each read both ways), scopes are enforced (a district sees its own LEAs only, an
auditor the shared tables only), headlines and charts carry the marts' numbers, the 618 export
has the federal layout and the roster's counts, and lineage names the submissions in force."""

from __future__ import annotations

import csv

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sped.dashboards import charts, exports, figures, headlines, lineage, pages, similar, trends
from sped.dashboards.scope import Filters, Scope, ScopeError
from sped.run.steps import open_registry
from sped.warehouse.national_reference import METADATA_LINES, NATIONAL_FILE
from tests.dashboard_state import small_state

pytestmark = pytest.mark.slow

YEAR = "2025-26"
PREVIOUS = "2024-25"


@pytest.fixture(scope="module")
def inst(tmp_path_factory):
    return small_state(tmp_path_factory, "dash")


@pytest.fixture(scope="module")
def con(inst):
    c = figures.snapshot(inst)
    yield c
    c.close()


def mart(inst, sql: str, params=None) -> pl.DataFrame:
    """The same snapshot read on a separate connection, straight from SQL."""
    c = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        return c.sql(sql, params=params).pl()
    finally:
        c.close()


@pytest.mark.parametrize("name", figures.FIGURE_NAMES)
def test_each_figure_is_its_mart_row_for_row(inst, con, name):
    source = figures.SOURCES[name]
    got = figures.figure(con, name, Scope.state())
    expected = mart(inst, f"SELECT * FROM {source.mart} ORDER BY {', '.join(source.keys)}")
    assert got.height > 0
    assert_frame_equal(got, expected)


def test_filters_narrow_to_the_marts_own_rows(inst, con):
    leas = mart(inst, "SELECT * FROM marts.dim_lea")
    county = leas["county"].mode()[0]
    got = figures.out_of_district(con, Scope.state(), Filters(school_year=YEAR, county=county))
    expected = mart(
        inst,
        "SELECT f.* FROM marts.fct_out_of_district f JOIN marts.dim_lea d USING (lea_id) "
        "WHERE f.school_year = ? AND d.county = ? ORDER BY f.school_year, f.lea_id",
        [YEAR, county],
    )
    assert 0 < got.height < 20
    assert_frame_equal(got, expected)
    regular = figures.out_of_district(con, Scope.state(), Filters(lea_type="REGULAR"))
    types = dict(zip(leas["lea_id"], leas["lea_type"], strict=True))
    assert regular.height and {types[lea] for lea in regular["lea_id"]} == {"REGULAR"}
    share = figures.proportionate_share(con, Scope.state(), Filters(fiscal_year=2026))
    assert share.height and set(share["fiscal_year"]) == {2026}
    subs = figures.submission_status(con, Scope.state(), Filters(school_year=YEAR))
    assert set(subs["period"]) == {YEAR}


def test_a_district_sees_only_its_own_leas(inst, con):
    leas = mart(inst, "SELECT lea_id FROM marts.dim_lea ORDER BY lea_id")["lea_id"].to_list()
    mine, other = leas[:2], leas[5]
    scope = Scope.district(mine)
    for name in figures.FIGURE_NAMES:
        rows = figures.figure(con, name, scope)
        assert rows.height > 0, name
        assert set(rows["lea_id"]) <= set(mine), name
    with pytest.raises(ScopeError):
        figures.out_of_district(con, scope, Filters(lea_id=other))
    with pytest.raises(ScopeError):
        figures.submission_status(con, scope, Filters(lea_id=other, school_year=YEAR))
    own = figures.out_of_district(con, scope, Filters(lea_id=mine[0]))
    assert set(own["lea_id"]) == {mine[0]}
    assert set(figures.leas(con, scope)["lea_id"]) == set(mine)


def test_an_auditor_sees_the_suppressed_shared_tables_only(inst, con):
    scope = Scope.auditor()
    got = figures.out_of_district(con, scope)
    expected = mart(inst, "SELECT * FROM shared.shr_out_of_district ORDER BY school_year, lea_id")
    assert_frame_equal(got, expected)
    assert got["ood_students"].null_count() > 0, "the small state has suppressed cells"
    assert "in_approved_programs" not in got.columns  # the mart's unsuppressed counts are not
    lre = figures.lre_environments(con, scope)
    assert "suppressed" in lre.columns and lre["suppressed"].drop_nulls().len() > 0
    for name in ("proportionate_share", "monitoring_coverage", "child_find"):
        if figures.has_table(con, figures.SOURCES[name].shared):
            continue  # a shared table added later is what auditors then read
        with pytest.raises(ScopeError):
            figures.figure(con, name, scope)
    with pytest.raises(ScopeError):
        figures.monitoring_gaps(con, scope)


def test_headlines_are_the_marts_state_figures(inst, con):
    hl = {h.key: h for h in headlines.headlines(con, Scope.state(), YEAR)}
    ood = mart(
        inst,
        "SELECT DISTINCT school_year, state_ood_rate, state_indicator_5c_rate "
        "FROM marts.fct_out_of_district",
    )
    rate = dict(zip(ood["school_year"], ood["state_ood_rate"], strict=True))
    assert hl["ood_rate"].value == pytest.approx(rate[YEAR], abs=1e-12)
    assert hl["ood_rate"].previous == pytest.approx(rate[PREVIOUS], abs=1e-12)
    five_c = dict(zip(ood["school_year"], ood["state_indicator_5c_rate"], strict=True))
    assert hl["indicator_5c_rate"].value == pytest.approx(five_c[YEAR], abs=1e-12)
    share = mart(
        inst,
        "SELECT sum(required_611) AS r FROM marts.fct_proportionate_share WHERE fiscal_year = 2026",
    )
    assert hl["required_611"].value == pytest.approx(float(share["r"][0]))
    cov = mart(
        inst,
        "SELECT sum(fully_covered) / sum(ood_students) AS c "
        "FROM marts.fct_monitoring_coverage WHERE school_year = ?",
        [YEAR],
    )
    assert hl["coverage_rate"].value == pytest.approx(cov["c"][0])


def test_every_chart_has_data_and_plotly_js_is_never_fetched(con):
    state = Scope.state()
    leas = figures.leas(con, state)
    ood = figures.out_of_district(con, state, Filters(school_year=YEAR))
    every_year = figures.out_of_district(con, state)
    share = figures.proportionate_share(con, state)
    mon = figures.monitoring_coverage(con, state, Filters(school_year=YEAR))
    cf = figures.child_find(con, state, Filters(school_year=YEAR))
    lre = figures.lre_environments(con, state, Filters(school_year=YEAR, lea_id="STATE"))
    nation = figures.national_lre(con)
    built = [
        charts.ood_distribution(ood, YEAR),
        charts.ood_ranking(ood, leas, YEAR),
        charts.ood_funnel(ood, leas, YEAR),
        charts.ood_trend(every_year),
        charts.ood_by_placement_type(every_year),
        charts.ood_approval(every_year),
        charts.ood_in_out_of_state(every_year),
        charts.indicator_5c(ood, leas, YEAR),
        charts.share_required_vs_spent(share, leas, "611"),
        charts.share_shortfalls(share, leas),
        charts.share_state_totals(share),
        charts.monitoring_coverage(mon, leas, YEAR),
        charts.child_find_funnel(cf, YEAR),
        charts.child_find_timeliness(cf, leas, YEAR),
        charts.lre_vs_nation(lre, nation, "6-21", "the state"),
        charts.lre_vs_nation(lre, nation, "3-5", "the state"),
        charts.submission_tracker(
            figures.submission_status(con, state, Filters(school_year=YEAR)), leas, YEAR
        ),
        trends.selection_chart(
            con, state, Filters(), "overview-trend", "Rates", ["ood_rate", "timely_rate"], "State"
        ),
    ]
    for chart in built:
        assert chart.points > 0, chart.id
        html = chart.html()
        assert "cdn.plot.ly" not in html and "<script src" not in html, chart.id
        assert f'id="chart-{chart.id}"' in html
    ranking = built[1]
    lea_ids = {c[0] for trace in ranking.figure.data for c in trace.customdata}
    assert lea_ids == set(ood["lea_id"])  # every bar drills down to its LEA
    assert ranking.figure.layout.meta["drilldown"] is True
    bars = {t.name: t for t in built[14].figure.data}
    assert any(name.startswith("Nation") for name in bars)
    assert "Section 618" in built[14].rule


def _by_year(frame: pl.DataFrame) -> dict:
    return dict(frame.iter_rows())


def test_every_figure_over_the_years_is_the_marts_arithmetic(inst, con):
    """The state's trends: each year's LEAs together, numerators over denominators, straight
    from the marts in SQL (the LRE mart's own STATE rows agree)."""
    state = Scope.state()
    lre = trends.selection_trend(
        con, state, Filters(), ["regular_class_80_rate", "separate_settings_rate"]
    )
    assert lre["school_year"].to_list() == [PREVIOUS, YEAR]  # every year in force
    for key, codes in (
        ("regular_class_80_rate", "'RC80'"),
        ("separate_settings_rate", "'SS', 'RF', 'HH'"),
    ):
        expected = mart(
            inst,
            f"SELECT school_year, sum(students) FILTER (WHERE educational_environment IN ({codes}))"
            " / sum(students) FROM marts.fct_lre_environments WHERE age_group = '6-21' "
            "AND lea_id = 'STATE' GROUP BY 1 ORDER BY 1",
        )
        assert _by_year(lre.select("school_year", key)) == pytest.approx(_by_year(expected))
    for keys, sql in (
        (["coverage_rate"], "SELECT school_year, sum(fully_covered) / sum(ood_students) "
                            "FROM marts.fct_monitoring_coverage GROUP BY 1 ORDER BY 1"),
        (["timely_rate"], "SELECT school_year, sum(evaluated_within_timeline) / "
                          "sum(evaluated_with_consent) FROM marts.fct_child_find GROUP BY 1"),
        (["referred"], "SELECT school_year, sum(referred) FROM marts.fct_child_find GROUP BY 1"),
        (["share_spent_rate"], "SELECT fiscal_year, sum(spent_611_initial + spent_611_carryover "
                               "+ spent_619_initial + spent_619_carryover) / sum(required_611 + "
                               "required_619) FROM marts.fct_proportionate_share GROUP BY 1"),
    ):  # fmt: skip
        got = trends.selection_trend(con, state, Filters(), keys)
        expected = {k: float(v) for k, v in _by_year(mart(inst, sql)).items()}
        assert _by_year(got) == pytest.approx(expected), keys
    narrowed = trends.selection_trend(con, state, Filters(lea_type="REGULAR"), ["coverage_rate"])
    assert set(narrowed.columns) == {"school_year", "coverage_rate", "state_coverage_rate"}


def test_an_lea_over_the_years_beside_its_similar_leas(inst, con):
    """An LEA's trends: its own rows, its similar LEAs' (same type and size band, the LEA left
    out) together for a rate and their median for a count, and the state."""
    state = Scope.state()
    every = figures.out_of_district(con, state)
    leas = figures.leas(con, state)
    lea_id = next(
        lea for lea in leas["lea_id"] if len(similar.similar_leas(every, leas, lea_id := lea)) >= 2
    )
    peers = trends.peers_for(con, state, lea_id)
    assert lea_id not in peers.lea_ids and peers.lea_ids
    assert peers.lea_ids == similar.similar_leas(every, leas, lea_id)
    got = trends.lea_trend(con, state, lea_id, ["coverage_rate", "referred"], peers)
    ids = ", ".join(f"'{p}'" for p in peers.lea_ids)
    mine = mart(
        inst,
        "SELECT school_year, sum(fully_covered) / sum(ood_students) AS c "
        "FROM marts.fct_monitoring_coverage WHERE lea_id = ? GROUP BY 1 ORDER BY 1",
        [lea_id],
    )
    theirs = mart(
        inst,
        "SELECT school_year, sum(fully_covered) / sum(ood_students) AS c "
        f"FROM marts.fct_monitoring_coverage WHERE lea_id IN ({ids}) GROUP BY 1 ORDER BY 1",
    )
    median = mart(
        inst,
        f"SELECT school_year, median(referred) FROM marts.fct_child_find WHERE lea_id IN ({ids}) "
        "GROUP BY 1 ORDER BY 1",
    )
    assert _by_year(got.select("school_year", "coverage_rate").drop_nulls()) == pytest.approx(
        _by_year(mine.drop_nulls())
    )
    assert _by_year(
        got.select("school_year", "similar_coverage_rate").drop_nulls()
    ) == pytest.approx(_by_year(theirs.drop_nulls()))
    assert _by_year(got.select("school_year", "similar_referred").drop_nulls()) == pytest.approx(
        {k: float(v) for k, v in _by_year(median).items()}
    )
    assert "state_coverage_rate" in got.columns and "state_referred" not in got.columns
    page = pages.lea(con, state, Filters(), lea_id=lea_id)
    trend_ids = {"lea-ood", "lea-share-trend", "lea-lre-trend", "lea-monitoring-trend",
                 "lea-child-find-trend", "lea-child-find-counts"}  # fmt: skip
    assert trend_ids <= {c.id for c in page.charts}
    names = {t.name for t in page.chart("lea-lre-trend").figure.data}
    assert "Inside a regular class 80% or more of the day, ages 6-21: similar LEAs" in names
    assert any("LEAs; all of them together" in n for n in page.chart("lea-ood").notes)


def test_the_lea_pages_preschool_panel_draws_its_figures_or_says_why_not(inst, con):
    """Ages 3-5 on the LEA page: an LEA with children of that age in the year shown has their
    environments drawn beside the state's; one without says so in words (it was blank)."""
    counts = mart(
        inst,
        "SELECT d.lea_id, coalesce(sum(e.students), 0) AS n FROM marts.dim_lea d "
        "LEFT JOIN marts.fct_lre_environments e ON e.lea_id = d.lea_id "
        "AND e.age_group = '3-5' AND e.school_year = ? GROUP BY 1 ORDER BY 1",
        [YEAR],
    )
    some = counts.filter(pl.col("n") > 0)["lea_id"][0]
    none = counts.filter(pl.col("n") == 0)["lea_id"]
    assert none.len(), "the small state has no LEA without preschool children this year"
    drawn = pages.lea(con, Scope.state(), Filters(), lea_id=some).chart("lea-lre-3-5")
    assert drawn.points > 0 and {t.name for t in drawn.figure.data} >= {"State"}
    assert drawn.table["share"].sum() == pytest.approx(1.0)
    assert "and the state" in drawn.figure.layout.title.text
    said = pages.lea(con, Scope.state(), Filters(), lea_id=none[0]).chart("lea-lre-3-5")
    assert said.points == 0
    words = said.figure.layout.annotations[0].text.replace("<br>", " ")
    assert "no child aged 3-5 with an IEP in 2025-26" in words


def test_lre_chart_shows_the_marts_state_shares_and_the_nations(inst, con):
    lre = figures.lre_environments(con, Scope.state(), Filters(school_year=YEAR, lea_id="STATE"))
    chart = charts.lre_vs_nation(lre, figures.national_lre(con), "6-21", "the state")
    shares = dict(zip(chart.table["educational_environment"], chart.table["share"], strict=True))
    expected = mart(
        inst,
        "SELECT educational_environment, share FROM marts.fct_lre_environments "
        "WHERE lea_id = 'STATE' AND school_year = ? AND age_group = '6-21'",
        [YEAR],
    )
    for env, share in expected.iter_rows():
        assert shares[env] == pytest.approx(share, abs=1e-12)
    national = dict(
        zip(chart.table["educational_environment"], chart.table["national_share"], strict=True)
    )
    assert national["RC80"] == pytest.approx(federal_rc80_share(), abs=1e-12)


def federal_rc80_share() -> float:
    """The nation's RC80 share among school-age students not parentally placed, straight from
    the federal file."""
    with NATIONAL_FILE.open(encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))
    header = lines[METADATA_LINES]
    col = header.index("Ages 6-21")
    counts = {
        r[2]: int(r[col])
        for r in lines[METADATA_LINES + 1 :]
        if len(r) > 3 and r[1].startswith("US,") and r[3] == "All Disabilities" and r[col] != "-"
    }
    rest = counts["Total, Age 6-21"] - counts["Parentally Placed in Private Schools"]
    return counts["Inside regular class 80% or more of the day"] / rest


def test_federal_618_export_has_the_federal_columns_and_the_rosters_counts(inst, con):
    with NATIONAL_FILE.open(encoding="utf-8", newline="") as f:
        federal_header = list(csv.reader(f))[METADATA_LINES]
    table = exports.federal_618(con, YEAR, "Massachusetts")
    # the published layout, with the school-age 5-year-olds' column of the layout in force
    header = list(exports.federal_618_header(YEAR))
    assert table.columns == header
    renamed = {exports.SCHOOL_AGE_FIVE_RENAMES.get(c, c) for c in federal_header}
    assert set(header) - renamed == {exports.SCHOOL_AGE_FIVE}
    assert table.height == 14 * 19
    state = mart(
        inst,
        "SELECT age_group, educational_environment, students "
        "FROM marts.fct_lre_environments WHERE lea_id = 'STATE' AND school_year = ?",
        [YEAR],
    )
    students = {(g, e): n for g, e, n in state.iter_rows()}
    (private,) = mart(
        inst,
        "SELECT count(*) FROM staging.stg_ppps_count WHERE school_year = ? AND "
        "has_services_plan AND educational_environment IS NULL AND age_on_count_date >= 5",
        [YEAR],
    ).row(0)
    (private_ec,) = mart(
        inst,
        "SELECT count(*) FROM staging.stg_ppps_count WHERE school_year = ? AND "
        "has_services_plan AND educational_environment IS NOT NULL",
        [YEAR],
    ).row(0)
    rows = {
        r["SEA Education Environment"]: r
        for r in table.filter(pl.col("SEA Disability Category") == "All Disabilities").iter_rows(
            named=True
        )
    }
    school_age_total = "Age 5 (School Age)-21"
    ec = 0
    for label, code, group in exports.FEDERAL_ENVIRONMENTS:
        if code in (None, "PPPS"):
            continue
        column = "Age 3 to 5" if group == "3-5" else school_age_total
        shown = int(rows[label][column])
        if group == "3-5":  # parentally placed children of 3-5 are in their plan's environment
            ec += shown - students.get((group, code), 0)
            assert shown >= students.get((group, code), 0), label
        else:
            assert shown == students.get((group, code), 0), label
    assert ec == private_ec
    total_6_21 = sum(n for (g, _), n in students.items() if g == "6-21")
    assert int(rows["Parentally Placed in Private Schools"][school_age_total]) == private > 0
    assert int(rows["Total, Age 6-21"][school_age_total]) == total_6_21 + private
    csv_text = exports.to_csv(table).decode()
    assert csv_text.splitlines()[0] == ",".join(f'"{h}"' if "," in h else h for h in header)


def test_lineage_names_the_submissions_in_force_with_their_checksums(inst, con):
    share = figures.proportionate_share(con, Scope.state(), Filters(fiscal_year=2026))
    lea = share.filter(pl.col("required_611") > 0)["lea_id"][0]
    rows = lineage.lineage(con, "proportionate_share", lea, "2026")
    assert {"allocations", "ppps_count", "placements"} <= set(rows["collection"])
    with open_registry(inst) as reg:
        subs = {s.submission_id: s for s in reg.submissions()}
    for r in rows.iter_rows(named=True):
        s = subs[r["submission_id"]]
        assert (r["sha256"], r["status"]) == (s.sha256, "accepted")
    roster = rows.filter(pl.col("collection") == "placements")
    public = share.filter(pl.col("lea_id") == lea)["public_count_3_21"][0]
    assert roster["rows_used"][0] >= public  # every counted student is a row of that roster
    ood = lineage.lineage(con, "out_of_district", lea, YEAR)
    students = figures.out_of_district(con, Scope.state(), Filters(lea_id=lea, school_year=YEAR))
    placements = ood.filter(pl.col("collection") == "placements")
    assert placements["rows_used"].sum() == students["students"][0]
