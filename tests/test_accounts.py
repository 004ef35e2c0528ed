"""Who may send what (docs/rules/contracts.md, conventions: a district account sends only for the
LEAs it belongs to): a refused file is kept with its reason, never becomes a submission, and
says why."""

from __future__ import annotations

import json

import pytest

from sped.cli import main
from sped.landing import store
from sped.landing.accounts import AccountError
from sped.landing.layout import DeclaredKey
from sped.steps import open_registry

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
        ("auditor", OWN, "does not submit files"),
        ("stranger", OWN, "not an account of this system"),
        ("", OWN, "not an account of this system"),
    ],
)
def test_refusals_say_why(reg, submitter, key, why):
    receipt = reg.receive(b"a\n", key, original_name="f.csv", submitter=submitter)
    assert receipt.outcome == "refused" and why in receipt.detail


def test_state_accounts_and_state_channels_may_send_anything(reg):
    for submitter in ("analyst", "operator:root", "inbox:dagster"):
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


def test_accounts_and_submit_commands(inst, tmp_path, capsys):
    w = str(inst.warehouse)
    assert main(["accounts", "add", "clerk", "--lea", "2500001", "--warehouse", w]) == 0
    assert "added district account clerk 2500001" in capsys.readouterr().out
    assert main(["accounts", "list", "--json", "--warehouse", w]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [
        {
            "account": "clerk",
            "role": "district",
            "display_name": "",
            "lea_ids": ["2500001"],
            "disabled": False,
        }
    ]
    file = tmp_path / "roster.csv"
    file.write_text("lea_id\n2500002\n")
    base = ["submit", str(file), "--account", "clerk", "--collection", "placements"]
    assert main([*base, "--lea", "2500002", "--period", "2025-26", "--warehouse", w]) == 1
    assert "refused: account 'clerk' belongs to 2500001" in capsys.readouterr().out
    assert main([*base, "--lea", "2500001", "--period", "2025-26", "--warehouse", w]) == 0
    assert "received as submission 1" in capsys.readouterr().out
    assert main([*base, "--lea", "2500001", "--period", "2025-26", "--warehouse", w]) == 0
    assert "already received" in capsys.readouterr().out
    # arguments that cannot name a submission are refused before anything is stored
    assert main([*base, "--period", "2025-26", "--warehouse", w]) == 2
    assert "give --lea" in capsys.readouterr().err
    assert main([*base, "--lea", "2500001", "--period", "2025", "--warehouse", w]) == 2
    assert "not a school year" in capsys.readouterr().err
    assert main(["accounts", "add", "--warehouse", w]) == 2
    with open_registry(inst) as reg:
        assert [r["outcome"] for r in reg.receipts()] == ["refused", "new", "duplicate"]


def test_auditors_see_refused_files_in_the_quality_index(reg, inst):
    from sped.reports.quality import write_quality_reports

    reg.receive(b"a\n", OTHER, original_name="theirs.csv", submitter="clerk@lea1")
    page = write_quality_reports(inst).read_text()
    assert "Files received but not taken in" in page
    assert "theirs.csv" in page and "clerk@lea1" in page and "not to LEA 2500002" in page
