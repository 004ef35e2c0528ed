"""A district's own file, annotated: every row with the errors and warnings found on it.

Rebuilt from the stored bytes of the submission (so it is reproducible at any time), validated
again with every failing row listed, not only the first twenty. File-level messages come first,
on rows without a row number. The file is copied for the check into a scratch folder inside
the installation, removed afterwards. Cells a spreadsheet would run as a formula (starting
with =, +, -, @, tab or carriage return) are prefixed with an apostrophe: the download is safe
to open.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from pathlib import Path

from sped.config.profile import StateProfile
from sped.config.settings import Installation
from sped.contracts import get
from sped.ingest.read import read_table
from sped.process.scratch import scratch_dir
from sped.run.steps import open_registry
from sped.validation.validate_file import check_file

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def annotated_csv(
    inst: Installation, submission_id: int, profile: StateProfile, as_of: dt.date
) -> str:
    with open_registry(inst) as registry:
        sub = registry.submission(submission_id)
        data = registry.read_bytes(sub)
    collection = get(sub.collection)
    with scratch_dir(inst, "annotate") as tmp:  # the district's rows stay in the installation
        copy = tmp / ("submission" + Path(sub.original_name).suffix.lower()[:5])
        copy.write_bytes(data)
        findings, _, _ = check_file(
            copy,
            sub.collection,
            sub.lea_id,
            sub.period,
            inst=inst,
            profile=profile,
            as_of=as_of,
            sample=10**9,
        )
    errors: dict[int, list[str]] = defaultdict(list)
    warnings: dict[int, list[str]] = defaultdict(list)
    file_level = []
    for f in findings:
        label = f"{f.rule_id}: {f.text}"
        if not f.sample_rows:
            file_level.append(f)
        for row in f.sample_rows:
            (errors if f.blocking else warnings)[row].append(label)
    try:  # a file that cannot be read has only its file-level messages
        table = read_table(data, sub.original_name, collection, submission_id, profile.limits).table
    except Exception:
        table = None
    columns = [c for c in (table.columns if table is not None else []) if c != "_source_row"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "errors", "warnings", *columns])
    for f in file_level:
        writer.writerow(
            [
                "",
                safe_cell(f.message()) if f.blocking else "",
                "" if f.blocking else safe_cell(f.message()),
                *[""] * len(columns),
            ]
        )
    if table is not None:
        for record in table.iter_rows(named=True):
            n = record["_source_row"]
            writer.writerow(
                [
                    n,
                    safe_cell(" | ".join(errors.get(n, []))),
                    safe_cell(" | ".join(warnings.get(n, []))),
                    *[safe_cell(record[c]) for c in columns],
                ]
            )
    return out.getvalue()
