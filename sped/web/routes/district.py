"""The district pages, all under /district/{lea_id}: overview and upload, one submission's
result and its annotated file, the district's figures and its out-of-district students.

Each route depends on `LeaAccount`: a district account outside the LEA gets 403. Student-level
pages (the annotated file, the students list) are for the state team and the district only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sped.landing.accounts import Account
from sped.privacy import auditor_view
from sped.web import district_data as data
from sped.web.auth import LeaAccount, check_csrf, portal
from sped.web.district_figures import own_figures
from sped.web.pages import render
from sped.web.uploads import (
    UploadRefused,
    district_collections,
    next_step,
    receive_upload,
    submission_findings,
)

router = APIRouter(prefix="/district/{lea_id}", include_in_schema=False)
SHARE_COUNTS = ("ppps_count_3_21", "public_count_3_21", "ppps_count_3_5", "public_count_3_5")


def _student_level(account: Account) -> None:
    if account.role not in ("state", "district"):
        raise HTTPException(403, "Student-level rows are for the state team and the district.")


def _for_auditor(request: Request, account: Account, subs: list, found: list | None = None):
    """(submissions, findings) as an auditor sees them: aggregates only
    (sped/privacy/auditor_view.py); unchanged for the state team and the district."""
    if account.role != "auditor":
        return subs, found
    p = portal(request)
    shown, cell = data.shared_totals(p), p.profile.min_cell_size
    subs = [auditor_view.submission(s, cell, shown) for s in subs]
    if found is not None:
        found = auditor_view.findings(found, subs[0].collection, cell)
    return subs, found


def _overview_context(request: Request, lea_id: str, account: Account) -> dict:
    p = portal(request)
    return {
        "lea_id": lea_id,
        "lea_name": data.lea_name(p, lea_id),
        "history": _for_auditor(request, account, data.history(p, lea_id))[0],
        "status_rows": data.submission_status(p, lea_id),
        "rebuilt": data.last_rebuilt(p, lea_id),
        "runner": p.runner.status() if p.runner else None,
        "collections": district_collections(),
        "max_mb": p.max_upload_bytes // (1024 * 1024),
    }


@router.get("")
def overview(request: Request, lea_id: str, account: LeaAccount) -> Response:
    context = _overview_context(request, lea_id, account)
    return render(request, "district.html", context, account=account)


@router.post("/upload")
async def upload(
    request: Request,
    lea_id: str,
    account: LeaAccount,
    file: Annotated[UploadFile, File()],
    collection: Annotated[str, Form(max_length=40)],
    period: Annotated[str, Form(max_length=20)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf)
    p = portal(request)
    content = await file.read(p.max_upload_bytes + 1)
    if len(content) > p.max_upload_bytes:
        raise HTTPException(
            413, f"The file is too large: the limit is {p.max_upload_bytes // 2**20} MB."
        )
    try:
        result = await run_in_threadpool(
            receive_upload, p, account, content, file.filename or "", collection, lea_id, period
        )
    except UploadRefused as exc:  # the form comes back as it was typed, with the reason
        context = _overview_context(request, lea_id, account) | {
            "upload_error": str(exc),
            "form": {"collection": collection, "period": period},
        }
        return render(request, "district.html", context, account=account, status_code=exc.status)
    # post/redirect/get: the result has its own address, to reload and bookmark
    sent = "duplicate" if result.duplicate else "new"
    return RedirectResponse(
        f"/district/{lea_id}/submissions/{result.submission.submission_id}?sent={sent}", 303
    )


def _lea_submission(request: Request, lea_id: str, submission_id: int):
    with portal(request).registry() as registry:
        try:
            sub = registry.submission(submission_id)
        except KeyError:
            sub = None
        if sub is None or sub.lea_id != lea_id:
            raise HTTPException(404, "There is no such submission for this district.")
        verdict, findings = submission_findings(registry, sub)
    return sub, verdict, findings


@router.get("/submissions/{submission_id}")
def submission(
    request: Request,
    lea_id: str,
    submission_id: int,
    account: LeaAccount,
    sent: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """A submission's result: where an upload lands (`sent` says it was just sent, or that the
    same bytes had come before), and a page to come back to."""
    sub, verdict, findings = _lea_submission(request, lea_id, submission_id)
    (sub,), findings = _for_auditor(request, account, [sub], findings)
    return render(
        request,
        "submission.html",
        {
            "lea_id": lea_id,
            "sub": sub,
            "verdict": verdict,
            "findings": findings,
            "loading": next_step(sub, portal(request)),
            "duplicate": sent == "duplicate",
            "just_sent": sent in ("new", "duplicate"),
        },
        account=account,
    )


@router.get("/submissions/{submission_id}/annotated.csv")
def annotated(request: Request, lea_id: str, submission_id: int, account: LeaAccount) -> Response:
    from sped.reports.annotated import annotated_csv

    _student_level(account)
    sub, _, _ = _lea_submission(request, lea_id, submission_id)
    p = portal(request)
    text = annotated_csv(p.inst, sub.submission_id, p.profile, p.as_of_date())
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": "attachment; "
            f'filename="submission-{sub.submission_id}-annotated.csv"'
        },
    )


@router.get("/figures")
def figures(request: Request, lea_id: str, account: LeaAccount) -> Response:
    p = portal(request)
    shares, child_find = data.proportionate_share(p, lea_id), data.child_find(p, lea_id)
    if account.role == "auditor":  # beyond the state team and the district: no small cells
        child_find = data.suppress_small_counts(child_find, p.profile.min_cell_size)
        shares = auditor_view.share_rows(  # nor dollar figures that give them back
            shares,
            data.suppress_small_counts(shares, p.profile.min_cell_size, SHARE_COUNTS),
            p.profile.min_cell_size,
            data.shared_totals(p),
        )
    return render(
        request,
        "figures.html",
        {
            "lea_id": lea_id,
            "lea_name": data.lea_name(p, lea_id),
            "shares": shares,
            "child_find": child_find,
            "own_figures": own_figures(p, account, lea_id),
            "rebuilt": data.last_rebuilt(p, lea_id),
        },
        account=account,
    )


@router.get("/students")
def students(request: Request, lea_id: str, account: LeaAccount) -> Response:
    _student_level(account)
    p = portal(request)
    return render(
        request,
        "students.html",
        {
            "lea_id": lea_id,
            "lea_name": data.lea_name(p, lea_id),
            "gaps": data.out_of_district_gaps(p, lea_id),
            "rebuilt": data.last_rebuilt(p, lea_id),
        },
        account=account,
    )
