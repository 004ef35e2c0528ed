"""A file sent through the web page or the API: registered, checked at once with the
pipeline's own functions, and its outcome recorded so the next pipeline run agrees.

The steps are the pipeline's: `Registry.receive` stores the bytes and the submission (the
account's LEA rules apply), `read_one` reads and types the file, `stage_batch` puts its rows in
`landing.<collection>` and `validate_batch` runs the collection's GX suite; only the DuckDB file
differs: a scratch file inside the installation (removed at once), because the application
never holds the warehouse, which the pipeline writes.

- Blocking rules failed: the outcome `rejected` and its findings are recorded in the registry
  now, exactly as the pipeline would record them; nothing is loaded.
- Accepted (with or without warnings): the findings are kept as the upload's check, the
  submission stays `received`, and a pipeline run is requested: it records `accepted` and loads
  the rows into the data in force. The file-stage rules' findings are kept too, with a digest
  of what decided them (sped/ingest/file_checks.py): the run reuses them while the bytes, the
  directories, the profile, the as-of date and the code are unchanged, and checks the file
  again otherwise.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from contextlib import suppress
from dataclasses import dataclass, field

import duckdb

from sped.config.settings import Installation
from sped.contracts import COLLECTIONS, get
from sped.contracts.finding_repeats import without_repeats
from sped.contracts.findings import Finding
from sped.ingest import file_checks
from sped.ingest.batch import read_one, stage_batch
from sped.landing.accounts import Account
from sped.landing.layout import DeclaredKey, LayoutError, check_period
from sped.landing.registry import Registry, Submission
from sped.process.scratch import scratch_dir
from sped.validation.validate_file import _reference_from, _unchecked
from sped.warehouse.schema import ensure_schemas
from sped.web.portal import Portal

log = logging.getLogger("sped.web")
ALLOWED_SUFFIXES = (".csv", ".xlsx")
# GX's cached objects are per process; one check at a time keeps them consistent
_validate_lock = threading.Lock()


class UploadRefused(ValueError):
    """The upload cannot be taken: `status` is the HTTP answer (403, 422)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadResult:
    submission: Submission
    verdict: str  # "accepted" | "accepted_with_warnings" | "rejected"
    findings: list[Finding]
    rows: int
    duplicate: bool
    loading: str  # what happens next, in words


def district_collections() -> list[str]:
    return sorted(name for name, c in COLLECTIONS.items() if c.lea_scoped)


def safe_name(name: str | None) -> str:
    """The uploaded file's name without any folder part or odd characters (kept for display)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .")[:120]
    return base or "upload"


def check_request(account: Account, collection: str, lea_id: str, period: str, name: str) -> None:
    """Refuse what cannot be a submission of this account before anything is stored."""
    if account.role not in ("state", "district"):
        raise UploadRefused(403, f"A {account.role} account does not send files.")
    if not account.may_see_lea(lea_id):
        raise UploadRefused(
            403, "You may send files only for the districts your account belongs to."
        )
    if collection not in district_collections():
        raise UploadRefused(422, f"Collection must be one of {', '.join(district_collections())}.")
    try:
        check_period(collection, period)
    except LayoutError as exc:
        raise UploadRefused(422, str(exc)) from None
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise UploadRefused(422, "Only .csv and .xlsx files are accepted.")


def verdict_of(findings: list[Finding]) -> str:
    if any(f.blocking for f in findings):
        return "rejected"
    return "accepted_with_warnings" if findings else "accepted"


@dataclass(frozen=True)
class FileCheck:
    """What an upload's check found, and what the run that loads the file may reuse."""

    findings: list[Finding]  # reading, typing and file-stage rules: what the district sees
    rows: int
    as_of: dt.date
    reference: str | None = None  # the directories the rules read (None: rules not finished)
    rule_findings: list[Finding] = field(default_factory=list)  # the file-stage rules' alone


