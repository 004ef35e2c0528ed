"""The collections of docs/rules/contracts.md, in code: the one source of truth for columns,
codes and rules.

Every required column gets a `required` rule and every code column a code-set rule, generated
by `_standard_rules`; the rest are written out below in the contract's own words. A rule's `id`
is `<collection>.<column or topic>.<what>` and never changes once published: districts and
auditors see it in messages and reports.
"""

from __future__ import annotations

from sped.contracts import codes as C
from sped.contracts.model import Collection, Column, Rule
from sped.contracts.sql import (
    COUNT_WINDOW_END,
    COUNT_WINDOW_EXPECTED,
    COUNT_WINDOW_START,
    GRANT_PERIOD_END_WITH_CARRYOVER,
    GRANT_PERIOD_START,
    SCHOOL_YEAR_END,
    SCHOOL_YEAR_START,
    age_on,
)

CONTRACT = "docs/rules/contracts.md"


def _standard_rules(name: str, columns: tuple[Column, ...]) -> tuple[Rule, ...]:
    """A `required` rule for each required column and a code-set rule for each code column."""
    rules: list[Rule] = []
    for col in columns:
        if col.required == "yes":
            rules.append(
                Rule(
                    id=f"{name}.{col.name}.required",
                    severity="blocking",
                    kind="not_null",
                    text=f"{col.name} must be filled in on every row.",
                    reference=f"{CONTRACT}, {name}: {col.name} is required",
                    params={"column": col.name},
                )
            )
        if col.codes:
            rules.append(
                Rule(
                    id=f"{name}.{col.name}.code",
                    severity="blocking",
                    kind="in_set",
                    text=f"{col.name} must be one of: {', '.join(col.codes)}.",
                    reference=f"{CONTRACT}, {name}: {col.name} code set",
                    params={"column": col.name, "codes": list(col.codes)},
                )
            )
    return tuple(rules)


def _key_rules(name: str, period_column: str | None, lea_scoped: bool) -> tuple[Rule, ...]:
    rules = []
    if lea_scoped:
        rules.append(
            Rule(
                id=f"{name}.lea_id.matches_submission",
                severity="blocking",
                kind="matches_key",
                text="lea_id must be the district this file was submitted for.",
                reference=f"{CONTRACT}, conventions: every row must match the submission's key",
                params={"column": "lea_id", "key": "lea_id"},
            )
        )
    if period_column:
        rules.append(
            Rule(
                id=f"{name}.{period_column}.matches_submission",
                severity="blocking",
                kind="matches_key",
                text=f"{period_column} must be the year this file was submitted for.",
                reference=f"{CONTRACT}, conventions: every row must match the submission's key",
                params={"column": period_column, "key": "period"},
            )
        )
    return tuple(rules)


def _collection(
    *,
    name: str,
    title: str,
    description: str,
    period_kind: str,
    lea_scoped: bool,
    submitted_by: str,
    columns: tuple[Column, ...],
    rules: tuple[Rule, ...] = (),
    period_column: str | None = None,
) -> Collection:
    return Collection(
        name=name,
        title=title,
        description=description,
        period_kind=period_kind,  # type: ignore[arg-type]
        lea_scoped=lea_scoped,
        submitted_by=submitted_by,  # type: ignore[arg-type]
        columns=columns,
        rules=_key_rules(name, period_column, lea_scoped) + _standard_rules(name, columns) + rules,
        period_column=period_column,
    )


def _sql(rule_id, severity, text, reference, sql, columns, **extra) -> Rule:
    return Rule(
        id=rule_id,
        severity=severity,
        kind="sql",
        text=text,
        reference=reference,
        params={"sql": sql, "columns": list(columns), **extra},
    )


#: A row that pays the previous fiscal year's share from this year's grant.
PAYS_PREVIOUS_YEAR = "applies_to_fiscal_year = fiscal_year - 1"
#: The carryover period of that previous year: October 1 of this fiscal year to September 30 of
#: the next (34 CFR 300.133(a)(3); FY Y funds carry over from October 1 of Y+1).
CARRYOVER_OF_PREVIOUS_START = "make_date(CAST(fiscal_year AS INTEGER), 10, 1)"
CARRYOVER_OF_PREVIOUS_END = "make_date(CAST(fiscal_year AS INTEGER) + 1, 9, 30)"
NEXT_GRANT = "docs/rules/proportionate_share.md, carryover paid from the next grant"


