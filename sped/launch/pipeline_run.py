"""`sped pipeline`: register a landing folder, then run the Dagster job in-process and report.

The run is the same `pipeline` job Dagster schedules; only the progress sink differs (it
prints). The whole run holds the installation's run lock (sped/run/run_lock.py): a second run says
who is running and stops (exit 3), or waits for it (`--wait`). The summary counts submissions
from the registry and rows from the warehouse itself, so it never claims rows that are not
there.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import duckdb

from sped.config import settings
from sped.config.profile import load_profile
from sped.frameworks.dagster_home import open_instance
from sped.ingest import read_ahead
from sped.launch import registering
from sped.launch.run_imports import imports_frozen
from sped.process import failpoints
from sped.run import run_tags
from sped.run.run_lock import Holder, run_lock
from sped.run.steps import open_registry
from sped.warehouse import kept_open

Out = Callable[[str], None]
#: How a run's summary line of the time per step begins (the bench reads it: bench/pipeline.py).
STEP_SUMMARY = "time per step (s): "


#: What a run request (the portal's, through the warm worker) may say, and its defaults.
REQUEST_OPTIONS = {"warehouse": None, "profile": None, "as_of": None, "changed_only": False}


def run_request(request: dict, out: Out) -> int:
    """One run as the portal asks its warm worker for it (sped/launch/run_worker.py): `run_pipeline`
    with the request's options and no landing folder, with the exit codes and one-line messages
    of `sped pipeline` (2 for an unknown option or a bad profile, 3 when another run holds the
    installation)."""
    from sped.landing.accounts import current_os_user
    from sped.launch.exit_codes import guarded

    unknown = sorted(set(request) - set(REQUEST_OPTIONS))

    def call() -> int:
        if unknown:
            raise ValueError(f"unknown run option(s): {', '.join(unknown)}")
        options = {**REQUEST_OPTIONS, **request}
        load_profile(settings.profile_path(options["profile"]))
        settings.as_of_date(options["as_of"])
        with run_tags.triggered_by("portal"):
            return run_pipeline(
                landing=None, submitter=f"operator:{current_os_user()}", out=out, **options
            )

    return guarded("pipeline", call)


def run_pipeline(
    *,
    landing: Path | None,
    warehouse: str | None,
    profile: str | None,
    as_of: str | None,
    submitter: str,
    out: Out,
    wait: bool = False,
    changed_only: bool = False,
    allow_empty: bool = False,
) -> int:
    """Register the landing folder (if any) and run the job, holding the run lock. Raises
    RunInProgress if another run holds it and `wait` is false. `changed_only`: the job visits
    only the collections that need it (sped/ingest/settled.py), as the portal's runs do."""
    inst = settings.installation(warehouse)
    profile_file = settings.profile_path(profile)
    state = load_profile(profile_file)  # a bad profile stops here, before any data is touched
    as_of_date = settings.as_of_date(as_of)
    inst.create()

    def waiting(holder: Holder) -> None:
        out(f"waiting: a run is in progress ({holder.describe()}: {holder.what})")

    with run_lock(inst.root, "sped pipeline", wait=wait, on_wait=waiting):
        failpoints.reached("locked")
        out(f"installation {inst.root}  profile {state.source}  as of {as_of_date}")
        with _registration(inst, landing, submitter, state, out) as registration, imports_frozen():
            # the landing folder registered while the run's modules are imported (see
            # sped/launch/registering.py), and those kept out of the collector (see there)
            return _locked_run(
                inst, registration, profile_file, state, as_of_date, out, changed_only,
                allow_empty,
            )  # fmt: skip


@contextlib.contextmanager
def _registration(
    inst: settings.Installation, landing: Path | None, submitter: str, state, out: Out
) -> Iterator[registering.Registration | None]:
    """The landing folder's registration started (None without a landing folder)."""
    if landing is None:
        yield None
        return
    if not landing.is_dir():
        raise ValueError(f"landing directory {landing} does not exist")
    with registering.registered_beside(
        inst, landing, submitter=submitter, limits=state.limits, out=out
    ) as registration:
        yield registration


