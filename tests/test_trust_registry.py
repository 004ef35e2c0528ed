"""The registry is the record (sped/landing/registry_guard.py): an installation that holds
stored files or a warehouse but lost its registry, or whose registry is younger than its
warehouse, is refused by a run, `sped serve` and `sped audit verify` with one line saying to
restore from a backup, and no new registry is made; a registry deleted while a run works is
not made again and nothing is published; a run never removes every row of a collection without
`--allow-empty`; marts are published only while raw holds what the registry has in force."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from sped.cli import main
from sped.config.settings import Installation
from sped.run.steps import NotPublished, connect, open_registry, publish

AS_OF = "2026-11-01"
SPED = str(Path(sys.executable).parent / "sped")
HEADER = "lea_id,fiscal_year,idea_611_subgrant,idea_619_subgrant\n"
pytestmark = pytest.mark.slow


def _landing(root: Path) -> Path:
    files = {
        "reference/leas.csv": "lea_id,name,county,lea_type\n2500001,A,X,REGULAR\n"
        "2500002,B,Y,REGULAR\n",
        "allocations/2026/alloc.csv": HEADER + "2500001,2026,100.00,10.00\n"
        "2500002,2026,50.00,5.00\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _pipeline(inst: Installation, capsys, *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(
        ["pipeline", "--create", "--warehouse", str(inst.warehouse), "--as-of", AS_OF, *extra]
    )
    got = capsys.readouterr()
    return code, got.out + got.err


@pytest.fixture
def installed(tmp_path, capsys) -> Installation:
    inst = Installation(tmp_path / "inst" / "warehouse.duckdb")
    code, out = _pipeline(inst, capsys, "--landing", str(_landing(tmp_path / "landing")))
    assert code == 0, out
    assert inst.published_warehouse.exists()
    return inst


def _delete_registry(inst: Installation) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{inst.registry}{suffix}").unlink(missing_ok=True)


def _raw(warehouse: Path, table: str = "allocations") -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
    finally:
        con.close()


def test_an_installation_that_lost_its_registry_is_refused_and_never_given_a_new_one(
    installed, capsys
):
    _delete_registry(installed)
    w = ["--warehouse", str(installed.warehouse)]
    for argv in (["pipeline", "--as-of", AS_OF, *w], ["audit", "verify", *w], ["serve", *w]):
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert "no registry" in err and "sped restore --from BACKUP" in err, err
        assert not installed.registry.exists(), argv
    # the store alone (no warehouse) is refused the same way
    installed.warehouse.unlink()
    installed.published_warehouse.unlink()
    with pytest.raises(ValueError, match="holds stored files but no registry"):
        open_registry(installed)
    assert not installed.registry.exists()


def test_a_registry_younger_than_its_warehouse_is_refused(installed, tmp_path, capsys):
    other = Installation(tmp_path / "other" / "warehouse.duckdb")
    open_registry(other).close()  # a new installation's registry, made after the warehouse
    _delete_registry(installed)
    other.registry.rename(installed.registry)
    code, out = _pipeline(installed, capsys)
    assert code == 2 and "younger than its warehouse" in out, out
    assert _raw(installed.warehouse) == 2


def test_a_registry_deleted_while_the_run_works_is_not_made_again_nor_anything_published(
    tmp_path,
):
    inst = Installation(tmp_path / "inst" / "warehouse.duckdb")
    paused = tmp_path / "paused"
    env = {**os.environ, "SPED_PAUSE_AT": "publishing", "SPED_PAUSE_FILE": str(paused)}
    run = subprocess.Popen(
        [SPED, "pipeline", "--create", "--warehouse", str(inst.warehouse), "--as-of", AS_OF,
         "--landing", str(_landing(tmp_path / "landing"))],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while not paused.exists():
            assert run.poll() is None, run.communicate()[0]
            assert time.monotonic() < deadline
            time.sleep(0.1)
        _delete_registry(inst)  # after dbt built the marts, before they are published
        (tmp_path / "paused.go").touch()
        out, _ = run.communicate(timeout=600)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode != 0, out
    assert "no registry" in out and "restore" in out, out
    assert not inst.registry.exists()
    assert not inst.published_warehouse.exists()


def test_a_run_never_empties_a_collection_without_allow_empty(installed, capsys):
    published = installed.published_warehouse.read_bytes()
    con = sqlite3.connect(installed.registry)  # the registry no longer has any in force
    con.execute("UPDATE submissions SET status = 'rejected' WHERE collection = 'allocations'")
    con.commit()
    con.close()
    code, out = _pipeline(installed, capsys)
    assert code == 1, out
    assert "would remove every row of the collection" in out and "--allow-empty" in out, out
    assert _raw(installed.warehouse) == 2  # nothing removed
    assert installed.published_warehouse.read_bytes() == published  # nothing published
    code, out = _pipeline(installed, capsys, "--allow-empty")
    assert code == 0, out
    assert _raw(installed.warehouse) == 0 and _raw(installed.published_warehouse) == 0


def test_marts_are_not_published_when_raw_no_longer_supports_them(installed):
    published = installed.published_warehouse.read_bytes()
    con = connect(installed)
    con.execute("DELETE FROM raw.allocations WHERE lea_id = '2500002'")
    con.close()
    with pytest.raises(NotPublished, match=r"allocations \(1 in force not held"):
        publish(installed)
    assert installed.published_warehouse.read_bytes() == published
    with open_registry(installed) as reg:
        assert reg.submissions()  # the registry is untouched
