"""What a pipeline run imports, imported up front and then kept out of the collector's way.

A `sped pipeline` run imports Dagster (with the job's definitions), dbt, Great Expectations,
polars and DuckDB: about 5 s and some 600,000 Python objects that live as long as the process.
Python's collector walks every tracked object at each full collection, and a run makes enough
objects to trigger a few: on the state scale they took about 1.2 s of a full refresh, in pauses
of up to 0.35 s with every thread stopped. So a run imports its modules first and then freezes
them (`gc.freeze()`): the collector leaves them alone and looks only at what the run makes
(0.4 s in all, no pause over 0.05 s). Frozen objects are never collected, so they are unfrozen
when the run ends: a long-lived caller (a notebook, the test suite) can free them again. A
process frozen for good before the run (`freeze_for_good`: a child of the warm worker) stays
frozen.

The portal's warm worker (sped/launch/run_worker.py) imports the same list once for all its runs.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
from collections.abc import Iterator

#: What a pipeline run imports (`sys.modules` of a run, the costly ones named).
RUN_MODULES = (
    "sped.process.lean_imports",
    "numpy",
    "polars",
    "duckdb",
    "orjson",
    "openpyxl.reader.excel",
    "great_expectations",
    "sped.launch.pipeline_run",
    "sped.ingest.batch",
    "sped.ingest.read_helpers",
    "sped.validation.runner",
    "sped.validation.gx_duckdb",
    "dbt.cli.main",
    "dbt.adapters.duckdb",
    "dbt_common.events.functions",
    "dagster_project.definitions",
    # what a run imports on its way (`sys.modules` after a run): the installation's Dagster
    # storage, dbt's build task, the suppression. Dagster's own modules a run imports on its way
    # are private (`dagster._core`): they are not named here; the warm worker imports them by
    # running a job through the public API (sped/launch/run_worker.py `rehearse_dagster`)
    "sped.frameworks.dagster_storage",
    "sped.privacy.placement_tables",
    "sped.privacy.spp_tables",
    "scipy.sparse",  # the suppression's bound check (sped/privacy/bounds.py): 0.17 s a run
    "highspy",
    "dbt.task.build",
    "dbt.adapters.duckdb.environments.local",
    "dbt_common.clients.agate_helper",
    "babel.dates",
    "upath.implementations.local",
    "pyarrow.pandas_compat",
)


#: Whether this process froze its objects for good (`freeze_for_good`). Asking the collector
#: instead (`gc.get_freeze_count()`) walks every frozen object: 0.06 s of each run forked from
#: the warm worker, whose 600,000 objects are frozen.
_FROZEN_FOR_GOOD = False


def freeze_for_good() -> None:
    """Keep every object made so far out of the collector for the life of this process and of
    the processes it forks (the warm worker, before it forks runs): a run leaves them frozen."""
    global _FROZEN_FOR_GOOD
    gc.freeze()
    _FROZEN_FOR_GOOD = True


def import_run_modules() -> None:
    """Import RUN_MODULES (those already imported cost nothing)."""
    for name in RUN_MODULES:
        importlib.import_module(name)


@contextlib.contextmanager
def imports_frozen() -> Iterator[None]:
    """Import what a run needs, then keep every object made so far out of the collector until
    the block ends (see the module's docstring)."""
    import_run_modules()
    frozen_before = _FROZEN_FOR_GOOD
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()
