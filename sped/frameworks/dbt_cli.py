"""Running dbt in-process against one warehouse file, with its own target and log folders.

dbt is called through `dbtRunner` in the calling process (no `dbt` subprocess, no
`dbt --version`), and every call reuses a parse made with the same `--vars`: dbt's partial
parsing is thrown away whenever the command-line vars differ from those the stored parse was
made with ("config vars changed") or the profile's connection details differ ("profile has
changed": the warehouse path is one of them). So dbt runs from the installation's folder with
the warehouse named by its file name only (the same for every installation), and the stored
parse (`partial_parse.msgpack`) is kept per set of vars in the project's target folder and
copied into each installation's target before dbt runs, and back after. dbt still checks every
file's checksum, so a stale copy only costs a full parse, never a wrong one.

A long-lived process that forks runs (sped/launch/run_worker.py) calls `prepare` once for the vars
its runs will use: dbt parses the project in a scratch folder, which fills dbt's own caches
(generated (de)serialisers, JSON schemas, lazily imported modules) in the process, and stores
the parse for those vars. Each forked run starts with both: on the state scale its dbt step
took about 1.5 s less, and the whole run about 2 s less (runs forked from a worker that had or
had not parsed).
Handing the parsed manifest itself to the runs (`dbtRunner(manifest=...)`) measured no better
than the stored parse and was left out.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from sped.config.settings import DBT_CODE_TARGET, DBT_PROJECT_DIR

PARTIAL_PARSE = "partial_parse.msgpack"
#: Where the stored parses are kept, one per set of vars: outside the code checkout, which a
#: run never writes (sped/config/settings.py SPED_CODE_CACHE).
PARSE_CACHE = DBT_CODE_TARGET / "partial_parse"


def vars_key(dbt_vars: dict | None, warehouse_name: str = "warehouse.duckdb") -> str:
    """A short name for one set of vars and warehouse file name (what dbt's partial parsing
    compares)."""
    text = json.dumps([dbt_vars or {}, warehouse_name], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def restore_parse(target: Path, key: str) -> bool:
    """Put the stored parse `key` (see vars_key) in `target` (True if there was one)."""
    stored = PARSE_CACHE / f"{key}.msgpack"
    if not stored.exists():
        return False
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f".{PARTIAL_PARSE}.{os.getpid()}"
    shutil.copyfile(stored, tmp)
    os.replace(tmp, target / PARTIAL_PARSE)
    return True


def keep_parse(target: Path, key: str) -> None:
    """Store the parse dbt just wrote in `target` for the next call with the same key."""
    made = target / PARTIAL_PARSE
    if not made.exists():
        return
    PARSE_CACHE.mkdir(parents=True, exist_ok=True)
    stored = PARSE_CACHE / f"{key}.msgpack"
    tmp = PARSE_CACHE / f".{stored.name}.{os.getpid()}"
    shutil.copyfile(made, tmp)
    os.replace(tmp, stored)  # atomic: parallel workers never read half a file


def _quiet_defaults() -> None:
    """dbt's defaults this project changes, unless the environment says otherwise: no usage
    statistics, and no debug log file (`DBT_LOG_LEVEL_FILE=debug` brings `logs/dbt.log` back).
    dbt formats every event of that file (each SQL statement, each cache operation) as a line
    and scrubs it for secrets: about 0.4 s of a resubmission's 2 s build at the state scale.
    The build's own output, at info level, stays in `logs/dbt_output.log`."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "none")


def prepare(dbt_vars: dict | None) -> bool:
    """`dbt parse` for `dbt_vars` in a scratch folder (the stored parse for these vars used and
    refreshed): dbt's caches filled in this process for the runs forked from it. True if dbt
    parsed the project."""
    from dbt.cli.main import dbtRunner

    _quiet_defaults()
    name = "warehouse.duckdb"
    with tempfile.TemporaryDirectory(prefix="sped-dbt-parse-") as scratch:
        target = Path(scratch) / "target"
        restore_parse(target, vars_key(dbt_vars, name))
        with _as_dbt_sees_it(Path(scratch), name, after=os.environ.get("SPED_WAREHOUSE")):
            result = dbtRunner().invoke(dbt_args(["parse"], target=target, dbt_vars=dbt_vars))
        if result.success:
            keep_parse(target, vars_key(dbt_vars, name))
    return bool(result.success)


def dbt_args(
    command: list[str],
    *,
    target: Path,
    dbt_vars: dict | None = None,
    select: str | None = None,
    exclude: list[str] | None = None,
) -> list[str]:
    """The argument list of `dbt <command>` on this project with its own target folder.

    dbt's console logger is left out (`--log-level none`): it formats every event, the debug
    ones included (each SQL statement, each cache operation, about 1,300 in a resubmission's
    build), scrubs each line for secrets by scanning the environment, and only then lets
    Python's logging drop the lines below its level, `--quiet` or not: about 0.05 s of a
    resubmission's 1 s build at the state scale, measured alternately in one process. What a
    reader wants of it, the info lines, `run(echo=...)` writes itself."""
    target = Path(target).resolve()  # dbt runs from the warehouse's folder
    args = [
        *command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]
    args += ["--log-level", "none", "--no-use-colors"]  # no colour codes in a log file
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars, sort_keys=True, default=str)]
    if select:
        args += ["--select", select]
    for item in exclude or ():
        args += ["--exclude", item]
    return args


