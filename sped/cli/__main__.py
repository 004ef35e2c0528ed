"""`python -m sped.cli ...`: the same as the `sped` command."""

from sped.cli import run

run()
