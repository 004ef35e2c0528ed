"""Validation pages for auditors: the contract suites run over the data in force, as a static
site that opens offline.

Great Expectations runs every collection's suite on the published snapshot (so it never
competes with a pipeline run for the warehouse); the results are written as the project's own
pages, with their styles inline and no script, font or image from anywhere else (GX's own Data
Docs load jQuery, Bootstrap and a logo from CDNs and are empty without a network). A collection
whose failed rules are all warnings reads "passed with warnings", not "failed": warnings accept
a file (docs/rules/contracts.md). The pages hold counts only, never a value from a row, so no
student identifier appears. Built on demand (`sped datadocs`), not on every run.
"""

from __future__ import annotations

import datetime as dt
import html
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import great_expectations as gx

from sped.config.profile import StateProfile
from sped.config.settings import Installation
from sped.contracts import COLLECTIONS, Collection
from sped.validation.gx_duckdb import enable_persisted_connection, release
from sped.validation.suites import build_suite

PASSED, WARNINGS, FAILED = "passed", "passed with warnings", "failed"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; max-width: 75rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border: 1px solid #c8c8c8; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef1f4; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: 600; padding: .1rem .45rem; border-radius: .25rem; white-space: nowrap; }
.passed { background: #dff3e3; color: #14532d; }
.passed-with-warnings { background: #fff4d6; color: #6b4700; }
.failed { background: #fde2e1; color: #7f1d1d; }
.meta { color: #555; } code { font-size: .9em; }
"""


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome over the rows in force."""

    rule_id: str
    severity: str  # blocking | warning
    text: str
    reference: str
    success: bool
    unexpected: int | None


@dataclass(frozen=True)
class CollectionResult:
    collection: Collection
    rows: int
    rules: tuple[RuleResult, ...]

    @property
    def failed_blocking(self) -> int:
        return sum(1 for r in self.rules if not r.success and r.severity == "blocking")

    @property
    def failed_warnings(self) -> int:
        return sum(1 for r in self.rules if not r.success and r.severity != "blocking")

    @property
    def status(self) -> str:
        if self.failed_blocking:
            return FAILED
        return WARNINGS if self.failed_warnings else PASSED


def _unexpected(result: dict) -> int | None:
    if "unexpected_count" in result:
        return result["unexpected_count"]
    observed = result.get("observed_value")
    return observed if isinstance(observed, int) else None


def validate_in_force(
    inst: Installation, profile: StateProfile, as_of: dt.date
) -> list[CollectionResult]:
    """Every collection's suite over its rows in force, through GX on the published snapshot."""
    with duckdb.connect(str(inst.published_warehouse), read_only=True) as con:
        rows = {
            c.name: con.execute(f"SELECT count(*) FROM raw.{c.name}").fetchone()[0]
            for c in COLLECTIONS.values()
        }
    enable_persisted_connection()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_sql(
        "published_warehouse", connection_string=f"duckdb:///{inst.published_warehouse}"
    )
    out = []
    try:
        for collection in COLLECTIONS.values():
            asset = source.add_query_asset(
                collection.name, query=f"SELECT * FROM raw.{collection.name}"
            )
            batch = asset.add_batch_definition_whole_table("in_force")
            suite = context.suites.add(build_suite(collection, profile, as_of))
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{collection.name}_in_force", data=batch, suite=suite)
            )
            result = definition.run(result_format="SUMMARY")
            rules = tuple(
                RuleResult(
                    rule_id=r.expectation_config.meta["rule_id"],
                    severity=r.expectation_config.meta["severity"],
                    text=r.expectation_config.description or "",
                    reference=r.expectation_config.meta.get("reference", ""),
                    success=bool(r.success),
                    unexpected=_unexpected(r.result or {}),
                )
                for r in result.results
            )
            out.append(CollectionResult(collection, rows[collection.name], rules))
    finally:
        release(source)
    return out


def _status(status: str) -> str:
    css = status.replace(" ", "-")
    return f'<span class="status {css}">{html.escape(status)}</span>'


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def render_index(results: list[CollectionResult], as_of: dt.date, built: str) -> str:
    lines = [
        "<h1>Validation of the data in force</h1>",
        f'<p class="meta">Every collection\'s rules (docs/rules/contracts.md) run with Great '
        f"Expectations over the rows in force in the published warehouse, as of "
        f"{as_of.isoformat()}; built {html.escape(built)}. A warning does not reject a file: "
        "a collection whose failed rules are all warnings has passed with warnings.</p>",
        "<table><thead><tr><th>collection</th><th>rows in force</th><th>rules checked</th>"
        "<th>blocking rules failed</th><th>warnings</th><th>status</th></tr></thead><tbody>",
    ]
    for r in results:
        name = html.escape(r.collection.name)
        lines.append(
            f'<tr><td><a href="{name}.html">{name}</a> '
            f'<span class="meta">{html.escape(r.collection.title)}</span></td>'
            f'<td class="n">{r.rows:,}</td><td class="n">{len(r.rules)}</td>'
            f'<td class="n">{r.failed_blocking}</td><td class="n">{r.failed_warnings}</td>'
            f"<td>{_status(r.status)}</td></tr>"
        )
    lines.append("</tbody></table>")
    return _page("Validation of the data in force", "\n".join(lines))


def render_collection(result: CollectionResult, as_of: dt.date) -> str:
    c = result.collection
    lines = [
        '<p><a href="index.html">All collections</a></p>',
        f"<h1>{html.escape(c.name)}: {html.escape(c.title)}</h1>",
        f'<p>{_status(result.status)} <span class="meta">{result.rows:,} rows in force, '
        f"{len(result.rules)} rules, as of {as_of.isoformat()}</span></p>",
        "<table><thead><tr><th>rule</th><th>severity</th><th>what it checks</th>"
        "<th>source</th><th>rows failing</th><th>result</th></tr></thead><tbody>",
    ]
    order = {False: 0, True: 1}
    for r in sorted(result.rules, key=lambda r: (order[r.success], r.severity != "blocking")):
        outcome = "passed" if r.success else ("failed" if r.severity == "blocking" else "warning")
        css = {"passed": "passed", "failed": "failed", "warning": "passed-with-warnings"}[outcome]
        failing = "" if r.unexpected is None else f"{r.unexpected:,}"
        lines.append(
            f"<tr><td><code>{html.escape(r.rule_id)}</code></td><td>{html.escape(r.severity)}</td>"
            f"<td>{html.escape(r.text)}</td><td>{html.escape(r.reference)}</td>"
            f'<td class="n">{failing}</td>'
            f'<td><span class="status {css}">{outcome}</span></td></tr>'
        )
    lines.append("</tbody></table>")
    return _page(f"{c.name}: validation of the data in force", "\n".join(lines))


def build_data_docs(inst: Installation, profile: StateProfile, as_of: dt.date) -> Path:
    """Validate the data in force and write the pages; returns the index page."""
    if not inst.published_warehouse.exists():
        raise ValueError(
            f"no published warehouse at {inst.published_warehouse}: run the pipeline first"
        )
    results = validate_in_force(inst, profile, as_of)
    root = inst.reports_dir / "validation"
    shutil.rmtree(root, ignore_errors=True)  # rebuilt whole from the data in force
    shutil.rmtree(inst.reports_dir / "gx", ignore_errors=True)  # GX's online-only site, if any
    root.mkdir(parents=True)
    built = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    for result in results:
        (root / f"{result.collection.name}.html").write_text(
            render_collection(result, as_of), encoding="utf-8"
        )
    index = root / "index.html"
    index.write_text(render_index(results, as_of, built), encoding="utf-8")
    return index