def _locked_run(
    inst,
    registration: registering.Registration | None,
    profile_file,
    state,
    as_of_date,
    out: Out,
    changed_only: bool,
    allow_empty: bool = False,
) -> int:
    timings: dict[str, float] = {}
    if registration is not None:
        reg = registration.summary()
        timings["register"] = registration.seconds
        out(
            f"registered {sum(reg.new.values())} new submissions, {reg.duplicates} identical "
            f"re-sends recognised, {reg.already_seen} already registered"
        )
        for path, why in reg.unroutable:
            out(f"  not routed: {path}: {why}")
        for path, why in reg.refused:
            out(f"  refused: {path}: {why}")

    reading = registration.reading if registration is not None else None
    with kept_open.between_steps(inst.warehouse), read_ahead.offered(reading):
        skipped, foreseen = _run_scope(inst, state, as_of_date, out, changed_only)
        ok, step_seconds = _run_job(
            inst, profile_file, as_of_date.isoformat(), out, skipped, foreseen, allow_empty
        )
    timings.update(step_seconds)
    _summary(inst, timings, out)
    if not ok:
        out("the pipeline FAILED (a system error, not a district file): see the messages above")
        return 1
    return 0


def _run_scope(
    inst: settings.Installation, state, as_of_date, out: Out, changed_only: bool
) -> tuple[list[str], tuple[str, ...] | None]:
    """The collections this run passes by (`changed_only`: settled, nothing pending, inputs
    unchanged; sped/ingest/settled.py), and the district collections its dbt build is foreseen
    to cover incrementally (None when it may be full; sped/warehouse/build_scope.py
    `foreseen_collections`)."""
    from sped.contracts import COLLECTIONS
    from sped.ingest.settled import to_visit
    from sped.run.steps import connect
    from sped.warehouse.build_scope import foreseen_collections

    con = connect(inst)
    registry = open_registry(inst)
    try:
        visit = to_visit(con, registry, state, as_of_date) if changed_only else list(COLLECTIONS)
        foreseen = foreseen_collections(con, registry, state.dbt_vars(as_of_date), visit)
    finally:
        registry.close()
        con.close()
    skipped = [name for name in COLLECTIONS if name not in visit]
    if skipped:
        out(f"settled, nothing changed: {', '.join(skipped)} (not visited)")
    return skipped, foreseen


