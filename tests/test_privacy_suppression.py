"""Small-cell and complementary suppression (sped/privacy/suppression.py): within a unit's
lines, across the units of a year, and - the property - no hidden figure of the shared
placement grid can be worked back by exact linear algebra (tests/differencing.py)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sped.privacy.placement_tables import grid, hidden_figures, year_lines
from sped.privacy.suppression import Line, _fixed_coordinates, close_lines, protect
from tests.differencing import attack, true_figures

MIN = 10


def closed(values: dict, *line_parts: tuple) -> dict:
    """close_lines on one unit whose lines are ('T', parts...) tuples."""
    line_list = [Line(total, tuple(parts)) for total, *parts in line_parts]
    small = {k: "SMALL_CELL" for k, v in values.items() if 0 < v < MIN}
    return close_lines(values, line_list, MIN, small)


def test_one_small_cell_hides_the_next_smallest_in_its_line():
    values = {"T": 65, "RC80": 50, "RC39": 12, "SS": 3}
    assert closed(values, ("T", "RC80", "RC39", "SS")) == {
        "SS": "SMALL_CELL",
        "RC39": "COMPLEMENTARY",
    }


def test_two_cells_of_one_are_not_enough():
    """Hiding two 1s would show their sum, 2, and so both: hiding goes on to 10 students."""
    values = {"T": 42, "HH": 1, "RF": 1, "RC80": 40}
    assert closed(values, ("T", "HH", "RF", "RC80")) == {
        "HH": "SMALL_CELL",
        "RF": "SMALL_CELL",
        "RC80": "COMPLEMENTARY",
    }


def test_zeros_are_shown_and_never_hidden_as_complements():
    values = {"T": 45, "a": 0, "b": 5, "c": 40}
    assert closed(values, ("T", "a", "b", "c")) == {"b": "SMALL_CELL", "c": "COMPLEMENTARY"}


def test_a_hidden_total_needs_one_more_hidden_member_and_no_mass():
    """students 60 = 3-5 (3) + 6-21 (57): the 3 is hidden, so 60 - 57 must not be possible;
    the next smallest member, 57, goes (and then its own line needs a second hidden figure)."""
    values = {"T": 60, "G35": 3, "G621": 57, "a": 50, "b": 7}
    why = closed(values, ("T", "G35", "G621"), ("G621", "a", "b"))
    assert why == {"G35": "SMALL_CELL", "b": "SMALL_CELL", "G621": "COMPLEMENTARY"}


def test_a_unit_with_hidden_figures_is_paired_and_both_hide_the_same():
    """Across units every figure adds up to a shown state total: LEA 1's hidden SS and RC39
    are hidden in a partner too, the cheapest one (LEA 2, not the large LEA 3)."""
    line = [Line("T", ("RC80", "RC39", "SS"))]
    values = {
        "lea1": {"T": 65, "RC80": 50, "RC39": 12, "SS": 3},
        "lea2": {"T": 90, "RC80": 60, "RC39": 15, "SS": 15},
        "lea3": {"T": 900, "RC80": 600, "RC39": 150, "SS": 150},
    }
    result = protect(values, line, MIN)
    assert result.hidden["lea1"] == {"SS": "SMALL_CELL", "RC39": "COMPLEMENTARY"}
    assert result.hidden["lea2"] == {"SS": "COMPLEMENTARY", "RC39": "COMPLEMENTARY"}
    assert result.hidden["lea3"] == {}
    assert result.groups == [{"lea1", "lea2"}] and not result.state_hidden


def test_a_state_total_over_too_few_hidden_students_takes_another_unit():
    """Two LEAs of 1 in SS: hidden in both, the state total would give 1 + 1 = 2, so both; a
    third LEA joins their group until the hidden SS hold 10 students."""
    line = [Line("T", ("RC80", "SS"))]
    values = {
        "a": {"T": 41, "RC80": 40, "SS": 1},
        "b": {"T": 31, "RC80": 30, "SS": 1},
        "c": {"T": 70, "RC80": 50, "SS": 20},
    }
    result = protect(values, line, MIN)
    assert all("SS" in result.hidden[u] for u in "abc")
    assert result.groups == [{"a", "b", "c"}]


def test_a_year_with_a_single_unit_hides_the_state_figures():
    result = protect({"only": {"T": 20, "RC80": 17, "SS": 3}}, [Line("T", ("RC80", "SS"))], MIN)
    assert result.state_hidden == {"RC80", "SS"}


ENVIRONMENTS = {
    "3-5": ["REC10YSVCS", "SC", "HOME"],
    "6-21": ["RC80", "RC79TO40", "RC39", "SS", "RF", "HH"],
}


def _tables(leas):
    """fct_out_of_district and fct_lre_environments rows (LEA rows) from cell counts."""
    ood, lre = [], []
    for i, (cells, out_of_district) in enumerate(leas):
        lea = f"25{i:05d}"
        by_age = defaultdict(int)
        for (a, _), n in cells.items():
            by_age[a] += n
        students = sum(cells.values())
        if not students:
            continue  # an LEA-year exists only with students on its roster
        school_age = by_age["6-21"]
        five_c = sum(n for (a, e), n in cells.items() if a == "6-21" and e in {"SS", "RF", "HH"})
        ood.append(
            {
                "lea_id": lea,
                "school_year": "2025-26",
                "students": students,
                "ood_students": min(out_of_district, students),
                "school_age_students": school_age,
                "indicator_5c_students": five_c,
            }
        )
        for (a, e), n in cells.items():
            if n:
                lre.append(
                    {
                        "lea_id": lea,
                        "school_year": "2025-26",
                        "age_group": a,
                        "educational_environment": e,
                        "students": n,
                        "age_group_students": by_age[a],
                    }
                )
    return ood, lre


def _published(ood, lre, hidden):
    """The two shared tables as a reader sees them, from the hidden figures."""
    h = {(r["lea_id"], r["figure"], r["age_group"], r["educational_environment"]) for r in hidden}
    pood, plre = [], []
    for r in ood:
        lea = r["lea_id"]
        t, o = (lea, "students", None, None) in h, (lea, "ood_students", None, None) in h
        f = (lea, "indicator_5c_students", None, None) in h or (
            lea,
            "age_group_students",
            "6-21",
            None,
        ) in h
        s = r["school_age_students"]
        pood.append(
            {
                "lea_id": lea,
                "school_year": r["school_year"],
                "students": None if t else r["students"],
                "ood_students": None if o else r["ood_students"],
                "ood_rate": None if t or o else r["ood_students"] / r["students"],
                "indicator_5c_rate": None if f or not s else r["indicator_5c_students"] / s,
                "state_ood_rate": None
                if {("STATE", "students", None, None), ("STATE", "ood_students", None, None)} & h
                else sum(x["ood_students"] for x in ood) / sum(x["students"] for x in ood),
                "state_indicator_5c_rate": None,
            }
        )
    state = defaultdict(int)
    for r in lre:
        a, e = r["age_group"], r["educational_environment"]
        state[a, e] += r["students"]
        c = (r["lea_id"], "environment_students", a, e) in h
        g = (r["lea_id"], "age_group_students", a, None) in h
        plre.append(
            {
                **r,
                "students": None if c else r["students"],
                "age_group_students": None if g else r["age_group_students"],
                "share": None if c or g else r["students"] / r["age_group_students"],
            }
        )
    for (a, e), n in state.items():
        c = ("STATE", "environment_students", a, e) in h
        g = ("STATE", "age_group_students", a, None) in h
        plre.append(
            {
                "lea_id": "STATE",
                "school_year": "2025-26",
                "age_group": a,
                "educational_environment": e,
                "students": None if c else n,
                "age_group_students": None
                if g
                else sum(v for (b, _), v in state.items() if b == a),
                "share": None,
            }
        )
    return pood, plre


cell_counts = st.dictionaries(
    st.sampled_from([(a, e) for a, es in ENVIRONMENTS.items() for e in es]),
    st.one_of(st.integers(0, 12), st.integers(0, 120)),
    min_size=1,
)
state_of_leas = st.lists(st.tuples(cell_counts, st.integers(0, 15)), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state_of_leas)
def test_no_hidden_figure_can_be_worked_back(leas):
    """For random states: every small figure is hidden; every line with a hidden figure hides
    at least two, holding at least MIN while its total is shown, or every non-zero member;
    every state total likewise (unless hidden itself); and an attacker solving every published
    equation exactly finds no small or hidden figure."""
    ood, lre = _tables(leas)
    if not ood or not any(r["students"] for r in ood):
        return
    hidden = hidden_figures(ood, lre, MIN)
    values = grid(ood, lre)["2025-26"]
    why, state_hidden = defaultdict(dict), set()
    for r in hidden:
        if r["lea_id"] == "STATE":
            state_hidden.add((r["figure"], r["age_group"], r["educational_environment"]))
            continue
        why[r["lea_id"]][r["figure"], r["age_group"], r["educational_environment"]] = r[
            "suppressed"
        ]
    for lea, v in values.items():
        assert {k for k, x in v.items() if 0 < x < MIN} <= set(why[lea])
        for line in year_lines(values):
            members = (line.total, *line.parts)
            hid = [k for k in members if k in why[lea]]
            mass = sum(v.get(k, 0) for k in line.parts if k in why[lea])
            everything = all(k in why[lea] for k in members if v.get(k, 0) > 0)
            if hid and not everything:
                assert len(hid) >= 2, (lea, line, hid)
                assert line.total in why[lea] or mass >= MIN, (lea, line, hid)
    if len(values) > 1:
        for k in {k for w in why.values() for k in w} - state_hidden:
            hid = [lea for lea in values if k in why[lea]]
            everything = all(k in why[lea] for lea in values if values[lea].get(k, 0) > 0)
            assert everything or (
                len(hid) >= 2 and sum(values[lea].get(k, 0) for lea in hid) >= MIN
            ), k
    published = _published(ood, lre, hidden)
    known = attack(*published)["2025-26"]
    truth = true_figures(ood, lre)["2025-26"]
    secret = {v for v, x in truth.items() if 0 < x < MIN or (x > 0 and _is_hidden(v, why))}
    worked_back = {v: known[v] for v in secret if v in known}
    assert not worked_back, worked_back


_FIGURE = {
    "students": "students",
    "ood": "ood_students",
    "in_district": "in_district_students",
    "5c": "indicator_5c_students",
    "other_school_age": "other_school_age_students",
    "age_group": "age_group_students",
    "cell": "environment_students",
}


def _is_hidden(v, why) -> bool:
    lea, figure, a, e = v
    return (_FIGURE[figure], a, e) in why.get(lea, {})


@settings(max_examples=60, deadline=None)
@given(
    values=st.dictionaries(
        st.integers(0, 7),
        st.dictionaries(st.sampled_from("TABCD"), st.integers(0, 30), min_size=1),
        min_size=2,
        max_size=8,
    ),
    hidden=st.dictionaries(st.integers(0, 7), st.sets(st.sampled_from("TABCD"))),
    options=st.lists(st.sets(st.integers(0, 7), min_size=1), min_size=1, max_size=6),
)
def test_options_priced_at_once_cost_what_each_costs_alone(values, hidden, options):
    """The array pricing that chooses partners (`_Grouping.costs`) equals the plain definition
    (`_Grouping.cost`: students newly hidden, a zero at _ZERO) for any options."""
    from sped.privacy.suppression import _Grouping

    why = {u: {k: "SMALL_CELL" for k in hidden.get(u, ()) if values[u].get(k)} for u in values}
    grouping = _Grouping(values, [Line("T", ("A", "B", "C", "D"))], MIN, why)
    options = [o & values.keys() for o in options if o & values.keys()]
    if options:
        assert list(grouping.costs(options)) == [grouping.cost(o) for o in options]


def _fixed_by_elimination(a: np.ndarray, eps: float = 1e-9) -> list[int]:
    """The reference for `_fixed_coordinates`: Gauss-Jordan elimination with partial pivoting
    (what the suppression used before); a coordinate is fixed at zero when its unit vector is in
    the row space, i.e. a pivot whose reduced row has no other entry."""
    a = a.astype(float)
    r, pivots = 0, []
    for c in range(a.shape[1]):
        if r == a.shape[0]:
            break
        p = r + int(np.argmax(np.abs(a[r:, c])))
        if abs(a[p, c]) < eps:
            continue
        a[[r, p]] = a[[p, r]]
        a[r] /= a[r, c]
        others = np.abs(a[:, c]) > eps
        others[r] = False
        a[others] -= a[others, c][:, None] * a[r]
        pivots.append(c)
        r += 1
    return [c for i, c in enumerate(pivots) if (np.abs(a[i]) > eps).sum() == 1]


@settings(max_examples=400, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda cols: st.lists(
            st.lists(st.sampled_from([0, 0, 0, 1, -1]), min_size=cols, max_size=cols),
            min_size=1,
            max_size=45,
        )
    )
)
def test_fixed_coordinates_by_singular_values_equal_exact_elimination(rows):
    """The suppression's check of which hidden figures cannot move (`_fixed_coordinates`, one
    SVD) agrees with exact elimination on the 0/+-1 systems it is given, of the sizes the
    statewide tables produce (up to about 30 unknowns)."""
    a = np.array(rows, dtype=float)
    assert _fixed_coordinates(a) == _fixed_by_elimination(a)


def test_fixed_coordinates_of_line_systems():
    """Hand-checked cases: x1 = 0 fixes x1; x1 - x2 = 0 fixes nothing (both may move together);
    x1 + x2 = 0 with x1 - x2 = 0 fixes both; no equation fixes nothing."""
    assert _fixed_coordinates(np.array([[1.0, 0.0]])) == [0]
    assert _fixed_coordinates(np.array([[1.0, -1.0]])) == []
    assert _fixed_coordinates(np.array([[1.0, 1.0], [1.0, -1.0]])) == [0, 1]
    assert _fixed_coordinates(np.zeros((3, 2))) == []
