"""The audit trail auditors read: every event the registry recorded (files received, accepted,
rejected, superseded, refused, repaired; sign-ins, failed sign-ins, account and token changes),
with the submission each one concerns (collection, LEA, period, file name, checksum, sender),
and the receipts that never became a submission (refused, unroutable and identical re-sends).

Filterable by LEA, collection, period, event and date; the rows are what the registry holds,
in order, so an export of the page is the trail itself for that selection.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from sped.landing.layout import LayoutError, declared_key
from sped.landing.registry import Registry

COLUMNS = {
    "at": pl.String,
    "event": pl.String,
    "detail": pl.String,
    "submission_id": pl.Int64,
    "collection": pl.String,
    "lea_id": pl.String,
    "period": pl.String,
    "file_name": pl.String,
    "sha256": pl.String,
    "submitter": pl.String,
    "status": pl.String,
}


@dataclass(frozen=True)
class TrailFilters:
    lea_id: str | None = None
    collection: str | None = None
    period: str | None = None
    event: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def _receipt_key(landing_path: str | None) -> tuple[str | None, str | None, str | None]:
    """(collection, LEA, period) a receipt's landing path declares, where it declares one."""
    if not landing_path:
        return None, None, None
    try:
        from pathlib import PurePosixPath

        key = declared_key(PurePosixPath(landing_path))
    except (LayoutError, ValueError, TypeError):
        return None, None, None
    return key.collection, key.lea_id, key.period


def trail(registry: Registry, filters: TrailFilters | None = None) -> pl.DataFrame:
    """The trail, oldest first, narrowed by `filters`."""
    filters = filters or TrailFilters()
    subs = {s.submission_id: s for s in registry.submissions()}
    rows = []
    for e in registry.events():
        s = subs.get(e["submission_id"])
        rows.append({
            "at": e["at"], "event": e["event"], "detail": e["detail"],
            "submission_id": e["submission_id"],
            "collection": s.collection if s else None, "lea_id": s.lea_id if s else None,
            "period": s.period if s else None, "file_name": s.original_name if s else None,
            "sha256": s.sha256 if s else None, "submitter": s.submitter if s else None,
            "status": s.status if s else None,
        })  # fmt: skip
    for r in registry.receipts():
        if r["outcome"] == "new":
            continue  # its submission's events say it
        collection, lea_id, period = _receipt_key(r["landing_path"])
        rows.append({
            "at": r["received_at"], "event": f"receipt {r['outcome']}", "detail": r["detail"],
            "submission_id": r["submission_id"], "collection": collection, "lea_id": lea_id,
            "period": period, "file_name": r["original_name"], "sha256": r["sha256"],
            "submitter": r["submitter"], "status": r["outcome"],
        })  # fmt: skip
    frame = (
        pl.DataFrame(rows, schema=COLUMNS, orient="row") if rows else pl.DataFrame(schema=COLUMNS)
    )
    conds = []
    for column in ("lea_id", "collection", "period", "event"):
        value = getattr(filters, column)
        if value:
            conds.append(pl.col(column) == value)
    if filters.since:
        conds.append(pl.col("at") >= filters.since.isoformat())
    if filters.until:
        conds.append(pl.col("at") < (filters.until + dt.timedelta(days=1)).isoformat())
    if conds:
        frame = frame.filter(pl.all_horizontal(conds))
    return frame.sort("at", maintain_order=True)


def event_kinds(registry: Registry) -> list[str]:
    rows = registry.events()
    return sorted({r["event"] for r in rows})
