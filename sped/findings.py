"""What validation says about a submission: one `Finding` per (submission, rule) that failed.

Parse checks (before GX), the GX suites and the cross-collection checks all produce findings;
the registry stores them and every report, message and CSV download is built from them.
Samples are bounded: `sample_rows` are the first rows that fail (file row numbers, header = 1),
`failed_count` says how many failed in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SAMPLE_SIZE = 20


@dataclass(frozen=True)
class Finding:
    submission_id: int
    rule_id: str
    severity: str  # "blocking" | "warning"
    text: str
    reference: str
    column: str | None = None
    failed_count: int = 0
    sample_rows: tuple[int, ...] = field(default_factory=tuple)
    sample_values: tuple[str, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"

    def message(self) -> str:
        """The finding in plain words, as a district data clerk reads it."""
        where = ""
        if self.sample_rows:
            shown = ", ".join(str(r) for r in self.sample_rows)
            more = self.failed_count - len(self.sample_rows)
            label = "Row" if self.failed_count == 1 else "Rows"
            where = f" {label} {shown}" + (f" and {more} more" if more > 0 else "") + "."
        elif self.failed_count:
            where = f" {self.failed_count} row{'s' if self.failed_count != 1 else ''}."
        shown = [v for v in dict.fromkeys(self.sample_values) if v != "***"][:5]
        if shown and self.sample_rows:
            where += " Values found: " + ", ".join(f'"{v}"' for v in shown) + "."
        col = f" [{self.column}]" if self.column else ""
        kind = "Error" if self.blocking else "Warning"
        return f"{kind}{col}: {self.text}{where} ({self.reference})"
