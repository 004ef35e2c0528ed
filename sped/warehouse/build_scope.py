"""Which marts a dbt build must recompute: every LEA (full) or only the LEAs whose data changed.

The per-LEA marts (dbt models configured with the `delete_changed_leas` pre-hook) hold no figure
that depends on another LEA, so a new accepted submission for one LEA only needs that LEA's
rows recomputed. The plan is written before dbt runs:

- `raw.build_scope`: the keys (LEA, period) whose data changed (empty on a full build, where
  everything is built): the per-LEA models recompute those LEAs, the statewide suppression
  those school years;
- `raw.build_log`: one row per build, `finished_at` set once dbt succeeded, with the district
  collections whose data changed (an incremental build runs only the models they feed: a new
  roster does not recompute child-find or spending figures).

A build is **incremental** when the last finished build had the same fingerprint (dbt vars,
including the as-of date and the state profile, the dbt project's own files, the Python code
the shared tables' dbt models run (`sped/privacy`: a change to the suppression must reach every
school year of every shared table, not only the changed ones) and the national reference file
the project ships, which `dim_national_lre` is built from) and every change
since it, read from the registry's audit trail, is a district submission. Otherwise it is
**full**: the first build, a changed model, profile or national file, a new as-of date
(statuses are judged as of it; the nightly run therefore rebuilds everything), or a change to
state-level data (allocations, the LEA, facility or private-school directories), which reaches
every LEA, or marts that differ from those the last publication recorded (sped audit verify's
digests: a mart changed outside sped is rebuilt, never republished as it is).

A failed build leaves its row unfinished; the next plan starts again from the last finished one,
so nothing a failed build skipped is lost.

Before a run starts, `foreseen_collections` says what its build will be, as far as it can be
known then: full, or incremental over these district collections. The run is then planned (in
Dagster) with only the dbt models that build rebuilds (dagster_project/assets/dbt.py); should
its plan turn out wider, it still builds and records what the plan says.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sped import privacy
from sped.config.settings import DBT_PROJECT_DIR
from sped.contracts import COLLECTIONS
from sped.landing.registry import Registry
from sped.warehouse import national_reference, publication_stamp
from sped.warehouse.digests import mart_digests_like, versions_of


@dataclass(frozen=True)
class BuildPlan:
    build_id: int
    mode: str  # "full" | "incremental"
    reason: str
    lea_ids: tuple[str, ...]
    #: the periods of the changed data (incremental builds)
    periods: tuple[str, ...] = ()
    #: the district collections whose data changed (incremental builds); None: not known (a
    #: full build, or one planned before collections were recorded), so all of them
    collections: tuple[str, ...] | None = None

    @property
    def full(self) -> bool:
        return self.mode == "full"


#: The Python packages dbt's Python models import (dbt/models/shared/shr_*.py): their code
#: decides the shared tables as much as the models' own files do.
MODEL_CODE: tuple[Path, ...] = (Path(privacy.__file__).parent,)


def fingerprint(dbt_vars: dict, project_dir: Path = DBT_PROJECT_DIR) -> str:
    """What, besides the districts' and the state's submissions, decides every mart: the vars,
    the project's files, the code its Python models import and the national reference file."""
    digest = hashlib.sha256(json.dumps(dbt_vars, sort_keys=True).encode())
    files = [p for d in ("models", "macros") for p in sorted((project_dir / d).rglob("*"))]
    for path in [*files, project_dir / "dbt_project.yml"]:
        if path.is_file():
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(path.read_bytes())
    for package in MODEL_CODE:
        for path in sorted(package.rglob("*.py")):
            digest.update(f"{package.name}/{path.relative_to(package)}".encode())
            digest.update(path.read_bytes())
    national = national_reference.NATIONAL_FILE
    stat = national.stat()
    digest.update(_file_digest(str(national), stat.st_size, stat.st_mtime_ns).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=4)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """A file's SHA-256, read once per size and modification time (the national file is
    2.8 MB, and a run takes the fingerprint twice)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class _Decision:
    """Whether the next build is full or incremental, and over what, as the registry and the
    last finished build say now."""

    mode: str
    reason: str
    fingerprint: str
    upto: int  # the registry's last event the decision read
    keys: tuple[tuple[str, str], ...] = ()  # (lea_id, period) whose data changed
    collections: tuple[str, ...] | None = None  # None: full


#: The marts' digests as this process last computed them, by warehouse file and latest build
#: (finished or not). A run decides its scope twice (before its steps, to plan the Dagster run,
#: and after the raw steps, before it records its build); the raw steps never write a mart, so
#: the second decision reuses the first's digests instead of reading every mart again (2.1 s
#: at the state scale). Any build since, finished or not, another warehouse and a publication
#: recorded in another digest version compute them again; publishing and `sped audit verify`
#: always do.
_MART_DIGESTS: dict[tuple[str, int, tuple[int, ...]], dict[str, str]] = {}


def _marts_now(
    con: duckdb.DuckDBPyConnection, registry: Registry, published: dict[str, str]
) -> dict[str, str]:
    """The marts' digests now: `published` (those the last publication recorded) when the
    warehouse file is untouched since it was published (sped/warehouse/publication_stamp.py),
    else read."""
    path = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    latest = con.execute("SELECT COALESCE(MAX(build_id), 0) FROM raw.build_log").fetchone()[0]
    made_as = tuple(sorted(versions_of(published.values())))  # compared in their version
    key = ((path[0] if path else "") or "", latest, made_as)
    if not key[0]:  # an in-memory database: nothing to key it by
        return mart_digests_like(con, published)
    if key not in _MART_DIGESTS:
        _MART_DIGESTS.clear()
        untouched = publication_stamp.untouched_since(registry, Path(key[0]), published)
        _MART_DIGESTS[key] = published if untouched else mart_digests_like(con, published)
    return _MART_DIGESTS[key]


def _decide(con: duckdb.DuckDBPyConnection, registry: Registry, dbt_vars: dict) -> _Decision:
    """The rules of the module's docstring, over the changes since the last finished build."""
    print_ = fingerprint(dbt_vars)
    upto = registry.last_event_id()
    last = con.execute(
        "SELECT fingerprint, event_watermark FROM raw.build_log WHERE finished_at IS NOT NULL "
        "ORDER BY build_id DESC LIMIT 1"
    ).fetchone()
    if last is None:
        return _Decision("full", "no finished build yet", print_, upto)
    if last[0] != print_:
        why = (
            "the dbt project, the suppression code, the national reference file, the state "
            "profile or the as-of date changed"
        )
        return _Decision("full", why, print_, upto)
    changes = registry.data_changes(last[1], upto)
    state_level = sorted({c for c, lea, _ in changes if lea is None})
    if state_level:
        why = f"state-level data changed: {', '.join(state_level)}"
        return _Decision("full", why, print_, upto)
    published = registry.last_publication()
    if published is not None and _marts_now(con, registry, published) != published:
        why = (
            "the marts differ from those last published (changed outside sped, or a run "
            "stopped between building and publishing)"
        )
        return _Decision("full", why, print_, upto)
    keys = tuple(sorted({(lea, period) for _, lea, period in changes}))
    return _Decision(
        "incremental",
        f"{len({lea for lea, _ in keys})} LEAs with new data in force",
        print_,
        upto,
        keys,
        tuple(sorted({c for c, _, _ in changes})),
    )


