"""Code sets shared by the contracts (docs/rules/contracts.md; docs/rules/placements_and_lre.md)."""

from __future__ import annotations

DISABILITY_CATEGORIES: tuple[str, ...] = (
    "AUT",
    "DB",
    "DD",
    "EMN",
    "HI",
    "ID",
    "MD",
    "OI",
    "OHI",
    "SLD",
    "SLI",
    "TBI",
    "VI",
)

DISABILITY_LABELS: dict[str, str] = {
    "AUT": "Autism",
    "DB": "Deaf-blindness",
    "DD": "Developmental delay",
    "EMN": "Emotional disturbance",
    "HI": "Hearing impairment",
    "ID": "Intellectual disability",
    "MD": "Multiple disabilities",
    "OI": "Orthopedic impairment",
    "OHI": "Other health impairment",
    "SLD": "Specific learning disability",
    "SLI": "Speech or language impairment",
    "TBI": "Traumatic brain injury",
    "VI": "Visual impairment",
}

#: EDFacts FS002: age 6-21, and 5 in kindergarten. PPPS is a federal code that never appears
#: on a district's placement roster.
SCHOOL_AGE_ENVIRONMENTS: tuple[str, ...] = ("RC80", "RC79TO40", "RC39", "SS", "RF", "HH", "CF")
PPPS_ENVIRONMENT = "PPPS"

#: EDFacts FS089: age 3-5, not in kindergarten.
EARLY_CHILDHOOD_ENVIRONMENTS: tuple[str, ...] = (
    "REC10YSVCS",
    "REC10YOTHLOC",
    "REC09YSVCS",
    "REC09YOTHLOC",
    "SC",
    "SS",
    "RF",
    "H",
    "SPL",
)

ENVIRONMENT_LABELS: dict[str, str] = {
    "RC80": "Inside regular class 80% or more of the day",
    "RC79TO40": "Inside regular class 40% through 79% of the day",
    "RC39": "Inside regular class less than 40% of the day",
    "SS": "Separate school",
    "RF": "Residential facility",
    "HH": "Homebound/hospital",
    "CF": "Correctional facility",
    "PPPS": "Parentally placed in private school",
    "REC10YSVCS": "Regular early childhood program 10+ hours, services there",
    "REC10YOTHLOC": "Regular early childhood program 10+ hours, services elsewhere",
    "REC09YSVCS": "Regular early childhood program under 10 hours, services there",
    "REC09YOTHLOC": "Regular early childhood program under 10 hours, services elsewhere",
    "SC": "Separate class",
    "H": "Home",
    "SPL": "Service provider location",
}

ALL_ENVIRONMENTS: tuple[str, ...] = tuple(
    dict.fromkeys(SCHOOL_AGE_ENVIRONMENTS + EARLY_CHILDHOOD_ENVIRONMENTS)
)

#: EDFacts race/ethnicity permitted values of the IDEA files (FS002, FS089): the seven
#: aggregated categories of the 2007 federal guidance ("7" in each code).
RACE_ETHNICITIES: tuple[str, ...] = ("AM7", "AS7", "BL7", "HI7", "MU7", "PI7", "WH7")
RACE_ETHNICITY_LABELS: dict[str, str] = {
    "AM7": "American Indian or Alaska Native",
    "AS7": "Asian",
    "BL7": "Black or African American",
    "HI7": "Hispanic/Latino",
    "MU7": "Two or more races",
    "PI7": "Native Hawaiian or Other Pacific Islander",
    "WH7": "White",
}
#: EDFacts sex (membership): M and F; X (another sex) only where the state profile allows it
#: (`federal.sex_x_allowed`), as a state's EDFacts submission plan may.
SEXES: tuple[str, ...] = ("M", "F", "X")
SEX_LABELS: dict[str, str] = {"M": "Male", "F": "Female", "X": "Another sex (X)"}
ENGLISH_LEARNER_LABELS: dict[bool, str] = {
    True: "English learner",
    False: "Not an English learner",
}

