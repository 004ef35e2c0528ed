"""Small-cell suppression for tables shown beyond the state team, safe against differencing.

The figures are laid out per unit (an LEA's school year) and add up along lines: a `Line` says
`total = sum(parts)` within a unit (an LEA's students are its out-of-district plus in-district
students, and its 3-5 plus 6-21 year olds; an age group is the sum of its environments, ...).
Every figure also adds up across the units to a state figure, which is shown. A figure of 1 to
min_cell_size - 1 students is hidden (SMALL_CELL), and others with it (COMPLEMENTARY):

1. Within a unit, a line with a hidden member hides at least two, and while its total is shown
   its hidden parts hold at least min_cell_size students together (or every non-zero member is
   hidden: two hidden 1s under a shown total would both be known). Zeros are never hidden (an
   environment nobody is in has no row: its zero is public). Repeated until stable.
2. Across units, every unit with hidden figures joins a group with at least one other unit of
   the year, whose units hide the same figures where they are not zero, each closed as in 1.
   Of the cheapest groupings (fewest students newly hidden) the first whose figures all pass
   the check below is taken.
3. A state figure with hidden figures under it has at least two of them, holding at least
   min_cell_size students, or every non-zero one hidden; otherwise another unit joins a group.
   When every non-zero one is hidden and they hold fewer than min_cell_size students, the state
   figure is hidden too (with the state's own lines closed): a reader knows each hidden figure
   is at least 1, so a shown 2 over two hidden figures would give both (issue 25, failure 4).

The check, exact rather than heuristic: a group's hidden figures are protected when each can
change while every shown figure, every line and every state total stays put, changing figures
of the group's units only - no coordinate of the null space of those equations is forced to
zero. Then no linear combination of anything shown can give a hidden figure. (When units hide
exactly the same figures this always holds: a unit's lines form a tree, so with 1. every hidden
figure lies on a path of hidden figures, and a partner moves a student back along the same
path.) A group that fails may also move with other groups hiding the same figures; if it still
fails, the state totals over its stuck figures are hidden (with the state's own lines closed),
as they are for a year with a single unit, which no partner can protect.
4. Nothing hidden is pinned once a reader adds what every reader knows besides the sums:
   counts are whole, never negative, and a hidden figure is at least 1 (zeros are never
   hidden). sped/privacy/bounds.py `pinned` bounds every hidden figure by the linear program of
   the year's grid (the tables' own figures only: `latent` names those they do not show) and
   names those no solution moves by a whole student. For each, its state total is hidden (with
   the state's lines closed); when it is hidden already, the state's lines over it still pin
   it, so the state figure of those lines whose hidden unit figures hold the most students is
   hidden too (they join the pool), or else another unit joins its group to hide the same
   figure. Repeated (each round checks only the figures pinned or newly hidden: hiding more
   never pins a free figure) until nothing is pinned.

tests/test_privacy_differencing.py attacks the published tables with exact linear algebra and
with integer programming (scipy's milp).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from sped.privacy.bounds import STATE, pinned

SMALL_CELL = "SMALL_CELL"
COMPLEMENTARY = "COMPLEMENTARY"

#: What hiding a figure that is zero in a partner costs: never chosen while another way exists.
_ZERO = 10**9


@dataclass(frozen=True)
class Line:
    """`total = sum(parts)` within every unit."""

    total: Hashable
    parts: tuple[Hashable, ...]


def is_small(value: int, min_cell_size: int) -> bool:
    return 0 < value < min_cell_size


def close_lines(
    values: Mapping[Hashable, int],
    lines: Iterable[Line],
    min_cell_size: int,
    why: dict[Hashable, str],
    avoid: frozenset = frozenset(),
) -> dict[Hashable, str]:
    """Grow `why` (figure -> reason, one unit) until every line satisfies rule 1; returns it.
    Complements are the line's smallest shown non-zero members, so zeros stay shown; figures
    in `avoid` (known to readers from elsewhere) only when nothing else is left."""
    lines = list(lines)
    changed = True
    while changed:
        changed = False
        for line in lines:
            members = (line.total, *line.parts)
            hidden = sum(1 for k in members if k in why)
            if not hidden:
                continue
            total_shown = line.total not in why
            mass = sum(values.get(k, 0) for k in line.parts if k in why)
            while hidden < 2 or (total_shown and mass < min_cell_size):
                shown = [k for k in members if k not in why and values.get(k, 0) > 0]
                if not shown:
                    break
                k = min(shown, key=lambda k: (k in avoid, values[k], repr(k)))
                why[k] = COMPLEMENTARY
                hidden += 1
                changed = True
                if k == line.total:
                    total_shown = False
                else:
                    mass += values[k]
    return why


@dataclass
class Protection:
    """The outcome for one year: per unit, figure -> reason; the state figures hidden (for a
    year with a single unit, or a group whose units could not hide exactly the same figures);
    and the groups of units hiding the same figures."""

    hidden: dict[Hashable, dict[Hashable, str]]
    state_hidden: set[Hashable]
    groups: list[set[Hashable]]


#: How many of the cheapest partners are tried for one that can hide exactly the same figures.
_TRIES = 6
#: How many times the units a group's figures may move with are widened.
_WIDEN = 8
#: How many rounds of hiding more rule 4 may take (each round checks the whole year).
_PINNED_ROUNDS = 12


def protect(
    values: Mapping[Hashable, Mapping[Hashable, int]],
    lines: Iterable[Line],
    min_cell_size: int,
    *,
    seed: Mapping[Hashable, Iterable[Hashable]] | None = None,
    avoid: frozenset = frozenset(),
    latent: Mapping[Hashable, frozenset | None] | None = None,
) -> Protection:
    """Rules 1-4 for one year: `values` is unit -> figure -> students (a missing figure is 0).
    `seed` (unit -> figures) are hidden from the start, as COMPLEMENTARY (figures another table
    already hides); `avoid` are never chosen as complements while another figure can be;
    `latent` names the grid's figures the tables do not show as counts (bounds.pinned)."""
    lines = list(lines)
    units = sorted(values, key=repr)
    seed = seed or {}
    why = {
        u: close_lines(
            values[u],
            lines,
            min_cell_size,
            {
                **{k: COMPLEMENTARY for k in seed.get(u, ()) if values[u].get(k, 0) > 0},
                **{k: SMALL_CELL for k, v in values[u].items() if is_small(v, min_cell_size)},
            },
            avoid,
        )
        for u in units
    }
    if len(units) == 1:
        return Protection(why, set(why[units[0]]), [])
    grouping = _Grouping(values, lines, min_cell_size, why)
    grouping.avoid = avoid
    # the units hiding the most figures choose first: they are the hardest to match
    for u in sorted(units, key=lambda u: (-len(why[u]), repr(u))):
        if why[u] and u not in grouping.group_of:
            free = [p for p in units if p != u and p not in grouping.group_of]
            options = [{u, p} for p in free] + [{u, *g} for g in grouping.live()]
            grouping.join_best(options, closed=True)  # ungrouped units and whole groups
    grouping.protect_state_totals(units)
    # a figure no partner can protect: the state total over it is hidden instead (with the
    # state's own lines closed), until every group's figures can move
    totals: dict[Hashable, int] = {}
    for u in units:
        for k, v in values[u].items():
            totals[k] = totals.get(k, 0) + v
    state_hidden = _settle(grouping, units, totals, set())
    # rule 4: nothing hidden is pinned once a reader adds that counts are whole, not negative
    # and at least 1 where hidden; a pinned figure's state total is hidden, or (when it is)
    # another unit joins its group to hide the same figure, until none is pinned
    candidates = None  # hiding more never pins a free figure: then only the new ones
    for _ in range(_PINNED_ROUNDS):
        before = _hidden_pairs(why, state_hidden)
        found = pinned(values, lines, why, state_hidden, latent, candidates)
        stuck = sorted(((u, k) for u, k in found if u != STATE), key=repr)
        if not stuck:
            break
        grew = {k for _, k in stuck} - state_hidden
        joined = False
        done: set[tuple[int, Hashable]] = set()
        for u, k in stuck:
            g = grouping.group_of.get(u)
            if k in grew or g is None or (g, k) in done:
                continue
            done.add((g, k))
            # the state total is hidden already: a reader still has the state's lines over it,
            # so another state figure of those lines that units hide is hidden with it (its
            # units' hidden students join the pool), else another unit hides the same figure
            pool = _pool(units, values, why, state_hidden | grew)
            near = [
                j
                for line in lines
                if k in (line.total, *line.parts)
                for j in (line.total, *line.parts)
            ]
            if near := [j for j in near if pool.get(j, 0) > 0]:
                grew.add(min(near, key=lambda j: (-pool[j], repr(j))))
                continue
            others = [q for q in units if k not in why[q] and values[q].get(k, 0) > 0]
            if others:
                grouping.join_best([{q, *grouping.groups[g]} for q in others])
                grew.add(k)
                joined = True
        if grew - state_hidden:
            seed_ = dict.fromkeys(state_hidden | grew, "")
            state_hidden = set(close_lines(totals, lines, min_cell_size, seed_, avoid))
        if not grew:
            break
        if joined:  # a new group is checked as rule 2 says (more state figures hidden keep it)
            state_hidden = _settle(grouping, units, totals, state_hidden)
        candidates = set(found) | (_hidden_pairs(why, state_hidden) - before)
    return Protection(why, state_hidden, grouping.live())


