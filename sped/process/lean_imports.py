"""Keep an unused, costly optional import out of every `sped` process.

jsonschema (imported by dbt, Great Expectations and Dagster's dependencies) checks the "iri"
string format with `rfc3987_syntax` when that package is installed, and that package compiles
a Lark grammar when it is imported: about 2-3 s of every command's start on these machines
(measured with py-spy; `make bench` shows the whole effect). It is installed here only because
JupyterLab's event schemas ask for jsonschema's `format-nongpl` extra. Nothing in this project
checks IRI formats, so the module is marked absent before jsonschema is first imported:
jsonschema then simply has no "iri" format checker, exactly as in an installation without
JupyterLab. Imported first by `sped` and by `dagster_project`.
"""

from __future__ import annotations

import sys

#: Optional imports nothing in this project uses, each with what it would cost.
SKIPPED = {"rfc3987_syntax": "jsonschema's 'iri' format checker: a Lark grammar built at import"}

for _name in SKIPPED:
    if _name not in sys.modules:  # already imported: leave it be
        sys.modules[_name] = None  # `import` then raises ImportError, which jsonschema expects