GRADE_LEVELS: tuple[str, ...] = (
    "PK",
    "KG",
    "01",
    "02",
    "03",
    "04",
    "05",
    "06",
    "07",
    "08",
    "09",
    "10",
    "11",
    "12",
    "UG",
)

PLACEMENT_TYPES: tuple[str, ...] = (
    "IN_DISTRICT",
    "OTHER_DISTRICT",
    "COLLABORATIVE",
    "APPROVED_PRIVATE_DAY",
    "APPROVED_PRIVATE_RESIDENTIAL",
    "UNAPPROVED_PRIVATE",
    "OUT_OF_STATE",
    "STATE_FACILITY",
)
#: Placement types for which a written contract is required (603 CMR 28.06(3)(f)).
PRIVATE_OR_OUT_OF_STATE: tuple[str, ...] = (
    "APPROVED_PRIVATE_DAY",
    "APPROVED_PRIVATE_RESIDENTIAL",
    "UNAPPROVED_PRIVATE",
    "OUT_OF_STATE",
)
#: Placement types whose facility must be in the facility directory (approved programs).
APPROVED_PLACEMENT_TYPES: tuple[str, ...] = ("APPROVED_PRIVATE_DAY", "APPROVED_PRIVATE_RESIDENTIAL")

ACTIVITY_TYPES: tuple[str, ...] = (
    "SITE_VISIT",
    "PROGRESS_REPORT_REVIEW",
    "IEP_MEETING",
    "DESK_REVIEW",
)
MONITORS: tuple[str, ...] = ("DISTRICT_STAFF", "CONTRACTED_MONITOR", "PARENT", "PLACEMENT_STAFF")
#: Who may monitor (28.06(3)(b)): the duty cannot be delegated to parents or the placement.
COUNTABLE_MONITORS: tuple[str, ...] = ("DISTRICT_STAFF", "CONTRACTED_MONITOR")

EVALUATION_TYPES: tuple[str, ...] = ("INITIAL", "REEVALUATION")
ELIGIBILITY: tuple[str, ...] = ("ELIGIBLE", "NOT_ELIGIBLE", "PENDING", "CONSENT_DECLINED")

FUND_SOURCES: tuple[str, ...] = ("IDEA_611", "IDEA_619", "STATE", "LOCAL")
#: Only federal IDEA funds count toward proportionate share (34 CFR 300.133(d)).
FEDERAL_FUND_SOURCES: tuple[str, ...] = ("IDEA_611", "IDEA_619")
EXPENDITURE_CATEGORIES: tuple[str, ...] = (
    "DIRECT_SERVICES",
    "RELATED_SERVICES",
    "TRANSPORTATION",
    "MATERIALS_EQUIPMENT",
    "CHILD_FIND_EVALUATION",
)
#: Child find, including evaluations, never counts toward the share (300.131(d)).
NON_COUNTING_CATEGORIES: tuple[str, ...] = ("CHILD_FIND_EVALUATION",)

LEA_TYPES: tuple[str, ...] = ("REGULAR", "CHARTER", "REGIONAL", "COLLABORATIVE")
FACILITY_TYPES: tuple[str, ...] = (
    "PUBLIC_DISTRICT",
    "COLLABORATIVE",
    "APPROVED_PRIVATE_DAY",
    "APPROVED_PRIVATE_RESIDENTIAL",
    "UNAPPROVED_PRIVATE",
    "STATE_FACILITY",
    "OUT_OF_STATE",
)
PRIVATE_SCHOOL_LEVELS: tuple[str, ...] = ("ELEMENTARY", "SECONDARY", "COMBINED", "PRESCHOOL_ONLY")

#: USPS codes: 50 states, DC and the territories.
USPS_STATES: tuple[str, ...] = (
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "AS",
    "GU",
    "MP",
    "PR",
    "VI",
    "UM",
)

