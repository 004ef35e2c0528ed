"""Builders of hostile and damaged files for the tests: each is made in memory, small where it
can be (a zip bomb is a few hundred KB of compressed spaces)."""

from __future__ import annotations

import io
import struct
import zipfile

import openpyxl

from sped.contracts import get

EXP = get("expenditures")
EXP_ROW = ["2500001", "2026", "E{}", "IDEA_611", "DIRECT_SERVICES", "10.00", "2026-10-15"]
SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def exp_csv(lea: str = "2500001", rows: int = 3) -> bytes:
    body = "".join(
        f"{lea},2026,E{i},IDEA_611,DIRECT_SERVICES,10.00,2026-10-15\n" for i in range(rows)
    )
    return (",".join(EXP.column_names) + "\n" + body).encode()


def exp_xlsx(rows: int = 50, lea: str = "2500001") -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sheet")
    ws.append(EXP.column_names)
    for i in range(rows):
        ws.append([lea, *(v.format(i) for v in EXP_ROW[1:])])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rewrite(data: bytes, change: dict[str, bytes | None], level: int = 6) -> bytes:
    """`data` (a zip) with members replaced (bytes) or written as given, in the same order."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zout,
    ):
        for info in zin.infolist():
            body = change.get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, body)
    return out.getvalue()


def truncated_sheet(data: bytes) -> bytes:
    """The sheet's XML cut in the middle (`ParseError`), the zip itself intact."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read(SHEET)
    return rewrite(data, {SHEET: sheet[: len(sheet) // 2]})


def corrupt_stream(data: bytes) -> bytes:
    """The sheet's compressed bytes scrambled (`zlib.error` when inflated)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(SHEET)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(data)
    for k in range(start + 8, start + info.compress_size - 8, 5):
        damaged[k] ^= 0x55
    return bytes(damaged)


def _sheet_writer(data: bytes, write) -> bytes:
    """`data` with the sheet's XML written by `write(stream)` in chunks (never whole in memory)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout,
    ):
        for info in zin.infolist():
            if info.filename == SHEET:
                with zout.open(SHEET, "w", force_zip64=True) as stream:
                    write(stream)
            else:
                zout.writestr(info.filename, zin.read(info.filename))
    return out.getvalue()


def zip_bomb(expanded_mb: int) -> bytes:
    """A workbook whose sheet is `expanded_mb` MB of XML whitespace: it compresses about
    1000 to 1, as the issue's 4.9 MB file that expanded to about 1 GB."""
    chunk = b" " * (1024 * 1024)

    def write(stream):
        stream.write(SHEET_HEAD)
        for _ in range(expanded_mb):
            stream.write(chunk)
        stream.write(b"<sheetData/></worksheet>")

    return _sheet_writer(exp_xlsx(1), write)


def one_wide_row(cells: int) -> bytes:
    """A workbook whose first row has `cells` cells (one giant row of XML)."""

    def write(stream):
        stream.write(SHEET_HEAD + b'<sheetData><row r="1">')
        for i in range(cells):
            stream.write(b'<c t="n"><v>%d</v></c>' % i)
        stream.write(b"</row></sheetData></worksheet>")

    return _sheet_writer(exp_xlsx(1), write)


def claimed_dimension(dimension: str, far_cell: str) -> bytes:
    """A small workbook whose sheet claims `dimension` (e.g. A1:XFD1048576) and holds a header
    row and one value at `far_cell`: openpyxl pads every row to the claimed size."""
    header = b"".join(
        b'<c t="inlineStr"><is><t>%s</t></is></c>' % n.encode() for n in EXP.column_names
    )
    row = int("".join(ch for ch in far_cell if ch.isdigit()))
    xml = (
        SHEET_HEAD
        + b'<dimension ref="%s"/><sheetData><row r="1">%s</row>' % (dimension.encode(), header)
        + b'<row r="%d"><c r="%s" t="n"><v>1</v></c></row>' % (row, far_cell.encode())
        + b"</sheetData></worksheet>"
    )
    return rewrite(exp_xlsx(1), {SHEET: xml})


def lying_directory(data: bytes, member: str = SHEET, size: int = 0x7FFF0000) -> bytes:
    """`data` with the zip directory claiming `member` expands to `size` bytes; its compressed
    bytes are unchanged, so reading it would fail (or run long), never reach a limit."""
    raw = bytearray(data)
    name = member.encode()
    pos = raw.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46 : pos + 46 + name_len] == name:
            struct.pack_into("<I", raw, pos + 24, size)
        pos = raw.find(b"PK\x01\x02", pos + 4)
    return bytes(raw)


def lying_compressed(method: int, expanded_mb: int, declared: int = 100_000) -> bytes:
    """A workbook whose sheet is `expanded_mb` MB of XML whitespace compressed with `method`
    (zipfile.ZIP_BZIP2 or ZIP_LZMA: a few hundred bytes or tens of KB), its directory claiming
    the sheet expands to `declared` bytes: within every limit read from the directory. Python's
    zipfile inflates a whole bzip2 or LZMA chunk at once, whatever the directory says."""
    chunk = b" " * (1024 * 1024)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(exp_xlsx(1))) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            if info.filename != SHEET:
                zout.writestr(info.filename, zin.read(info.filename))
                continue
            member = zipfile.ZipInfo(SHEET, info.date_time)
            member.compress_type = method
            with zout.open(member, "w") as stream:
                stream.write(SHEET_HEAD)
                for _ in range(expanded_mb):
                    stream.write(chunk)
                stream.write(b"<sheetData/></worksheet>")
    return lying_directory(out.getvalue(), SHEET, declared)


def receive_expenditures(reg, files: dict[str, tuple[str, bytes]]) -> list:
    """Each file (LEA -> (name, bytes)) received into registry `reg` as that LEA's 2026
    expenditures, sent by the state's operator; the collection's pending submissions."""
    from sped.landing.layout import DeclaredKey
    from tests.state_channel import OPERATOR

    for lea, (name, data) in files.items():
        key = DeclaredKey("expenditures", lea, "2026")
        reg.receive(data, key, original_name=name, submitter=OPERATOR)
    return reg.pending("expenditures")
