"""Who may send what (docs/rules/contracts.md, conventions: a district account sends only for the
LEAs it belongs to): a refused file is kept with its reason, never becomes a submission, and
says why. How senders prove who they are: passwords, API tokens, and the state channel bound to
the operating-system user; the installation's files are its owner's only."""

from __future__ import annotations

import io
import json
import stat

import pytest

from sped.cli import main
from sped.landing import accounts as accounts_module
from sped.landing import store
from sped.landing.accounts import AccountError
from sped.landing.layout import DeclaredKey
from sped.run.steps import open_registry
from tests.state_channel import INBOX, OPERATOR

OWN = DeclaredKey("placements", "2500001", "2025-26")
OTHER = DeclaredKey("placements", "2500002", "2025-26")
ALLOCATIONS = DeclaredKey("allocations", None, "2026")


@pytest.fixture
def reg(inst):
    with open_registry(inst) as registry:
        registry.add_account("clerk@lea1", "district", ["2500001"], "Data clerk, LEA 1")
        registry.add_account("coordinator", "district", ["2500001", "2500002"])
        registry.add_account("analyst", "state")
        registry.add_account("auditor", "auditor")
        yield registry


def test_a_district_account_submits_for_its_own_lea(reg):
    receipt = reg.receive(b"a\n", OWN, original_name="r.csv", submitter="clerk@lea1")
    assert receipt.outcome == "new"
    assert reg.submission(receipt.submission_id).submitter == "clerk@lea1"


def test_a_file_for_an_lea_the_sender_does_not_belong_to_is_refused_and_kept(reg, inst):
    receipt = reg.receive(b"a\n", OTHER, original_name="r.csv", submitter="clerk@lea1")
    assert receipt.outcome == "refused" and receipt.submission_id is None
    assert "belongs to 2500001, not to LEA 2500002" in receipt.detail
    assert reg.submissions() == []  # nothing that could ever be loaded
    (row,) = reg.receipts()
    assert (row["outcome"], row["detail"]) == ("refused", receipt.detail)
    assert store.get(inst.store, receipt.sha256) == b"a\n"  # nothing lost
    assert any(e["event"] == "refused" and "2500002" in e["detail"] for e in reg.events())


def test_an_account_may_belong_to_several_leas(reg):
    for key in (OWN, OTHER):
        assert reg.receive(b"x", key, original_name="r.csv", submitter="coordinator").outcome == (
            "new"
        )


@pytest.mark.parametrize(
    ("submitter", "key", "why"),
    [
        ("clerk@lea1", ALLOCATIONS, "loaded by the state"),
        ("clerk@lea1", DeclaredKey("leas", None, "current"), "loaded by the state"),
        ("clerk@lea1", DeclaredKey("enrollment", None, "2025-26"), "loaded by the state"),
        ("auditor", OWN, "does not submit files"),
        ("stranger", OWN, "not an account of this system"),
        ("", OWN, "not an account of this system"),
    ],
)
def test_refusals_say_why(reg, submitter, key, why):
    receipt = reg.receive(b"a\n", key, original_name="f.csv", submitter=submitter)
    assert receipt.outcome == "refused" and why in receipt.detail


def test_state_accounts_and_state_channels_may_send_anything(reg):
    for submitter in ("analyst", OPERATOR, INBOX):
        for key in (OWN, OTHER, ALLOCATIONS):
            data = f"{submitter}{key}".encode()
            assert reg.receive(data, key, original_name="f.csv", submitter=submitter).outcome == (
                "new"
            )


