"""Calibration tables for the generator, derived from real public files (`sped/reference/public/`,
provenance in its PROVENANCE.md).

- LEA sizes: Connecticut EdSight district counts of students with disabilities, 2015-16
  (`primary-disability__2015-16_.csv`; `*` = suppressed, taken as 5).
- Disability mix, single-year ages, environments by disability and the parentally placed count:
  the federal IDEA 618 child count and educational environments file, fall 2017
  (`bchildcountandedenvironments2017-18.csv`), for the profile's state.
- Race/ethnicity, sex and English-learner status of children with disabilities by age group,
  environment and disability: the same 618 file (its race, sex and LEP columns).
- Statewide public-school enrollment by race/ethnicity: Massachusetts DESE school profiles
  (`somerville_school_data.csv`, its `State` column: the state's percentages each year).
- Private schools: the NCES Private School Universe Survey 2013-14 list
  (`private_schools.csv.zip`, Windows-1252) for the profile's state. Its location city
  (`PL_CIT`) is blank for most schools; the town is then the mailing city (`PCITY`).

For another state, `sped calibrate XX --out FILE` writes both tables into one JSON file
(`bundle`) and `sped generate --calibration FILE` reads it (docs/another-state.md); nothing is
written into the source tree. Massachusetts' tables are shipped in the package
(`data/calibration_MA.json`, `data/private_schools_MA.csv`); `python -m
sped.generate.calibration MA` re-derives them (for the project's maintainers), and a test
re-derives them and requires them to equal the shipped copies.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from pathlib import Path

from sped.contracts.codes import DISABILITY_CATEGORIES

DATA = Path(__file__).parent / "data"
REALDATA = Path(__file__).resolve().parents[1] / "reference" / "public"
STATE_NAMES = {"MA": "Massachusetts", "CT": "Connecticut", "TX": "Texas", "NJ": "New Jersey"}

DISABILITY_LABELS = {
    "Autism": "AUT",
    "Deaf-blindness": "DB",
    "Developmental delay": "DD",
    "Emotional disturbance": "EMN",
    "Hearing impairment": "HI",
    "Intellectual disability": "ID",
    "Multiple disabilities": "MD",
    "Orthopedic impairment": "OI",
    "Other health impairment": "OHI",
    "Specific learning disability": "SLD",
    "Speech or language impairment": "SLI",
    "Traumatic brain injury": "TBI",
    "Visual impairment": "VI",
}
SCHOOL_AGE = {
    "Inside regular class 80% or more of the day": "RC80",
    "Inside regular class 40% through 79% of the day": "RC79TO40",
    "Inside regular class less than 40% of the day": "RC39",
    "Separate School, Age 6-21": "SS",
    "Residential Facility, Age 6-21": "RF",
    "Homebound/Hospital": "HH",
    "Correctional Facilities": "CF",
}
EARLY = {
    "Services in Regular Early Childhood Program (attend at least 10 hours)": "REC10YSVCS",
    "Services in Other Location than Regular Early Childhood Program "
    "(attend at least 10 hours)": "REC10YOTHLOC",
    "Services in Regular Early Childhood Program (attend less than 10 hours)": "REC09YSVCS",
    "Services in Other Location than Regular Early Childhood Program "
    "(attend less than 10 hours)": "REC09YOTHLOC",
    "Separate Class": "SC",
    "Separate School, Age 3-5": "SS",
    "Residential Facility, Age 3-5": "RF",
    "Home": "H",
    "Service Provider Location": "SPL",
}


def _num(value: str) -> int:
    value = value.strip().replace(",", "")
    return int(value) if value.isdigit() else 0


def lea_sizes(realdata: Path = REALDATA) -> list[int]:
    """Connecticut district counts of students with disabilities, sorted (the size shape)."""
    with open(realdata / "primary-disability__2015-16_.csv", encoding="ascii", newline="") as f:
        rows = list(csv.reader(f))
    header = rows.index(next(r for r in rows if r and r[0] == "District"))
    sizes = []
    for r in rows[header + 1 :]:
        if len(r) >= 4 and r[2] == "All Disabilities":
            sizes.append(_num(r[3]) if r[3].strip() != "*" else 5)
    return sorted(sizes)


def federal_618(state: str, realdata: Path = REALDATA) -> dict:
    """The state's disability mix, single-year ages and environments by disability (618)."""
    name = STATE_NAMES[state]
    with open(
        realdata / "bchildcountandedenvironments2017-18.csv", encoding="utf-8", newline=""
    ) as f:
        rows = list(csv.reader(f))
    header = [h.strip() for h in rows[4]]
    col = {h: i for i, h in enumerate(header)}
    mine = [r for r in rows[5:] if len(r) == len(header) and r[1] == name]

    def value(env: str, dis: str, column: str) -> int:
        for r in mine:
            if r[2] == env and r[3] == dis:
                return _num(r[col[column]])
        return 0

    mix_6_21 = {
        code: value("Total, Age 6-21", label, "Ages 6-21")
        for label, code in DISABILITY_LABELS.items()
    }
    mix_3_5 = {
        code: value("Total, Age 3-5", label, "Age 3 to 5")
        for label, code in DISABILITY_LABELS.items()
    }
    ages = {str(a): value("Total, Age 3-5", "All Disabilities", f"Age {a}") for a in (3, 4, 5)}
    ages |= {str(a): value("Total, Age 6-21", "All Disabilities", f"Age {a}") for a in range(6, 22)}
    env_6_21 = {
        code: {dis: value(label, dlabel, "Ages 6-21") for dlabel, dis in DISABILITY_LABELS.items()}
        for label, code in SCHOOL_AGE.items()
    }
    env_3_5 = {
        code: {dis: value(label, dlabel, "Age 3 to 5") for dlabel, dis in DISABILITY_LABELS.items()}
        for label, code in EARLY.items()
    }
    return {
        "state": state,
        "demographics": _demographics(mine, col),
        "students_3_5": value("Total, Age 3-5", "All Disabilities", "Age 3 to 5"),
        "students_6_21": value("Total, Age 6-21", "All Disabilities", "Ages 6-21"),
        "parentally_placed_6_21": value(
            "Parentally Placed in Private Schools", "All Disabilities", "Ages 6-21"
        ),
        "disability_mix_3_5": mix_3_5,
        "disability_mix_6_21": mix_6_21,
        "ages": ages,
        "environments_3_5": env_3_5,
        "environments_6_21": env_6_21,
    }


