"""new_submissions: registers files dropped in the inbox and starts a run when any are pending.

The inbox is the folder `SPED_LANDING` names (sped/config/settings.py), in the landing layout
(docs/warehouse_layout.md). The sensor is RUNNING by default (every 60 s: registering what was
dropped costs little and nothing runs when nothing is pending); the nightly schedule
(dagster_project/jobs.py) is STOPPED by default, turned on in the Dagster UI where wanted.
Its runs are tagged `sped/trigger=sensor` with the pending LEAs and collections
(sped/run/run_tags.py).

The sensor creates nothing: an installation is made only on purpose (`sped init`;
sped/operations/initialise.py). Where `SPED_WAREHOUSE` names no installation, each tick skips,
saying which path and the command that creates it, and touches neither the inbox nor the
installation's folder."""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from dagster_project.jobs import pipeline
from sped.config import settings
from sped.config.profile import load_profile
from sped.landing import registry_guard
from sped.landing.accounts import current_os_user
from sped.operations.initialise import exists
from sped.run import run_tags
from sped.run.run_lock import current_holder
from sped.run.steps import open_registry, register_landing


@sensor(job=pipeline, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def new_submissions(context: SensorEvaluationContext):
    inst = settings.installation()
    registry_guard.check(inst)  # an installation that lost its registry: its one-line error
    if not exists(inst):
        return SkipReason(
            f"no installation at {inst.root}: `sped init --warehouse {inst.warehouse}` creates "
            "one; files in the inbox are registered once it exists"
        )
    registry = open_registry(inst)
    try:
        inbox = settings.landing_inbox()
        if inbox and inbox.is_dir():
            summary = register_landing(
                inbox,
                registry,
                submitter=f"inbox:{current_os_user()}",
                limits=load_profile(settings.profile_path()).limits,
            )
            if summary.unroutable:
                context.log.warning(f"{len(summary.unroutable)} files could not be routed")
        pending = registry.submissions(status="received")
    finally:
        registry.close()
    if not pending:
        return SkipReason("no pending submissions")
    holder = current_holder(inst.root)
    if holder is not None:  # one run per installation: ask again on the next tick
        return SkipReason(f"a run is in progress ({holder.describe()})")
    newest = max(s.submission_id for s in pending)
    return RunRequest(run_key=f"pending-through-{newest}", tags=run_tags.tags(pending, "sensor"))
