"""Bounds on what one submitted file may cost to read: size, rows, columns, line length, an
XLSX workbook's expanded size and compression ratio, and time.

The state profile's `limits:` section sets them (`sped.config.profile`); the defaults below apply
when it is absent. A file beyond a bound is rejected with a `LimitExceeded` the reader turns into a
blocking finding in plain words, never read further. XLSX bounds are checked from the zip directory
before any XML is parsed, and only stored or deflated parts are read: Python's zipfile inflates a
deflated part in bounded steps and never past the size the directory declares, but inflates a whole
bzip2 or LZMA chunk at once whatever the directory says (a 6 KB workbook took 2.5 GB), so those
parts are refused (Excel never writes them). Every part is then read through `BoundedArchive`, which
counts what is inflated against the expanded-size limit and checks the file's time on every read,
and the worksheet XML through `GuardedStream`, which stops at the first over-long row, so a hostile
workbook is refused in a fraction of a second and in bounded memory."""

from __future__ import annotations

import io
import re
import time
import zipfile
from dataclasses import dataclass

MB = 1024 * 1024
_CHUNK = 16 * MB
_STEP = 64 * 1024  # the most one read of a workbook's part inflates

#: The zip compression methods read (stored, deflated): the only ones Excel writes, and the
#: ones Python's zipfile inflates in bounded steps.
READABLE_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "Deflate64"}


@dataclass(frozen=True)
class Limits:
    """What one file may cost; every field is positive."""

    max_file_mb: float = 256
    max_rows: int = 2_000_000
    max_columns: int = 1_000
    max_line_kb: float = 1_024
    max_xlsx_expanded_mb: float = 256
    max_xlsx_ratio: float = 100
    max_xlsx_members: int = 1_000
    max_seconds_per_file: float = 300

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)

    @property
    def max_line_bytes(self) -> int:
        return int(self.max_line_kb * 1024)

    @property
    def max_xlsx_expanded_bytes(self) -> int:
        return int(self.max_xlsx_expanded_mb * MB)


DEFAULT_LIMITS = Limits()
#: Expanded members smaller than this are never refused for their compression ratio (a tiny
#: XML part of repeated tags can compress 200:1 and costs nothing to read).
RATIO_FLOOR_BYTES = MB


class LimitExceeded(Exception):
    """A file is beyond one of the limits; `what` names the limit, `text` says it plainly."""

    def __init__(self, what: str, text: str):
        super().__init__(text)
        self.what = what
        self.text = text


def _mb(n: float) -> str:
    return f"{n / MB:,.1f} MB"


class Deadline:
    """The time one file may take; `check()` raises once it has passed."""

    def __init__(self, limits: Limits):
        self.seconds = limits.max_seconds_per_file
        self.ends = time.monotonic() + self.seconds

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise LimitExceeded(
                "too_slow",
                f"Reading the file took longer than the limit of {self.seconds:g} seconds; it "
                "was stopped. Send a smaller file (or split it).",
            )


def check_size(size: int, limits: Limits) -> None:
    """Refuse a file of `size` bytes beyond the size limit."""
    if size > limits.max_file_bytes:
        raise LimitExceeded(
            "too_large",
            f"The file is {_mb(size)}; files may be at most {_mb(limits.max_file_bytes)}.",
        )


def check_line_length(data: bytes, limits: Limits) -> None:
    """Refuse a CSV with a line longer than the limit, before it is parsed: numpy finds the
    newlines 16 MB at a time, so no line is copied and memory stays small."""
    import numpy as np

    limit = limits.max_line_bytes
    if len(data) <= limit:
        return
    longest = current = 0  # current: length of the line still open at the chunk's end
    for start in range(0, len(data), _CHUNK):
        buf = np.frombuffer(
            data, dtype=np.uint8, count=min(_CHUNK, len(data) - start), offset=start
        )
        ends = np.flatnonzero(buf == 10)
        if len(ends) == 0:
            current += len(buf)
        else:
            longest = max(longest, current + int(ends[0]))
            if len(ends) > 1:
                longest = max(longest, int(np.diff(ends).max()) - 1)
            current = len(buf) - int(ends[-1]) - 1
        if max(longest, current) > limit:
            raise LimitExceeded(
                "line_too_long",
                f"A line of the file is longer than {limit:,} bytes, the most a line may have. "
                "Is the file really a CSV export?",
            )


def check_columns(width: int, limits: Limits) -> None:
    if width > limits.max_columns:
        raise LimitExceeded(
            "too_many_columns",
            f"The file has {width:,} columns; at most {limits.max_columns:,} are read.",
        )


def check_rows(count: int, limits: Limits) -> None:
    if count > limits.max_rows:
        raise LimitExceeded(
            "too_many_rows",
            f"The file has more than {limits.max_rows:,} data rows, the most one file may "
            "have. Split it or send only the rows of the collection.",
        )