#: The 618 file's demographic columns per age group, in the order of DEMOGRAPHIC_KEYS.
DEMOGRAPHIC_COLUMNS = {
    "3-5": (
        "American Indian or Alaska Native Age 3 to 5",
        "Asian Age 3-5",
        "Black or African American Age 3-5",
        "Hispanic/Latino Age 3-5",
        "Two or More Races Age 3-5",
        "Native Hawaiian or Other Pacific Islander Age 3-5",
        "White Age 3-5",
        "Female Age 3 to 5",
        "Male Age 3 to 5",
        "LEP Yes Age 3 to 5",
        "LEP No Age 3 to 5",
    ),
    "6-21": (
        "American Indian or Alaska Native Age 6 to21",
        "Asian Age 6 to21",
        "Black or African American Age 6 to21",
        "Hispanic/Latino Age 6 to21",
        "Two or more races Age 6 to21",
        "Native Hawaiian or Other Pacific Islander Age 6 to21",
        "White Age 6 to21",
        "Female Age 6 to 21",
        "Male Age 6 to 21",
        "LEP Yes Age 6 to 21",
        "LEP No Age 6 to 21",
    ),
}
#: What each of those columns counts: the EDFacts race codes (RACE_ETHNICITIES order), F, M,
#: English learner yes, no.
DEMOGRAPHIC_KEYS = ("AM7", "AS7", "BL7", "HI7", "MU7", "PI7", "WH7", "F", "M", "EL", "NOT_EL")


def _demographics(mine: list[list[str]], col: dict[str, int]) -> dict:
    """{age group: {environment code or TOTAL or PPPS: {disability code or ALL: [counts in
    DEMOGRAPHIC_KEYS order]}}} from the state's rows of the 618 file."""
    envs = {"3-5": {**EARLY, "Total, Age 3-5": "TOTAL"},
            "6-21": {**SCHOOL_AGE, "Total, Age 6-21": "TOTAL",
                     "Parentally Placed in Private Schools": "PPPS"}}  # fmt: skip
    labels = {**DISABILITY_LABELS, "All Disabilities": "ALL"}
    out: dict = {}
    for group, columns in DEMOGRAPHIC_COLUMNS.items():
        out[group] = {}
        for r in mine:
            env, dis = envs[group].get(r[2]), labels.get(r[3])
            if env and dis:
                out[group].setdefault(env, {})[dis] = [_num(r[col[c]]) for c in columns]
    return out


