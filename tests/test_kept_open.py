"""A pipeline run keeps the warehouse open between its steps (sped/warehouse/kept_open.py): the
steps' connections share one open database, and whatever needs the file to itself (dbt with
its own configuration, publishing, another process) gets it once it is let go."""

from __future__ import annotations

import duckdb

from sped.config.settings import Installation
from sped.run.steps import connect, publish
from sped.warehouse import kept_open
from tests.warehouse_fixtures import open_from_another_process


def _another_process_can_write(path) -> bool:
    return open_from_another_process(path).returncode == 0


def test_steps_share_the_kept_database_until_it_is_let_go(tmp_path):
    inst = Installation(tmp_path / "install" / "warehouse.duckdb").create()
    with kept_open.between_steps(inst.warehouse):
        first = connect(inst)
        first.execute("CREATE TABLE raw.kept_probe AS SELECT 42 AS answer")
        first.close()
        assert not _another_process_can_write(inst.warehouse)  # still open here, by the run
        second = connect(inst)  # the same database: what the first step wrote is there
        assert second.execute("SELECT answer FROM raw.kept_probe").fetchone() == (42,)
        second.close()
        # dbt (another configuration) and publishing need it let go; they do it themselves
        publish(inst)
        assert _another_process_can_write(inst.warehouse)
        third = connect(inst)  # opened again for the next step
        third.close()
        assert not _another_process_can_write(inst.warehouse)
        kept_open.release()
        other = duckdb.connect(str(inst.warehouse), config={"threads": 1})  # dbt's way
        other.close()
    assert _another_process_can_write(inst.warehouse)  # nothing kept after the run
    published = duckdb.connect(str(inst.published_warehouse), read_only=True)
    assert published.execute("SELECT answer FROM raw.kept_probe").fetchone() == (42,)
    published.close()


def test_outside_a_run_every_connection_is_its_own(tmp_path):
    inst = Installation(tmp_path / "install" / "warehouse.duckdb").create()
    con = connect(inst)
    con.close()
    assert _another_process_can_write(inst.warehouse)
    with kept_open.between_steps(tmp_path / "another" / "warehouse.duckdb"):
        con = connect(inst)  # a run keeping another warehouse open keeps this one closed
        con.close()
        assert _another_process_can_write(inst.warehouse)