def check_submission(inst: Installation, portal: Portal, sub: Submission, data: bytes) -> FileCheck:
    """The pipeline's reading, typing and file-stage rules on one submission, in a scratch
    DuckDB inside the installation."""
    from sped.validation import validate_batch
    from sped.validation.gx_duckdb import shared_config

    coll = get(sub.collection)
    as_of = portal.as_of_date()
    reference, rule_findings = None, []
    with _validate_lock, scratch_dir(inst, "upload") as scratch:
        con = duckdb.connect(str(scratch / "check.duckdb"), config=shared_config())
        try:
            ensure_schemas(con)
            known = _reference_from(con, inst.published_warehouse)
            frame, findings, rows = read_one(data, sub, coll, known, portal.profile.limits)
            if frame is not None and stage_batch(con, coll, [frame]):
                try:
                    rule_findings = validate_batch(con, sub.collection, portal.profile, as_of)
                except Exception as exc:  # the file cannot pass unchecked; say so plainly
                    findings.append(_unchecked(exc, sub.collection))
                else:  # without the digest the run simply checks the file again
                    with suppress(duckdb.Error):
                        reference = file_checks.reference_digest(con)
                findings = without_repeats(findings + rule_findings)  # each bad cell once
        finally:
            con.close()
    return FileCheck(findings, rows, as_of, reference, rule_findings)


def warm_up(portal: Portal) -> None:
    """Start GX and build each district collection's suite once, on empty tables, so the first
    district's upload does not pay for it (run in a background thread at start-up)."""
    from sped.validation import validate_batch
    from sped.validation.gx_duckdb import shared_config

    try:
        with _validate_lock, scratch_dir(portal.inst, "warmup") as scratch:
            con = duckdb.connect(str(scratch / "warm.duckdb"), config=shared_config())
            try:
                ensure_schemas(con)
                for name in district_collections():
                    stage_batch(con, get(name), [])
                    validate_batch(con, name, portal.profile, portal.as_of_date())
            finally:
                con.close()
    except Exception as exc:  # only a head start: the first upload then pays for it
        log.warning("warming up the checks failed: %s", type(exc).__name__)


def start_warm_up(portal: Portal) -> threading.Thread:
    thread = threading.Thread(target=warm_up, args=(portal,), name="sped-warm-up", daemon=True)
    thread.start()
    return thread


def submission_findings(registry: Registry, sub: Submission) -> tuple[str, list[Finding]]:
    """(verdict, findings) of a submission: the registry's once the pipeline (or the upload
    check, for a rejection) decided; the upload's check while it waits to be loaded."""
    if sub.status in ("accepted", "rejected", "superseded"):
        findings = registry.findings(sub.submission_id)
        verdict = "rejected" if sub.status == "rejected" else verdict_of(findings)
        return verdict, findings
    check = registry.upload_check(sub.submission_id)
    if check is None:
        return "pending", []
    return check


def receive_upload(
    portal: Portal,
    account: Account,
    data: bytes,
    filename: str,
    collection: str,
    lea_id: str,
    period: str,
) -> UploadResult:
    """Register, check and record one uploaded file (see the module's docstring)."""
    name = safe_name(filename)
    check_request(account, collection, lea_id, period, name)
    if not data:
        raise UploadRefused(422, "The file is empty.")
    with portal.registry() as registry:
        receipt = registry.receive(
            data,
            DeclaredKey(collection, lea_id, period),
            original_name=name,
            submitter=account.account,
        )
        if receipt.outcome == "refused":
            raise UploadRefused(403, receipt.detail)
        sub = registry.submission(receipt.submission_id)
        if receipt.outcome == "duplicate":
            verdict, findings = submission_findings(registry, sub)
            return UploadResult(
                sub, verdict, findings, sub.row_count or 0, True, next_step(sub, portal)
            )
    check = check_submission(portal.inst, portal, sub, data)
    findings, rows = check.findings, check.rows
    verdict = verdict_of(findings)
    with portal.registry() as registry:
        if verdict == "rejected":
            registry.record_outcome(sub.submission_id, findings, rows)
        else:  # with the rules' inputs, the run that loads it need not decide them again
            inputs = None
            if check.reference is not None:
                inputs = file_checks.inputs(
                    sub.sha256, check.reference, portal.profile, check.as_of
                )
            registry.record_upload_check(
                sub.submission_id, verdict, rows, findings, inputs, check.rule_findings
            )
        sub = registry.submission(sub.submission_id)
    if verdict != "rejected":
        portal.runner.request()
    return UploadResult(sub, verdict, findings, rows, False, next_step(sub, portal))


def next_step(sub: Submission, portal: Portal) -> str:
    if sub.status == "rejected":
        return "Nothing was loaded; the data in force before this file stays in force."
    if sub.status == "received":
        if portal.runner is not None and portal.runner.enabled:
            return "The pipeline has been started: the rows are loaded and the figures rebuilt."
        return "The rows are loaded and the figures rebuilt by the next pipeline run."
    if sub.status == "accepted":
        return "Loaded: this file is the data in force."
    return f"Superseded by submission {sub.superseded_by}."