class _Grouping:
    """Units grouped to hide the same figures (rule 2), grown for the state totals (rule 3)."""

    def __init__(self, values, lines, min_cell_size, why) -> None:
        self.values, self.lines, self.min, self.why = values, lines, min_cell_size, why
        self.avoid: frozenset = frozenset()
        self.groups: list[set[Hashable]] = []
        self.group_of: dict[Hashable, int] = {}
        #: groups (as their members) whose hidden figures all move: a group's figures change only
        #: when units join it, and hiding more elsewhere never makes a figure stuck
        self.safe: set[frozenset] = set()
        # The same figures as arrays, for pricing every option of a choice at once (`costs`):
        # a unit's row of `_price` is what hiding each figure costs it (its students, or
        # _ZERO for a zero) and its row of `_hides` which figures it hides now.
        self._unit = {u: i for i, u in enumerate(sorted(values, key=repr))}
        figures = sorted({k for v in values.values() for k in v}, key=repr)
        self._figure = {k: j for j, k in enumerate(figures)}
        self._price = np.full((len(self._unit), len(figures)), _ZERO, dtype=np.int64)
        self._hides = np.zeros((len(self._unit), len(figures)), dtype=bool)
        for u, i in self._unit.items():
            for k, v in values[u].items():
                if v:
                    self._price[i, self._figure[k]] = v
        self._refresh(self._unit)
        self._repr = {u: repr(u) for u in self._unit}

    def _refresh(self, units: Iterable[Hashable]) -> None:
        """Bring the `_hides` rows of `units` in line with what they hide now."""
        for u in units:
            row = self._hides[self._unit[u]]
            row[:] = False
            row[[self._figure[k] for k in self.why[u]]] = True

    def costs(self, options: list[set[Hashable]]) -> np.ndarray:
        """`cost` of each option, computed for all of them at once."""
        members = [self._unit[m] for o in options for m in o]
        starts = np.cumsum([0] + [len(o) for o in options[:-1]])
        option_of = np.repeat(np.arange(len(options)), [len(o) for o in options])
        hides = self._hides[members]
        union = np.logical_or.reduceat(hides, starts, axis=0)
        newly = union[option_of] & ~hides
        return np.add.reduceat((newly * self._price[members]).sum(axis=1), starts)

    def live(self) -> list[set[Hashable]]:
        return [g for g in self.groups if g]

    def cost(self, members: set[Hashable]) -> int:
        """Students newly hidden if `members` hid the same figures (a zero costs _ZERO: it
        cannot be hidden, it is public)."""
        hidden = set().union(*(self.why[m] for m in members))
        return sum(
            self.values[m].get(k, 0) or _ZERO for m in members for k in hidden - self.why[m].keys()
        )

    @staticmethod
    def same(members: set[Hashable], why: Mapping) -> bool:
        """Whether the units hide exactly the same figures (each non-zero where it hides it):
        then every hidden figure moves, by the tree argument of the module docstring."""
        first = why[next(iter(members))].keys()
        return all(why[m].keys() == first for m in members)

    def forced(
        self, members: set[Hashable], why: Mapping, state_hidden: set[Hashable] = frozenset()
    ) -> set[tuple[Hashable, Hashable]]:
        """The hidden figures (unit, figure) of a group that cannot move while every shown
        figure and every shown state total stays put and only the group's units change: the
        coordinates forced to zero in the null space of the group's lines, its column sums and
        the state's lines over the hidden state figures."""
        state = object()
        unknowns = [(m, k) for m in sorted(members, key=repr) for k in sorted(why[m], key=repr)]
        unknowns += [(state, k) for k in sorted(state_hidden, key=repr)]
        index = {u: i for i, u in enumerate(unknowns)}.get
        figures = {k for m in members for k in why[m]}
        owners = [*members, state]
        a = np.zeros((len(owners) * len(self.lines) + len(figures), len(unknowns)))
        r = 0
        for m in owners:  # each unit's lines, and the state's, over the unknowns
            for line in self.lines:
                j = index((m, line.total))
                if j is not None:
                    a[r, j] = 1.0
                for k in line.parts:
                    j = index((m, k))
                    if j is not None:
                        a[r, j] = -1.0
                r += 1
        for k in figures:  # the state total of each hidden figure is the sum over the units
            for m in members:
                j = index((m, k))
                if j is not None:
                    a[r, j] = 1.0
            j = index((state, k))
            if j is not None:
                a[r, j] = -1.0
            r += 1
        fixed = _fixed_coordinates(a[a.any(axis=1)])
        return {unknowns[j] for j in fixed if unknowns[j][0] is not state}

    def _equalize(self, members: set[Hashable], why: dict) -> None:
        grew = True
        while grew:
            grew = False
            hidden = set().union(*(why[m] for m in members))
            for m in sorted(members, key=repr):
                missing = {k for k in hidden - why[m].keys() if self.values[m].get(k, 0) > 0}
                if missing:
                    why[m].update(dict.fromkeys(missing, COMPLEMENTARY))
                    close_lines(self.values[m], self.lines, self.min, why[m], self.avoid)
                    grew = True

    def _with_groups(self, members: set[Hashable]) -> set[Hashable]:
        merged = set(members)
        for g in {self.group_of[m] for m in members if m in self.group_of}:
            merged |= self.groups[g]
        return merged

    def _best(self, options: list[set[Hashable]], closed: bool) -> tuple[set, dict, bool]:
        """The cheapest of `options` (with the groups their units are in, unless `closed`: each
        option already holds the whole group of every unit in it) whose hidden figures are all
        protected once equalized, else the cheapest of all, unprotected."""
        grouped = self.group_of.keys()
        merged_options = (
            options
            if closed
            else [o if grouped.isdisjoint(o) else self._with_groups(o) for o in options]
        )
        costs = self.costs(merged_options)
        # the _TRIES cheapest by (cost, members' reprs), as a full sort would order them: only
        # the options as cheap as the _TRIES-th cheapest can be among them
        bound = np.partition(costs, min(_TRIES, len(costs)) - 1)[min(_TRIES, len(costs)) - 1]
        cheapest = sorted(
            (int(costs[i]), sorted(self._repr[m] for m in merged_options[i]), i)
            for i in np.flatnonzero(costs <= bound)
        )
        first = None
        for *_, i in cheapest[:_TRIES]:
            merged = merged_options[i]
            trial = {m: dict(self.why[m]) for m in merged}
            self._equalize(merged, trial)
            if self.same(merged, trial) or not self.forced(merged, trial):
                return merged, trial, True
            first = first or (merged, trial, False)
        return first

    def join_best(self, options: list[set[Hashable]], *, closed: bool = False) -> None:
        """Merge the best of `options` into one group hiding the same figures (`closed`: see
        `_best`)."""
        merged, trial, _ = self._best(options, closed)
        self.why.update(trial)
        self._refresh(merged)
        for g in {self.group_of[m] for m in merged if m in self.group_of}:
            self.groups[g] = set()
        self.groups.append(merged)
        for m in merged:
            self.group_of[m] = len(self.groups) - 1

    def protect_state_totals(self, units: list[Hashable]) -> None:
        """Rule 3: a state total over hidden figures hides at least min_cell_size students in
        at least two units, or every non-zero figure under it; else another unit joins."""
        changed = True
        while changed:
            changed = False
            for k in sorted(set().union(*(self.why[u] for u in units)), key=repr):
                hiding = [u for u in units if k in self.why[u]]
                mass = sum(self.values[u].get(k, 0) for u in hiding)
                if len(hiding) >= 2 and mass >= self.min:
                    continue
                others = [u for u in units if k not in self.why[u] and self.values[u].get(k, 0) > 0]
                if not others:
                    continue
                groups = sorted({self.group_of[u] for u in hiding})
                self.join_best([{q, *self.groups[g]} for q in others for g in groups])
                changed = True
                break


