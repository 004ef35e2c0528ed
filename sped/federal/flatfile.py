"""EDFacts flat (non-XML) files: a header record, then one fixed-width data record per
category-set record, each line ended by CR LF (docs/federal_files.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sped.federal.specs import HEADER, Field

EOL = "\r\n"


def fixed(fields: Sequence[Field], values: dict[str, str]) -> str:
    """One record: each field's value left-aligned and padded with spaces to its width (a
    value that does not fit is an error, never cut)."""
    out = []
    position = 1
    for field in fields:
        if field.start != position:
            raise ValueError(f"field {field.name} starts at {field.start}, expected {position}")
        value = values.get(field.name, "") if field.name != "filler" else ""
        if len(value) > field.width:
            raise ValueError(f"{field.name} {value!r} is wider than {field.width} characters")
        out.append(value.ljust(field.width))
        position = field.end + 1
    return "".join(out)


def header(file_type: str, records: int, file_name: str, identifier: str, school_year: str) -> str:
    """The header record: file type, number of data records, file name, identifier and the
    reporting period (2025-2026 for 2025-26)."""
    fall = int(school_year[:4])
    return fixed(
        HEADER,
        {
            "file_type": file_type,
            "total_records": str(records),
            "file_name": file_name,
            "file_identifier": identifier,
            "file_reporting_period": f"{fall}-{fall + 1}",
        },
    )


def document(head: str, records: Iterable[str]) -> bytes:
    """The file's bytes: the header record, then the data records (ASCII, CR LF)."""
    lines = [head, *records]
    return (EOL.join(lines) + EOL).encode("ascii")


def parse(fields: Sequence[Field], line: str) -> dict[str, str]:
    """A record read back: {field: value without its padding} (filler left out)."""
    return {f.name: line[f.start - 1 : f.end].rstrip() for f in fields if f.name != "filler"}
