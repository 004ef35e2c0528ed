"""The shared SPP/APR table (what the public LEA reports show) hides every small cell and lets
no hidden figure be worked back: an attacker written from the table's meaning (each
population's denominator is its three numerators plus a rest of children in no numerator, the
LEAs add up to the STATE rows, a percent is numerator / denominator) solves everything shown
exactly (tests/differencing.py) and must not pin down any small or hidden count."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sped.privacy.spp_tables import shared_rows
from tests.differencing import Equations

POP = {"5": ("5A", "5B", "5C"), "6": ("6A", "6B", "6C")}
MIN_CELL = 10


def fct_rows(leas: dict[str, dict[str, list[int]]], year: str = "2025-26") -> list[dict]:
    """fct_spp_indicators rows from lea -> population -> [n_A, n_B, n_C, rest]."""
    out = []
    state = {i: [0, 0] for p in POP for i in POP[p]}
    for lea, pops in leas.items():
        for p, counts in pops.items():
            d = sum(counts)
            for i, n in zip(POP[p], counts[:3], strict=True):
                state[i][0] += n
                state[i][1] += d
                out.append(_row(lea, year, i, n, d))
    out += [_row("STATE", year, i, n, d) for i, (n, d) in state.items()]
    return out


def _row(lea, year, i, n, d):
    percent = n * 100 / d if d else None
    return {
        "lea_id": lea,
        "school_year": year,
        "indicator": i,
        "numerator": n,
        "denominator": d,
        "percent": percent,
        "target": 50.0,
        "target_direction": "at_least",
        "meets_target": None if percent is None else percent >= 50.0,
    }


def attack(shared: list[dict]) -> dict[tuple, Fraction]:
    """Every figure (lea, kind, population or indicator) a reader can compute exactly."""
    eq = Equations()
    leas = sorted({r["lea_id"] for r in shared})
    for lea in leas:
        for p, inds in POP.items():
            eq.add({(lea, "d", p): 1, **{(lea, "n", i): -1 for i in inds}, (lea, "rest", p): -1})
    for kind, key in (
        [("d", p) for p in POP]
        + [("rest", p) for p in POP]
        + [("n", i) for p in POP for i in POP[p]]
    ):
        eq.add(
            {**{(lea, kind, key): 1 for lea in leas if lea != "STATE"}, ("STATE", kind, key): -1}
        )
    for r in shared:
        lea, i = r["lea_id"], r["indicator"]
        p = i[0]
        if r["numerator"] is not None:
            eq.add({(lea, "n", i): 1}, r["numerator"])
        if r["denominator"] is not None:
            eq.add({(lea, "d", p): 1}, r["denominator"])
        if r["percent"] is not None:
            ratio = Fraction(r["percent"]).limit_denominator(10**7) / 100
            eq.add({(lea, "n", i): 1, (lea, "d", p): -ratio})
    return eq.determined()


def truth_of(fct: list[dict]) -> dict[tuple, int]:
    """The same figures from fct_spp_indicators rows (the state team's table)."""
    out: dict[tuple, int] = {}
    for r in fct:
        lea, i, p = r["lea_id"], r["indicator"], r["indicator"][0]
        out[(lea, "n", i)] = r["numerator"]
        out[(lea, "d", p)] = r["denominator"]
        out[(lea, "rest", p)] = out.get((lea, "rest", p), r["denominator"]) - r["numerator"]
    return out


def leaks(leas: dict[str, dict[str, list[int]]]) -> list[tuple]:
    fct = fct_rows(leas)
    return published_leaks(shared_rows(fct, MIN_CELL), fct, MIN_CELL)


def published_leaks(shared: list[dict], fct: list[dict], min_cell: int) -> list[tuple]:
    """(figure, true value) for every small or hidden count of one school year's published
    rows that a reader can compute exactly."""
    hidden_keys = set()
    for r in shared:
        if r["numerator"] is None:
            hidden_keys.add((r["lea_id"], "n", r["indicator"]))
        if r["denominator"] is None:
            hidden_keys.add((r["lea_id"], "d", r["indicator"][0]))
    real = truth_of(fct)
    out = []
    for v, value in attack(shared).items():
        if v[0] == "STATE":
            continue
        assert value == real[v], (v, value, real[v])  # the attacker is never wrong
        small = 0 < real[v] < min_cell
        if real[v] > 0 and (small or v in hidden_keys):
            out.append((v, real[v]))
    return out


def test_small_cells_hidden_with_their_complements():
    leas = {
        "A": {"5": [40, 3, 20, 30], "6": [10, 10, 0, 12]},
        "B": {"5": [50, 12, 15, 25], "6": [11, 4, 0, 14]},
        "C": {"5": [60, 20, 11, 40], "6": [15, 12, 2, 20]},
    }
    shared = {(r["lea_id"], r["indicator"]): r for r in shared_rows(fct_rows(leas), MIN_CELL)}
    assert shared[("A", "5B")]["numerator"] is None
    assert shared[("A", "5B")]["suppressed"] == "SMALL_CELL"
    assert shared[("A", "5B")]["percent"] is None and shared[("A", "5B")]["meets_target"] is None
    assert shared[("B", "6B")]["numerator"] is None
    assert shared[("C", "6C")]["numerator"] is None
    assert shared[("A", "6C")]["numerator"] == 0  # a zero is no secret
    # the state figure stays shown, and nothing hidden can be worked back
    assert shared[("STATE", "5A")]["percent"] == pytest.approx(150 * 100 / 326)
    assert leaks(leas) == []


def test_without_suppression_the_attacker_finds_the_small_cell():
    """The attacker is not blind: the same table shown whole gives the small cells away."""
    leas = {
        "A": {"5": [40, 3, 20, 30], "6": [10, 10, 0, 12]},
        "B": {"5": [50, 12, 15, 25], "6": [11, 14, 0, 14]},
    }
    known = attack(fct_rows(leas))
    assert known[("A", "n", "5B")] == 3


def test_one_lea_year_hides_the_state_figures_over_its_small_cells():
    leas = {"A": {"5": [40, 3, 20, 30], "6": [10, 10, 0, 12]}}
    shared = {(r["lea_id"], r["indicator"]): r for r in shared_rows(fct_rows(leas), MIN_CELL)}
    assert shared[("STATE", "5B")]["numerator"] is None
    assert leaks(leas) == []


counts = st.lists(st.integers(0, 40), min_size=4, max_size=4)
state = st.dictionaries(
    st.sampled_from([f"L{i}" for i in range(8)]),
    st.fixed_dictionaries({"5": counts, "6": counts}),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(state)
def test_no_hidden_or_small_figure_can_be_worked_back(leas):
    assert leaks(leas) == []


def test_seeded_figures_are_hidden_and_avoided_ones_are_not_complements():
    from sped.privacy.suppression import COMPLEMENTARY, Line, protect

    lines = [Line("t", ("a", "b", "c"))]
    values = {"u": {"t": 60, "a": 20, "b": 15, "c": 25}, "v": {"t": 60, "a": 20, "b": 15, "c": 25}}
    plain = protect(values, lines, MIN_CELL)
    assert plain.hidden == {"u": {}, "v": {}}
    seeded = protect(values, lines, MIN_CELL, seed={"u": {"a"}})
    assert seeded.hidden["u"] == {"a": COMPLEMENTARY, "b": COMPLEMENTARY}  # b: the smallest
    avoided = protect(values, lines, MIN_CELL, seed={"u": {"a"}}, avoid=frozenset({"b"}))
    assert avoided.hidden["u"] == {"a": COMPLEMENTARY, "c": COMPLEMENTARY}
    assert avoided.hidden["v"] == avoided.hidden["u"]  # paired with the other unit
