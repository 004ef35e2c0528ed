"""`make demo`'s closing lines: the files rejected by the run, set against the defects the
synthetic state planted on purpose (its `_manifest.json`), so a demo that did what it was
designed to do does not look failed.

The generator plants realistic defects (a wrong LEA, a bad code, duplicate rows ...) so the
portal's messages, the data-quality report and the Dagster UI's warning checks
("N of M files rejected") have something to show. A rejected file the generator did not plant a
defect in is reported as unexpected.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from sped.config import settings
from sped.run.steps import open_registry


def closing_lines(landing: Path, inst: settings.Installation) -> list[str]:
    """What the run rejected, and whether the generator planned it."""
    manifest = json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))
    planted = {f["path"]: f["defect"] for f in manifest["files"] if f.get("defect")}
    with open_registry(inst) as registry:
        subs = registry.submissions()
    rejected = [s for s in subs if s.status == "rejected"]
    planned = [s for s in rejected if planted.get(s.landing_path or "")]
    unplanned = [s for s in rejected if not planted.get(s.landing_path or "")]
    kinds = Counter(planted[s.landing_path] for s in planned)
    lines = [
        f"{len(rejected)} of {len(subs)} files were rejected"
        + (
            f", {len(planned)} of them as designed: the synthetic state plants defects"
            if planned
            else ""
        )
    ]
    if planned:
        lines.append(
            "  ("
            + ", ".join(
                f"{k.replace('_', ' ').replace('lea', 'LEA')}: {n}"
                for k, n in sorted(kinds.items())
            )
            + ") "
            "so the portal's messages, the data-quality report and the Dagster UI's warning "
            'checks ("N of M files rejected") have something to show; they are not failures.'
        )
    if unplanned:
        names = ", ".join(s.original_name for s in unplanned[:5])
        lines.append(f"  {len(unplanned)} rejected without a planted defect, look at them: {names}")
    lines.append(
        f"  `sped submissions --warehouse {inst.warehouse}` lists every file and its outcome."
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True, help="the generated landing folder")
    parser.add_argument("--warehouse", required=True, help="the demo installation's warehouse")
    args = parser.parse_args(argv)
    for line in closing_lines(Path(args.landing), settings.installation(args.warehouse)):
        print(f"make demo: {line}" if not line.startswith("  ") else line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
