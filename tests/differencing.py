"""An attacker on the shared placement tables: every published number as a linear equation,
with the arithmetic anyone knows (students = out-of-district + in-district = 3-5 + 6-21, an age
group is the sum of its environments, 5C is SS + RF + HH of the school-age group, the LEAs add
up to the STATE rows and the state rates), solved exactly over the rationals. A hidden figure
is worked back when its value follows from any linear combination of those equations.

Written from the tables' meaning, not from sped/privacy: it reads what a reader of the shared
tables sees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

FIVE_C = {"SS", "RF", "HH"}
Var = tuple  # (lea_id, figure, age_group, environment)


def _ratio(x: float) -> Fraction:
    """A published rate back as the exact fraction of two counts (each below 10 million)."""
    return Fraction(x).limit_denominator(10**7)


class Equations:
    """Linear equations sum(coef * var) = constant, solved exactly."""

    def __init__(self) -> None:
        self.rows: list[tuple[dict[Var, Fraction], Fraction]] = []

    def add(self, terms: Mapping[Var, Fraction | int], constant: Fraction | int = 0) -> None:
        row = {v: Fraction(c) for v, c in terms.items() if c}
        self.rows.append((row, Fraction(constant)))

    def determined(self) -> dict[Var, Fraction]:
        """Every variable whose value the equations fix, with that value (Gauss-Jordan on
        sparse rows; a variable is fixed when its pivot row has no free variable left)."""
        pivots: dict[Var, tuple[dict[Var, Fraction], Fraction]] = {}
        for terms, const in sorted(self.rows, key=lambda r: len(r[0])):
            row, c = dict(terms), const
            # pivot rows hold no other pivot variable, so one pass reduces the row fully
            for v in [v for v in row if v in pivots]:
                f = row.pop(v)
                prow, pc = pivots[v]
                for w, a in prow.items():
                    if w != v:
                        row[w] = row.get(w, Fraction(0)) - f * a
                        if not row[w]:
                            del row[w]
                c -= f * pc
            if not row:
                continue
            p = min(row, key=repr)
            f = row[p]
            row = {w: a / f for w, a in row.items()}
            c /= f
            for v, (prow, pc) in list(pivots.items()):
                g = prow.get(p)
                if g:
                    new = dict(prow)
                    for w, a in row.items():
                        new[w] = new.get(w, Fraction(0)) - g * a
                        if not new[w]:
                            del new[w]
                    pivots[v] = (new, pc - g * c)
            pivots[p] = (row, c)
        return {v: c for v, (row, c) in pivots.items() if len(row) == 1}


def attack(
    ood: Iterable[Mapping[str, Any]],
    lre: Iterable[Mapping[str, Any]],
) -> dict[str, dict[Var, Fraction]]:
    """school_year -> every figure a reader can compute exactly, from the rows of
    shr_out_of_district and shr_lre_environments as published."""
    ood_by_year, lre_by_year = defaultdict(list), defaultdict(list)
    for r in ood:
        ood_by_year[r["school_year"]].append(r)
    for r in lre:
        lre_by_year[r["school_year"]].append(r)
    return {
        year: _attack_year(ood_by_year[year], lre_by_year[year])
        for year in sorted(set(ood_by_year) | set(lre_by_year))
    }


def _attack_year(ood: list[Mapping[str, Any]], lre: list[Mapping[str, Any]]) -> dict:
    return equations(ood, lre).determined()


def equations(ood: list[Mapping[str, Any]], lre: list[Mapping[str, Any]]) -> Equations:
    """One school year's published placement rows as equations (vars as `attack` names them),
    for an attacker that adds other tables' equations."""
    eq = Equations()
    leas = sorted({r["lea_id"] for r in ood})
    cells = sorted({(r["age_group"], r["educational_environment"]) for r in lre}, key=repr)
    shown = {(r["lea_id"], r["age_group"], r["educational_environment"]): r for r in lre}

    def var(lea, figure, a=None, e=None) -> Var:
        return (lea, figure, a, e)

    for lea in [*leas, "STATE"]:
        t, o, i = var(lea, "students"), var(lea, "ood"), var(lea, "in_district")
        f, rest = var(lea, "5c"), var(lea, "other_school_age")
        g = {a: var(lea, "age_group", a) for a in ("3-5", "6-21")}
        eq.add({t: 1, o: -1, i: -1})
        eq.add({t: 1, g["3-5"]: -1, g["6-21"]: -1})
        eq.add({g["6-21"]: 1, f: -1, rest: -1})
        for a in g:
            eq.add({g[a]: 1, **{var(lea, "cell", a, e): -1 for b, e in cells if b == a}})
        eq.add(
            {
                f: 1,
                **{
                    var(lea, "cell", "6-21", e): -1 for b, e in cells if b == "6-21" and e in FIVE_C
                },
            }
        )
        eq.add(
            {
                rest: 1,
                **{
                    var(lea, "cell", "6-21", e): -1
                    for b, e in cells
                    if b == "6-21" and e not in FIVE_C
                },
            }
        )
        for a, e in cells:
            r = shown.get((lea, a, e))
            c = var(lea, "cell", a, e)
            if r is None:
                eq.add({c: 1}, 0)  # no row: nobody in that environment
                continue
            if r["students"] is not None:
                eq.add({c: 1}, int(r["students"]))
            if r["age_group_students"] is not None:
                eq.add({g[a]: 1}, int(r["age_group_students"]))
            if r["share"] is not None:
                eq.add({c: 1, g[a]: -_ratio(r["share"])})
    # the LEAs add up to the state
    for figure, a, e in {(v[1], v[2], v[3]) for row, _ in eq.rows for v in row if v[0] == "STATE"}:
        eq.add({**{var(lea, figure, a, e): 1 for lea in leas}, var("STATE", figure, a, e): -1})
    for r in ood:
        lea = r["lea_id"]
        t, o = var(lea, "students"), var(lea, "ood")
        if r["students"] is not None:
            eq.add({t: 1}, int(r["students"]))
        if r["ood_students"] is not None:
            eq.add({o: 1}, int(r["ood_students"]))
        if r["ood_rate"] is not None:
            eq.add({o: 1, t: -_ratio(r["ood_rate"])})
        if r["indicator_5c_rate"] is not None:
            eq.add(
                {var(lea, "5c"): 1, var(lea, "age_group", "6-21"): -_ratio(r["indicator_5c_rate"])}
            )
    state = ood[0] if ood else None
    if state is not None:
        if state["state_ood_rate"] is not None:
            eq.add(
                {var("STATE", "ood"): 1, var("STATE", "students"): -_ratio(state["state_ood_rate"])}
            )
        if state["state_indicator_5c_rate"] is not None:
            eq.add(
                {
                    var("STATE", "5c"): 1,
                    var("STATE", "age_group", "6-21"): -_ratio(state["state_indicator_5c_rate"]),
                }
            )
    return eq


