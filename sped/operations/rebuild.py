"""`sped rebuild`: a fresh warehouse from the stored files in force, swapped in atomically.

Holding the run lock, every raw table is loaded from the stored files of the submissions the
registry says are in force, read and typed again exactly as when they were accepted, each file
checked against its SHA-256 (no outcome is decided or changed; pending submissions stay
pending for the next run); the federal reference file the project ships is loaded, the
registry mirrored, and dbt builds every model from scratch.
Only when all of that succeeded does the new file replace the warehouse (one rename), and the
published snapshot follows. A failure leaves the old warehouse untouched.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from sped.config.settings import Installation
from sped.run.run_lock import run_lock

Out = Callable[[str], None]


def rebuild(
    inst: Installation,
    *,
    profile_file: Path | None,
    as_of: dt.date,
    wait: bool = False,
    out: Out = print,
) -> dict[str, int]:
    """Rebuild the installation's warehouse; returns rows per raw table loaded."""
    from sped.config.profile import load_profile
    from sped.contracts import COLLECTIONS
    from sped.frameworks.dbt_cli import invoke
    from sped.ingest.batch import read_pending
    from sped.ingest.reconcile import reconcile_collection
    from sped.run.steps import mirror_submissions, open_registry, publish
    from sped.validation.gx_duckdb import shared_config
    from sped.warehouse import national_reference
    from sped.warehouse.build_scope import finish_build, plan_build
    from sped.warehouse.schema import ensure_schemas

    if not inst.registry.exists():
        raise ValueError(f"no installation at {inst.root}: {inst.registry} does not exist")
    profile = load_profile(profile_file)
    dbt_vars = profile.dbt_vars(as_of)
    work = inst.root / ".rebuild"
    fresh = work / "warehouse.duckdb"
    rows: dict[str, int] = {}

    def waiting(h) -> None:
        out(f"waiting: a run is in progress ({h.describe()}: {h.what})")

    with run_lock(inst.root, "sped rebuild", wait=wait, on_wait=waiting):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        registry = open_registry(inst)
        try:
            con = duckdb.connect(str(fresh), config=shared_config())
            try:
                ensure_schemas(con)
                for collection in COLLECTIONS.values():
                    known = (
                        {r[0] for r in con.execute("SELECT lea_id FROM raw.leas").fetchall()}
                        if collection.lea_scoped
                        else set()
                    )
                    reconcile_collection(
                        con,
                        registry,
                        collection,
                        lambda subs, c=collection, k=known: read_pending(
                            registry, c, subs, k, lambda _m: None, profile.limits
                        )[0],
                        lambda m: out(f"  {m}"),
                        record=False,
                    )
                    rows[collection.name] = con.execute(
                        f"SELECT count(*) FROM raw.{collection.name}"
                    ).fetchall()[0][0]
                # the state-maintained reference data the project ships (raw/national_environments)
                rows["national_environments"] = national_reference.load(con).rows
                mirror_submissions(con, registry)
                plan = plan_build(con, registry, dbt_vars)
                con.execute("CHECKPOINT")
            finally:
                con.close()
            out(f"raw tables loaded from the stored files: {sum(rows.values()):,} rows")
            out("building every model (dbt build --full-refresh)")
            invoke(
                ["build", "--full-refresh", "--exclude-resource-type", "unit_test"],
                warehouse=fresh,
                target=work / "dbt_target",
                dbt_vars=dbt_vars,
            )
            con = duckdb.connect(str(fresh))
            try:
                finish_build(con, plan.build_id)
                con.execute("CHECKPOINT")
            finally:
                con.close()
            stale_wal = inst.warehouse.with_name(inst.warehouse.name + ".wal")
            stale_wal.unlink(missing_ok=True)  # the old file's log must not replay on the new
            os.replace(fresh, inst.warehouse)
            registry.record_rebuild(
                f"warehouse rebuilt from the stored files in force as of {as_of}: "
                f"{sum(rows.values())} rows"
            )
            publish(inst)
        finally:
            registry.close()
            shutil.rmtree(work, ignore_errors=True)
    out(f"warehouse {inst.warehouse} rebuilt and published")
    return rows
