"""sped/privacy/bounds.py `pinned` names exactly the hidden figures a reader's linear program pins.

`pinned` solves each component's program once per objective from the last basis (HiGHS kept
between objectives), after substitution, splitting into components and rounds that move many
figures at once. Here an independent reference builds the same program whole (every unknown,
no substitution) and solves for each hidden figure's least and greatest value afresh with
scipy's `linprog`; on random grids (several units, a two-level tree of lines, random hidden
sets) both must name the same figures, and some grids must pin something, or the comparison
would prove nothing."""

from __future__ import annotations

import random

import numpy as np
from scipy.optimize import linprog

from sped.privacy.bounds import STATE, pinned
from sped.privacy.suppression import Line
from tests.test_privacy_integer_bounds import grid_equations

LINES = [Line("T", ("A", "B")), Line("A", ("a1", "a2", "a3")), Line("B", ("b1", "b2"))]
FIGURES = ["T", "A", "B", "a1", "a2", "a3", "b1", "b2"]


def random_grid(rng: random.Random) -> tuple[dict, dict, set]:
    """unit -> figure -> value over LINES, unit -> hidden figures, the hidden state figures."""
    values, hidden = {}, {}
    for u in range(rng.randint(2, 6)):
        sizes = [0, 0, 1, 2, 3, 5, 8, 13, 40]
        leaf = {k: rng.choice(sizes) for k in ("a1", "a2", "a3", "b1", "b2")}
        v = {**leaf, "A": leaf["a1"] + leaf["a2"] + leaf["a3"], "B": leaf["b1"] + leaf["b2"]}
        v["T"] = v["A"] + v["B"]
        values[f"u{u}"] = v
        nonzero = [k for k in FIGURES if v[k] > 0]
        hidden[f"u{u}"] = set(rng.sample(nonzero, rng.randint(0, min(4, len(nonzero)))))
    totals = {k: sum(v[k] for v in values.values()) for k in FIGURES}
    state = set(rng.sample([k for k in FIGURES if totals[k] > 0], rng.randint(0, 2)))
    return values, hidden, state


def reference(values: dict, hidden: dict, state: set) -> set:
    """The hidden figures (of the units and the state) whose least and greatest value (linear
    program, each hidden figure at least 1 and at most 3x + 20, everything else as shown) are
    under one apart."""
    owners = {**values, STATE: {k: sum(v[k] for v in values.values()) for k in FIGURES}}
    hides = {**hidden, STATE: state}
    names, a = grid_equations(list(values), FIGURES, LINES, STATE)
    index = {n: i for i, n in enumerate(names)}
    truth = np.array([float(owners[o][k]) for o, k in names])
    is_hidden = np.array([k in hides[o] for o, k in names])
    bounds = [(1.0, 3 * t + 20) if h else (t, t) for t, h in zip(truth, is_hidden, strict=True)]
    out = set()
    for n in names:
        if not is_hidden[index[n]]:
            continue
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(names))
            c[index[n]] = sign
            res = linprog(c, A_eq=a, b_eq=np.zeros(len(a)), bounds=bounds)
            assert res.status == 0
            ends.append(res.x[index[n]])
        if ends[1] - ends[0] < 1 - 1e-6:
            out.add(n)
    return out


def test_pinned_names_what_fresh_solves_of_the_whole_program_name():
    rng = random.Random(25)
    some_pinned = 0
    for _ in range(120):
        values, hidden, state = random_grid(rng)
        expected = reference(values, hidden, state)
        assert pinned(values, LINES, hidden, state) == expected, (values, hidden, state)
        some_pinned += bool(expected)
    assert some_pinned >= 20  # the grids exercise both outcomes
