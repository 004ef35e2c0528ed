"""The HTTP API for student information systems: `/api/v1/submissions`, bearer tokens only.

The same rules as the pages: a token's account sends and sees only what its role and LEAs allow
(403 otherwise), 401 without a live token, 413 past the upload limit, 422 when the file breaks a
blocking rule (it is still stored and listed) or the request is malformed. Errors are JSON
`{"detail": "..."}` in words a clerk understands.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from sped.contracts.findings import Finding
from sped.landing.accounts import Account
from sped.landing.registry import Submission
from sped.privacy import auditor_view
from sped.web.auth import ApiAccount, portal
from sped.web.district_data import shared_totals
from sped.web.uploads import UploadRefused, receive_upload, submission_findings

router = APIRouter(prefix="/api/v1", tags=["submissions"])
LEA_ID = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


#: a count auditors may see only above the profile's min_cell_size ("<10" below it) or not at
#: all ("suppressed"): sped/privacy/auditor_view.py
SuppressedCount = int | str


class Message(BaseModel):
    rule: str
    severity: str
    column: str | None
    rows: list[int]  # file rows; none for auditors
    failed_count: SuppressedCount
    values: list[str]  # values found; none for auditors
    text: str
    reference: str
    message: str


class SubmissionOut(BaseModel):
    submission_id: int
    collection: str
    lea_id: str | None
    period: str
    file_name: str
    sha256: str
    received_at: str
    submitter: str
    status: str
    row_count: SuppressedCount | None
    error_count: SuppressedCount | None
    warning_count: SuppressedCount | None


class SubmissionResult(SubmissionOut):
    verdict: str
    messages: list[Message]
    next_step: str | None = None


class Problem(BaseModel):
    detail: str


ERRORS = {
    401: {"model": Problem, "description": "No valid API token"},
    403: {"model": Problem, "description": "The account may not act for this LEA"},
}


def _out(sub: Submission) -> dict:
    return {
        "submission_id": sub.submission_id,
        "collection": sub.collection,
        "lea_id": sub.lea_id,
        "period": sub.period,
        "file_name": sub.original_name,
        "sha256": sub.sha256,
        "received_at": sub.received_at,
        "submitter": sub.submitter,
        "status": sub.status,
        "row_count": sub.row_count,
        "error_count": sub.error_count,
        "warning_count": sub.warning_count,
    }


def _message(f: Finding) -> dict:
    return {
        "rule": f.rule_id,
        "severity": f.severity,
        "column": f.column,
        "rows": list(f.sample_rows),
        "failed_count": f.failed_count,
        "values": [v for v in f.sample_values if v != "***"][:20],
        "text": f.text,
        "reference": f.reference,
        "message": f.message(),
    }


def _check_lea(account: Account, lea_id: str | None) -> None:
    if lea_id is None:
        if account.role == "district":
            raise HTTPException(403, "A district account sees only its own districts' files.")
        return
    if not account.may_see_lea(lea_id):
        raise HTTPException(403, f"This account does not belong to LEA {lea_id}.")


@router.post(
    "/submissions",
    status_code=201,
    response_model=SubmissionResult,
    responses={
        **ERRORS,
        413: {"model": Problem, "description": "The file is larger than the limit"},
        422: {
            "model": SubmissionResult,
            "description": "Rejected (stored and listed) or malformed",
        },
    },
    summary="Send one district file; the validation result comes back at once",
)
async def post_submission(
    request: Request,
    account: ApiAccount,
    file: Annotated[UploadFile, File(description="the CSV or XLSX file")],
    collection: Annotated[str, Form(max_length=40)],
    lea_id: Annotated[str, Form(max_length=20)],
    period: Annotated[str, Form(max_length=20)],
) -> JSONResponse:
    p = portal(request)
    if not LEA_ID.match(lea_id):
        raise HTTPException(422, "lea_id must be the state's LEA identifier (letters and digits).")
    _check_lea(account, lea_id)
    data = await file.read(p.max_upload_bytes + 1)
    if len(data) > p.max_upload_bytes:
        raise HTTPException(
            413, f"The file is too large: the limit is {p.max_upload_bytes // 2**20} MB."
        )
    name = file.filename or "upload"
    try:
        result = await run_in_threadpool(
            receive_upload, p, account, data, name, collection, lea_id, period
        )
    except UploadRefused as exc:
        raise HTTPException(exc.status, str(exc)) from None
    body = {
        **_out(result.submission),
        "verdict": result.verdict,
        "messages": [_message(f) for f in result.findings],
        "next_step": result.loading,
    }
    return JSONResponse(body, status_code=422 if result.verdict == "rejected" else 201)


@router.get(
    "/submissions",
    response_model=list[SubmissionOut],
    responses=ERRORS,
    summary="The submissions this account may see",
)
def list_submissions(
    request: Request,
    account: ApiAccount,
    lea_id: Annotated[str | None, Query(max_length=20)] = None,
    collection: Annotated[str | None, Query(max_length=40)] = None,
    period: Annotated[str | None, Query(max_length=20)] = None,
) -> list[dict]:
    if lea_id is not None:
        _check_lea(account, lea_id)
    with portal(request).registry() as registry:
        subs = registry.submissions(collection=collection) if collection else registry.submissions()
    if account.role == "auditor":  # aggregates only: sped/privacy/auditor_view.py
        p = portal(request)
        shown, cell = shared_totals(p), p.profile.min_cell_size
        subs = [auditor_view.submission(s, cell, shown) for s in subs]
    return [
        _out(s)
        for s in subs
        if (lea_id is None or s.lea_id == lea_id)
        and (period is None or s.period == period)
        and (account.role != "district" or (s.lea_id is not None and s.lea_id in account.lea_ids))
    ]


@router.get(
    "/submissions/{submission_id}",
    response_model=SubmissionResult,
    responses={**ERRORS, 404: {"model": Problem, "description": "No such submission"}},
    summary="One submission with its validation messages",
)
def get_submission(
    request: Request,
    account: ApiAccount,
    submission_id: int,
) -> dict:
    from sped.web.uploads import next_step

    p = portal(request)
    with p.registry() as registry:
        try:
            sub = registry.submission(submission_id)
        except KeyError:
            raise HTTPException(404, f"There is no submission {submission_id}.") from None
        _check_lea(account, sub.lea_id)
        verdict, findings = submission_findings(registry, sub)
    if account.role == "auditor":  # aggregates only: sped/privacy/auditor_view.py
        shown, cell = shared_totals(p), p.profile.min_cell_size
        sub = auditor_view.submission(sub, cell, shown)
        findings = auditor_view.findings(findings, sub.collection, cell)
    return {
        **_out(sub),
        "verdict": verdict,
        "messages": [_message(f) for f in findings],
        "next_step": next_step(sub, p),
    }
