"""The exit codes of a `sped` command, in one place for the command line and the portal's runs.

0 success (a rejected district file is not a failure), 1 the system failed, 2 bad arguments or
configuration (an invalid state profile among them), 3 another run holds the installation,
130 interrupted. `guarded` turns what a command raised into its code and a one-line message
on standard error; with SPED_DEBUG set, an unexpected error keeps its traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from sped.config.profile import ProfileError
from sped.run.run_lock import RunInProgress

#: Exit code when another run holds the installation's run lock.
EXIT_RUN_IN_PROGRESS = 3


def guarded(command: str, call: Callable[[], int]) -> int:
    """`call()`'s exit code, or the code (and message) for what it raised."""
    try:
        return call()
    except ProfileError as exc:
        print(f"sped: state profile: {exc}", file=sys.stderr)
        return 2
    except RunInProgress as exc:
        print(f"sped: {exc}", file=sys.stderr)
        return EXIT_RUN_IN_PROGRESS
    except (ValueError, KeyError, FileNotFoundError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"sped: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sped: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("SPED_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"sped: {command} failed: {type(exc).__name__}: {first[:300]} "
            "(set SPED_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 1
