"""What a reader can bound each hidden figure to, knowing more than the sums.

A reader of the shared tables knows every shown figure, every line of the grid (`total =
sum(parts)` in each unit and in the state), that each figure adds up across the units to the
state's, and three things besides the sums (issue 25, failure 4): counts are whole, never
negative, and a hidden figure is at least 1 (zeros are never hidden: a table lists a row only
where its count is not zero). Over one year's grid that is a linear program in the hidden
figures; `pinned` finds the hidden figures whose least and greatest values under it are less
than one student apart (a figure the reader knows).

The program is the linear relaxation (HiGHS, through highspy: `_Program`), with each figure
capped at 3x its value + 20 (so that "as high as it can be" is a vertex; the cap only narrows
what the reader may allow, so it errs towards hiding more). Its interval holds the integer one, so a
figure it pins the integer program pins too. A figure it does not pin is one some solution moves
by a whole student; on these grids (lines that form a tree in each unit, joined by the state's
column sums) the integer program has then moved it too in every case tried, but that is not
proved in general: tests/test_privacy_differencing.py, tests/test_privacy_integer_bounds.py and
tests/test_web_spp.py attack the outcome with the integer program itself. Cost is bounded:
equations holding one unknown are substituted first, the rest split into components that share
no equation, and each component is solved on its own, first with objectives that move many
figures at once (every figure a solution moves by a student is free; at most _ROUNDS, while
they free figures), then one or two solves per figure left.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import numpy as np

#: The state's figures, as an owner of unknowns besides the units.
STATE = ("__state__",)
#: A move smaller than this is rounding, not a student.
_WHOLE = 1 - 1e-6
#: At most this many solves that move many figures at once, per component.
_ROUNDS = 40
#: HiGHS's option value for the primal simplex (`simplex_strategy`).
_PRIMAL_SIMPLEX = 4


def pinned(
    values: Mapping[Hashable, Mapping[Hashable, int]],
    lines: Iterable,
    hidden: Mapping[Hashable, Iterable[Hashable]],
    state_hidden: Iterable[Hashable],
    latent: Mapping[Hashable, frozenset | None] | None = None,
    candidates: set[tuple[Hashable, Hashable]] | None = None,
) -> set[tuple[Hashable, Hashable]]:
    """The hidden (unit, figure) pairs whose value the reader knows: `values` is unit -> figure
    -> students (missing: 0), `hidden` unit -> its hidden figures, `state_hidden` the hidden
    state totals (reported with the owner STATE). `latent` names the figures of the grid the
    tables do not show themselves: None, never (the reader has only its lines); a set of
    figures, only while none of them is hidden (a rate over them gives it). A latent figure the
    reader does not see is an unknown at least 0 (nothing says it is not zero). `candidates`:
    only these can be pinned (None: any hidden figure); hiding more only widens what a reader
    allows, so a figure found free stays free and need not be checked again."""
    lines = list(lines)
    units = sorted(values, key=repr)
    totals: dict[Hashable, int] = {}
    for u in units:
        for k, v in values[u].items():
            totals[k] = totals.get(k, 0) + v
    owners: dict[Hashable, Mapping[Hashable, int]] = {u: values[u] for u in units}
    owners[STATE] = totals
    latent = latent or {}
    hides = {u: set(hidden.get(u, ())) for u in units}
    hides[STATE] = set(state_hidden)
    if not any(hides.values()):
        return set()
    unknowns, low = [], []
    for owner in owners:
        unseen = {
            k
            for k, shown_with in latent.items()
            if shown_with is None or hides[owner] & (shown_with | {k})
        }
        for k in sorted(hides[owner] | unseen, key=repr):
            unknowns.append((owner, k))
            low.append(0.0 if k in latent else 1.0)
    index = {x: i for i, x in enumerate(unknowns)}
    truth = np.array([float(owners[u].get(k, 0)) for u, k in unknowns])
    low = np.array(low)
    rows: list[tuple[dict[int, float], float]] = []
    for owner, figures in owners.items():  # each unit's lines, and the state's
        for line in lines:
            terms: dict[int, float] = {}
            rhs = 0.0
            for k, coef in ((line.total, 1.0), *((k, -1.0) for k in line.parts)):
                j = index.get((owner, k))
                if j is None:
                    rhs -= coef * figures.get(k, 0)
                else:
                    terms[j] = terms.get(j, 0.0) + coef
            if terms:
                rows.append((terms, rhs))
    for k in {k for _, k in unknowns}:  # the units add up to the state
        terms, rhs = {}, 0.0
        for u in units:
            j = index.get((u, k))
            if j is None:
                rhs -= values[u].get(k, 0)
            else:
                terms[j] = 1.0
        j = index.get((STATE, k))
        if j is None:
            rhs += totals.get(k, 0)
        else:
            terms[j] = -1.0
        rows.append((terms, rhs))
    out: set[tuple[Hashable, Hashable]] = set()
    rows, fixed = _substitute(rows, truth)
    for j in fixed:
        owner, k = unknowns[j]
        if k in hides[owner]:
            out.add(unknowns[j])
    for members, equations in _components(len(unknowns), rows):
        check = np.array(
            [
                unknowns[j][1] in hides[unknowns[j][0]]
                and (candidates is None or unknowns[j] in candidates)
                for j in members
            ]
        )
        if not check.any():
            continue
        for j in _pinned_in(members, equations, truth, low, check):
            owner, k = unknowns[j]
            if k in hides[owner]:
                out.add(unknowns[j])
    return out


def _substitute(
    rows: list[tuple[dict[int, float], float]], truth: np.ndarray
) -> tuple[list[tuple[dict[int, float], float]], set[int]]:
    """Every unknown an equation holds alone is known: put its value in the other equations
    (repeated), so that what the tables give outright leaves the programs. Returns the
    equations left (with unknowns) and the unknowns known."""
    rows = [(dict(t), r) for t, r in rows]
    where: dict[int, list[int]] = {}
    for n, (terms, _) in enumerate(rows):
        for j in terms:
            where.setdefault(j, []).append(n)
    fixed: set[int] = set()
    queue = [n for n, (terms, _) in enumerate(rows) if len(terms) == 1]
    while queue:
        n = queue.pop()
        terms, _ = rows[n]
        if len(terms) != 1:
            continue
        (j,) = terms
        fixed.add(j)
        for m in where[j]:
            t, rhs = rows[m]
            if j in t:
                rows[m] = (t, rhs - t.pop(j) * truth[j])
                if len(t) == 1:
                    queue.append(m)
    return [row for row in rows if row[0]], fixed


def _components(
    n: int, rows: list[tuple[dict[int, float], float]]
) -> list[tuple[list[int], list[tuple[dict[int, float], float]]]]:
    """The unknowns split into groups that share no equation, each with its equations."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for terms, _ in rows:
        first, *rest = terms
        for j in rest:
            parent[find(j)] = find(first)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    equations: dict[int, list] = {}
    for row in rows:
        equations.setdefault(find(next(iter(row[0]))), []).append(row)
    return [(members, equations.get(root, [])) for root, members in groups.items()]


