"""Reading the files people import leads from (LEAD-3): CSV in UTF-8 or GBK/GB18030 (what
Excel on a Chinese Windows writes), and XLSX through openpyxl in read-only mode.

Rows are streamed, never evaluated: a formula cell arrives as its text (`=HYPERLINK(…)`),
and the import flags it. Row numbers are the ones a spreadsheet shows: the header is
row 1, the first person row 2.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from application.shared.errors import InvalidInput

Cell = str | None
# Byte-order marks of UTF-16 text (Excel's "Unicode text" export), tried before guessing.
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DELIMITERS = (",", "\t", ";")


@dataclass
class Table:
    """A file's header and its rows as (row number, cells), streamed once."""

    columns: list[str]
    rows: Iterator[tuple[int, list[Cell]]]
    encoding: str | None = None  # the text encoding a CSV file was read with
    rows_hint: int | None = None  # about how many rows follow the header (for progress)


def read_table(file_name: str, content: bytes) -> Table:
    """The header and rows of a CSV or XLSX file; refused (naming the file) when it is
    neither, when its text is neither UTF-8 nor GBK/GB18030, or when it has no header."""
    if content[:4] == b"PK\x03\x04" or file_name.lower().endswith((".xlsx", ".xlsm")):
        return _xlsx(file_name, content)
    return _csv(file_name, content)


def decode_text(file_name: str, content: bytes) -> tuple[str, str]:
    """The text of a file and the encoding it was in: UTF-8 (with or without BOM), UTF-16
    with a BOM, else GB18030 (a superset of GBK and GB2312). Bytes that are none of
    these are refused rather than read as mojibake."""
    candidates = ("utf-16",) if content.startswith(_UTF16_BOMS) else ("utf-8-sig", "gb18030")
    for encoding in candidates:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        f"{file_name} is not UTF-8 or GBK/GB18030 text; save it as CSV UTF-8 and retry",
        field="file",
    )


def _csv(file_name: str, content: bytes) -> Table:
    text, encoding = decode_text(file_name, content)
    first_line = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(f"{file_name} is empty", field="file") from None
    except csv.Error as error:
        raise InvalidInput(f"{file_name} is not CSV: {error}", field="file") from None
    columns = _header(file_name, header)

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        try:
            for cells in reader:
                yield reader.line_num, [cell.strip() or None for cell in cells]
        except csv.Error as error:
            raise InvalidInput(
                f"{file_name} line {reader.line_num} is not CSV: {error}", field="file"
            ) from None

    return Table(columns, rows(), encoding, rows_hint=max(text.count("\n") - 1, 0))


def _xlsx(file_name: str, content: bytes) -> Table:
    from openpyxl import load_workbook  # a heavy import, paid only by XLSX imports

    try:
        # read_only streams rows; data_only=False keeps a formula as its text, never a
        # value computed by whoever saved the file.
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise InvalidInput(f"{file_name} is not an XLSX workbook: {error}", field="file") from None
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        raise InvalidInput(f"{file_name} has no worksheet", field="file")
    values = sheet.iter_rows(values_only=True)
    try:
        header = [_cell(value) or "" for value in next(values)]
    except StopIteration:
        raise InvalidInput(f"{file_name} is empty", field="file") from None
    while header and not header[-1]:
        header.pop()  # trailing empty header cells of a formatted sheet
    columns = _header(file_name, header)

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        try:
            for number, cells in enumerate(values, start=2):
                yield number, [_cell(value) for value in cells]
        finally:
            book.close()

    hint = sheet.max_row - 1 if isinstance(sheet.max_row, int) else None
    return Table(columns, rows(), rows_hint=hint)


def _header(file_name: str, header: list[str]) -> list[str]:
    columns = [name.strip().lstrip("\ufeff") for name in header]
    if not any(columns):
        raise InvalidInput(f"{file_name} has no header row", field="file")
    return columns


def _cell(value: Any) -> Cell:
    """A cell as text: whole numbers without `.0` (a mobile typed as a number), dates as
    ISO dates."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == time() else value
    if isinstance(value, date | datetime):
        return value.isoformat()
    text = str(value).strip()
    return text or None
