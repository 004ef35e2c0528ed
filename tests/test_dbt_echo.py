"""dbt's console lines as the build's log receives them (sped/frameworks/dbt_cli.py
`echo_lines`): dbt's own console logger is left out, and this callback writes what it would have
shown at info level. dbt fires events from its worker threads, so the callback is called from
several at once."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from sped.frameworks.dbt_cli import echo_lines


def _event(name: str, level: str, msg: str) -> SimpleNamespace:
    return SimpleNamespace(info=SimpleNamespace(name=name, level=level, msg=msg))


def test_info_lines_are_written_with_their_time_and_debug_ones_are_not(tmp_path):
    path = tmp_path / "dbt_output.log"
    with open(path, "a", encoding="utf-8") as out:
        write = echo_lines(out)
        write(_event("LogStartLine", "info", "1 of 2 START sql table model marts.x"))
        write(_event("SQLQuery", "debug", "create table marts.x as select 1"))
        write(_event("LogTestResult", "error", "2 of 2 FAIL 3 not_null_x_id"))
        write(_event("PrintEvent", "info", "printed as is"))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [line[10:] for line in lines[:2]] == [
        "1 of 2 START sql table model marts.x",
        "2 of 2 FAIL 3 not_null_x_id",
    ]
    assert all(line[2] == ":" and line[5] == ":" and line[8:10] == "  " for line in lines[:2])
    assert lines[2] == "printed as is"
    assert len(lines) == 3


def test_lines_written_from_several_threads_at_once_stay_whole(tmp_path):
    """Without one write at a time, a text file written from four threads came out with a
    mangled line in each of three tries (80,000 lines)."""
    path = tmp_path / "dbt_output.log"
    per_thread = 20_000
    with open(path, "a", encoding="utf-8") as out:
        write = echo_lines(out)

        def fire(thread: int) -> None:
            for n in range(per_thread):
                write(_event("LogTestResult", "info", f"{thread} of 4 PASS test_{n} [PASS]"))

        threads = [threading.Thread(target=fire, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    data = path.read_bytes()
    lines = data.decode("utf-8").split("\n")[:-1]
    assert b"\x00" not in data
    assert len(lines) == 4 * per_thread
    mangled = [line for line in lines if line[8:10] != "  " or not line.endswith("[PASS]")]
    assert not mangled, mangled[:3]
