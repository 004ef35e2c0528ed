"""The page templates with the filters that write values for people: `cell` (a table cell by
its column: codes in words, money with `$`, rates as percentages; `sped.dashboards.formats`),
`heading` (a column name in words) and `label` (a code of a named code set in words,
`sped.contracts.labels`)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from sped.contracts.labels import label
from sped.dashboards.formats import cell, change, heading, prose, shown


def page_templates(directory: Path) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(directory))
    templates.env.filters.update(
        cell=cell, heading=heading, label=lambda code, code_set: label(code_set, code)
    )
    templates.env.filters.update(shown=shown, change=change, prose=prose)
    return templates