def check_zip_directory(data: bytes, limits: Limits) -> None:
    """Refuse a workbook whose parts would expand beyond the limits, from the zip directory
    alone (nothing is decompressed). Raises zipfile.BadZipFile when there is no directory."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > limits.max_xlsx_members:
            raise LimitExceeded(
                "xlsx_members",
                f"The workbook has {len(members):,} parts; at most {limits.max_xlsx_members:,} "
                "are read. Save it again from Excel as a plain .xlsx workbook.",
            )
        expanded = sum(m.file_size for m in members)
        if expanded > limits.max_xlsx_expanded_bytes:
            raise LimitExceeded(
                "xlsx_expanded",
                f"The workbook would expand to {_mb(expanded)} when opened; at most "
                f"{_mb(limits.max_xlsx_expanded_bytes)} is read. Send the data as CSV or split "
                "it.",
            )
        for m in members:
            if m.compress_type not in READABLE_COMPRESSION:
                raise LimitExceeded(
                    "xlsx_compression",
                    "A part of the workbook is compressed with a method Excel never uses "
                    f"({_METHOD_NAMES.get(m.compress_type, f'method {m.compress_type}')}); such "
                    "parts are not read. Save it again from Excel as .xlsx or send it as CSV.",
                )
        for m in members:
            ratio = m.file_size / max(m.compress_size, 1)
            if m.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_xlsx_ratio:
                raise LimitExceeded(
                    "xlsx_ratio",
                    f"A part of the workbook is compressed {ratio:,.0f} to 1 (at most "
                    f"{limits.max_xlsx_ratio:g} to 1 is read): it is not an ordinary "
                    "spreadsheet. Save it again from Excel or send it as CSV.",
                )


class _BoundedMember(io.RawIOBase):
    """One part of a `BoundedArchive` as it is read: at most 64 KB at a time, whatever size
    is asked for, each read counted and the deadline checked."""

    def __init__(self, raw, archive: BoundedArchive):
        self._raw = raw
        self._archive = archive

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        chunk = self._raw.read(min(size, _STEP))
        self._archive.count(len(chunk))
        return chunk

    def readall(self) -> bytes:
        parts = []
        while chunk := self.read(_STEP):
            parts.append(chunk)
        return b"".join(parts)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


class BoundedArchive(zipfile.ZipFile):
    """A workbook's zip whose parts are read in small steps: all that is inflated, across every
    part and however often one is opened, is counted against the expanded-size limit (whatever
    the directory declares), and the file's deadline is checked on each step."""

    def __init__(self, data: bytes, limits: Limits, deadline: Deadline):
        super().__init__(io.BytesIO(data))
        self._limit = limits.max_xlsx_expanded_bytes
        self._deadline = deadline
        self.inflated = 0

    def count(self, n: int) -> None:
        self._deadline.check()
        self.inflated += n
        if self.inflated > self._limit:
            raise LimitExceeded(
                "xlsx_expanded",
                f"The workbook expands to more than {_mb(self._limit)} when opened, the most "
                "that is read. Send the data as CSV or split it.",
            )

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        if mode != "r":
            raise ValueError("a workbook is only read")
        member = _BoundedMember(super().open(name, "r", pwd), self)
        self._deadline.check()
        return member


# A worksheet row starts (`<row`) or ends (`</row>`); tags may carry a namespace prefix.
_ROW_TAG = re.compile(rb"</?(?:[A-Za-z_][\w.-]{0,15}:)?row[\s>/]")
_CARRY = 24  # longer than any _ROW_TAG match


class GuardedStream(io.RawIOBase):
    """A worksheet's XML as the parser reads it, stopped at the first row whose XML is longer
    than the line limit (so one giant row is never built in memory) or when time is up."""

    def __init__(self, raw, limits: Limits, deadline: Deadline):
        self._raw = raw
        self._limit = limits.max_line_bytes
        self._deadline = deadline
        self._since_tag = 0  # bytes read since the last row tag
        self._carry = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self._deadline.check()
        chunk = self._raw.read(size if size and size > 0 else 1 << 16)
        window = self._carry + chunk
        cut = max(len(window) - _CARRY, 0) if chunk else len(window)
        last = None
        for m in _ROW_TAG.finditer(window, 0, len(window) if not chunk else cut + _CARRY):
            if m.start() >= cut and chunk:
                break
            last = m.end()
        if last is None:
            self._since_tag += len(chunk)
        else:
            self._since_tag = len(window) - last
        if self._since_tag > self._limit:
            raise LimitExceeded(
                "line_too_long",
                f"A row of the worksheet is longer than {self._limit:,} bytes of spreadsheet "
                "data; it cannot be a row of this collection.",
            )
        self._carry = window[cut:] if chunk else b""
        return chunk

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()