def _hidden_pairs(why: Mapping, state_hidden: set) -> set[tuple[Hashable, Hashable]]:
    """Every hidden (unit, figure), the state's as (STATE, figure)."""
    return {(u, k) for u, w in why.items() for k in w} | {(STATE, k) for k in state_hidden}


def _pool(units, values, why, state_hidden) -> dict[Hashable, int]:
    """figure -> the students the units hide in it, for the state figures still shown."""
    out: dict[Hashable, int] = {}
    for u in units:
        for k in why[u]:
            if k not in state_hidden:
                out[k] = out.get(k, 0) + values[u].get(k, 0)
    return out


def _settle(
    grouping: _Grouping,
    units: list[Hashable],
    totals: Mapping[Hashable, int],
    state_hidden: set[Hashable],
) -> set[Hashable]:
    """Rule 3's last clause and the check of rule 2: the state figures to hide (grown from
    `state_hidden`) so that every group's hidden figures can move."""
    values, lines, min_cell_size, why = grouping.values, grouping.lines, grouping.min, grouping.why
    avoid = grouping.avoid
    # a shown state total whose hidden figures are every non-zero one under it, holding fewer
    # than min_cell_size students: a reader who knows each hidden figure is at least 1 (zeros
    # are never hidden) bounds each by the total less the others' count (2 shown over two
    # hidden 1s pins both), so the total is hidden too (rule 3, last clause)
    thin = {
        k
        for k in totals
        if (hiding := [u for u in units if k in why[u]])
        and sum(values[u].get(k, 0) for u in hiding) < min_cell_size
        and all(k in why[u] for u in units if values[u].get(k, 0) > 0)
    }
    if thin - state_hidden:
        seed = dict.fromkeys(state_hidden | thin, "")
        state_hidden = set(close_lines(totals, lines, min_cell_size, seed))
    safe = grouping.safe  # groups whose figures all move (hiding more never undoes that)
    changed = True
    while changed:
        changed = False
        for g in grouping.live():
            if frozenset(g) in safe or grouping.same(g, why):
                continue
            # a figure may move together with other units hiding the same figure: widen the
            # units that may move, a few times, before hiding a state total
            domain = set(g)
            for _ in range(_WIDEN):
                forced = {f for f in grouping.forced(domain, why, state_hidden) if f[0] in g}
                wider = set(domain)
                for k in sorted({k for _, k in forced}, key=repr):
                    others = [
                        grouping.groups[grouping.group_of[u]]
                        for u in units
                        if u not in domain and k in why[u]
                    ]
                    if others:
                        wider |= min(others, key=lambda o: (len(o), sorted(map(repr, o))))
                if not forced or wider == domain:
                    break
                domain = wider
            if not forced:
                safe.add(frozenset(g))
                continue
            seed = state_hidden | {k for _, k in forced}
            if seed == state_hidden:  # the last resort: every figure the group hides
                seed |= {k for m in g for k in why[m]}
            grown = set(close_lines(totals, lines, min_cell_size, dict.fromkeys(seed, ""), avoid))
            if grown != state_hidden:
                state_hidden = grown
                changed = True
    return state_hidden


def _fixed_coordinates(a: np.ndarray, eps: float = 1e-9) -> list[int]:
    """The coordinates every solution of a @ x = 0 holds at zero: those on which every vector
    of the null space is zero. The null space comes from one singular value decomposition (the
    right singular vectors past the rank, an orthonormal basis), so each coordinate is judged on
    unit-scale numbers. The matrices are small with entries 0 and +-1: their zero singular
    values are at rounding level and the others far above it (tests/test_privacy_suppression.py
    checks this against exact Gauss-Jordan elimination). One LAPACK call per matrix replaced a
    Python loop of array operations per column (state scale: the whole suppression 1.36 s to
    1.09 s; filling each system into one array then brought it to 0.81 s)."""
    a = np.asarray(a, dtype=float)
    if a.ndim != 2 or a.shape[0] == 0:
        return []
    _, singular, vh = np.linalg.svd(a)
    tolerance = singular.max(initial=0.0) * max(a.shape) * np.finfo(float).eps
    null_space = vh[int((singular > tolerance).sum()) :]
    return np.flatnonzero(~(np.abs(null_space) > eps).any(axis=0)).tolist()
