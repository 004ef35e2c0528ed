"""What validation says about a submission: one `Finding` per (submission, rule) that failed.

Parse checks (before GX), the GX suites and the cross-collection checks all produce findings;
the registry stores them and every report, message and CSV download is built from them.
Samples are bounded: `sample_rows` are the first rows that fail (file row numbers, header = 1),
`failed_count` says how many failed in all. Text is bounded too, where every finding is built:
each value is cut to `VALUE_CHARS` characters and the message to `TEXT_CHARS`, and control
characters (a newline in a value or a name) are shown escaped, so a hostile file can neither
swell the registry and the reports nor forge a line of output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SAMPLE_SIZE = 20
#: The most characters of one value a finding keeps (the rest is replaced by an ellipsis).
VALUE_CHARS = 200
#: The most characters of a finding's text, reference, rule id or column name.
TEXT_CHARS = 1000
ELLIPSIS = "\u2026"


def printable(text: str) -> str:
    """`text` with control characters (newline, carriage return, escape, ...) written as
    escapes (`\\n`, `\\x1b`), so it stays on one line and cannot drive a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def clip(text: str, limit: int = VALUE_CHARS) -> str:
    """`text` cut to at most `limit` characters (an ellipsis marks the cut), printable."""
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + ELLIPSIS
    return printable(text)


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

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: bound the fields once, where the finding is made
        set_(self, "text", clip(self.text, TEXT_CHARS))
        set_(self, "reference", clip(self.reference, TEXT_CHARS))
        set_(self, "rule_id", clip(self.rule_id, TEXT_CHARS))
        if self.column is not None:
            set_(self, "column", clip(self.column, TEXT_CHARS))
        set_(self, "sample_values", tuple(clip(v) for v in self.sample_values))

    def to_dict(self) -> dict:
        """The finding without its submission, as stored in JSON (`from_dict` reads it back)."""
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "text": self.text,
            "reference": self.reference,
            "column": self.column,
            "failed_count": self.failed_count,
            "sample_rows": list(self.sample_rows),
            "sample_values": list(self.sample_values),
        }

    @classmethod
    def from_dict(cls, submission_id: int, data: dict) -> Finding:
        return cls(
            submission_id=submission_id,
            **{**data, "sample_rows": tuple(data["sample_rows"]),
               "sample_values": tuple(data["sample_values"])},
        )  # fmt: skip

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
