"""XLSX files made to measure for the limit tests: a real openpyxl workbook whose parts are
swapped for generated XML, streamed into the zip (a 400 MB sheet never sits in memory)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>mobile</t></is></c></row>'


def workbook(
    parts: dict[str, Iterable[bytes]] | None = None,
    *,
    extra_entries: int = 0,
    level: int = 6,
) -> bytes:
    """A one-sheet workbook (header `mobile`, one lead) with `parts` (name -> XML chunks)
    put in place of or beside openpyxl's own, plus `extra_entries` tiny files."""
    book = Workbook()
    sheet = book.active
    sheet.append(["mobile"])
    sheet.append([13800000000])
    template = io.BytesIO()
    book.save(template)
    parts = dict(parts or {})
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target,
    ):
        for entry in source.infolist():
            if entry.filename not in parts:
                target.writestr(entry.filename, source.read(entry.filename))
        for name, chunks in parts.items():
            with target.open(name, "w", force_zip64=True) as part:
                for chunk in chunks:
                    part.write(chunk)
        for n in range(extra_entries):
            target.writestr(f"customXml/item{n}.xml", b"<x/>")
    return out.getvalue()


def sheet(rows: Iterable[bytes], *, before_data: bytes = b"") -> Iterator[bytes]:
    """A worksheet part: optional elements before `<sheetData>`, the header row, `rows`."""
    yield b'<worksheet xmlns="' + MAIN + b'">' + before_data + b"<sheetData>" + HEADER_ROW
    yield from rows
    yield b"</sheetData></worksheet>"


def repeated(piece: bytes, total_bytes: int) -> Iterator[bytes]:
    """`piece` repeated to about `total_bytes`, a megabyte at a time."""
    chunk = piece * max(1, (1024 * 1024) // len(piece))
    for _ in range(max(1, total_bytes // len(chunk))):
        yield chunk


def numbered_rows(first: int, last: int, cell: bytes = b"") -> Iterator[bytes]:
    """Rows `first`..`last` with their numbers, each holding `cell`, 10,000 at a time."""
    for start in range(first, last + 1, 10_000):
        stop = min(start + 10_000, last + 1)
        yield b"".join(b'<row r="%d">%s</row>' % (n, cell) for n in range(start, stop))