def true_figures(
    ood: Iterable[Mapping[str, Any]], lre: Iterable[Mapping[str, Any]]
) -> dict[str, dict[Var, int]]:
    """school_year -> every figure's true value, from fct_out_of_district and
    fct_lre_environments (the state team's tables), named as `attack` names them."""
    out: dict[str, dict[Var, int]] = defaultdict(dict)
    for r in ood:
        v, lea = out[r["school_year"]], r["lea_id"]
        v[(lea, "students", None, None)] = r["students"]
        v[(lea, "ood", None, None)] = r["ood_students"]
        v[(lea, "in_district", None, None)] = r["students"] - r["ood_students"]
        v[(lea, "5c", None, None)] = r["indicator_5c_students"]
        v[(lea, "other_school_age", None, None)] = (
            r["school_age_students"] - r["indicator_5c_students"]
        )
    for r in lre:
        v, lea = out[r["school_year"]], r["lea_id"]
        v[(lea, "cell", r["age_group"], r["educational_environment"])] = r["students"]
        v[(lea, "age_group", r["age_group"], None)] = r["age_group_students"]
    return out


def leaks(
    published_ood, published_lre, true_ood, true_lre, min_cell_size: int, hidden: set
) -> list[tuple]:
    """(year, figure, true value, worked-back value) for every figure a reader can compute
    exactly although it is small (1 to min_cell_size - 1) or hidden (`hidden`: the
    (year, var) pairs the tables show as NULL). A zero worked back is no secret: the tables
    list no row for an environment nobody is in."""
    truth = true_figures(true_ood, true_lre)
    out = []
    for year, known in attack(published_ood, published_lre).items():
        for v, value in known.items():
            if v[0] == "STATE":
                continue
            real = truth[year].get(v, 0)
            assert value == real, (year, v, value, real)  # the attacker is never wrong
            if real > 0 and (real < min_cell_size or (year, v) in hidden):
                out.append((year, v, real, value))
    return out


