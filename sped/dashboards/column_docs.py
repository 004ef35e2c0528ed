"""The documentation of each mart column, read from the dbt project's YAML, so a chart's note
states the rule the figure implements in the same words as the warehouse's documentation.

`{{ doc("name") }}` references are resolved from the project's `{% docs %}` blocks; tables
in a docs block are reduced to their first paragraph (a chart note is a sentence or two).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from sped.config.settings import DBT_PROJECT_DIR

MODELS = DBT_PROJECT_DIR / "models"
_DOC_REF = re.compile(r"""\{\{\s*doc\(\s*["']([^"']+)["']\s*\)\s*\}\}""")
_DOC_BLOCK = re.compile(r"\{%\s*docs\s+(\w+)\s*%\}(.*?)\{%\s*enddocs\s*%\}", re.S)


@cache
def _docs_blocks(models: Path = MODELS) -> dict[str, str]:
    blocks: dict[str, str] = {}
    for path in sorted(models.rglob("*.md")):
        for name, body in _DOC_BLOCK.findall(path.read_text(encoding="utf-8")):
            first = body.strip().split("\n\n", 1)[0]
            blocks[name] = " ".join(first.split())
    return blocks


@cache
def _columns(models: Path = MODELS) -> dict[tuple[str, str], str]:
    docs = _docs_blocks(models)
    out: dict[tuple[str, str], str] = {}
    for path in sorted(models.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models") or []:
            for col in model.get("columns") or []:
                text = str(col.get("description") or "")
                text = _DOC_REF.sub(lambda m: docs.get(m.group(1), ""), text)
                out[(model["name"], col["name"])] = " ".join(text.split())
    return out


def raw_column_doc(model: str, column: str) -> str:
    """The documentation of `model.column` as dbt holds it (empty when undocumented)."""
    return _columns().get((model, column), "")


def column_doc(model: str, column: str) -> str:
    """The documented rule of `model.column` as a page shows it: in words, without column
    names, dbt expressions or repository paths (`formats.prose`; empty when undocumented)."""
    from sped.dashboards.formats import prose

    return prose(raw_column_doc(model, column))
