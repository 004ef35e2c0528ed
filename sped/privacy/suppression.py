"""Small-cell suppression for tables shown beyond the state team, with complementary cells.

A table of counts is a grid: each cell belongs to one row line (say an LEA's year and age group,
whose total is shown) and one column line (say one environment across every LEA, whose total
is the state figure). A cell of 1 to min_cell_size - 1 students is hidden
(docs/rules/identifiers_and_privacy.md). A hidden cell must not be recoverable from a shown
total and the shown cells beside it, so in every line
whose total is shown, hiding goes on with the line's next smallest shown cells until at least two
cells are hidden and together they hold at least min_cell_size students (two hidden cells of 1
would otherwise both be known). Hiding a cell in a row can leave its column exposed and the other
way round, so the passes repeat until nothing changes (the hidden set only grows, so they end).

This is the usual heuristic of statistical agencies, not an optimal or an LP-proof pattern: it
keeps any one hidden cell from being worked back exactly, which is what small-cell rules ask.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    key: Hashable  # identifies the cell
    row: Hashable  # the row line it adds up in
    column: Hashable | None  # the column line it adds up in (None: in no column total)
    value: int


def is_small(value: int, min_cell_size: int) -> bool:
    return 0 < value < min_cell_size


def hidden_cells(
    cells: Iterable[Cell],
    min_cell_size: int,
    hidden_row_totals: Iterable[Hashable] = (),
) -> dict[Hashable, str]:
    """key -> "SMALL_CELL" | "COMPLEMENTARY" for every cell to hide. `hidden_row_totals` names
    the rows whose total is not shown (itself a small cell): nothing can be worked back in them.
    Column totals are taken as shown (state figures), so columns are always protected."""
    cells = list(cells)
    lines: dict[Hashable, list[Cell]] = defaultdict(list)
    for cell in cells:
        lines[("row", cell.row)].append(cell)
        if cell.column is not None:
            lines[("column", cell.column)].append(cell)
    closed = {("row", t) for t in hidden_row_totals}
    for members in lines.values():
        members.sort(key=lambda c: (c.value, repr(c.key)))
    why = {c.key: "SMALL_CELL" for c in cells if is_small(c.value, min_cell_size)}
    changed = bool(why)
    while changed:
        changed = False
        for name, members in lines.items():
            if name in closed:
                continue
            hidden = [c for c in members if c.key in why]
            if not hidden:
                continue
            count, total = len(hidden), sum(c.value for c in hidden)
            for cell in members:
                if count >= 2 and total >= min_cell_size:
                    break
                if cell.key in why or cell.value == 0:
                    continue
                why[cell.key] = "COMPLEMENTARY"
                count, total = count + 1, total + cell.value
                changed = True
    return why
