"""An upload's check is the run's check: the run that loads an uploaded file reuses the findings
of the portal's check (sped/ingest/file_checks.py), and only while the bytes, the directories,
the profile, the as-of date and the code are the ones the check was made with. A run that
reuses them records exactly what a run that checks the file again records."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from sped.contracts import get
from sped.ingest import file_checks, settled
from sped.ingest.batch import process_collection
from sped.landing.layout import DeclaredKey
from sped.run.steps import connect, open_registry
from sped.validation import validate_batch, validate_cross
from sped.web.app import create_app
from sped.web.uploads import receive_upload
from tests.state_channel import OPERATOR
from tests.web_fixtures import AS_OF, shared_base, web_installation

pytestmark = pytest.mark.slow  # the web tests' pipeline-built installation
RUN_DAY = dt.date.fromisoformat(AS_OF)


def _resubmission(web) -> tuple[str, str, bytes]:
    """(lea, period, bytes): the accepted roster with the most warnings, without its last row,
    so the check has findings to reuse and the bytes are new."""
    with open_registry(web.inst) as reg:
        sub = max(
            (
                s
                for s in reg.submissions(collection="placements", status="accepted")
                if reg.read_bytes(s).startswith(b"lea_id,school_year,count_date,")
            ),
            key=lambda s: (s.warning_count or 0, -s.submission_id),
        )
        data = reg.read_bytes(sub)
    assert sub.warning_count, "the small state has a roster with warnings"
    lines = data.rstrip(b"\r\n").split(b"\n")
    return sub.lea_id, sub.period, b"\n".join(lines[:-1]) + b"\n"


def _upload(web, lea: str, period: str, data: bytes) -> int:
    """Send the file through the portal's upload (no pipeline run started); its id."""
    with open_registry(web.inst) as reg:
        if reg.account("checker") is None:
            reg.add_account("checker", "district", [lea])
        account = reg.account("checker")
    portal = create_app(web.inst, as_of=AS_OF, start_pipeline=False).state.portal
    result = receive_upload(portal, account, data, "roster.csv", "placements", lea, period)
    assert result.verdict != "rejected", result.findings
    return result.submission.submission_id


def _run_placements(inst, profile):
    with open_registry(inst) as reg:
        con = connect(inst)
        try:
            return process_collection(
                con, reg, get("placements"), profile, RUN_DAY,
                validate=validate_batch, validate_cross=validate_cross,
            )  # fmt: skip
        finally:
            con.close()


def _recorded(inst, sid: int):
    with open_registry(inst) as reg:
        sub = reg.submission(sid)
        return sub.status, sub.row_count, sub.warning_count, reg.findings(sid)


def test_a_run_reusing_the_upload_check_records_what_a_run_checking_again_records(
    tmp_path_factory, profile
):
    base = shared_base(tmp_path_factory)
    reusing = web_installation(base, tmp_path_factory.mktemp("reusing"))
    checking = web_installation(base, tmp_path_factory.mktemp("checking"))
    lea, period, data = _resubmission(reusing)
    sid = _upload(reusing, lea, period, data)
    with open_registry(checking.inst) as reg:  # the same file by the landing folder: no check
        key = DeclaredKey("placements", lea, period)
        receipt = reg.receive(data, key, original_name="roster.csv", submitter=OPERATOR)
    assert receipt.submission_id == sid

    reused, checked = (
        _run_placements(reusing.inst, profile),
        _run_placements(checking.inst, profile),
    )

    assert (reused.prechecked, checked.prechecked) == (1, 0)
    assert reused.rules_failed == checked.rules_failed and reused.rules_failed
    assert _recorded(reusing.inst, sid) == _recorded(checking.inst, sid)
    status, rows, warnings, findings = _recorded(reusing.inst, sid)
    assert status == "accepted" and rows == data.count(b"\n") - 1 and warnings
    assert any(f.sample_rows for f in findings)  # row numbers and values, not only rule ids
    with open_registry(reusing.inst) as a, open_registry(checking.inst) as b:
        said = [e["detail"] for e in a.events(sid) if e["event"] == "accepted"]
        plain = [e["detail"] for e in b.events(sid) if e["event"] == "accepted"]
    assert said == [plain[0] + " (rules as checked at upload, same inputs)"]  # for the auditors


def test_the_check_is_reused_only_while_everything_that_decided_it_holds(
    tmp_path_factory, profile, monkeypatch
):
    web = web_installation(shared_base(tmp_path_factory), tmp_path_factory.mktemp("holds"))
    lea, period, data = _resubmission(web)
    _upload(web, lea, period, data)
    with open_registry(web.inst) as reg:
        pending = reg.pending("placements")
        con = connect(web.inst)
        try:

            def reused(subs=pending, prof=profile, day=RUN_DAY):
                return file_checks.reusable(con, reg, subs, prof, day)

            sid = pending[0].submission_id
            kept = reg.upload_rule_findings([sid])[sid][1]
            assert kept and reused() == kept  # the upload's warnings, as the run will record them
            assert reused(day=RUN_DAY + dt.timedelta(days=1)) is None
            assert reused(prof=dataclasses.replace(profile, dd_age_range=(3, 6))) is None
            other_bytes = dataclasses.replace(pending[0], sha256="0" * 64)
            assert reused(subs=[other_bytes]) is None
            without_check = dataclasses.replace(pending[0], submission_id=10**9)
            assert reused(subs=[*pending, without_check]) is None
            con.execute("BEGIN")
            con.execute(
                "DELETE FROM raw.facilities WHERE rowid = (SELECT min(rowid) FROM raw.facilities)"
            )
            assert reused() is None  # a directory changed since the upload was checked
            con.execute("ROLLBACK")
            assert reused() is not None
            monkeypatch.setattr(settled, "code_digest", lambda: "other rules")
            assert reused() is None
        finally:
            con.close()