def test_a_disabled_account_is_refused_but_its_history_stays(reg):
    sid = reg.receive(b"a\n", OWN, original_name="r.csv", submitter="clerk@lea1").submission_id
    reg.disable_account("clerk@lea1")
    later = reg.receive(b"b\n", OWN, original_name="r.csv", submitter="clerk@lea1")
    assert later.outcome == "refused" and "disabled" in later.detail
    assert reg.submission(sid).submitter == "clerk@lea1"
    assert reg.account("clerk@lea1").disabled


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("clerk@lea1", "district", ["2500003"]), "already exists"),
        (("new", "district", []), "at least one LEA"),
        (("new", "auditor", ["2500001"]), "not a member of LEAs"),
        (("new", "superuser", []), "role must be one of"),
        (("Has Space", "state", []), "account name"),
    ],
)
def test_bad_accounts_are_not_created(reg, args, why):
    with pytest.raises(AccountError, match=why):
        reg.add_account(*args)


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_accounts_and_submit_commands(inst, tmp_path, capsys, monkeypatch):
    w = str(inst.warehouse)
    _stdin(monkeypatch, "correct horse battery\n")
    add = ["accounts", "add", "clerk", "--lea", "2500001", "--password-stdin", "--warehouse", w]
    assert main(add) == 0
    assert "added district account clerk 2500001" in capsys.readouterr().out
    assert main(["accounts", "list", "--json", "--warehouse", w]) == 0
    listed = json.loads(capsys.readouterr().out)
    owner = accounts_module.owner_account_name(accounts_module.current_os_user())
    assert listed == [
        {
            "account": "clerk",
            "role": "district",
            "display_name": "",
            "lea_ids": ["2500001"],
            "disabled": False,
            "admin": False,
            "os_user": None,
        },
        {  # the installation owner, bound at the first use of the state channel
            "account": owner,
            "role": "state",
            "display_name": "installation owner",
            "lea_ids": [],
            "disabled": False,
            "admin": True,
            "os_user": accounts_module.current_os_user(),
        },
    ]
    file = tmp_path / "roster.csv"
    file.write_text("lea_id\n2500002\n")
    base = ["submit", str(file), "--account", "clerk", "--collection", "placements"]
    own = ["--lea", "2500001", "--period", "2025-26", "--warehouse", w]
    # a name alone proves nothing
    assert main([*base, *own]) == 1
    assert "prove you are 'clerk'" in capsys.readouterr().out
    _stdin(monkeypatch, "wrong password!\n")
    assert main([*base, "--password-stdin", *own]) == 1
    assert "could not sign in as 'clerk'" in capsys.readouterr().out
    _stdin(monkeypatch, "correct horse battery\n")
    assert main([*base, "--password-stdin", "--lea", "2500002", "--period", "2025-26",
                 "--warehouse", w]) == 1  # fmt: skip
    assert "refused: account 'clerk' belongs to 2500001" in capsys.readouterr().out
    _stdin(monkeypatch, "correct horse battery\n")
    assert main([*base, "--password-stdin", *own]) == 0
    assert "received as submission 1" in capsys.readouterr().out
    assert main(["accounts", "token", "clerk", "--warehouse", w]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("sped_")
    _stdin(monkeypatch, token + "\n")
    assert main([*base, "--token-stdin", *own]) == 0
    assert "already received" in capsys.readouterr().out
    assert main(["accounts", "token", "clerk", "--revoke", "--warehouse", w]) == 0
    assert "revoked 1 token(s)" in capsys.readouterr().out
    _stdin(monkeypatch, token + "\n")
    assert main([*base, "--token-stdin", *own]) == 1
    assert "not a live token" in capsys.readouterr().out
    _stdin(monkeypatch, "a new long password\n")
    assert main(["accounts", "password", "clerk", "--password-stdin", "--warehouse", w]) == 0
    # arguments that cannot name a submission are refused before anything is stored
    assert main([*base, "--period", "2025-26", "--warehouse", w]) == 2
    assert "give --lea" in capsys.readouterr().err
    assert main([*base, "--lea", "2500001", "--period", "2025", "--warehouse", w]) == 2
    assert "not a school year" in capsys.readouterr().err
    assert main(["accounts", "add", "--warehouse", w]) == 2
    assert main(["accounts", "disable", "clerk", "--warehouse", w]) == 0
    with open_registry(inst) as reg:
        assert [r["outcome"] for r in reg.receipts()] == ["refused", "new", "duplicate"]
        events = [e["event"] for e in reg.events()]
        detail = " ".join(str(e["detail"]) for e in reg.events())
    expected = ["state_channel_bound", "account_added", "signin_failed", "signed_in"]
    expected += ["token_created", "tokens_revoked", "password_changed", "account_disabled"]
    assert set(expected) <= set(events)
    assert "correct horse" not in detail and token not in detail
    assert token.encode() not in inst.registry.read_bytes()  # only its hash is kept


def test_a_forged_state_channel_label_is_refused(inst, tmp_path, capsys):
    """issue 11, failure 5: `--submitter operator:mallory` was the state, on trust."""
    from sped.run.steps import register_landing

    landing = tmp_path / "landing" / "allocations" / "2026"
    landing.mkdir(parents=True)
    (landing / "forged.csv").write_text("lea_id,fiscal_year,subgrant_611\n2500001,2026,9999999\n")
    with open_registry(inst) as reg:
        register_landing(tmp_path / "landing", reg, submitter="operator:mallory")
        assert reg.submissions() == []  # nothing that could ever be loaded
        receipts = reg.receipts()
        assert [r["outcome"] for r in receipts] == ["refused"]
        assert "not this process's operating-system user" in receipts[0]["detail"]
    args = ["--collection", "allocations", "--period", "2026", "--warehouse", str(inst.warehouse)]
    assert (
        main(["submit", str(landing / "forged.csv"), "--account", "operator:mallory", *args]) == 1
    )
    assert "refused" in capsys.readouterr().out
    with open_registry(inst) as reg:
        assert reg.submissions() == []


def test_the_state_channel_binds_the_owner_once_and_no_other_os_user(inst, monkeypatch):
    me = accounts_module.current_os_user()
    with open_registry(inst) as reg:
        assert reg.receive(
            b"x", ALLOCATIONS, original_name="a.csv", submitter=OPERATOR
        ).outcome == ("new")
        bound = reg.account(accounts_module.owner_account_name(me))
        assert bound.role == "state" and bound.os_user == me and bound.is_admin
        (event,) = [e for e in reg.events() if e["event"] == "state_channel_bound"]
        assert f"operating-system user {me}" in event["detail"]
        # another operating-system user, even one with access to the files, is not the state
        monkeypatch.setattr(accounts_module, "current_os_user", lambda: "intruder")
        refused = reg.receive(
            b"y", ALLOCATIONS, original_name="a.csv", submitter="operator:intruder"
        )
        assert refused.outcome == "refused" and "not bound to an active state account" in (
            refused.detail
        )
        with pytest.raises(AccountError, match="not bound"):
            reg.state_channel_account()
        # an admin can bind them (and unbinding = disabling the account)
        reg.add_account("state@intruder", "state", os_user="intruder")
        assert (
            reg.receive(
                b"y", ALLOCATIONS, original_name="a.csv", submitter="operator:intruder"
            ).outcome
            == "new"
        )
        reg.disable_account("state@intruder")
        assert (
            reg.receive(
                b"z", ALLOCATIONS, original_name="a.csv", submitter="operator:intruder"
            ).outcome
            == "refused"
        )


def test_account_commands_need_a_bound_admin_os_user(inst, monkeypatch, capsys):
    w = str(inst.warehouse)
    assert main(["accounts", "add", "analyst", "--role", "state", "--warehouse", w]) == 0
    monkeypatch.setattr(accounts_module, "current_os_user", lambda: "intruder")
    assert main(["accounts", "add", "mallory", "--role", "state", "--warehouse", w]) == 2
    assert "not bound to an active state account" in capsys.readouterr().err
    with open_registry(inst) as reg:
        assert reg.account("mallory") is None


def test_passwords_lock_after_repeated_failures(reg):
    reg.set_password("clerk@lea1", "a long enough password")
    found, _ = reg.sign_in("clerk@lea1", "a long enough password", source="test")
    assert found is not None and found.account == "clerk@lea1"
    for _ in range(accounts_module.MAX_FAILURES):
        assert reg.sign_in("clerk@lea1", "guess", source="test")[0] is None
    # locked: even the right password is refused until the lock ends
    found, why = reg.sign_in("clerk@lea1", "a long enough password", source="test")
    assert found is None and why == "locked"
    assert "account_locked" in [e["event"] for e in reg.events()]
    reg.set_password("clerk@lea1", "another long password")  # an admin's reset lifts it
    assert reg.sign_in("clerk@lea1", "another long password", source="test")[0] is not None
    assert reg.sign_in("nobody", "whatever password", source="test") == (
        None,
        "unknown account or no password",
    )
    with pytest.raises(AccountError, match="10 to 1024 characters"):
        reg.set_password("clerk@lea1", "short")


def test_tokens_are_stored_hashed_and_end_with_revocation_or_disabling(reg):
    token = reg.create_token("clerk@lea1")
    assert reg.token_account(token).account == "clerk@lea1"
    assert reg.token_account(token + "x") is None and reg.token_account("") is None
    assert reg.revoke_tokens("clerk@lea1") == 1
    assert reg.token_account(token) is None
    other = reg.create_token("coordinator")
    reg.disable_account("coordinator")
    assert reg.token_account(other) is None
    with pytest.raises(AccountError, match="disabled"):
        reg.create_token("coordinator")


def test_installation_files_are_private(inst):
    from sped.landing.store import put
    from sped.run.steps import connect

    with open_registry(inst) as reg:
        reg.receive(b"student rows\n", OWN, original_name="r.csv", submitter="analyst")
    connect(inst).close()
    put(inst.store, b"more rows\n")
    for folder in (inst.root, inst.store, inst.published_dir, inst.reports_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    files = [inst.registry, inst.warehouse, *[p for p in inst.store.rglob("*") if p.is_file()]]
    assert len(files) >= 4
    for f in files:  # 0600, or 0400 for the stored files (never rewritten)
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f
    assert stat.S_IMODE(inst.registry.stat().st_mode) == 0o600
    for folder in (p for p in inst.store.rglob("*") if p.is_dir()):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_auditors_see_refused_files_in_the_quality_index(reg, inst):
    from sped.reports.quality import write_quality_reports

    reg.receive(b"a\n", OTHER, original_name="theirs.csv", submitter="clerk@lea1")
    page = write_quality_reports(inst).read_text()
    assert "Files received but not taken in" in page
    assert "theirs.csv" in page and "clerk@lea1" in page and "not to LEA 2500002" in page