def _next_grant_rules() -> tuple[Rule, ...]:
    """`applies_to_fiscal_year`: blank, its own year, or (where the state allows it) the year
    before for an IDEA row obligated in that year's carryover period. Anything else is refused,
    each case with its own reason."""
    applies = "applies_to_fiscal_year"
    allowed = "{carryover_from_next_grant}"
    return (
        _sql(
            f"expenditures.{applies}.not_later",
            "blocking",
            f"{applies} cannot be after fiscal_year: a grant may pay an earlier year's "
            "obligation, never a later year's.",
            f"34 CFR 300.133(a)(3); {NEXT_GRANT}",
            f"{applies} > fiscal_year",
            [applies, "fiscal_year"],
        ),
        _sql(
            f"expenditures.{applies}.one_year_back",
            "blocking",
            f"{applies} may be at most one year before fiscal_year: an obligation two or more "
            "years back is past its one carryover year and no later grant can meet it.",
            f"34 CFR 300.133(a)(3); {NEXT_GRANT}",
            f"{applies} < fiscal_year - 1",
            [applies, "fiscal_year"],
        ),
        _sql(
            f"expenditures.{applies}.state_allows",
            "blocking",
            f"The state does not let next year's grant pay a carryover obligation (profile "
            f"setting carryover_from_next_grant): leave {applies} blank or equal to fiscal_year.",
            f"{NEXT_GRANT}; state profile carryover_from_next_grant",
            f"{PAYS_PREVIOUS_YEAR} AND NOT {allowed}",
            [applies, "fiscal_year"],
        ),
        _sql(
            f"expenditures.{applies}.idea_only",
            "blocking",
            f"Only an IDEA_611 or IDEA_619 row can pay the previous year's share ({applies} one "
            "year before fiscal_year): state and local funds never count toward it.",
            f"34 CFR 300.133(d); {NEXT_GRANT}",
            f"{PAYS_PREVIOUS_YEAR} AND {allowed} AND fund_source NOT IN "
            + _in(C.FEDERAL_FUND_SOURCES),
            [applies, "fund_source"],
        ),
        _sql(
            f"expenditures.{applies}.carryover_period",
            "blocking",
            f"A row paying the previous year's share ({applies} one year before fiscal_year) "
            "must be obligated inside that year's carryover period.",
            f"34 CFR 300.133(a)(3); {NEXT_GRANT}",
            f"{PAYS_PREVIOUS_YEAR} AND {allowed} AND (obligation_date < "
            f"{CARRYOVER_OF_PREVIOUS_START} OR obligation_date > {CARRYOVER_OF_PREVIOUS_END})",
            [applies, "obligation_date"],
            expected=(
                "'The carryover period of FY ' || CAST(applies_to_fiscal_year AS VARCHAR) || "
                f"' runs from ' || strftime({CARRYOVER_OF_PREVIOUS_START}, '%Y-%m-%d') || ' to ' "
                f"|| strftime({CARRYOVER_OF_PREVIOUS_END}, '%Y-%m-%d') || '.'"
            ),
        ),
    )


LEA_ID = Column(
    "lea_id", "text", "State LEA identifier of the district the row belongs to.", example="2500001"
)
SCHOOL_YEAR = Column(
    "school_year", "text", "School year, written YYYY-YY (e.g. 2025-26).", example="2025-26"
)

#: Columns shared by the two files about parentally placed private-school children.
PRIVATE_CHILD_ID = Column(
    "student_id", "text", "The district's identifier for the child.", example="P0000456"
)
PRIVATE_SCHOOL_ID = Column(
    "private_school_id", "text", "NCES PSS id (PPIN) of the private school.", example="A1392029"
)
RESIDENT_STATE = Column(
    "resident_state", "text", "USPS code of the state the child lives in.", example="MA"
)

AGE_AT_COUNT = age_on("birth_date", "count_date")
IS_SCHOOL_AGE = f"({AGE_AT_COUNT} >= 6 OR ({AGE_AT_COUNT} = 5 AND grade_level = 'KG'))"
OUT_OF_DISTRICT = "placement_type <> 'IN_DISTRICT'"