def foreseen_collections(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    dbt_vars: dict,
    visiting: Iterable[str],
) -> tuple[str, ...] | None:
    """Before a run that visits the collections `visiting`: the district collections whose data
    its build will find changed, or None when that build may be full.

    The plan itself is made during the run, after the raw steps (`plan_build`), by the same
    rules (`_decide`). Until then data in force changes when a visited collection's step
    accepts one of its pending files. So the plan will be incremental over the collections
    already changed since the last finished build and the visited district collections with
    pending files, unless it would be full now, or a visited state-level collection has
    pending files (one may be accepted). A step may also repair the warehouse's copy of data in
    force (after a crash): should that widen the plan, the run still builds, and records, what
    its plan says (dagster_project/assets/dbt.py)."""
    decision = _decide(con, registry, dbt_vars)
    if decision.collections is None:
        return None
    pending = registry.pending_counts()
    loading = {name for name in visiting if pending.get(name)}
    if any(COLLECTIONS[name].submitted_by != "district" for name in loading):
        return None
    return tuple(sorted(set(decision.collections) | loading))


def plan_build(con: duckdb.DuckDBPyConnection, registry: Registry, dbt_vars: dict) -> BuildPlan:
    """Decide the next build's scope and write it to raw.build_scope and raw.build_log."""
    d = _decide(con, registry, dbt_vars)
    leas = tuple(sorted({lea for lea, _ in d.keys}))
    periods = tuple(sorted({period for _, period in d.keys}))
    build_id = con.execute("SELECT COALESCE(MAX(build_id), 0) + 1 FROM raw.build_log").fetchone()[0]
    con.execute("BEGIN")
    con.execute("DELETE FROM raw.build_scope")
    if d.keys:
        con.executemany("INSERT INTO raw.build_scope (lea_id, period) VALUES (?, ?)", d.keys)
    con.execute(
        "INSERT INTO raw.build_log VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)",
        (build_id, _now(), d.mode, d.reason, d.fingerprint, d.upto, len(leas),
         None if d.collections is None else ",".join(d.collections)),
    )  # fmt: skip
    con.execute("COMMIT")
    return BuildPlan(build_id, d.mode, d.reason, leas, periods, d.collections)


def current_plan(con: duckdb.DuckDBPyConnection) -> BuildPlan | None:
    """The latest planned build not yet finished, if any."""
    row = con.execute(
        "SELECT build_id, mode, reason, changed_collections FROM raw.build_log "
        "WHERE finished_at IS NULL ORDER BY build_id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    scope = con.execute("SELECT lea_id, period FROM raw.build_scope").fetchall()
    leas = tuple(sorted({lea for lea, _ in scope}))
    periods = tuple(sorted({period for _, period in scope if period is not None}))
    collections = None if row[3] is None else tuple(filter(None, row[3].split(",")))
    return BuildPlan(row[0], row[1], row[2], leas, periods, collections)


def finish_build(con: duckdb.DuckDBPyConnection, build_id: int) -> None:
    con.execute("UPDATE raw.build_log SET finished_at = ? WHERE build_id = ?", (_now(), build_id))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
