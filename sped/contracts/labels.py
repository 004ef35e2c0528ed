"""One table of words for every code a page, an export or the data dictionary shows.

`CODE_SETS` names each set of codes and gives each code its words: the contracts' own code sets
(their labels live beside the codes in `sped.contracts.codes`) and the codes the marts derive
from them (a share's status, 34 CFR 300.133(a)(3), docs/rules/proportionate_share.md; a
submission's status and timeliness, docs/rules/contracts.md; why a shared cell is hidden,
docs/rules/identifiers_and_privacy.md; an out-of-district outlier flag; the collections; the
categories and ratio kinds of significant disproportionality, docs/rules/disproportionality.md).
`COLUMN_CODE_SETS` says which set a column's values come from, by the column's name in the
contracts and the marts, so `with_labels` can put a label column beside each code column of a
download and a page can write `label("share_status", "NOT_MET")`.
"""

from __future__ import annotations

import polars as pl

from sped.contracts import COLLECTIONS
from sped.contracts import codes as c

SHARE_STATUS_LABELS: dict[str, str] = {
    "NO_OBLIGATION": "No obligation",
    "MET": "Met in the initial period",
    "OPEN": "Open (initial period still running)",
    "MET_WITH_CARRYOVER": "Met with carryover",
    "CARRYOVER_OPEN": "Open (carryover year still running)",
    "NOT_MET": "Not met",
    "UNKNOWN": "Unknown (required amount not known)",
}
SUBMISSION_STATUS_LABELS: dict[str, str] = {
    "IN_FORCE": "Accepted file in force",
    "NONE_ACCEPTED": "Files received, none accepted",
    "MISSING": "Nothing received",
}
TIMELINESS_LABELS: dict[str, str] = {
    "ON_TIME": "On time",
    "LATE": "Late",
    "OVERDUE": "Overdue",
    "NOT_YET_DUE": "Not yet due",
    "NOT_EXPECTED": "Not expected",
    "NO_DUE_DATE": "No due date",
}
SUPPRESSION_LABELS: dict[str, str] = {
    "SMALL_CELL": "Hidden: fewer students than the smallest cell shown",
    "COMPLEMENTARY": "Hidden so that another hidden figure cannot be worked out",
}
OUTLIER_FLAG_LABELS: dict[str, str] = {
    "HIGH": "Far above the state rate",
    "LOW": "Far below the state rate",
    "WATCH": "To watch",
    "WITHIN": "Within the expected range",
}
COUNT_SOURCE_LABELS: dict[str, str] = {
    "SUBMITTED": "The LEA's count",
    "NO_PRIVATE_SCHOOL_LOCATED": "No private school located here: no children to count",
}
#: A `status` column holds a share's status (chart tables) or a submission's registry status.
STATUS_LABELS: dict[str, str] = {
    **SHARE_STATUS_LABELS,
    "received": "Received, not yet loaded",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "superseded": "Superseded",
}
COLLECTION_LABELS: dict[str, str] = {name: col.title for name, col in COLLECTIONS.items()}
#: The EDFacts child-count ages that are codes, not numbers (FS002 and FS089; the others are
#: the age in years).
EDFACTS_AGE_LABELS: dict[str, str] = {
    "AGE05K": "5 in kindergarten",
    "AGE05NOTK": "5 not in kindergarten",
}
#: The categories of analysis for significant disproportionality (34 CFR 300.647(b)(3)-(4);
#: docs/rules/disproportionality.md).
DISPROPORTIONALITY_CATEGORY_LABELS: dict[str, str] = {
    "ID_ALL": "Identification, any disability",
    "ID_ID": "Identification, intellectual disability",
    "ID_SLD": "Identification, specific learning disability",
    "ID_EMN": "Identification, emotional disturbance",
    "ID_SLI": "Identification, speech or language impairment",
    "ID_OHI": "Identification, other health impairment",
    "ID_AUT": "Identification, autism",
    "PL_RC39": "Placement inside the regular class less than 40% of the day",
    "PL_SEPARATE": "Placement in separate schools and residential facilities",
}
RATIO_KIND_LABELS: dict[str, str] = {
    "RR": "Risk ratio (the LEA's other children compared)",
    "ARR": "Alternate risk ratio (the state's other children compared)",
}