def run(
    args: list[str],
    *,
    warehouse: Path,
    target: Path,
    dbt_vars: dict | None,
    callbacks: list[Callable[[Any], None]] | None = None,
    echo: TextIO | None = None,
):
    """`dbtRunner().invoke(args)` on `warehouse`, with the stored parse for `dbt_vars`
    restored before and kept after. Returns dbt's result object. `echo` receives dbt's info,
    warning and error lines, as its console would print them.

    dbt runs with the warehouse's folder as working directory and SPED_WAREHOUSE set to the
    file's name, so the profile dbt sees is the same for every installation; both are put back
    afterwards (SPED_WAREHOUSE then names the warehouse by its full path)."""
    from dbt.cli.main import dbtRunner

    from sped.warehouse import kept_open

    warehouse, target = Path(warehouse).resolve(), Path(target).resolve()
    kept_open.release()  # dbt opens the file with its own configuration
    _quiet_defaults()
    key = vars_key(dbt_vars, warehouse.name)
    restore_parse(target, key)
    with _as_dbt_sees_it(warehouse.parent, warehouse.name, after=str(warehouse)):
        try:
            echoing = [] if echo is None else [echo_lines(echo)]
            result = dbtRunner(callbacks=[*(callbacks or []), *echoing]).invoke(args)
        finally:
            release_database()
    keep_parse(target, key)
    return result


#: The levels of dbt's events its console shows by default (`--log-level info`).
ECHOED_LEVELS = frozenset({"info", "warn", "error"})


def echo_lines(stream: TextIO) -> Callable[[Any], None]:
    """A dbt callback writing the events dbt's console shows at info level to `stream`, in its
    text format (time, two spaces, message), scrubbed of the environment's secrets as dbt
    scrubs them (the secrets read once per command, not once per event). dbt fires events from
    its worker threads; a text stream is not safe to write from two threads at once (the lines
    come out mixed, or as bytes of freed memory), so one write at a time, as logging's handlers
    do."""
    import datetime as dt
    import threading

    from dbt_common.events.logger import PRINT_EVENT_NAMES
    from dbt_common.exceptions.base import env_secrets, scrub_secrets

    secrets = env_secrets()
    one_at_a_time = threading.Lock()

    def write(msg) -> None:
        printed = msg.info.name in PRINT_EVENT_NAMES  # what `dbt ls`, `show` print: as is
        if printed or msg.info.level in ECHOED_LEVELS:
            text = scrub_secrets(msg.info.msg, secrets)
            if not printed:
                text = f"{dt.datetime.now(dt.UTC):%H:%M:%S}  {text}"
            with one_at_a_time:
                stream.write(f"{text}\n")

    return write


@contextlib.contextmanager
def _as_dbt_sees_it(folder: Path, name: str, *, after: str | None) -> Iterator[None]:
    """dbt run from `folder` with SPED_WAREHOUSE set to the file's `name` (the profile is then
    the same for every installation); afterwards the working directory is put back and
    SPED_WAREHOUSE set to `after` (removed when None)."""
    cwd = os.getcwd()
    os.environ["SPED_WAREHOUSE"] = name
    try:
        os.chdir(folder)
        yield
    finally:
        os.chdir(cwd)
        if after is None:
            os.environ.pop("SPED_WAREHOUSE", None)
        else:
            os.environ["SPED_WAREHOUSE"] = after


def release_database() -> None:
    """Close the DuckDB database dbt-duckdb keeps open across a command (the profile's
    `keep_open`). Until it is closed this process holds the file with dbt's configuration, so the
    next step could not open it with another one, nor another process at all."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    try:
        environment = DuckDBConnectionManager.env()
    except Exception:  # no command has opened a database in this process
        return
    environment.close()
    DuckDBConnectionManager.close_all_connections()


def failure(command: list[str], result) -> str:
    """What failed in a dbt result, in one line: the exception or the failing nodes."""
    failed = [
        (r.node.name, str(r.status), (r.message or "")[:300])
        for r in (getattr(result.result, "results", None) or [])
        if hasattr(r, "node") and str(r.status) not in ("success", "pass")
    ]
    return f"dbt {' '.join(command)} failed: {result.exception or failed}"


def invoke(
    command: list[str],
    *,
    warehouse: Path,
    target: Path,
    dbt_vars: dict | None = None,
    select: str | None = None,
    exclude: list[str] | None = None,
) -> None:
    """`dbt <command>` on `warehouse`; raises naming the failing nodes if anything fails."""
    args = dbt_args(command, target=target, dbt_vars=dbt_vars, select=select, exclude=exclude)
    result = run(args, warehouse=warehouse, target=target, dbt_vars=dbt_vars)
    if not result.success:
        raise RuntimeError(failure(command, result))