def _pinned_in(
    members: list[int],
    equations: list[tuple[dict[int, float], float]],
    truth: np.ndarray,
    low: np.ndarray,
    check: np.ndarray,
) -> list[int]:
    """The members of one component (those marked in `check`) that no solution moves by a
    whole student."""
    from scipy.sparse import csc_array

    local = {j: i for i, j in enumerate(members)}
    data, row_of, col_of = [], [], []
    b = np.zeros(len(equations))
    for r, (terms, rhs) in enumerate(equations):
        for j, coef in terms.items():
            row_of.append(r)
            col_of.append(local[j])
            data.append(coef)
        b[r] = rhs
    a = csc_array((data, (row_of, col_of)), shape=(len(equations), len(members)))
    real = truth[members]
    # capped above so that "as high as it can be" is a vertex (each figure at most 3x + 20)
    bounds = np.column_stack([low[members], 3 * real + 20])
    solve = _Program(a, b, bounds).solve

    free = ~check
    rng = np.random.default_rng(len(members))
    for round_ in range(_ROUNDS):  # all low, all high, then mixed, while they free figures
        left = int((~free).sum())
        if not left:
            return []
        c = np.full(len(members), (1.0, -1.0)[round_]) if round_ < 2 else None
        if c is None:
            c = rng.choice([-1.0, 1.0], len(members))
        x = solve(np.where(free, 0.0, c))
        if x is None:
            break
        free |= np.abs(x - real) >= _WHOLE
        if round_ >= 2 and left - int((~free).sum()) < max(1, left // 50):
            break
    out = []
    for i in np.flatnonzero(~free):
        if free[i]:
            continue
        for sign in (1.0, -1.0):
            if (real[i] - bounds[i, 0] if sign > 0 else bounds[i, 1] - real[i]) < _WHOLE:
                continue  # at its bound: it cannot move that way
            c = np.zeros(len(members))
            c[i] = sign
            x = solve(c)
            if x is not None and abs(x[i] - real[i]) >= _WHOLE:
                free |= np.abs(x - real) >= _WHOLE
                break
        else:
            out.append(members[i])
    return out


class _Program:
    """One component's linear program, `a x = b` within `bounds`, solved for one objective after
    another by HiGHS. The model and its last basis are kept between objectives: the basis stays
    feasible when only the objective changes, so each solve after the first is the primal
    simplex from the last vertex rather than a solve from nothing. On the state scale's grids
    that took the programs from 12.2 s (scipy's `linprog`, afresh each time) to 1.2 s, with the
    same figures pinned (tests/test_privacy_bounds.py)."""

    def __init__(self, a, b: np.ndarray, bounds: np.ndarray) -> None:
        import highspy

        self._highs = highspy.Highs()
        self._highs.setOptionValue("output_flag", False)
        # no presolve: the first solve from scratch took 5.6 s of the large scale's 9.5 s with
        # it (presolve reduces these programs little and its reductions are undone for each
        # later objective), 0.4 s without
        self._highs.setOptionValue("presolve", "off")
        self._optimal = highspy.HighsModelStatus.kOptimal
        a.sort_indices()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
        lp.col_cost_ = np.zeros(a.shape[1])
        lp.col_lower_, lp.col_upper_ = bounds[:, 0].copy(), bounds[:, 1].copy()
        lp.row_lower_, lp.row_upper_ = b, b
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = a.shape[1], a.shape[0]
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        self._highs.passModel(lp)
        self._columns = np.arange(a.shape[1], dtype=np.int32)

    def solve(self, c: np.ndarray) -> np.ndarray | None:
        """The optimal x minimising c.x, or None when HiGHS finds none."""
        self._highs.changeColsCost(len(c), self._columns, np.asarray(c, dtype=float))
        self._highs.run()
        # the first solve leaves an optimal basis; later objectives start from it, primal feasible
        self._highs.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)
        if self._highs.getModelStatus() != self._optimal:
            return None
        return np.array(self._highs.getSolution().col_value)
