"""A small installation for the web application's tests, built once per test session.

The generator writes the small state (one school year) and the real pipeline loads, builds and
publishes it; every xdist worker shares that one build (a file lock in pytest's shared temp
folder) and each test module works on its own copy. On the copy: one account per role, a
second district, a disabled account, and API tokens (one revoked).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sped.config.settings import Installation
from sped.landing.accounts import current_os_user, owner_account_name
from sped.run.steps import open_registry
from tests.state_channel import OPERATOR

AS_OF = "2026-11-01"
PASSWORD = {
    "analyst": "state-analyst-pw",
    "clerk": "district-clerk-pw",
    "auditor": "auditor-reads-pw",
    "gone": "disabled-account-pw",
}


def _build(base: Path) -> Path:
    """The shared pipeline-built installation (built by the first worker to ask)."""
    from sped.generate import generate
    from sped.launch.pipeline_run import run_pipeline

    if os.environ.get("SPED_WEB_TEST_BUILD"):  # a build kept from an earlier run (local use)
        return Path(os.environ["SPED_WEB_TEST_BUILD"])
    target = base / "web-installation"
    base.mkdir(parents=True, exist_ok=True)
    with (base / "web-installation.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "built").exists():
            shutil.rmtree(target, ignore_errors=True)
            generate(target / "landing", scale="small", years=1, seed=8)
            code = run_pipeline(
                landing=target / "landing",
                warehouse=str(target / "wh" / "warehouse.duckdb"),
                profile=None,
                as_of=AS_OF,
                submitter=OPERATOR,
                out=lambda _line: None,
            )
            assert code == 0, "the pipeline failed building the web tests' installation"
            (target / "built").touch()
    return target


@dataclass
class WebInstallation:
    inst: Installation
    landing: Path
    own_lea: str  # the district account's LEA
    other_lea: str  # an LEA it does not belong to
    own_submission: int  # an accepted roster of own_lea
    other_submission: int
    tokens: dict[str, str]  # role name -> API token ("revoked": a revoked one)

    def roster_bytes(self, submission_id: int) -> bytes:
        with open_registry(self.inst) as reg:
            return reg.read_bytes(reg.submission(submission_id))


def web_installation(shared_base: Path, here: Path) -> WebInstallation:
    built = _build(shared_base)
    shutil.copytree(built / "wh", here / "wh")
    inst = Installation((here / "wh" / "warehouse.duckdb").resolve()).create()
    with open_registry(inst) as reg:
        rosters = sorted(
            (  # plain comma-separated UTF-8 rosters (the generator also writes other forms)
                s
                for s in reg.submissions(collection="placements", status="accepted")
                if reg.read_bytes(s).startswith(b"lea_id,school_year,count_date,")
            ),
            key=lambda s: (s.warning_count or 0, s.submission_id),
        )
        own, other = rosters[0], rosters[1]
        owner = owner_account_name(current_os_user())
        reg.add_account("analyst", "state", password=PASSWORD["analyst"], is_admin=True)
        reg.add_account("clerk", "district", [own.lea_id], password=PASSWORD["clerk"])
        reg.add_account("auditor", "auditor", password=PASSWORD["auditor"])
        reg.add_account("gone", "district", [own.lea_id], password=PASSWORD["gone"])
        tokens = {
            "state": reg.create_token("analyst"),
            "district": reg.create_token("clerk"),
            "auditor": reg.create_token("auditor"),
            "revoked": reg.create_token("clerk"),
            "disabled": reg.create_token("gone"),
        }
        assert reg.account(owner) is not None  # bound when the pipeline first ran
    return WebInstallation(
        inst=inst,
        landing=built / "landing",
        own_lea=own.lea_id,
        other_lea=other.lea_id,
        own_submission=own.submission_id,
        other_submission=other.submission_id,
        tokens=tokens,
    )


def revoke_and_disable(web: WebInstallation) -> None:
    """Make tokens['revoked'] revoked and account 'gone' disabled (after sessions were made)."""
    with open_registry(web.inst) as reg:
        token = web.tokens["revoked"]
        # revoke only that token: a new one for clerk is kept live as tokens['district']
        reg.revoke_tokens("clerk")
        web.tokens["district"] = reg.create_token("clerk")
        assert reg.token_account(token) is None
        reg.disable_account("gone")


def good_and_bad_roster(web: WebInstallation) -> tuple[bytes, bytes]:
    """A roster of own_lea the checks accept (its accepted file without its last row) and one
    they reject (a count date outside the window on every row). Bytes, as districts send them
    (not necessarily UTF-8)."""
    lines = web.roster_bytes(web.own_submission).rstrip(b"\r\n").split(b"\n")
    good = b"\n".join(lines[:-1]) + b"\n"
    at = lines[0].rstrip(b"\r").split(b",").index(b"count_date")
    bad_rows = []
    for line in lines[1:]:
        cells = line.split(b",")
        cells[at] = b"2025-06-30"
        bad_rows.append(b",".join(cells))
    return good, b"\n".join([lines[0], *bad_rows]) + b"\n"


def shared_base(tmp_path_factory) -> Path:
    """A folder every xdist worker of this run shares (the run's own folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "web-shared"
