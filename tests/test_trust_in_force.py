"""The submission in force for a key is the one received last (its received time, then its
submission id), never the one whose path sorts last: a corrected file received today is not
superseded by an older file of the same key received a year ago (docs/rules/contracts.md)."""

from __future__ import annotations

import datetime as dt
import os

from sped.contracts import get
from sped.ingest.batch import process_collection
from sped.run.steps import connect, open_registry, register_landing
from tests.state_channel import OPERATOR

AS_OF = dt.date(2026, 11, 1)
HEADER = "lea_id,fiscal_year,idea_611_subgrant,idea_619_subgrant\n"


def _place(landing, rel: str, text: str, when: dt.datetime | None = None) -> None:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if when is not None:
        stamp = when.replace(tzinfo=dt.UTC).timestamp()
        os.utime(path, (stamp, stamp))


def test_the_file_received_last_is_in_force_whatever_its_path_order(inst, profile, tmp_path):
    landing = tmp_path / "landing"
    _place(landing, "reference/leas.csv", "lea_id,name,county,lea_type\n2500001,A,X,REGULAR\n")
    # The path sorting first is the corrected file, received now; the one sorting last was
    # received a year ago. Both arrive in one run.
    _place(landing, "allocations/2026/a_corrected.csv", HEADER + "2500001,2026,200.00,20.00\n")
    year_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=365)
    _place(landing, "allocations/2026/b_old.csv", HEADER + "2500001,2026,100.00,10.00\n", year_ago)
    with open_registry(inst) as reg:
        register_landing(landing, reg, submitter=OPERATOR)
        by_name = {s.original_name: s.submission_id for s in reg.submissions()}
        assert by_name["a_corrected.csv"] < by_name["b_old.csv"]  # ids follow the path order
        con = connect(inst)
        try:
            for name in ("leas", "allocations"):
                process_collection(con, reg, get(name), profile, AS_OF)
            loaded = con.execute(
                "SELECT _submission_id, idea_611_subgrant FROM raw.allocations"
            ).fetchall()
        finally:
            con.close()
        status = {s.original_name: s.status for s in reg.submissions(collection="allocations")}
        old = reg.submission(by_name["b_old.csv"])
    assert status == {"a_corrected.csv": "accepted", "b_old.csv": "superseded"}
    assert old.superseded_by == by_name["a_corrected.csv"]
    assert [(sid, float(v)) for sid, v in loaded] == [(by_name["a_corrected.csv"], 200.0)]
