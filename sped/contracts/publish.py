"""Documents derived from the contracts: the data dictionary and the upload templates.

`python -m sped.contracts.publish` rewrites `docs/data_dictionary.md` and `docs/templates/`;
tests fail when the committed copies drift from the contracts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile

from sped.config.settings import REPO_ROOT
from sped.contracts import COLLECTIONS, Collection
from sped.contracts.labels import column_label

DICTIONARY = REPO_ROOT / "docs" / "data_dictionary.md"
TEMPLATES = REPO_ROOT / "docs" / "templates"
TYPE_WORDS = {
    "text": "text",
    "code": "code",
    "date": "date (YYYY-MM-DD or M/D/YYYY)",
    "flag": "Y/N",
    "integer": "whole number",
    "decimal": "amount (2 decimals)",
    "number": "number",
}
FIXED_TIME = dt.datetime(2026, 1, 1)


def _required(col) -> str:
    if col.required == "yes":
        return "yes"
    if col.required == "conditional":
        return f"if {col.required_when}"
    if col.required_when:
        return f"no (but see rules: needed when {col.required_when})"
    return "no"


def render_dictionary() -> str:
    out = [
        "# Data dictionary",
        "",
        "Generated from `sped/contracts` by `python -m sped.contracts.publish`; do not edit by "
        "hand. Rule ids appear in every validation message.",
        "",
    ]
    for c in COLLECTIONS.values():
        out += [f"## {c.name} — {c.title}", "", c.description, ""]
        period = {
            "school_year": "school year",
            "fiscal_year": "federal fiscal year",
            "current": "current directory",
        }[c.period_kind]
        who = "each district" if c.lea_scoped else "the state"
        out += [f"Sent by {who}; one file per {period}.", ""]
        out += [
            "| column | type | required | description | codes |",
            "| --- | --- | --- | --- | --- |",
        ]
        for col in c.columns:
            codes = "; ".join(
                f"`{code}` {column_label(col.name, code)}" for code in col.codes or ()
            )
            out.append(
                f"| {col.name} | {TYPE_WORDS[col.type]} | {_required(col)} | "
                f"{col.description} | {codes} |"
            )
        out += ["", "| rule | severity | what it checks | source |", "| --- | --- | --- | --- |"]
        for r in c.rules:
            out.append(f"| `{r.id}` | {r.severity} | {r.text} | {r.reference} |")
        out.append("")
    return "\n".join(out)


def render_csv_template(c: Collection) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(c.column_names)
    writer.writerow([col.example for col in c.columns])
    return buf.getvalue()


def render_xlsx_template(c: Collection) -> bytes:
    """An XLSX template: the header and an example row on the first sheet (ids as text),
    the columns explained on a second; fixed timestamps so the bytes are reproducible."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = c.name
    ws.append(list(c.column_names))
    ws.append([col.example for col in c.columns])
    for cell in ws[2]:
        cell.number_format = "@"
    info = wb.create_sheet("columns")
    info.append(["column", "type", "required", "description", "codes"])
    for col in c.columns:
        info.append(
            [
                col.name,
                TYPE_WORDS[col.type],
                _required(col),
                col.description,
                ", ".join(col.codes or ()),
            ]
        )
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    return reproducible_zip(raw.getvalue())


def reproducible_zip(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, body)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, body)
    return out.getvalue()


def templates() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for c in COLLECTIONS.values():
        files[f"{c.name}.csv"] = render_csv_template(c).encode()
        files[f"{c.name}.xlsx"] = render_xlsx_template(c)
    return files


def write_all() -> None:
    DICTIONARY.parent.mkdir(parents=True, exist_ok=True)
    DICTIONARY.write_text(render_dictionary(), encoding="utf-8")
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    for name, data in templates().items():
        (TEMPLATES / name).write_bytes(data)


if __name__ == "__main__":
    write_all()
    print(f"wrote {DICTIONARY} and {len(templates())} templates in {TEMPLATES}", file=sys.stderr)
