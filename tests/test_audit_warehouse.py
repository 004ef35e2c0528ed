"""Issue 25, failure 9, in the warehouse: `sped audit verify` recomputes each raw table's rows
per submission (count and digest) against the registry and each published table's digest
against its publication, on a real pipeline run of the small synthetic state; a run after a
mart was changed by hand rebuilds it rather than republishing it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from sped.cli import main
from sped.config.settings import Installation
from sped.generate import generate
from sped.operations.audit import verify

AS_OF = "2026-11-01"
SPED = str(Path(sys.executable).parent / "sped")
pytestmark = pytest.mark.slow
OOD = "shared.shr_out_of_district"


def _pipeline(inst: Installation, *extra: str) -> int:
    return main(
        ["pipeline", "--create", "--warehouse", str(inst.warehouse), "--as-of", AS_OF, *extra]
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Installation:
    landing = tmp_path_factory.mktemp("landing") / "landing"
    generate(landing, scale="small", years=1, seed=11)
    inst = Installation(tmp_path_factory.mktemp("built") / "warehouse.duckdb")
    assert _pipeline(inst, "--landing", str(landing)) == 0
    return inst


@pytest.fixture
def copy(built, tmp_path) -> Installation:
    """A copy of the built installation, to tamper with."""
    shutil.copytree(built.root, tmp_path / "copy")
    return Installation(tmp_path / "copy" / built.warehouse.name)


def _problems(inst: Installation) -> str:
    return "\n".join(str(p) for p in verify(inst))


def _raised_ood(path: Path) -> tuple:
    """Raise one LEA-year's shown ood_students by 5 in the file at `path`; its key."""
    con = duckdb.connect(str(path))
    try:
        key = con.execute(
            f"SELECT lea_id, school_year, ood_students FROM {OOD} "
            "WHERE ood_students IS NOT NULL ORDER BY ALL LIMIT 1"
        ).fetchone()
        con.execute(
            f"UPDATE {OOD} SET ood_students = ood_students + 5 "
            "WHERE lea_id = ? AND school_year = ?",
            key[:2],
        )
    finally:
        con.close()
    return key


def _ood(path: Path, key: tuple) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            f"SELECT ood_students FROM {OOD} WHERE lea_id = ? AND school_year = ?", key[:2]
        ).fetchone()[0]
    finally:
        con.close()


def test_a_built_installation_verifies(built):
    assert verify(built) == []


def test_a_raised_value_in_a_raw_table_is_found(copy, capsys):
    con = duckdb.connect(str(copy.warehouse))
    try:
        sid = con.execute(
            "SELECT _submission_id FROM raw.placements ORDER BY ALL LIMIT 1"
        ).fetchone()[0]
        con.execute(
            "UPDATE raw.placements SET twndp_pct = twndp_pct + 1 WHERE _submission_id = ? "
            "AND student_id = (SELECT min(student_id) FROM raw.placements "
            "WHERE _submission_id = ?)",
            [sid, sid],
        )
    finally:
        con.close()
    assert f"submission {sid}: its rows in raw.placements differ" in _problems(copy)
    capsys.readouterr()
    assert main(["audit", "verify", "--warehouse", str(copy.warehouse)]) == 1
    assert "TAMPERING OR DAMAGE FOUND" in capsys.readouterr().out


def test_rows_added_to_or_removed_from_a_raw_table_are_found(copy):
    con = duckdb.connect(str(copy.warehouse))
    try:
        sid = con.execute("SELECT min(_submission_id) FROM raw.placements").fetchone()[0]
        con.execute(
            "DELETE FROM raw.placements WHERE _submission_id = ? AND student_id = "
            "(SELECT min(student_id) FROM raw.placements WHERE _submission_id = ?)",
            [sid, sid],
        )
        con.execute(
            "INSERT INTO raw.placements SELECT * REPLACE (999999 AS _submission_id) "
            "FROM raw.placements LIMIT 1"
        )
    finally:
        con.close()
    problems = _problems(copy)
    assert f"submission {sid}: raw.placements holds" in problems
    assert "submission 999999: raw.placements holds 1 rows of it, but it is not in force" in (
        problems
    )


def test_a_raised_value_in_a_published_table_is_found(copy):
    _raised_ood(copy.published_warehouse)
    assert f"published table {OOD}: its rows differ" in _problems(copy)


def test_a_mart_changed_by_hand_is_rebuilt_not_republished(copy):
    """The issue's case: ood_students raised in the warehouse survived a run and was
    republished. The next run finds the marts differ from their publication, builds in full,
    and publishes the figure the data supports."""
    key = _raised_ood(copy.warehouse)
    assert _ood(copy.warehouse, key) == key[2] + 5
    assert _pipeline(copy) == 0
    assert _ood(copy.published_warehouse, key) == key[2]
    assert verify(copy) == []


