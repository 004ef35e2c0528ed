"""SQL fragments the contract rules are written with.

Rules of kind `sql` carry a predicate that is TRUE for a row that breaks the rule. Predicates
run over a typed batch whose rows also carry the submission's declared key: `_lea_id`,
`_period` (text: `2025-26`, `2026` or `current`), `_submission_id` and `_source_row`.
Placeholders in braces are filled from the state profile
(`sped.config.profile.StateProfile.sql_params`). A rule may also carry `expected`: SQL over the same
rows giving one sentence that says what the file's rows should have held (the count day of its
school year), added to the finding's text."""

from __future__ import annotations


def age_on(birth: str, on: str) -> str:
    """Whole years of age on a date: the birthday itself counts (age 3 on the 3rd birthday)."""
    return (
        f"(year({on}) - year({birth}) - CASE WHEN month({on}) * 100 + day({on}) "
        f"< month({birth}) * 100 + day({birth}) THEN 1 ELSE 0 END)"
    )


#: First calendar year of the declared school year (`2025-26` -> 2025).
FALL_YEAR = "CAST(left(_period, 4) AS INTEGER)"
SCHOOL_YEAR_START = f"make_date({FALL_YEAR}, 7, 1)"
SCHOOL_YEAR_END = f"make_date({FALL_YEAR} + 1, 6, 30)"
#: Count window of the declared school year, from the profile (Oct 1 - Dec 1 unless the state
#: names its count day: then both are that day, `StateProfile.count_window_sql`).
COUNT_WINDOW_START = "{count_first_date}"
COUNT_WINDOW_END = "{count_last_date}"
#: The count window of the declared school year in words, for the message of a file counted on
#: another day: "The count day for 2025-26 is 2025-10-31."
COUNT_WINDOW_EXPECTED = (
    f"CASE WHEN {COUNT_WINDOW_START} = {COUNT_WINDOW_END} "
    f"THEN 'The count day for ' || _period || ' is ' || strftime({COUNT_WINDOW_START}, '%Y-%m-%d') "
    f"ELSE 'The count window for ' || _period || ' is ' || strftime({COUNT_WINDOW_START}, "
    f"'%Y-%m-%d') || ' to ' || strftime({COUNT_WINDOW_END}, '%Y-%m-%d') END || '.'"
)
#: Federal fiscal year FY funds: available July 1 of FY, initial period to Sept 30 of FY+1,
#: carryover year to Sept 30 of FY+2 (34 CFR 300.133(a)(3)).
GRANT_PERIOD_START = "make_date(CAST(_period AS INTEGER), 7, 1)"
GRANT_PERIOD_END_WITH_CARRYOVER = "make_date(CAST(_period AS INTEGER) + 2, 9, 30)"
