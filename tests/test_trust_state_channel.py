"""State data (allocations, the directories) is taken only from the authenticated state
channel: a file in the landing folder counts as the state's only when the installation's owner,
or an operating-system user bound to an active state account, owns it. Whoever else can write
into the landing folder is refused with a message, and the file kept out of force; the owner's
uid is recorded with every receipt (sped/landing/accounts.py `landing_refusal`)."""

from __future__ import annotations

import datetime as dt
import os
import pwd

import pytest

from sped.contracts import get
from sped.ingest.batch import process_collection
from sped.run.steps import connect, open_registry, register_landing
from tests.state_channel import OPERATOR

AS_OF = dt.date(2026, 11, 1)
HEADER = "lea_id,fiscal_year,idea_611_subgrant,idea_619_subgrant\n"
OTHER = pwd.getpwnam("nobody")  # another operating-system user than the installation's owner


def _place(landing, rel: str, text: str, uid: int | None = None) -> None:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if uid is not None:
        try:
            os.chown(path, uid, -1)
        except PermissionError:
            pytest.skip("giving a file to another user needs root")


def _landing(tmp_path):
    landing = tmp_path / "landing"
    _place(landing, "reference/leas.csv", "lea_id,name,county,lea_type\n2500001,A,X,REGULAR\n")
    _place(landing, "allocations/2026/tenfold.csv", HEADER + "2500001,2026,1000.00,100.00\n",
           uid=OTHER.pw_uid)  # fmt: skip
    return landing


def test_state_data_written_by_another_os_user_is_refused_and_kept_out_of_force(
    inst, profile, tmp_path
):
    landing = _landing(tmp_path)
    with open_registry(inst) as reg:
        summary = register_landing(landing, reg, submitter=OPERATOR)
        refused = dict(summary.refused)
        assert "allocations/2026/tenfold.csv" in refused
        why = refused["allocations/2026/tenfold.csv"]
        assert "allocations is state data" in why and "belongs to nobody" in why
        receipts = {r["original_name"]: r for r in reg.receipts()}
        assert receipts["tenfold.csv"]["outcome"] == "refused"
        assert receipts["tenfold.csv"]["file_uid"] == OTHER.pw_uid
        assert receipts["leas.csv"]["file_uid"] == os.geteuid()
        assert reg.submissions(collection="allocations") == []
        con = connect(inst)
        try:
            for name in ("leas", "allocations"):
                process_collection(con, reg, get(name), profile, AS_OF)
            assert con.execute("SELECT count(*) FROM raw.allocations").fetchone()[0] == 0
            assert con.execute("SELECT count(*) FROM raw.leas").fetchone()[0] == 1
        finally:
            con.close()
        received = [e["detail"] for e in reg.events() if e["event"] == "received"]
        size = receipts["leas.csv"]["size_bytes"]
        assert received == [f"{size} bytes from {OPERATOR} (a landing file of uid {os.geteuid()})"]


def test_a_landing_file_of_a_user_bound_to_a_state_account_is_taken(inst, tmp_path):
    landing = _landing(tmp_path)
    with open_registry(inst) as reg:
        reg.state_channel_account()  # the installation's owner bound first, as a first run does
        reg.add_account("state@nobody", "state", os_user=OTHER.pw_name)
        summary = register_landing(landing, reg, submitter=OPERATOR)
        assert summary.refused == [] and dict(summary.new) == {"leas": 1, "allocations": 1}
        reg.disable_account("state@nobody")  # disabled: its files are no longer the state's
        _place(landing, "allocations/2026/again.csv", HEADER + "2500001,2026,9.00,1.00\n",
               uid=OTHER.pw_uid)  # fmt: skip
        again = register_landing(landing, reg, submitter=OPERATOR)
        assert [p for p, _ in again.refused] == ["allocations/2026/again.csv"]