#: DESE's race labels in the enrollment extract, as EDFacts codes.
DESE_RACES = {
    "American Indian or Alaska Native": "AM7",
    "Asian": "AS7",
    "Black or African American": "BL7",
    "Hispanic or Latino": "HI7",
    "Multi-Race, Not Hispanic or Latino": "MU7",
    "Native Hawaiian or Other Pacific Islander": "PI7",
    "White": "WH7",
}


def enrollment_shares(realdata: Path = REALDATA) -> dict[str, dict[str, float]]:
    """Massachusetts statewide public-school enrollment by race/ethnicity, in percent, per
    school year (DESE's year is the spring one: 2018 is 2017-18), from the `State` column."""
    with open(realdata / "somerville_school_data.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        spring = int(r["year"])
        year = f"{spring - 1}-{spring % 100:02d}"
        out.setdefault(year, {})[DESE_RACES[r["Category"]]] = float(r["State"])
    return dict(sorted(out.items()))


PSS_COLUMNS = [
    "PPIN",
    "PINST",
    "PL_CIT",
    "PCITY",
    "PCNTNM",
    "LEVEL",
    "LOGR2014",
    "HIGR2014",
    "NUMSTUDS",
]


def private_schools(state: str, realdata: Path = REALDATA) -> str:
    """The state's PSS schools as a small UTF-8 CSV (the source file is Windows-1252)."""
    with zipfile.ZipFile(realdata / "private_schools.csv.zip") as z:
        text = z.read("private_schools.csv").decode("cp1252")
    rows = [r for r in csv.DictReader(io.StringIO(text, newline="")) if r["PSTABB"] == state]
    rows.sort(key=lambda r: r["PPIN"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PSS_COLUMNS)
    for r in rows:
        writer.writerow([r[c].strip() for c in PSS_COLUMNS])
    return out.getvalue()


def calibration(state: str, realdata: Path = REALDATA) -> dict:
    data = federal_618(state, realdata)
    data["lea_sizes_ct_2015_16"] = lea_sizes(realdata)
    if state == "MA":  # the only state whose enrollment by race the project ships
        data["enrollment_by_race_pct"] = enrollment_shares(realdata)
    assert set(data["disability_mix_6_21"]) == set(DISABILITY_CATEGORIES)
    return data


def derived_files(state: str, realdata: Path = REALDATA) -> dict[str, str]:
    return {
        f"calibration_{state}.json": json.dumps(
            calibration(state, realdata), indent=1, sort_keys=True
        )
        + "\n",
        f"private_schools_{state}.csv": private_schools(state, realdata),
    }


def bundle(state: str, realdata: Path = REALDATA) -> dict:
    """Both tables of `state` in one document (what `sped calibrate --out` writes)."""
    if state not in STATE_NAMES:
        raise ValueError(
            f"no public files for state {state!r} in sped/reference/public/; "
            f"one of {', '.join(sorted(STATE_NAMES))}"
        )
    return {
        "state": state,
        "calibration": calibration(state, realdata),
        "private_schools_csv": private_schools(state, realdata),
    }


def load(state: str, path: Path | None = None) -> tuple[dict, list[dict]]:
    """The calibration and private-school list for a state: from `path` (written by
    `sped calibrate`), else the copy shipped in the package."""
    if path is not None:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        if doc.get("state") != state:
            raise ValueError(
                f"{path} calibrates state {doc.get('state')!r}, but the state profile is {state}"
            )
        schools = list(csv.DictReader(io.StringIO(doc["private_schools_csv"])))
        return doc["calibration"], schools
    shipped = DATA / f"calibration_{state}.json"
    if not shipped.exists():
        raise ValueError(
            f"no generator calibration for state {state}: `sped calibrate {state} --out "
            f"{state}.json` derives one, then pass --calibration {state}.json "
            "(docs/another-state.md)"
        )
    with open(DATA / f"private_schools_{state}.csv", encoding="utf-8", newline="") as f:
        schools = list(csv.DictReader(f))
    return json.loads(shipped.read_text()), schools


if __name__ == "__main__":
    state = sys.argv[1] if len(sys.argv) > 1 else "MA"
    for name, text in derived_files(state).items():
        (DATA / name).write_text(text, encoding="utf-8")
        print(f"wrote {DATA / name}", file=sys.stderr)