def _in(codes: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{c}'" for c in codes) + ")"


#: The rows a federal demographic column is required on: from the state profile's first
#: federal year (`federal.first_year`) on; a file of an earlier year may leave them out.
FROM_FIRST_FEDERAL_YEAR = "_period >= '{first_federal_year}'"
FEDERAL_REQUIRED_WHEN = (
    "the school year is the state profile's first federal year (federal.first_year) or later"
)


def _demographic_columns(required_when: str) -> tuple[Column, ...]:
    """The three demographic columns of the federal child count (EDFacts FS002, FS089)."""
    return (
        Column(
            "race_ethnicity",
            "code",
            "EDFacts race/ethnicity of the child (one of the seven aggregated categories).",
            required="conditional",
            required_when=required_when,
            codes=C.RACE_ETHNICITIES,
            example="WH7",
        ),
        Column(
            "sex",
            "code",
            "EDFacts sex: M or F (X only where the state profile allows it).",
            required="conditional",
            required_when=required_when,
            codes=C.SEXES,
            example="F",
        ),
        Column(
            "english_learner",
            "flag",
            "English learner on the count date (Y/N).",
            required="conditional",
            required_when=required_when,
            example="N",
        ),
    )


def _demographic_rules(name: str, when: str = "") -> tuple[Rule, ...]:
    """Blocking from the first federal year: each demographic column filled in (on the rows
    `when` selects, all rows when empty); X for sex only where the profile allows it."""
    rows = f" AND {when}" if when else ""
    required = tuple(
        _sql(
            f"{name}.{column}.required_federal",
            "blocking",
            f"{column} must be filled in from the state's first federal year on"
            + (" for a child with a services plan." if when else "."),
            f"EDFacts FS002/FS089; {CONTRACT}, {name}: {column}",
            f"{column} IS NULL AND {FROM_FIRST_FEDERAL_YEAR}{rows}",
            [column],
        )
        for column in ("race_ethnicity", "sex", "english_learner")
    )
    return (
        *required,
        _sql(
            f"{name}.sex.x_allowed",
            "blocking",
            "sex X is not accepted in this state (its federal files report M and F only).",
            f"EDFacts FS002/FS089; state profile federal.sex_x_allowed; {CONTRACT}, {name}: sex",
            "sex = 'X' AND NOT {sex_x_allowed}",
            ["sex"],
        ),
    )


def _count_date_rules(name: str) -> tuple[Rule, ...]:
    return (
        _sql(
            f"{name}.count_date.window",
            "blocking",
            "count_date must be the state's count day for the school year, or a day in its "
            "count window when it names none (October 1 to December 1 inclusive).",
            "34 CFR 300.133(c), 300.641(a); " + CONTRACT + f", {name}: count_date",
            f"count_date < {COUNT_WINDOW_START} OR count_date > {COUNT_WINDOW_END}",
            ["count_date"],
            expected=COUNT_WINDOW_EXPECTED,
        ),
        Rule(
            id=f"{name}.count_date.single_value",
            severity="blocking",
            kind="single_value",
            text="count_date must be the same on every row: a file is one count taken on one day.",
            reference=f"{CONTRACT}, {name}: count_date, one value for the file",
            params={"column": "count_date"},
        ),
        _sql(
            f"{name}.birth_date.age_range",
            "blocking",
            "The student must be 3 to 21 years old on the count date.",
            "34 CFR 300.133(a); " + CONTRACT + f", {name}: birth_date",
            f"{AGE_AT_COUNT} < 3 OR {AGE_AT_COUNT} > 21",
            ["birth_date", "count_date"],
        ),
    )


def _private_child_rules(name: str) -> tuple[Rule, ...]:
    """Rules shared by the two files about parentally placed children: the school's PPIN, the
    school in the directory, and the child's state of residence."""
    return (
        Rule(
            f"{name}.private_school_id.shape",
            "blocking",
            "regex",
            "private_school_id must be an 8-character PPIN (capital letters and digits).",
            f"docs/rules/identifiers_and_privacy.md; {CONTRACT}, {name}: private_school_id",
            {"column": "private_school_id", "pattern": C.PPIN_PATTERN},
        ),
        Rule(
            f"{name}.private_school_id.in_directory",
            "warning",
            "in_directory",
            "private_school_id is not in the state's private-school directory.",
            f"{CONTRACT}, {name}: private_school_id",
            {
                "column": "private_school_id",
                "directory": "private_schools",
                "directory_column": "private_school_id",
            },
        ),
        Rule(
            f"{name}.resident_state.code",
            "blocking",
            "in_set",
            "resident_state must be a two-letter USPS state code.",
            f"{CONTRACT}, {name}: resident_state",
            {"column": "resident_state", "codes": list(C.USPS_STATES)},
        ),
    )


PLACEMENTS = _collection(
    name="placements",
    title="Special-education placement roster",
    description=(
        "Every student with an IEP for whom the LEA is responsible on its child count date, "
        "including students it placed out of district. Parentally placed private-school "
        "students are not on this roster."
    ),
    period_kind="school_year",
    period_column="school_year",
    lea_scoped=True,
    submitted_by="district",
    columns=(
        LEA_ID,
        SCHOOL_YEAR,
        Column("count_date", "date", "The child count date of this roster.", example="2025-10-01"),
        Column(
            "student_id",
            "text",
            "The district's student identifier (1-20 letters and digits).",
            example="S0001234",
        ),
        Column("birth_date", "date", "Date of birth.", example="2014-03-09"),
        Column(
            "grade_level",
            "code",
            "Grade level on the count date.",
            codes=C.GRADE_LEVELS,
            example="05",
        ),
        Column(
            "disability_category",
            "code",
            "Primary disability category (one per child).",
            codes=C.DISABILITY_CATEGORIES,
            example="SLD",
        ),
        Column(
            "educational_environment",
            "code",
            "EDFacts educational environment: school-age (FS002) for age 6+ or 5 in "
            "kindergarten, early-childhood (FS089) for 3-5 not in kindergarten.",
            codes=C.ALL_ENVIRONMENTS,
            example="RC80",
        ),
        Column(
            "placement_type",
            "code",
            "Where the IEP is delivered; anything but IN_DISTRICT is an out-of-district placement.",
            codes=C.PLACEMENT_TYPES,
            example="IN_DISTRICT",
        ),
        Column(
            "facility_id",
            "text",
            "Facility directory id of the out-of-district program.",
            required="conditional",
            required_when="placement_type is not IN_DISTRICT",
            example="F0042",
        ),
        Column(
            "facility_state",
            "text",
            "USPS state code of an out-of-state program.",
            required="conditional",
            required_when="placement_type is OUT_OF_STATE",
            example="NH",
        ),
        Column(
            "placement_start_date",
            "date",
            "Date the current placement began.",
            example="2023-09-05",
        ),
        Column(
            "twndp_pct",
            "number",
            "Percent of the school day with nondisabled peers (0-100).",
            example="85",
        ),
        Column(
            "lre_checklist_on_file",
            "flag",
            "LRE checklist on file (Y/N).",
            required="conditional",
            required_when="twndp_pct is 40 or less",
            example="Y",
        ),
        Column(
            "contract_on_file",
            "flag",
            "Written contract with the placement on file (Y/N).",
            required="conditional",
            required_when="placement is private (approved or not) or out of state",
            example="Y",
        ),
        Column(
            "monitoring_plan_on_file",
            "flag",
            "Monitoring plan on file (Y/N).",
            required="conditional",
            required_when="the student is placed out of district",
            example="Y",
        ),
        Column(
            "transport_minutes_one_way",
            "integer",
            "Transport time one way, in minutes.",
            required="no",
            example="25",
        ),
        Column(
            "transport_team_approved",
            "flag",
            "Team approval of transport over one hour each way documented (Y/N).",
            required="conditional",
            required_when="transport_minutes_one_way is over 60",
            example="Y",
        ),
        Column(
            "return_criteria_documented",
            "flag",
            "Criteria and timelines for return from a residential placement documented (Y/N).",
            required="conditional",
            required_when="APPROVED_PRIVATE_RESIDENTIAL or environment RF",
            example="Y",
        ),
        Column(
            "annual_tuition",
            "decimal",
            "Annual tuition paid for the placement, in dollars.",
            required="no",
            example="68500.00",
        ),
        *_demographic_columns(FEDERAL_REQUIRED_WHEN),
    ),
    rules=(
        *_count_date_rules("placements"),
        Rule(
            "placements.student_id.shape",
            "blocking",
            "regex",
            "student_id must be 1 to 20 letters and digits, with no spaces or punctuation.",
            f"{CONTRACT}, placements: student_id",
            {"column": "student_id", "pattern": C.STUDENT_ID_PATTERN},
        ),
        Rule(
            "placements.student_id.unique",
            "blocking",
            "unique",
            "Each student may appear only once in the roster.",
            f"{CONTRACT}, placements: student_id unique in the file",
            {"columns": ["student_id"]},
        ),
        _sql(
            "placements.disability_category.dd_age",
            "warning",
            "Developmental delay (DD) is used outside the state's age range for DD.",
            "34 CFR 300.8(b), 300.111(b); state profile dd_age_range",
            f"disability_category = 'DD' AND ({AGE_AT_COUNT} < {{dd_min_age}} "
            f"OR {AGE_AT_COUNT} > {{dd_max_age}})",
            ["disability_category", "birth_date"],
        ),
        _sql(
            "placements.educational_environment.age_band",
            "blocking",
            "educational_environment must be a school-age code for students 6 and over (or 5 in "
            "kindergarten) and an early-childhood code for 3-5 year olds not in kindergarten.",
            "EDFacts FS002/FS089; " + CONTRACT + ", placements: educational_environment",
            f"CASE WHEN {IS_SCHOOL_AGE} THEN educational_environment NOT IN "
            f"{_in(C.SCHOOL_AGE_ENVIRONMENTS)} ELSE educational_environment NOT IN "
            f"{_in(C.EARLY_CHILDHOOD_ENVIRONMENTS)} END",
            ["educational_environment", "birth_date", "grade_level"],
        ),
        _sql(
            "placements.facility_id.required_out_of_district",
            "blocking",
            "facility_id is required for a student placed out of district.",
            f"{CONTRACT}, placements: facility_id",
            f"{OUT_OF_DISTRICT} AND facility_id IS NULL",
            ["facility_id", "placement_type"],
        ),
        Rule(
            "placements.facility_id.approved_in_directory",
            "blocking",
            "in_directory",
            "An approved private placement must name a facility in the state's facility directory.",
            "603 CMR 28.06(3)(d); " + CONTRACT + ", placements: facility_id",
            {
                "column": "facility_id",
                "directory": "facilities",
                "directory_column": "facility_id",
                "when": f"placement_type IN {_in(C.APPROVED_PLACEMENT_TYPES)}",
            },
        ),
        _sql(
            "placements.facility_state.out_of_state",
            "blocking",
            "facility_state must be the two-letter code of a state other than ours for an "
            "out-of-state placement.",
            f"{CONTRACT}, placements: facility_state",
            f"placement_type = 'OUT_OF_STATE' AND (facility_state IS NULL OR facility_state NOT IN "
            f"{_in(C.USPS_STATES)} OR facility_state = '{{home_state}}')",
            ["facility_state", "placement_type"],
        ),
        _sql(
            "placements.placement_start_date.before_count",
            "blocking",
            "placement_start_date must be on or before the count date.",
            f"{CONTRACT}, placements: placement_start_date",
            "placement_start_date > count_date",
            ["placement_start_date", "count_date"],
        ),
        Rule(
            "placements.twndp_pct.range",
            "blocking",
            "between",
            "twndp_pct must be a percentage from 0 to 100.",
            f"{CONTRACT}, placements: twndp_pct",
            {"column": "twndp_pct", "min": 0, "max": 100},
        ),
        _sql(
            "placements.twndp_pct.environment_band",
            "warning",
            "twndp_pct disagrees with the educational environment (RC80 means 80 or more, "
            "RC79TO40 40 to under 80, RC39 under 40).",
            "34 CFR 300.320(a)(5) (time with nondisabled peers); "
            + CONTRACT
            + ", placements: twndp_pct",
            "(educational_environment = 'RC80' AND twndp_pct < 80) OR "
            "(educational_environment = 'RC79TO40' AND (twndp_pct < 40 OR twndp_pct >= 80)) OR "
            "(educational_environment = 'RC39' AND twndp_pct >= 40)",
            ["twndp_pct", "educational_environment"],
        ),
        _sql(
            "placements.lre_checklist_on_file.required",
            "warning",
            "The LRE checklist must be on file when the student spends 40% or less of the day "
            "with nondisabled peers.",
            "34 CFR 300.114-300.116 (state LRE checklist); "
            + CONTRACT
            + ", placements: lre_checklist_on_file",
            "twndp_pct <= 40 AND lre_checklist_on_file IS NOT TRUE",
            ["lre_checklist_on_file", "twndp_pct"],
        ),
        _sql(
            "placements.contract_on_file.required",
            "warning",
            "A written contract must be on file for a private or out-of-state placement "
            "(no reimbursement without one).",
            "603 CMR 28.06(3)(f); " + CONTRACT + ", placements: contract_on_file",
            f"placement_type IN {_in(C.PRIVATE_OR_OUT_OF_STATE)} AND contract_on_file IS NOT TRUE",
            ["contract_on_file", "placement_type"],
        ),
        _sql(
            "placements.monitoring_plan_on_file.required",
            "warning",
            "A monitoring plan must be on file for every student placed out of district.",
            "603 CMR 28.06(3)(b); " + CONTRACT + ", placements: monitoring_plan_on_file",
            f"{OUT_OF_DISTRICT} AND monitoring_plan_on_file IS NOT TRUE",
            ["monitoring_plan_on_file", "placement_type"],
        ),
        Rule(
            "placements.transport_minutes_one_way.non_negative",
            "blocking",
            "between",
            "transport_minutes_one_way cannot be negative.",
            f"{CONTRACT}, placements: transport_minutes_one_way",
            {"column": "transport_minutes_one_way", "min": 0, "max": None},
        ),
        _sql(
            "placements.transport_team_approved.required",
            "warning",
            "Transport of more than one hour each way needs documented Team approval.",
            "603 CMR 28.06(8)(a); " + CONTRACT + ", placements: transport_team_approved",
            "transport_minutes_one_way > 60 AND transport_team_approved IS NOT TRUE",
            ["transport_team_approved", "transport_minutes_one_way"],
        ),
        _sql(
            "placements.return_criteria_documented.required",
            "warning",
            "A residential placement must document criteria and timelines for return.",
            "34 CFR 300.104 (residential placement); "
            + CONTRACT
            + ", placements: return_criteria_documented",
            "(placement_type = 'APPROVED_PRIVATE_RESIDENTIAL' OR educational_environment = 'RF') "
            "AND return_criteria_documented IS NOT TRUE",
            ["return_criteria_documented", "placement_type", "educational_environment"],
        ),
        Rule(
            "placements.annual_tuition.non_negative",
            "blocking",
            "between",
            "annual_tuition cannot be negative.",
            f"{CONTRACT}, placements: annual_tuition",
            {"column": "annual_tuition", "min": 0, "max": None},
        ),
        *_demographic_rules("placements"),
    ),
)

MONITORING_LOG = _collection(
    name="monitoring_log",
    title="Monitoring log of out-of-district students",
    description=(
        "Each monitoring activity for a student the LEA placed out of district: site visits, "
        "progress-report reviews, IEP meetings and desk reviews, and who conducted them."
    ),
    period_kind="school_year",
    period_column="school_year",
    lea_scoped=True,
    submitted_by="district",
    columns=(
        LEA_ID,
        SCHOOL_YEAR,
        Column("student_id", "text", "The district's student identifier.", example="S0001234"),
        Column("facility_id", "text", "Facility where the student is placed.", example="F0042"),
        Column("activity_date", "date", "Date of the monitoring activity.", example="2025-11-14"),
        Column(
            "activity_type",
            "code",
            "Kind of monitoring activity.",
            codes=C.ACTIVITY_TYPES,
            example="SITE_VISIT",
        ),
        Column(
            "conducted_by",
            "code",
            "Who conducted it; PARENT and PLACEMENT_STAFF are kept but never count as monitoring.",
            codes=C.MONITORS,
            example="DISTRICT_STAFF",
        ),
    ),
    rules=(
        _sql(
            "monitoring_log.activity_date.school_year",
            "blocking",
            "activity_date must fall inside the school year (July 1 to June 30).",
            f"{CONTRACT}, monitoring_log: activity_date",
            f"activity_date < {SCHOOL_YEAR_START} OR activity_date > {SCHOOL_YEAR_END}",
            ["activity_date"],
        ),
        _sql(
            "monitoring_log.student_id.on_roster",
            "warning",
            "The student is not an out-of-district student on the district's accepted roster "
            "for this year.",
            f"603 CMR 28.06(3)(b); {CONTRACT}, monitoring_log: student_id",
            "NOT EXISTS (SELECT 1 FROM {roster} r WHERE r.lea_id = b.lea_id AND "
            "r.school_year = b.school_year AND r.student_id = b.student_id AND "
            "r.placement_type <> 'IN_DISTRICT')",
            ["student_id"],
            stage="cross",
        ),
        _sql(
            "monitoring_log.facility_id.matches_roster",
            "warning",
            "facility_id differs from the facility on the roster for this student.",
            f"{CONTRACT}, monitoring_log: facility_id",
            "EXISTS (SELECT 1 FROM {roster} r WHERE r.lea_id = b.lea_id AND "
            "r.school_year = b.school_year AND r.student_id = b.student_id AND "
            "r.facility_id IS DISTINCT FROM b.facility_id)",
            ["facility_id"],
            stage="cross",
        ),
    ),
)

CHILD_FIND = _collection(
    name="child_find",
    title="Child find for parentally placed private-school children",
    description=(
        "Referrals and evaluations of children enrolled by their parents in private schools "
        "located in the LEA, reported by the LEA where the school is located."
    ),
    period_kind="school_year",
    period_column="school_year",
    lea_scoped=True,
    submitted_by="district",
    columns=(
        LEA_ID,
        SCHOOL_YEAR,
        PRIVATE_CHILD_ID,
        PRIVATE_SCHOOL_ID,
        RESIDENT_STATE,
        Column("referral_date", "date", "Date of referral.", example="2025-09-22"),
        Column(
            "consent_date",
            "date",
            "Date the parent consented to evaluation.",
            required="no",
            example="2025-10-01",
        ),
        Column(
            "evaluation_type",
            "code",
            "Initial evaluation or reevaluation.",
            codes=C.EVALUATION_TYPES,
            example="INITIAL",
        ),
        Column(
            "evaluation_date",
            "date",
            "Date the evaluation was completed.",
            required="no",
            required_when="eligibility is not PENDING or CONSENT_DECLINED",
            example="2025-11-10",
        ),
        Column(
            "eligibility",
            "code",
            "Outcome of the evaluation.",
            codes=C.ELIGIBILITY,
            example="ELIGIBLE",
        ),
        Column(
            "services_plan_date",
            "date",
            "Date a services plan was written.",
            required="no",
            example="2025-12-01",
        ),
    ),
    rules=(
        Rule(
            "child_find.student_id.unique",
            "blocking",
            "unique",
            "Each child may appear once per evaluation type.",
            f"{CONTRACT}, child_find: student_id",
            {"columns": ["student_id", "evaluation_type"]},
        ),
        *_private_child_rules("child_find"),
        _sql(
            "child_find.student_id.eligible_not_counted",
            "warning",
            "The child was found eligible before the LEA's count date but is not on its count "
            "of parentally placed children.",
            "34 CFR 300.131, 300.133(c)",
            "b.eligibility = 'ELIGIBLE' AND EXISTS (SELECT 1 FROM raw.ppps_count p "
            "WHERE p.lea_id = b.lea_id AND p.school_year = b.school_year "
            "AND b.evaluation_date <= p.count_date) AND NOT EXISTS (SELECT 1 FROM "
            "raw.ppps_count p WHERE p.lea_id = b.lea_id AND p.school_year = b.school_year "
            "AND p.student_id = b.student_id)",
            ["student_id"],
            stage="cross",
        ),
        _sql(
            "child_find.student_id.not_eligible_but_counted",
            "warning",
            "The child was found not eligible before the count date but is on the LEA's count "
            "of parentally placed children with disabilities.",
            "34 CFR 300.133(a)",
            "b.eligibility = 'NOT_ELIGIBLE' AND EXISTS (SELECT 1 FROM raw.ppps_count p "
            "WHERE p.lea_id = b.lea_id AND p.school_year = b.school_year "
            "AND p.student_id = b.student_id AND b.evaluation_date <= p.count_date)",
            ["student_id"],
            stage="cross",
        ),
        _sql(
            "child_find.referral_date.school_year",
            "blocking",
            "referral_date must fall inside the school year (July 1 to June 30).",
            f"{CONTRACT}, child_find: referral_date",
            f"referral_date < {SCHOOL_YEAR_START} OR referral_date > {SCHOOL_YEAR_END}",
            ["referral_date"],
        ),
        _sql(
            "child_find.consent_date.after_referral",
            "blocking",
            "consent_date cannot be before referral_date.",
            f"{CONTRACT}, child_find: consent_date",
            "consent_date < referral_date",
            ["consent_date", "referral_date"],
        ),
        _sql(
            "child_find.evaluation_date.after_consent",
            "blocking",
            "evaluation_date cannot be before consent_date.",
            f"{CONTRACT}, child_find: evaluation_date",
            "evaluation_date < consent_date",
            ["evaluation_date", "consent_date"],
        ),
        _sql(
            "child_find.evaluation_date.required",
            "blocking",
            "evaluation_date is required unless eligibility is PENDING or CONSENT_DECLINED.",
            f"34 CFR 300.131; {CONTRACT}, child_find: evaluation_date",
            "evaluation_date IS NULL AND eligibility NOT IN ('PENDING', 'CONSENT_DECLINED')",
            ["evaluation_date", "eligibility"],
        ),
        _sql(
            "child_find.services_plan_date.only_when_eligible",
            "blocking",
            "services_plan_date may be given only when the child is ELIGIBLE, and not before "
            "evaluation_date.",
            f"34 CFR 300.137-138; {CONTRACT}, child_find: services_plan_date",
            "services_plan_date IS NOT NULL AND (eligibility <> 'ELIGIBLE' OR "
            "services_plan_date < evaluation_date)",
            ["services_plan_date", "eligibility", "evaluation_date"],
        ),
    ),
)

PPPS_COUNT = _collection(
    name="ppps_count",
    title="Count of parentally placed private-school children with disabilities",
    description=(
        "One row per eligible child enrolled by the parents in a private school located in "
        "the LEA, counted on one day between October 1 and December 1 (34 CFR 300.133(c))."
    ),
    period_kind="school_year",
    period_column="school_year",
    lea_scoped=True,
    submitted_by="district",
    columns=(
        LEA_ID,
        SCHOOL_YEAR,
        Column("count_date", "date", "The day the count was taken.", example="2025-10-01"),
        PRIVATE_CHILD_ID,
        Column("birth_date", "date", "Date of birth.", example="2016-05-30"),
        PRIVATE_SCHOOL_ID,
        Column(
            "private_school_nonprofit",
            "flag",
            "The school is nonprofit (Y/N); N rows are kept but not counted.",
            example="Y",
        ),
        Column(
            "elementary_or_secondary",
            "flag",
            "The school is an elementary or secondary school under state law (Y/N); a 3-5 "
            "year old counts only when Y.",
            example="Y",
        ),
        Column(
            "home_schooled",
            "flag",
            "The child is home-schooled (Y/N); counted only if the state profile says so.",
            example="N",
        ),
        RESIDENT_STATE,
        Column(
            "disability_category",
            "code",
            "Disability category.",
            codes=C.DISABILITY_CATEGORIES,
            example="SLI",
        ),
        Column("has_services_plan", "flag", "A services plan is in place (Y/N).", example="Y"),
        *_demographic_columns(FEDERAL_REQUIRED_WHEN + ", for a child with a services plan"),
        Column(
            "educational_environment",
            "code",
            "EDFacts early-childhood environment (FS089) where a child aged 3 through 5 who is "
            "not in kindergarten receives the services of the plan; blank for a child in "
            "kindergarten or older.",
            required="conditional",
            required_when=FEDERAL_REQUIRED_WHEN
            + ", for a child aged 3 or 4 with a services plan (or 5 and not in kindergarten)",
            codes=C.EARLY_CHILDHOOD_ENVIRONMENTS,
            example="SPL",
        ),
    ),
    rules=(
        *_count_date_rules("ppps_count"),
        Rule(
            "ppps_count.student_id.unique",
            "blocking",
            "unique",
            "Each child may appear only once in the count.",
            f"{CONTRACT}, ppps_count: student_id",
            {"columns": ["student_id"]},
        ),
        *_private_child_rules("ppps_count"),
        *_demographic_rules("ppps_count", "has_services_plan"),
        _sql(
            "ppps_count.educational_environment.early_childhood",
            "blocking",
            "A child aged 3 or 4 with a services plan needs the early-childhood environment "
            "where the services are received, from the state's first federal year on.",
            "EDFacts FS089; " + CONTRACT + ", ppps_count: educational_environment",
            f"educational_environment IS NULL AND has_services_plan AND {AGE_AT_COUNT} < 5 "
            f"AND {FROM_FIRST_FEDERAL_YEAR}",
            ["educational_environment", "birth_date", "has_services_plan"],
        ),
        _sql(
            "ppps_count.educational_environment.school_age",
            "blocking",
            "An early-childhood environment is only for a child aged 3 through 5 not in "
            "kindergarten: leave it blank for a child 6 or older.",
            "EDFacts FS002/FS089; " + CONTRACT + ", ppps_count: educational_environment",
            f"educational_environment IS NOT NULL AND {AGE_AT_COUNT} >= 6",
            ["educational_environment", "birth_date"],
        ),
    ),
)

EXPENDITURES = _collection(
    name="expenditures",
    title="Equitable-services expenditures",
    description=(
        "Obligations for equitable services to parentally placed private-school children, by "
        "the federal fiscal year of the grant charged. Keyed by (lea_id, fiscal_year)."
    ),
    period_kind="fiscal_year",
    period_column="fiscal_year",
    lea_scoped=True,
    submitted_by="district",
    columns=(
        LEA_ID,
        Column(
            "fiscal_year",
            "integer",
            "Federal fiscal year of the grant charged (e.g. 2026).",
            example="2026",
        ),
        Column(
            "expenditure_id",
            "text",
            "The district's identifier for the obligation.",
            example="E2026-0001",
        ),
        Column(
            "fund_source",
            "code",
            "Fund the obligation is charged to.",
            codes=C.FUND_SOURCES,
            example="IDEA_611",
        ),
        Column(
            "category",
            "code",
            "What was bought; child find never counts toward the share.",
            codes=C.EXPENDITURE_CATEGORIES,
            example="DIRECT_SERVICES",
        ),
        Column(
            "amount",
            "decimal",
            "Amount obligated, in dollars and cents (more than 0).",
            example="1250.00",
        ),
        Column("obligation_date", "date", "Date the funds were obligated.", example="2026-10-15"),
        Column(
            "applies_to_fiscal_year",
            "integer",
            "The fiscal year whose proportionate share this obligation pays; blank: its own "
            "fiscal_year. The year before fiscal_year: next year's grant pays a carryover "
            "obligation, where the state allows it.",
            required="no",
            example="",
        ),
    ),
    rules=(
        Rule(
            "expenditures.expenditure_id.unique",
            "blocking",
            "unique",
            "Each expenditure_id may appear only once in the file.",
            f"{CONTRACT}, expenditures: expenditure_id",
            {"columns": ["expenditure_id"]},
        ),
        _sql(
            "expenditures.amount.positive",
            "blocking",
            "amount must be more than zero.",
            f"{CONTRACT}, expenditures: amount",
            "amount <= 0",
            ["amount"],
        ),
        _sql(
            "expenditures.obligation_date.grant_period",
            "blocking",
            "obligation_date must fall inside the grant's period of availability, including "
            "the one carryover year (July 1 of the fiscal year to September 30 two years later).",
            "34 CFR 300.133(a)(3); " + CONTRACT + ", expenditures: obligation_date",
            f"obligation_date < {GRANT_PERIOD_START} OR "
            f"obligation_date > {GRANT_PERIOD_END_WITH_CARRYOVER}",
            ["obligation_date"],
        ),
        *_next_grant_rules(),
        _sql(
            "expenditures.obligation_date.future",
            "warning",
            "obligation_date is after the date the figures are judged as of.",
            f"{CONTRACT}, expenditures: obligation_date",
            "obligation_date > DATE '{as_of}'",
            ["obligation_date"],
        ),
    ),
)

ALLOCATIONS = _collection(
    name="allocations",
    title="IDEA Part B subgrant allocations",
    description=(
        "Each LEA's total Section 611(f) and 619(g) subgrant for a federal fiscal year, "
        "before any CEIS reservation. Loaded by the state, one file per fiscal year."
    ),
    period_kind="fiscal_year",
    period_column="fiscal_year",
    lea_scoped=False,
    submitted_by="state",
    columns=(
        LEA_ID,
        Column("fiscal_year", "integer", "Federal fiscal year of the grant.", example="2026"),
        Column(
            "idea_611_subgrant",
            "decimal",
            "Total 611(f) subgrant including increases, before any CEIS reservation.",
            example="1845000.00",
        ),
        Column("idea_619_subgrant", "decimal", "Total 619(g) subgrant.", example="42000.00"),
    ),
    rules=(
        Rule(
            "allocations.lea_id.unique",
            "blocking",
            "unique",
            "Each LEA may appear only once in an allocation file.",
            f"{CONTRACT}, allocations: lea_id",
            {"columns": ["lea_id"]},
        ),
        Rule(
            "allocations.lea_id.in_directory",
            "blocking",
            "in_directory",
            "lea_id is not in the LEA directory.",
            f"{CONTRACT}, allocations: lea_id",
            {"column": "lea_id", "directory": "leas", "directory_column": "lea_id"},
        ),
        Rule(
            "allocations.fiscal_year.single_value",
            "blocking",
            "single_value",
            "fiscal_year must be the same on every row.",
            f"{CONTRACT}, allocations: fiscal_year",
            {"column": "fiscal_year"},
        ),
        Rule(
            "allocations.idea_611_subgrant.non_negative",
            "blocking",
            "between",
            "idea_611_subgrant cannot be negative.",
            f"{CONTRACT}, allocations",
            {"column": "idea_611_subgrant", "min": 0, "max": None},
        ),
        Rule(
            "allocations.idea_619_subgrant.non_negative",
            "blocking",
            "between",
            "idea_619_subgrant cannot be negative.",
            f"{CONTRACT}, allocations",
            {"column": "idea_619_subgrant", "min": 0, "max": None},
        ),
    ),
)

ENROLLMENT = _collection(
    name="enrollment",
    title="Enrollment by race/ethnicity",
    description=(
        "Children aged 3 through 21 enrolled in each LEA on the count date, by EDFacts "
        "race/ethnicity: the denominators of the federal disproportionality figures. Loaded by "
        "the state, one file per school year."
    ),
    period_kind="school_year",
    period_column="school_year",
    lea_scoped=False,
    submitted_by="state",
    columns=(
        LEA_ID,
        SCHOOL_YEAR,
        Column(
            "race_ethnicity",
            "code",
            "EDFacts race/ethnicity.",
            codes=C.RACE_ETHNICITIES,
            example="HI7",
        ),
        Column(
            "enrolled",
            "integer",
            "Children aged 3 through 21 enrolled in the LEA on the count date.",
            example="412",
        ),
    ),
    rules=(
        Rule(
            "enrollment.lea_id.unique",
            "blocking",
            "unique",
            "Each LEA and race/ethnicity may appear only once in an enrollment file.",
            f"{CONTRACT}, enrollment: lea_id",
            {"columns": ["lea_id", "race_ethnicity"]},
        ),
        Rule(
            "enrollment.lea_id.in_directory",
            "blocking",
            "in_directory",
            "lea_id is not in the LEA directory.",
            f"{CONTRACT}, enrollment: lea_id",
            {"column": "lea_id", "directory": "leas", "directory_column": "lea_id"},
        ),
        Rule(
            "enrollment.enrolled.non_negative",
            "blocking",
            "between",
            "enrolled cannot be negative.",
            f"{CONTRACT}, enrollment: enrolled",
            {"column": "enrolled", "min": 0, "max": None},
        ),
    ),
)

LEAS = _collection(
    name="leas",
    title="LEA directory",
    description="The state's directory of local education agencies.",
    period_kind="current",
    lea_scoped=False,
    submitted_by="state",
    columns=(
        LEA_ID,
        Column("name", "text", "LEA name.", example="Andover Public Schools"),
        Column("county", "text", "County or region.", example="Essex"),
        Column("lea_type", "code", "Kind of LEA.", codes=C.LEA_TYPES, example="REGULAR"),
    ),
    rules=(
        Rule(
            "leas.lea_id.unique",
            "blocking",
            "unique",
            "Each lea_id may appear only once.",
            f"{CONTRACT}, reference data",
            {"columns": ["lea_id"]},
        ),
        Rule(
            "leas.lea_id.shape",
            "blocking",
            "regex",
            "lea_id must follow the state's LEA identifier pattern.",
            "docs/rules/identifiers_and_privacy.md; state profile lea_id_pattern",
            {"column": "lea_id", "pattern": "{lea_id_pattern}"},
        ),
    ),
)

FACILITIES = _collection(
    name="facilities",
    title="Facility directory",
    description="Programs students may be placed in: districts, collaboratives, private "
    "schools (approved or not), state facilities and out-of-state programs.",
    period_kind="current",
    lea_scoped=False,
    submitted_by="state",
    columns=(
        Column("facility_id", "text", "State facility identifier.", example="F0042"),
        Column("name", "text", "Facility name.", example="Riverside Academy"),
        Column(
            "facility_type",
            "code",
            "Kind of program.",
            codes=C.FACILITY_TYPES,
            example="APPROVED_PRIVATE_DAY",
        ),
        Column("state", "text", "USPS code of the state the facility is in.", example="MA"),
        Column("approved", "flag", "Approved by the state (Y/N).", example="Y"),
        Column(
            "approval_expires",
            "date",
            "Date the approval expires.",
            required="no",
            example="2027-06-30",
        ),
    ),
    rules=(
        Rule(
            "facilities.facility_id.unique",
            "blocking",
            "unique",
            "Each facility_id may appear only once.",
            f"{CONTRACT}, reference data",
            {"columns": ["facility_id"]},
        ),
        Rule(
            "facilities.state.code",
            "blocking",
            "in_set",
            "state must be a two-letter USPS state code.",
            f"{CONTRACT}, reference data",
            {"column": "state", "codes": list(C.USPS_STATES)},
        ),
    ),
)

PRIVATE_SCHOOLS = _collection(
    name="private_schools",
    title="Private-school directory",
    description="Private schools located in the state, by NCES PSS id (PPIN), with the LEA "
    "they are located in.",
    period_kind="current",
    lea_scoped=False,
    submitted_by="state",
    columns=(
        Column("private_school_id", "text", "NCES PSS id (PPIN).", example="A1392029"),
        Column("name", "text", "School name.", example="The Binah School"),
        Column("lea_id", "text", "LEA the school is located in.", example="2500001"),
        Column("nonprofit", "flag", "Nonprofit school (Y/N).", example="Y"),
        Column(
            "level", "code", "School level.", codes=C.PRIVATE_SCHOOL_LEVELS, example="ELEMENTARY"
        ),
    ),
    rules=(
        Rule(
            "private_schools.private_school_id.unique",
            "blocking",
            "unique",
            "Each private_school_id may appear only once.",
            f"{CONTRACT}, reference data",
            {"columns": ["private_school_id"]},
        ),
        Rule(
            "private_schools.private_school_id.shape",
            "blocking",
            "regex",
            "private_school_id must be an 8-character PPIN (capital letters and digits).",
            "docs/rules/identifiers_and_privacy.md",
            {"column": "private_school_id", "pattern": C.PPIN_PATTERN},
        ),
        Rule(
            "private_schools.lea_id.in_directory",
            "warning",
            "in_directory",
            "lea_id is not in the LEA directory.",
            f"{CONTRACT}, reference data",
            {"column": "lea_id", "directory": "leas", "directory_column": "lea_id"},
        ),
    ),
)
