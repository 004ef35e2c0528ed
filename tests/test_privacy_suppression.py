"""Small-cell and complementary suppression (sped/privacy/suppression.py,
docs/rules/identifiers_and_privacy.md): no hidden cell can be worked back from a shown total and
the shown cells beside it."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from sped.privacy.suppression import Cell, hidden_cells

MIN = 10


def grid(values: dict[tuple[str, str], int]) -> list[Cell]:
    """Cells keyed (row, column) that add up in their row and in their column."""
    return [Cell((r, c), r, c, v) for (r, c), v in values.items()]


def test_one_small_cell_hides_the_next_smallest_in_its_row():
    cells = [Cell(k, "A", None, v) for k, v in {"RC80": 50, "RC39": 12, "SS": 3}.items()]
    assert hidden_cells(cells, MIN) == {"SS": "SMALL_CELL", "RC39": "COMPLEMENTARY"}


def test_two_cells_of_one_are_not_enough():
    """Hiding two 1s would show their sum, 2, and so both: hiding goes on to 10 students."""
    cells = [Cell(k, "B", None, v) for k, v in {"HH": 1, "RF": 1, "RC80": 40}.items()]
    assert hidden_cells(cells, MIN) == {
        "HH": "SMALL_CELL",
        "RF": "SMALL_CELL",
        "RC80": "COMPLEMENTARY",
    }


def test_no_small_cell_hides_nothing_and_a_small_total_protects_its_row():
    assert hidden_cells([Cell(k, "C", None, 10) for k in ("x", "y")], MIN) == {}
    small = [Cell("a", "D", None, 4), Cell("b", "D", None, 2)]
    assert hidden_cells(small, MIN, hidden_row_totals=["D"]) == {
        "a": "SMALL_CELL",
        "b": "SMALL_CELL",
    }


def test_a_column_total_protects_across_rows_and_the_passes_repeat():
    """LEA 1 hides SS (3) and, in its row, RC39 (12). Across LEAs, SS and RC39 then each have
    one hidden cell under a shown state total, so LEA 2's SS and RC39 are hidden too; LEA 2's
    row then holds two hidden cells of 50 students, and nothing more is needed."""
    cells = grid(
        {
            ("lea1", "RC80"): 50,
            ("lea1", "RC39"): 12,
            ("lea1", "SS"): 3,
            ("lea2", "RC80"): 60,
            ("lea2", "RC39"): 30,
            ("lea2", "SS"): 20,
        }
    )
    why = hidden_cells(cells, MIN)
    assert why == {
        ("lea1", "SS"): "SMALL_CELL",
        ("lea1", "RC39"): "COMPLEMENTARY",
        ("lea2", "SS"): "COMPLEMENTARY",
        ("lea2", "RC39"): "COMPLEMENTARY",
    }


def test_zeros_are_shown_and_never_hidden_as_complements():
    cells = [Cell(k, "E", None, v) for k, v in {"a": 0, "b": 5, "c": 40}.items()]
    assert hidden_cells(cells, MIN) == {"b": "SMALL_CELL", "c": "COMPLEMENTARY"}


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("ABCDEF"), st.sampled_from("uvwxyz")),
        st.integers(0, 60),
        min_size=1,
        max_size=36,
    )
)
def test_no_hidden_cell_can_be_worked_back(values):
    """Every small cell is hidden; every line with a hidden cell hides at least two cells
    holding at least MIN together, or every non-zero cell of the line is hidden."""
    why = hidden_cells(grid(values), MIN)
    assert {k for k, v in values.items() if 0 < v < MIN} <= set(why)
    lines = defaultdict(list)
    for (r, c), v in values.items():
        lines["row", r].append(((r, c), v))
        lines["column", c].append(((r, c), v))
    for members in lines.values():
        hidden = [v for k, v in members if k in why]
        if hidden and not (len(hidden) >= 2 and sum(hidden) >= MIN):
            assert all(k in why for k, v in members if v > 0)