CODE_SETS: dict[str, dict[str, str]] = {
    "disability": c.DISABILITY_LABELS,
    "environment": c.ENVIRONMENT_LABELS,
    "grade_level": c.GRADE_LEVEL_LABELS,
    "placement_type": c.PLACEMENT_TYPE_LABELS,
    "activity_type": c.ACTIVITY_TYPE_LABELS,
    "monitor": c.MONITOR_LABELS,
    "evaluation_type": c.EVALUATION_TYPE_LABELS,
    "eligibility": c.ELIGIBILITY_LABELS,
    "fund_source": c.FUND_SOURCE_LABELS,
    "expenditure_category": c.EXPENDITURE_CATEGORY_LABELS,
    "lea_type": c.LEA_TYPE_LABELS,
    "facility_type": c.FACILITY_TYPE_LABELS,
    "private_school_level": c.PRIVATE_SCHOOL_LEVEL_LABELS,
    "race_ethnicity": c.RACE_ETHNICITY_LABELS,
    "sex": c.SEX_LABELS,
    "share_status": SHARE_STATUS_LABELS,
    "submission_status": SUBMISSION_STATUS_LABELS,
    "timeliness": TIMELINESS_LABELS,
    "suppression": SUPPRESSION_LABELS,
    "outlier_flag": OUTLIER_FLAG_LABELS,
    "count_source": COUNT_SOURCE_LABELS,
    "collection": COLLECTION_LABELS,
    "status": STATUS_LABELS,
    "edfacts_age": EDFACTS_AGE_LABELS,
    "disproportionality_category": DISPROPORTIONALITY_CATEGORY_LABELS,
    "ratio_kind": RATIO_KIND_LABELS,
    #: a `category` column holds an expenditure's or a disproportionality category (the codes
    #: do not overlap)
    "category": {**c.EXPENDITURE_CATEGORY_LABELS, **DISPROPORTIONALITY_CATEGORY_LABELS},
}

COLUMN_CODE_SETS: dict[str, str] = {
    "disability_category": "disability",
    "educational_environment": "environment",
    "grade_level": "grade_level",
    "placement_type": "placement_type",
    "activity_type": "activity_type",
    "conducted_by": "monitor",
    "evaluation_type": "evaluation_type",
    "eligibility": "eligibility",
    "fund_source": "fund_source",
    "category": "category",
    "lea_type": "lea_type",
    "facility_type": "facility_type",
    "level": "private_school_level",
    "race_ethnicity": "race_ethnicity",
    "sex": "sex",
    "status_611": "share_status",
    "status_619": "share_status",
    "submission_status": "submission_status",
    "timeliness": "timeliness",
    "suppressed": "suppression",
    "suppression": "suppression",
    "age_group_suppressed": "suppression",
    "outlier_flag": "outlier_flag",
    "ppps_count_source": "count_source",
    "collection": "collection",
    "status": "status",
    "last_status": "status",
    "ratio_kind": "ratio_kind",
}
LABEL_SUFFIX = "_label"


def label(code_set: str, code: str | None) -> str:
    """The words for `code` in `code_set` ('' for no code; the code itself if unknown)."""
    if code is None:
        return ""
    return CODE_SETS[code_set].get(code, code)


def column_label(column: str, code: str | None) -> str:
    """The words for a value of `column` (the value itself when the column holds no codes)."""
    code_set = COLUMN_CODE_SETS.get(column)
    if code_set is None:
        return "" if code is None else str(code)
    return label(code_set, code)


def code_columns(frame: pl.DataFrame) -> list[str]:
    """The columns of `frame` that hold codes with words."""
    return [
        name
        for name, dtype in frame.schema.items()
        if name in COLUMN_CODE_SETS and dtype == pl.String
    ]


def with_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with a `<column>_label` column right after each code column (an export's words
    for its codes); a frame that already has the label column is left as it is."""
    out: list[pl.Expr] = []
    for name in frame.columns:
        out.append(pl.col(name))
        if name in code_columns(frame) and f"{name}{LABEL_SUFFIX}" not in frame.columns:
            words = CODE_SETS[COLUMN_CODE_SETS[name]]
            out.append(
                pl.col(name)
                .replace_strict(words, default=pl.col(name), return_dtype=pl.String)
                .alias(f"{name}{LABEL_SUFFIX}")
            )
    return frame.select(out) if out else frame
