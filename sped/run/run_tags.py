"""The tags every pipeline run carries in Dagster: what started it and what it was started for.

`sped/trigger` is `cli` (`sped pipeline`), `portal` (an upload's run, through the portal's warm
worker), `sensor` (files dropped in the inbox) or `schedule` (the nightly run); `sped/leas` and
`sped/collections` name the LEAs and collections of the submissions pending when the run
started (a resubmission's run names the one district and collection), so the Dagster UI's run
list can be filtered by district. Tag values stay short: beyond `MAX_NAMED` LEAs, the count.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence

TRIGGER = "sped/trigger"
LEAS = "sped/leas"
COLLECTIONS = "sped/collections"
TRIGGERS = ("cli", "portal", "sensor", "schedule")
#: LEAs named one by one in a run's tag; more are given as a count.
MAX_NAMED = 10

_trigger: contextvars.ContextVar[str] = contextvars.ContextVar("sped_trigger", default="cli")


@contextlib.contextmanager
def triggered_by(trigger: str) -> Iterator[None]:
    """Runs started in the block say `trigger` started them (default: cli)."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown run trigger {trigger!r}; one of {', '.join(TRIGGERS)}")
    token = _trigger.set(trigger)
    try:
        yield
    finally:
        _trigger.reset(token)


def tags(pending: Sequence, trigger: str | None = None) -> dict[str, str]:
    """The run's tags for the `pending` submissions (anything with `lea_id` and `collection`)."""
    leas = sorted({s.lea_id for s in pending if s.lea_id})
    collections = sorted({s.collection for s in pending})
    named = ",".join(leas) if len(leas) <= MAX_NAMED else f"{len(leas)} LEAs"
    found = {TRIGGER: trigger or _trigger.get()}
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