PPIN_PATTERN = r"^[A-Z0-9]{8}$"
STUDENT_ID_PATTERN = r"^[A-Za-z0-9]{1,20}$"
SCHOOL_YEAR_PATTERN = r"^[0-9]{4}-[0-9]{2}$"

# --- the words for each code: what pages, exports and the data dictionary show beside it -----
# (sped/contracts/labels.py assembles them, with the codes the marts derive, into one table)

GRADE_LEVEL_LABELS: dict[str, str] = {
    "PK": "Pre-kindergarten",
    "KG": "Kindergarten",
    **{f"{g:02d}": f"Grade {g}" for g in range(1, 13)},
    "UG": "Ungraded",
}
PLACEMENT_TYPE_LABELS: dict[str, str] = {
    "IN_DISTRICT": "In the district's own programs",
    "OTHER_DISTRICT": "Another district",
    "COLLABORATIVE": "Collaborative",
    "APPROVED_PRIVATE_DAY": "Approved private day school",
    "APPROVED_PRIVATE_RESIDENTIAL": "Approved private residential school",
    "UNAPPROVED_PRIVATE": "Unapproved private program",
    "OUT_OF_STATE": "Out of state",
    "STATE_FACILITY": "State facility",
}
ACTIVITY_TYPE_LABELS: dict[str, str] = {
    "SITE_VISIT": "Site visit",
    "PROGRESS_REPORT_REVIEW": "Progress report review",
    "IEP_MEETING": "IEP meeting",
    "DESK_REVIEW": "Desk review",
}
MONITOR_LABELS: dict[str, str] = {
    "DISTRICT_STAFF": "District staff",
    "CONTRACTED_MONITOR": "Contracted monitor",
    "PARENT": "Parent",
    "PLACEMENT_STAFF": "Placement staff",
}
EVALUATION_TYPE_LABELS: dict[str, str] = {
    "INITIAL": "Initial evaluation",
    "REEVALUATION": "Reevaluation",
}
ELIGIBILITY_LABELS: dict[str, str] = {
    "ELIGIBLE": "Eligible",
    "NOT_ELIGIBLE": "Not eligible",
    "PENDING": "Pending",
    "CONSENT_DECLINED": "Consent declined",
}
FUND_SOURCE_LABELS: dict[str, str] = {
    "IDEA_611": "IDEA Part B section 611",
    "IDEA_619": "IDEA Part B section 619 (preschool)",
    "STATE": "State funds",
    "LOCAL": "Local funds",
}
EXPENDITURE_CATEGORY_LABELS: dict[str, str] = {
    "DIRECT_SERVICES": "Direct services",
    "RELATED_SERVICES": "Related services",
    "TRANSPORTATION": "Transportation",
    "MATERIALS_EQUIPMENT": "Materials and equipment",
    "CHILD_FIND_EVALUATION": "Child find and evaluation",
}
LEA_TYPE_LABELS: dict[str, str] = {
    "REGULAR": "Regular district",
    "CHARTER": "Charter school",
    "REGIONAL": "Regional district",
    "COLLABORATIVE": "Collaborative",
}
FACILITY_TYPE_LABELS: dict[str, str] = {
    "PUBLIC_DISTRICT": "Public district",
    "COLLABORATIVE": "Collaborative",
    "APPROVED_PRIVATE_DAY": "Approved private day school",
    "APPROVED_PRIVATE_RESIDENTIAL": "Approved private residential school",
    "UNAPPROVED_PRIVATE": "Unapproved private program",
    "STATE_FACILITY": "State facility",
    "OUT_OF_STATE": "Out of state",
}
PRIVATE_SCHOOL_LEVEL_LABELS: dict[str, str] = {
    "ELEMENTARY": "Elementary",
    "SECONDARY": "Secondary",
    "COMBINED": "Elementary and secondary",
    "PRESCHOOL_ONLY": "Preschool only",
}