def _note_pending(inst: Installation) -> None:
    """What a publication notes just before it puts its snapshot in place."""
    from sped.run.steps import open_registry
    from sped.warehouse import publication_pending

    with open_registry(inst) as reg:
        publication_pending.note(reg, inst.published_warehouse)


def test_a_snapshot_in_place_before_its_digests_is_an_interrupted_publication(copy):
    """A publication puts its snapshot in place before it records the tables' digests
    (sped/warehouse/publication_pending.py), so between the two the snapshot differs from the
    last publication the trail holds: verify reports nothing while a run holds the run lock,
    and an interrupted publication once none does (never tables changed outside sped). The
    next run's publishing again: tests/test_crash_recovery.py, with a real kill."""
    from sped.run.run_lock import run_lock

    _raised_ood(copy.published_warehouse)  # figures no publication of the trail recorded
    _note_pending(copy)
    with run_lock(copy.root, "a run publishing"):
        assert verify(copy) == []
    problems = _problems(copy)
    assert problems == (
        "published snapshot: a publication put it in place and was interrupted before it "
        "recorded its tables' digests, so they cannot be checked; the next run publishes again"
    )


def test_a_noted_snapshot_written_to_afterwards_was_changed_outside_sped(copy):
    """The note names the file as it was put in place: a write to it afterwards (its
    modification time moves) is reported as a change outside sped, run or no run."""
    from sped.run.run_lock import run_lock

    _note_pending(copy)
    _raised_ood(copy.published_warehouse)
    with run_lock(copy.root, "a run publishing"):
        assert f"published table {OOD}: its rows differ" in _problems(copy)
    assert f"published table {OOD}: its rows differ" in _problems(copy)


@pytest.fixture(scope="module")
def built_before(tmp_path_factory) -> Installation:
    """An installation built by a sped that made version-1 digests (each row's text with its
    column names), before version 2."""
    from sped.warehouse import digests

    landing = tmp_path_factory.mktemp("landing_v1") / "landing"
    generate(landing, scale="small", years=1, seed=12)
    inst = Installation(tmp_path_factory.mktemp("built_v1") / "warehouse.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(digests, "CURRENT", 1)
        assert _pipeline(inst, "--landing", str(landing)) == 0
    return inst


def test_digests_recorded_by_an_older_version_are_checked_as_they_were_made(built_before, tmp_path):
    """After an upgrade, verify recomputes each recorded digest in its own version: nothing is
    reported for an untouched installation, a changed raw value or published figure still is,
    and the next run neither rebuilds in full for the digests' sake nor leaves the trail
    unverifiable (its publication records version 2)."""
    import sqlite3

    from sped.run.steps import open_registry
    from sped.warehouse.digests import version_of

    def recorded(inst: Installation) -> tuple[set[int], set[int]]:
        """The versions of the loaded rows' digests and of the last publication's."""
        con = sqlite3.connect(f"file:{inst.registry}?mode=ro", uri=True)
        try:
            rows = {d for (d,) in con.execute("SELECT digest FROM loaded_rows")}
        finally:
            con.close()
        with open_registry(inst) as reg:
            marts = set((reg.last_publication() or {}).values())
        return {version_of(d) for d in rows}, {version_of(d) for d in marts}

    assert recorded(built_before) == ({1}, {1})
    assert verify(built_before) == []

    tampered = tmp_path / "tampered"
    shutil.copytree(built_before.root, tampered)
    inst = Installation(tampered / built_before.warehouse.name)
    con = duckdb.connect(str(inst.warehouse))
    try:
        sid = con.execute("SELECT min(_submission_id) FROM raw.placements").fetchone()[0]
        con.execute(
            "UPDATE raw.placements SET twndp_pct = twndp_pct + 1 WHERE _submission_id = ?", [sid]
        )
    finally:
        con.close()
    key = _raised_ood(inst.published_warehouse)
    problems = _problems(inst)
    assert f"submission {sid}: its rows in raw.placements differ" in problems
    assert f"published table {OOD}: its rows differ" in problems, key

    again = tmp_path / "again"
    shutil.copytree(built_before.root, again)
    inst = Installation(again / built_before.warehouse.name)
    assert _pipeline(inst) == 0
    con = duckdb.connect(str(inst.warehouse), read_only=True)
    try:
        reason = con.execute(
            "SELECT reason FROM raw.build_log ORDER BY build_id DESC LIMIT 1"
        ).fetchone()[0]
    finally:
        con.close()
    assert "marts differ" not in reason, reason
    assert recorded(inst)[1] == {2}
    assert verify(inst) == []
