"""Every submission with its outcome and failed rules, as rows (JSON) or a readable table.

The table shows every text printable and bounded (`sped.contracts.findings.clip`): a newline
or an escape sequence in a file name, LEA id or submitter is shown escaped, so no submission can
forge a line of the listing or drive the terminal."""

from __future__ import annotations

from sped.config.settings import Installation
from sped.contracts.findings import clip
from sped.run.steps import open_registry


def submission_rows(inst: Installation) -> list[dict]:
    registry = open_registry(inst)
    try:
        rows = []
        for s in registry.submissions():
            findings = registry.findings(s.submission_id)
            rows.append(
                {
                    "submission_id": s.submission_id,
                    "collection": s.collection,
                    "lea_id": s.lea_id,
                    "period": s.period,
                    "original_name": s.original_name,
                    "sha256": s.sha256,
                    "size_bytes": s.size_bytes,
                    "received_at": s.received_at,
                    "submitter": s.submitter,
                    "status": s.status,
                    "row_count": s.row_count,
                    "error_count": s.error_count or 0,
                    "warning_count": s.warning_count or 0,
                    "failed_rules": [
                        {"rule": f.rule_id, "severity": f.severity, "count": f.failed_count}
                        for f in findings
                    ],
                }
            )
        return rows
    finally:
        registry.close()


def submissions_table(rows: list[dict]) -> str:
    head = (
        f"{'id':>6}  {'collection':<15} {'lea_id':<8} {'period':<8} {'status':<10} "
        f"{'errors':>6} {'warn':>6}  file / failed rules"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        rules = ", ".join(f"{clip(f['rule'], 80)}({f['count']})" for f in r["failed_rules"][:4])
        lines.append(
            f"{r['submission_id']:>6}  {clip(r['collection'], 40):<15} "
            f"{clip(r['lea_id'] or '-', 40):<8} {clip(r['period'], 40):<8} "
            f"{clip(r['status'], 20):<10} {r['error_count']:>6} {r['warning_count']:>6}  "
            f"{clip(r['original_name'], 120)}" + (f"  [{rules}]" if rules else "")
        )
    return "\n".join(lines)