def _run_job(
    inst: settings.Installation,
    profile_file: Path | None,
    as_of: str,
    out: Out,
    skipped: Sequence[str] = (),
    foreseen: tuple[str, ...] | None = None,
    allow_empty: bool = False,
):
    """Run the `pipeline` job in this process, recorded in the installation's own Dagster
    instance (sped/frameworks/dagster_home.py), so `dagster dev` on it shows the run and its
    results.
    The raw assets of the `skipped` collections are left out of the run (their checks too).
    With `foreseen` collections (the build foreseen to be incremental over these), so are the
    dbt models that build leaves alone: the run plans only the models it rebuilds."""
    from dagster import AssetKey

    from dagster_project.assets.dbt import FORESEEN_TAG, incremental_assets, sped_dbt_models
    from dagster_project.definitions import defs
    from dagster_project.resources import Progress, SpedSettings

    progress = Progress(lambda m: out(f"  {m}"))
    job = defs.resolve_job_def("pipeline")
    leave = {AssetKey(["raw", name]) for name in skipped}
    tags = run_tags.for_installation(inst)  # trigger, and the LEAs and collections pending
    if foreseen is not None:
        models, rebuilt = set(sped_dbt_models.keys), incremental_assets(foreseen)
        # The view over raw/submissions stays planned (never rebuilt): through it the build
        # waits for raw/submissions, which waits for every raw step. Without it nothing links
        # the models planned to the raw steps, and dbt could build, and the marts be
        # published, before a collection's step changed its raw rows.
        leave |= models - rebuilt - {k for k in models if k.path[-1] == "stg_submissions"}
        tags[FORESEEN_TAG] = ",".join(foreseen)
        fed = ", ".join(foreseen) or "submission statuses"
        out(f"incremental build foreseen ({fed}): {len(rebuilt)} of {len(models)} dbt models")
    if leave:
        keep = frozenset(k for k in job.asset_layer.selected_asset_keys if k not in leave)
        job = job.get_subset(asset_selection=keep)  # before the run's resources are bound
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    out("running the pipeline job (validate, load, build, publish)")
    with open_instance(inst) as instance:
        run_id = str(uuid.uuid4())  # a Dagster run id, chosen here to follow the run's events
        instance.add_event_listener(run_id, _step_lines(out))
        result = job.execute_in_process(
            run_id=run_id,
            instance=instance,
            tags=tags,
            resources={
                "sped": SpedSettings(
                    warehouse=str(inst.warehouse),
                    profile=str(profile_file or ""),
                    as_of=as_of,
                    dbt_output_log=str(inst.dbt_target / "logs" / "dbt_output.log"),
                    allow_empty=allow_empty,
                ),
                "progress": progress,
            },
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
        for stats in instance.get_run_step_stats(result.run_id):
            if stats.start_time and stats.end_time:
                seconds[stats.step_key] = stats.end_time - stats.start_time
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE":
                error = event.event_specific_data.error
                while error.cause is not None:  # Dagster's wrapper says only which op failed
                    error = error.cause
                out(f"  step {event.step_key} failed: {error.message.strip()[:2000]}")
    seconds["total job"] = time.perf_counter() - clock
    return result.success, seconds


#: Steps long enough that the CLI says when they start and end (the dbt build prints nothing
#: while it runs: its own output goes to a log file).
ANNOUNCED_STEPS = {"sped_dbt_models": "dbt build (staging, intermediate, marts, shared)"}


def _step_lines(out: Out) -> Callable[[object], None]:
    """An event listener that prints a start line and an end line with the elapsed time for the
    announced steps."""
    started: dict[str, float] = {}

    def listen(entry) -> None:
        event = getattr(entry, "dagster_event", None)
        if event is None or event.step_key not in ANNOUNCED_STEPS:
            return
        what = ANNOUNCED_STEPS[event.step_key]
        kind = event.event_type_value
        if kind == "STEP_START":
            started[event.step_key] = time.perf_counter()
            out(f"  {what}: started at {time.strftime('%H:%M:%S')}")
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            elapsed = time.perf_counter() - started.get(event.step_key, time.perf_counter())
            word = "finished" if kind == "STEP_SUCCESS" else "FAILED"
            out(f"  {what}: {word} after {elapsed:.1f} s")

    return listen


def warehouse_rows(inst: settings.Installation) -> dict[str, int] | None:
    """Rows per collection in the warehouse's raw tables now (None: no warehouse to read)."""
    from sped.contracts import COLLECTIONS

    if not inst.warehouse.exists():
        return None
    try:
        con = duckdb.connect(str(inst.warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        present = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
            ).fetchall()
        }
        return {
            name: con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0]
            if name in present
            else 0
            for name in COLLECTIONS
        }
    finally:
        con.close()


def _summary(inst: settings.Installation, timings: dict[str, float], out: Out) -> None:
    registry = open_registry(inst)
    try:
        subs = registry.submissions()
    finally:
        registry.close()
    by = Counter((s.collection, s.status) for s in subs)
    expected = Counter()
    for s in subs:
        if s.status == "accepted":
            expected[s.collection] += s.row_count or 0
    held = warehouse_rows(inst)
    collections = sorted({c for c, _ in by})
    out("")
    out(
        f"{'collection':<16}{'accepted':>10}{'rejected':>10}{'superseded':>12}{'pending':>9}"
        f"{'rows in force':>15}"
    )
    behind = []
    for c in collections:
        rows = "unknown" if held is None else f"{held.get(c, 0):,}"
        out(
            f"{c:<16}{by[(c, 'accepted')]:>10}{by[(c, 'rejected')]:>10}"
            f"{by[(c, 'superseded')]:>12}{by[(c, 'received')]:>9}{rows:>15}"
        )
        if held is not None and held.get(c, 0) != expected[c]:
            behind.append(f"{c} holds {held.get(c, 0):,} of {expected[c]:,}")
    if held is None:
        out("rows in force: the warehouse could not be read")
    if behind:
        out(
            "NOT ALL ACCEPTED ROWS ARE IN THE WAREHOUSE (the next run reloads them from the "
            "stored files): " + "; ".join(behind)
        )
    out("")
    out(STEP_SUMMARY + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    out(f"warehouse {inst.warehouse}  published {inst.published_warehouse}")
    out(f"dbt's output: {inst.dbt_target / 'logs' / 'dbt_output.log'}")
