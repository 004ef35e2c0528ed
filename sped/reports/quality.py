"""Data-quality reports for auditors: one printable HTML page per (collection, period).

Each page lists every submission (checksum, who sent it and when, outcome, error and warning
counts), which submission is in force for each LEA, and the rules that failed and how often.
Built from the registry, so it can be rebuilt at any time; no row values are shown, so no
student identifier ever reaches a report, and counts of a student-level file's records are shown
as auditors may see them (sped/privacy/auditor_view.py): "<N" when small, and a roster's row
count never (it is the LEA's number of students, which the shared tables may hide; the state
team reads it on the portal). The index also lists the LEA-level findings of the
marts that concern the funds themselves: IDEA funds reported spent for a fiscal year with no
allocation on file (34 CFR 300.133; 300.705), read from `marts.fct_compliance_flags` (those
rows carry no student).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from sped.config.profile import load_profile
from sped.config.settings import Installation
from sped.contracts import COLLECTIONS
from sped.contracts.labels import label
from sped.dashboards.formats import prose
from sped.landing.registry import Registry
from sped.privacy import auditor_view
from sped.run.steps import open_registry
from sped.warehouse.schema import has_table

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

_ENV.filters.update(prose=prose, label=lambda code, code_set: label(code_set, code))
PAGE = _ENV.get_template("quality.html.j2")
INDEX = _ENV.get_template("quality_index.html.j2")


def _never_shown(_total: str, _lea_id: str | None, _school_year: str) -> bool:
    return False


def render_page(
    registry: Registry, collection: str, period: str, known_leas: list[str], min_cell: int
) -> str:
    subs = [s for s in registry.submissions(collection=collection) if s.period == period]
    in_force = sorted((s for s in subs if s.status == "accepted"), key=lambda s: s.lea_id or "")
    rules: dict[str, dict] = {}
    for s in subs:
        for f in registry.findings(s.submission_id):
            r = rules.setdefault(
                f.rule_id,
                {
                    "rule_id": f.rule_id,
                    "severity": f.severity,
                    "text": f.text,
                    "reference": f.reference,
                    "submissions": 0,
                    "rows": 0,
                },
            )
            r["submissions"] += 1
            r["rows"] += f.failed_count
    scoped = COLLECTIONS[collection].lea_scoped
    have = {s.lea_id for s in in_force}
    ordered = sorted(rules.values(), key=lambda r: (r["severity"] != "blocking", -r["rows"]))
    if collection in auditor_view.STUDENT_COLLECTIONS:  # counts of students, for auditors
        subs = [auditor_view.submission(s, min_cell, _never_shown) for s in subs]
        in_force = [auditor_view.submission(s, min_cell, _never_shown) for s in in_force]
        for r in ordered:
            r["rows"] = auditor_view.shown_count(r["rows"], min_cell)
    missing = [lea for lea in known_leas if lea not in have] if scoped and known_leas else []
    return PAGE.render(
        title=COLLECTIONS[collection].title,
        collection=collection,
        period=period,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        subs=subs,
        status_counts=sorted(Counter(s.status for s in subs).items()),
        in_force=in_force,
        missing=missing if collection == "placements" else [],
        rules=ordered,
    )


SPENDING_FLAG = "IDEA_SPENDING_WITHOUT_ALLOCATION"


def spending_without_allocation(con) -> list[dict]:
    """The LEAs and years with IDEA funds reported spent and no allocation on file, from the
    warehouse's marts (none before the first build)."""
    if not has_table(con, "marts.fct_compliance_flags"):
        return []
    rows = con.execute(
        "SELECT lea_id, detail FROM marts.fct_compliance_flags WHERE flag = ? "
        "ORDER BY lea_id, detail",
        [SPENDING_FLAG],
    ).fetchall()
    return [{"lea_id": lea, "detail": detail} for lea, detail in rows]


def write_quality_reports(
    inst: Installation,
    known_leas: list[str] | None = None,
    spending_flags: list[dict] | None = None,
    min_cell_size: int | None = None,
) -> Path:
    """Write every (collection, period) page and an index; returns the index path.
    `spending_flags`: see `spending_without_allocation`; `min_cell_size` the profile's (default:
    the shipped profile's)."""
    if min_cell_size is None:
        min_cell_size = load_profile(None).min_cell_size
    out = inst.reports_dir / "quality"
    out.mkdir(parents=True, exist_ok=True)
    registry = open_registry(inst)
    try:
        keys: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for s in registry.submissions():
            keys[(s.collection, s.period)][s.status] += 1
        pages = []
        for (collection, period), counts in sorted(keys.items()):
            name = f"{collection}_{period}.html"
            (out / name).write_text(
                render_page(registry, collection, period, known_leas or [], min_cell_size),
                encoding="utf-8",
            )
            pages.append(
                {
                    "file": name,
                    "collection": collection,
                    "period": period,
                    "total": sum(counts.values()),
                    "accepted": counts["accepted"],
                    "rejected": counts["rejected"],
                }
            )
        not_taken = [
            dict(r) for r in registry.receipts() if r["outcome"] in ("refused", "unroutable")
        ]
    finally:
        registry.close()
    index = out / "index.html"
    index.write_text(
        INDEX.render(
            pages=pages,
            not_taken=not_taken,
            spending_flags=spending_flags or [],
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        ),
        encoding="utf-8",
    )
    return index
