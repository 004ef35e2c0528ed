"""Suppression against a reader who knows more than the sums (issue 25, failure 4): counts are
whole, never negative, and a hidden figure is at least 1 (a table lists a row only where its
count is not zero). sped/privacy/suppression.py `protect` checks its outcome with the linear
program of sped/privacy/bounds.py and hides more until nothing is pinned; here an independent
integer program (scipy's milp, exact least and greatest value of every hidden figure) attacks
the outcome, on the issue's case and on the pattern the state-scale demo showed."""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from sped.privacy.bounds import STATE, pinned
from sped.privacy.suppression import Line, Protection, protect

MIN = 10


def grid_equations(
    units: list, figures: list, lines: list[Line], state: object
) -> tuple[list[tuple], np.ndarray]:
    """Every (owner, figure) of the units and the state (`state`), and the matrix A of the
    grid's equations A x = 0 over them: each owner's lines, and the units adding up to the
    state, figure by figure."""
    owners = [*units, state]
    names = [(o, k) for o in owners for k in figures]
    index = {n: i for i, n in enumerate(names)}
    rows = []
    for o in owners:
        for ln in lines:
            row = np.zeros(len(names))
            row[index[(o, ln.total)]] = 1
            for k in ln.parts:
                row[index[(o, k)]] -= 1
            rows.append(row)
    for k in figures:
        row = np.zeros(len(names))
        for u in units:
            row[index[(u, k)]] = 1
        row[index[(state, k)]] = -1
        rows.append(row)
    return names, np.array(rows)


def integer_ranges(values: dict, lines: list[Line], result) -> dict[tuple, tuple[int, int]]:
    """(unit, figure) -> (least, greatest) whole value of every hidden unit figure, given every
    shown figure, every line in each unit and in the state, the units adding up to the state,
    and each hidden figure at least 1 (greatest capped at 1000: "many")."""
    units = sorted(values)
    figures = sorted(
        {k for v in values.values() for k in v} | {k for ln in lines for k in (ln.total, *ln.parts)}
    )
    truth = {(u, k): values[u].get(k, 0) for u in units for k in figures}
    for k in figures:
        truth[("STATE", k)] = sum(values[u].get(k, 0) for u in units)
    hidden = {(u, k) for u in units for k in result.hidden[u]}
    hidden |= {("STATE", k) for k in result.state_hidden}
    names, a = grid_equations(units, figures, lines, "STATE")
    index = {n: i for i, n in enumerate(names)}
    low = np.array([1.0 if n in hidden else truth[n] for n in names])
    high = np.array([1000.0 if n in hidden else truth[n] for n in names])
    out = {}
    for n in sorted(h for h in hidden if h[0] != "STATE"):
        ends = []
        for sign in (1, -1):
            c = np.zeros(len(names))
            c[index[n]] = sign
            res = milp(
                c,
                constraints=LinearConstraint(a, 0, 0),
                bounds=Bounds(low, high),
                integrality=np.ones(len(names)),
            )
            assert res.status == 0
            ends.append(round(sign * res.fun))
        out[n] = (ends[0], ends[1])
    return out


def the_issues_case() -> tuple[dict, list[Line]]:
    """Eight LEAs; two each have one student aged 6-21 in a correctional facility, no other
    LEA has one: the state's CF total is 2, over exactly two hidden LEA figures."""
    values = {}
    for i in range(8):
        rc80, rc79, cf = 30 + 3 * i, 12 + i, 1 if i < 2 else 0
        values[f"lea{i}"] = {"G": rc80 + rc79 + cf, "RC80": rc80, "RC79": rc79, "CF": cf}
    return values, [Line("G", ("RC80", "RC79", "CF"))]


def test_the_issues_case_pins_no_hidden_figure():
    values, lines = the_issues_case()
    result = protect(values, lines, MIN)
    ranges = integer_ranges(values, lines, result)
    assert ("lea0", "CF") in ranges and ("lea1", "CF") in ranges
    assert all(low < high for low, high in ranges.values()), ranges
    assert pinned(values, lines, result.hidden, result.state_hidden) == set()


def rf_ones_under_a_shown_state_total() -> tuple[dict, list[Line]]:
    """Five LEAs, one line (an age group and its environments). Every figure the linear attack
    needs is hidden, and the linear check of rule 2 passes, but the state's RF total stays
    shown: with every hidden figure at least 1, LEAs u1's and u4's RF (one child each) are
    worked back exactly by the integer program (found by a random search against the
    suppression as it was before rule 4)."""
    rows = {
        "u0": (19, 0, 0, 24, 0),
        "u1": (47, 3, 25, 1, 0),
        "u2": (56, 0, 1, 0, 17),
        "u3": (33, 0, 0, 2, 0),
        "u4": (55, 3, 2, 1, 14),
    }
    values = {
        u: {"G": sum(r), **dict(zip(("A", "B", "H", "RF", "SS"), r, strict=True))}
        for u, r in rows.items()
    }
    return values, [Line("G", ("A", "B", "H", "RF", "SS"))]


def test_ones_the_integer_program_pinned_are_not_pinned():
    values, lines = rf_ones_under_a_shown_state_total()
    result = protect(values, lines, MIN)
    ranges = integer_ranges(values, lines, result)
    assert {("u1", "RF"), ("u4", "RF")} <= ranges.keys()
    assert all(low < high for low, high in ranges.values()), ranges
    assert pinned(values, lines, result.hidden, result.state_hidden) == set()


def test_pinned_finds_what_the_integer_program_pins():
    """The linear check names exactly the figures the integer program pins, on the issue's case
    suppressed as before rule 3's last clause (both LEAs' CF hidden with a complement, the
    state's totals shown): CF is 1 in both, and each complement is its line less CF."""
    values, lines = the_issues_case()

    hidden = {u: ({"CF": "", "RC79": ""} if i < 2 else {}) for i, u in enumerate(sorted(values))}
    outcome = Protection(hidden, set(), [])
    ranges = integer_ranges(values, lines, outcome)
    known = {n for n, (low, high) in ranges.items() if low == high}
    assert known == {(u, k) for u in ("lea0", "lea1") for k in ("CF", "RC79")}
    assert pinned(values, lines, hidden, set()) == known
    assert STATE not in {u for u, _ in known}
