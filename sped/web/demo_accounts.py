"""`make demo`'s last step: one demo account per role on the demo installation, with fresh
passwords printed once, and how to start the web application and the Dagster UI.

Run as the installation's owner (the operating-system user bound to its state channel): the
accounts are made by that state admin and the audit trail says so. Re-running gives the demo
accounts new passwords.
"""

from __future__ import annotations

import argparse
import secrets
import shlex
from pathlib import Path

from sped.config import settings
from sped.run.steps import open_registry


def _district_lea(registry) -> str:
    """The demo district: the LEA with an accepted placement roster, the first by id."""
    subs = registry.submissions(collection="placements", status="accepted")
    leas = sorted({s.lea_id for s in subs if s.lea_id})
    if not leas:
        raise SystemExit("the demo installation has no accepted roster: run `make demo` first")
    return leas[0]


def make_demo_accounts(warehouse: Path) -> list[tuple[str, str, str]]:
    """(account, role and scope, password) of each demo account."""
    inst = settings.installation(warehouse)
    made = []
    with open_registry(inst) as registry:
        actor = registry.state_channel_account()
        who = f"{actor.account} (make demo)"
        lea = _district_lea(registry)
        wanted = [
            ("demo-state", "state", (), True, "state (admin: manages accounts)"),
            ("demo-district", "district", (lea,), False, f"district, LEA {lea}"),
            ("demo-auditor", "auditor", (), False, "auditor"),
        ]
        for name, role, leas, admin, scope in wanted:
            password = secrets.token_urlsafe(12)
            existing = registry.account(name)
            if existing is None:
                registry.add_account(
                    name, role, leas, "demo account", password=password, is_admin=admin, actor=who
                )
            else:
                registry.set_password(name, password, actor=who)
            made.append((name, scope, password))
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    args = parser.parse_args(argv)
    warehouse = Path(args.warehouse).resolve()
    accounts = make_demo_accounts(warehouse)
    print("\nDemo accounts (passwords shown once; `make demo` again gives new ones):")
    for name, scope, password in accounts:
        print(f"  {name:<15} {password:<20} {scope}")
    w = shlex.quote(str(warehouse))
    print(
        "\nStart the web application (http://127.0.0.1:8080/, sign in with an account above):\n"
        f"  .venv/bin/sped serve --warehouse {w}\n"
        "Start the Dagster UI on the installation's own instance (its runs, materializations\n"
        "and checks; http://127.0.0.1:3000/):\n"
        "  make dagster\n"
        f"  (which is: DAGSTER_HOME={shlex.quote(str(warehouse.parent / 'dagster'))} "
        f"SPED_WAREHOUSE={w} DBT_PROFILES_DIR=$PWD/dbt .venv/bin/dagster dev "
        "-m dagster_project.definitions -h 127.0.0.1 -p 3000)\n"
        "Or both at once: make serve"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
