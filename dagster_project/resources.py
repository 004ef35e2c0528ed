"""Resources: the installation's settings and where progress lines go."""

import contextlib
import datetime as dt
import logging
from collections.abc import Callable

from dagster import ConfigurableResource, InitResourceContext

from sped.config import settings
from sped.config.profile import StateProfile, load_profile

log = logging.getLogger("sped")


class SpedSettings(ConfigurableResource):
    """Which installation a run works on, with which state profile, judged as of which date.

    Empty strings mean the defaults of `sped.config.settings` (environment, then built-in).
    """

    warehouse: str = ""
    profile: str = ""
    as_of: str = ""
    #: When set, dbt's own output goes to this file instead of stdout (the CLI sets it, so its
    #: summary stays readable; under `dagster dev` it stays in the compute logs).
    dbt_output_log: str = ""
    #: A run may remove every row of a collection (`sped pipeline --allow-empty`); by default
    #: such a repair stops the collection (sped/ingest/reconcile.py EmptyingRefused).
    allow_empty: bool = False

    @contextlib.contextmanager
    def yield_for_execution(self, context: InitResourceContext):
        """Every run that uses the installation holds its run lock for the whole run
        (sped/run/run_lock.py), whoever started it: the CLI (which already holds it), `dagster
        dev`, the schedule or the sensor. A run that finds another in progress fails at once,
        saying who holds the installation, before touching anything."""
        from sped.run.run_lock import run_lock

        run_id = getattr(getattr(context, "run", None), "run_id", None) or "?"
        with (
            run_lock(self.installation().root, f"dagster run {run_id}"),
            super().yield_for_execution(context) as value,
        ):
            yield value

    def installation(self) -> settings.Installation:
        return settings.installation(self.warehouse or None)

    def state_profile(self) -> StateProfile:
        return load_profile(settings.profile_path(self.profile or None))

    def as_of_date(self) -> dt.date:
        return settings.as_of_date(self.as_of or None)


class Progress:
    """Receives progress lines from long steps; the CLI swaps in one that prints them."""

    def __init__(self, sink: Callable[[str], None] | None = None):
        self.sink = sink
        self.results: dict[str, object] = {}

    def to(self, fallback: Callable[[str], None]) -> Callable[[str], None]:
        """Where lines go in this step: the CLI's sink if it set one, else `fallback` (the
        step's Dagster log, so `dagster dev` shows progress in the run's event log)."""
        return self.sink or fallback

    def __call__(self, message: str) -> None:
        (self.sink or log.info)(message)

    def record(self, key: str, value: object) -> None:
        """Keep a step's result for whoever started the run (the CLI prints a summary)."""
        self.results[key] = value