def _by_year(rows: Iterable[Mapping[str, Any]]) -> dict[str, list]:
    out = defaultdict(list)
    for r in rows:
        out[r["school_year"]].append(r)
    return out


def hidden_in(ood: Iterable[Mapping[str, Any]], lre: Iterable[Mapping[str, Any]]) -> set:
    """(year, var) of every count the shared tables show as NULL, and of the count a rate
    hidden with them is over, as `attack` names them."""
    out = set()
    for r in ood:
        y, lea = r["school_year"], r["lea_id"]
        if r["students"] is None:
            out.add((y, (lea, "students", None, None)))
        if r["ood_students"] is None:
            out.add((y, (lea, "ood", None, None)))
    for r in lre:
        y, lea, a = r["school_year"], r["lea_id"], r["age_group"]
        if r["students"] is None:
            out.add((y, (lea, "cell", a, r["educational_environment"])))
        if r["age_group_students"] is None:
            out.add((y, (lea, "age_group", a, None)))
    return out


def _program(eq: Equations, year: str, hidden: set):
    """The year's equations as arrays for scipy's milp: (names, constraint, bounds, the hidden
    figures). Bounds: not negative, and at least 1 for a hidden figure."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint

    names = sorted({v for row, _ in eq.rows for v in row}, key=repr)
    index = {v: i for i, v in enumerate(names)}
    a = np.zeros((len(eq.rows), len(names)))
    b = np.zeros(len(eq.rows))
    for r, (row, const) in enumerate(eq.rows):
        for v, coef in row.items():
            a[r, index[v]] = float(coef)
        b[r] = float(const)
    low = np.zeros(len(names))
    targets = [v for v in names if (year, v) in hidden]
    for v in targets:
        low[index[v]] = 1
    constraint = LinearConstraint(a, b - 1e-7, b + 1e-7)
    return names, constraint, Bounds(low, np.full(len(names), np.inf)), targets


def integer_attack(
    ood: Iterable[Mapping[str, Any]], lre: Iterable[Mapping[str, Any]]
) -> dict[str, dict[Var, tuple[int, int | None]]]:
    """school_year -> (least, greatest) value of every hidden figure, by integer programming
    over what a reader knows besides the equations: counts are whole and not negative, and a
    row (or a hidden figure: zeros are never hidden, docs/rules) stands for at least one
    student. Each bound is exact (scipy's HiGHS branch and bound, one solve each; None: no
    greatest value)."""
    import numpy as np
    from scipy.optimize import milp

    ood, lre = list(ood), list(lre)
    hidden = hidden_in(ood, lre)
    ood_by, lre_by = _by_year(ood), _by_year(lre)
    out: dict[str, dict[Var, tuple[int, int | None]]] = {}
    for year in sorted(set(ood_by) | set(lre_by)):
        names, constraint, bounds, targets = _program(
            equations(ood_by[year], lre_by[year]), year, hidden
        )
        ranges = {}
        for v in targets:
            found = []
            for sign in (1, -1):
                c = np.zeros(len(names))
                c[names.index(v)] = sign
                res = milp(c, constraints=constraint, bounds=bounds,
                           integrality=np.ones(len(names)))  # fmt: skip
                found.append(None if res.status != 0 else round(sign * res.fun))
            ranges[v] = (found[0], found[1])
        out[year] = ranges
    return out


def _moved(program, real, where: dict, c, lb=None, ub=None, cap=False) -> set | None:
    """The hidden figures a whole, non-negative solution of `program` (with x[i] >= lb or
    <= ub for lb, ub = (i, value); `cap`: hidden figures at most 20 above the truth, so "as
    high as can be" is bounded) holds off their true values `real`; None: no solution."""
    import numpy as np
    from scipy.optimize import Bounds, milp

    names, constraint, bounds, _ = program
    b = Bounds(bounds.lb.copy(), bounds.ub.copy())
    if lb is not None:
        b.lb[lb[0]] = lb[1]
    if ub is not None:
        b.ub[ub[0]] = ub[1]
    if cap:
        for i in where.values():
            b.ub[i] = min(b.ub[i], real[i] + 20)
    res = milp(c, constraints=constraint, bounds=b, integrality=np.ones(len(names)))
    if res.status != 0:
        return None
    return {v for v, i in where.items() if abs(res.x[i] - real[i]) > 0.5}


def integer_leaks(published_ood, published_lre, true_ood, true_lre) -> list[tuple]:
    """(year, figure, true value) of every hidden LEA figure the integer attack of
    `integer_attack` pins to one value. The same set, found faster: a figure is not pinned
    when some whole, non-negative solution of everything published differs from the truth
    there, so a few solutions far from the truth clear most figures at once, and each figure
    left is tried below and above its true value (two feasibility problems)."""

    truth = true_figures(true_ood, true_lre)
    published_ood, published_lre = list(published_ood), list(published_lre)
    hidden = hidden_in(published_ood, published_lre)
    ood_by, lre_by = _by_year(published_ood), _by_year(published_lre)
    out = []
    for year in sorted(set(ood_by) | set(lre_by)):
        eq = equations(ood_by[year], lre_by[year])
        out += [(year, v, n) for v, n in pinned_figures(eq, year, hidden, truth[year])]
    return out


def pinned_figures(eq: Equations, year: str, hidden: set, real: Mapping) -> list[tuple]:
    """(figure, true value) of every hidden LEA figure of `year` (`hidden`: (year, var) pairs)
    that the whole, non-negative solutions of `eq` (hidden figures at least 1) hold at one
    value; `real` is var -> true value. How: see `integer_leaks`."""
    import numpy as np

    program = _program(eq, year, hidden)
    names = program[0]
    where = {v: names.index(v) for v in program[3] if v[0] != "STATE"}
    if not where:
        return []
    real = np.array([float(real.get(v, 0) or 0) for v in names])
    moved: set[Var] = set()
    for sign in (1, -1, 1, -1):  # the figures left as low, then as high, as they can be
        c = np.zeros(len(names))
        c[[i for v, i in where.items() if v not in moved]] = sign
        found = _moved(program, real, where, c, cap=True) if c.any() else None
        if found is None:
            break
        moved |= found
    zero = np.zeros(len(names))
    out = []
    for v, i in where.items():
        if v in moved:
            continue
        for bound in ({"ub": (i, real[i] - 1)}, {"lb": (i, real[i] + 1)}):
            found = _moved(program, real, where, zero, **bound)
            if found is not None:
                moved |= found
                break
        else:
            out.append((v, int(real[i])))
    return out
