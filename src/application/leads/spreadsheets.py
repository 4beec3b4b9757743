"""Reading the files people import leads from (LEAD-3): CSV in UTF-8 or GBK/GB18030 (what
Excel on a Chinese Windows writes), and XLSX through openpyxl in read-only mode.

Rows are streamed, never evaluated: a formula cell arrives as its text (`=HYPERLINK(…)`),
and the import flags it. Row numbers are the ones a spreadsheet shows: the header is
row 1, the first person row 2. What a file may hold (rows, columns, and for XLSX its
expanded size and XML) is checked before any row is read (`spreadsheet_limits`).
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

from application.leads.spreadsheet_limits import (
    LIMITS,
    SpreadsheetLimits,
    check_columns,
    check_csv_rows,
    check_workbook,
    too_many_rows,
)
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


def read_table(file_name: str, content: bytes, limits: SpreadsheetLimits = LIMITS) -> Table:
    """The header and rows of a CSV or XLSX file; refused (naming the file) when it is
    neither, when its text is neither UTF-8 nor GBK/GB18030, when it has no header, or
    when it passes `limits` (`SpreadsheetTooLarge`, naming the rule: checked before a
    row is handed out, so a refused file imports nothing)."""
    if content[:4] == b"PK\x03\x04" or file_name.lower().endswith((".xlsx", ".xlsm")):
        return _xlsx(file_name, content, limits)
    return _csv(file_name, content, limits)


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


def _csv(file_name: str, content: bytes, limits: SpreadsheetLimits) -> Table:
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
    columns = _header(file_name, header, limits)
    check_csv_rows(file_name, _last_csv_row(text, delimiter, limits), limits)

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        try:
            for cells in reader:
                yield reader.line_num, [cell.strip() or None for cell in cells]
        except csv.Error as error:
            raise InvalidInput(
                f"{file_name} line {reader.line_num} is not CSV: {error}", field="file"
            ) from None

    return Table(columns, rows(), encoding, rows_hint=max(text.count("\n") - 1, 0))


def _last_csv_row(text: str, delimiter: str, limits: SpreadsheetLimits) -> int:
    """The number of the last row (as the import numbers them), counting no further than
    one past the limit. A row that is not CSV ends the count: the import reports it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for _ in reader:
            if reader.line_num > limits.max_rows + 1:
                break
    except csv.Error:
        pass
    return reader.line_num


def _xlsx(file_name: str, content: bytes, limits: SpreadsheetLimits) -> Table:
    from openpyxl import load_workbook  # a heavy import, paid only by XLSX imports

    check_workbook(file_name, content, limits)  # before openpyxl parses any part
    try:
        # read_only streams rows; data_only=False keeps a formula as its text, never a
        # value computed by whoever saved the file.
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as error:
        raise InvalidInput(f"{file_name} is not an XLSX workbook: {error}", field="file") from None
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        raise InvalidInput(f"{file_name} has no worksheet", field="file")
    hint = sheet.max_row - 1 if isinstance(sheet.max_row, int) else None
    # The stated size (`<dimension ref="A1:XFD1048576">`) is the writer's claim: openpyxl
    # would pad every row to it and add blank rows up to it. Rows end where the cells do.
    sheet.reset_dimensions()
    values = sheet.iter_rows(max_row=1, values_only=True)
    try:
        header = [_cell(value) or "" for value in next(values)]
    except StopIteration:
        raise InvalidInput(f"{file_name} is empty", field="file") from None
    finally:
        values.close()
    while header and not header[-1]:
        header.pop()  # trailing empty header cells of a formatted sheet
    columns = _header(file_name, header, limits)

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        # Cells right of the header have no name to map: openpyxl leaves them out.
        values = sheet.iter_rows(min_row=2, max_col=len(columns), values_only=True)
        number = 1
        try:
            for number, cells in enumerate(values, start=2):
                if number > limits.max_rows + 1:  # the scan counted them; never read on
                    raise too_many_rows(file_name, limits)
                yield number, [_cell(value) for value in cells]
        except (SyntaxError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
            raise InvalidInput(
                f"{file_name} cannot be read after row {number}: {error}", field="file"
            ) from None
        finally:
            values.close()
            book.close()

    rows_hint = min(hint, limits.max_rows) if hint is not None else None
    return Table(columns, rows(), rows_hint=rows_hint)


def _header(file_name: str, header: list[str], limits: SpreadsheetLimits) -> list[str]:
    columns = [name.strip().lstrip("\ufeff") for name in header]
    if not any(columns):
        raise InvalidInput(f"{file_name} has no header row", field="file")
    check_columns(file_name, max(i for i, name in enumerate(columns, 1) if name), limits)
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
