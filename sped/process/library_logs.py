"""The libraries' log lines of a command go to a log file, not the terminal.

GX, Dagster and dbt log through Python's `logging`; one of dbt's dependencies installs a root
handler on standard error when it is imported (`logging.basicConfig()`), so their INFO lines
("Created temporary directory ... for ephemeral docs site", "A dbt subsetted execution is not
being performed ...") were mixed into `sped pipeline`'s own output. Inside `to_file`, every
record that reaches the root logger is written to the file, and only warnings and errors also
reach the terminal, as one line each. The lines hold no student data (sped's own loggers never
log row values), and the file is the installation owner's only (0600).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextlib.contextmanager
def to_file(path: Path) -> Iterator[Path]:
    """While in the block, the root logger's handlers are a file (`path`, appended: what the
    libraries' loggers pass on, INFO included) and standard error for WARNING and above; the
    previous handlers are put back afterwards. Levels are left as the libraries set them."""
    root = logging.getLogger()
    saved_handlers = root.handlers[:]
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    to_log = logging.FileHandler(path, encoding="utf-8")
    to_log.setFormatter(logging.Formatter(FILE_FORMAT))
    path.chmod(0o600)
    to_terminal = logging.StreamHandler(sys.stderr)
    to_terminal.setLevel(logging.WARNING)
    to_terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.handlers = [to_log, to_terminal]
    try:
        yield path
    finally:
        root.handlers = saved_handlers
        to_log.close()
