"""The tags every pipeline run carries in Dagster: what started it and what it was started for.

`sped/trigger` is `cli` (`sped pipeline`), `portal` (an upload's run, through the portal's warm
worker), `sensor` (files dropped in the inbox) or `schedule` (the nightly run); `sped/leas` and
`sped/collections` name the LEAs and collections of the submissions pending when the run
started (a resubmission's run names the one district and collection), so the Dagster UI's run
list can be filtered by district. Tag values stay short: beyond `MAX_NAMED` LEAs, the count.

What started a run is set around the call that starts it (`triggered_by`); a process started to
run the pipeline for something else (the portal's fallback `sped pipeline` subprocess, when its
warm worker cannot run it) is told so by the environment variable `SPED_RUN_TRIGGER`, which the
starter sets on that process only.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator, Sequence

TRIGGER = "sped/trigger"
LEAS = "sped/leas"
COLLECTIONS = "sped/collections"
TRIGGERS = ("cli", "portal", "sensor", "schedule")
#: The environment variable that tells a process started for a portal run (or another trigger)
#: what started it; unset, a process's runs are `cli` ones.
TRIGGER_ENV = "SPED_RUN_TRIGGER"
#: LEAs named one by one in a run's tag; more are given as a count.
MAX_NAMED = 10

_trigger: contextvars.ContextVar[str | None] = contextvars.ContextVar("sped_trigger", default=None)


def _checked(trigger: str) -> str:
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown run trigger {trigger!r}; one of {', '.join(TRIGGERS)}")
    return trigger


def current() -> str:
    """What started the runs started now: the innermost `triggered_by`, else the process's
    `SPED_RUN_TRIGGER`, else `cli`."""
    return _trigger.get() or _checked(os.environ.get(TRIGGER_ENV) or "cli")


def environment(trigger: str) -> dict[str, str]:
    """The environment of a process started to run the pipeline for `trigger` (this process's
    own, with `SPED_RUN_TRIGGER` set)."""
    return {**os.environ, TRIGGER_ENV: _checked(trigger)}


@contextlib.contextmanager
def triggered_by(trigger: str) -> Iterator[None]:
    """Runs started in the block say `trigger` started them (default: cli)."""
    token = _trigger.set(_checked(trigger))
    try:
        yield
    finally:
        _trigger.reset(token)


def tags(pending: Sequence, trigger: str | None = None) -> dict[str, str]:
    """The run's tags for the `pending` submissions (anything with `lea_id` and `collection`)."""
    leas = sorted({s.lea_id for s in pending if s.lea_id})
    collections = sorted({s.collection for s in pending})
    named = ",".join(leas) if len(leas) <= MAX_NAMED else f"{len(leas)} LEAs"
    found = {TRIGGER: trigger or current()}
    if leas:
        found[LEAS] = named
    if collections:
        found[COLLECTIONS] = ",".join(collections)
    return found


def for_installation(inst, trigger: str | None = None) -> dict[str, str]:
    """The tags of a run about to start on `inst`: its registry's pending submissions."""
    from sped.run.steps import open_registry

    registry = open_registry(inst)
    try:
        return tags(registry.submissions(status="received"), trigger)
    finally:
        registry.close()
