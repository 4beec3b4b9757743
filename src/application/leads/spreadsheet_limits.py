"""How large a spreadsheet an import reads (LEAD-3, ADR 0011), checked before it is read.

An XLSX file is a zip of XML parts, and 5 MB of it can stand for gigabytes: a 428 KB
workbook of empty rows expanded to 300 MB and took the server to 4.75 GB, because openpyxl
keeps part of what it parses (the shared strings, styles, a row's cells, every row
element it has seen, a Python object per merge or link). So, before openpyxl opens it:

1. the zip directory: how many entries, how large they expand, how far each part over
   1 MiB is compressed (a zip bomb's ratio is in the hundreds, a real sheet's near 10);
2. every part, streamed through expat without building anything: no DTD, how many
   elements in all, how many in one row or one shared string, how many shared strings,
   how many elements outside cell data (styles, merges, links), and the row numbers of
   each sheet (numbered as openpyxl numbers them, so a row `r="1048576"` counts as
   the million rows openpyxl would hand out for it).

A CSV file is text already in memory (at most 5 MB); only its rows are counted. Every
refusal names the file, the rule and its limit, and comes before any row is applied.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from application.shared.errors import InvalidInput

MiB = 1024 * 1024


@dataclass(frozen=True)
class SpreadsheetLimits:
    """The bounds on one import file; the defaults are documented in the README."""

    max_rows: int = 100_000  # rows under the header, blank ones included, CSV and XLSX
    max_columns: int = 1_000  # header cells up to the last named one
    # XLSX only
    max_entries: int = 1_000
    max_expanded_bytes: int = 128 * MiB
    max_compression_ratio: int = 100  # for each part that expands past 1 MiB
    max_xml_elements: int = 20_000_000
    max_elements_per_row: int = 65_536  # a row (or one shared string) with what it holds
    max_shared_strings: int = 1_000_000
    max_other_elements: int = 250_000  # outside the cells: styles, merges, links, names


LIMITS = SpreadsheetLimits()
_RATIO_FROM_BYTES = 1 * MiB  # small parts (styles, rels) compress well and cost nothing


class SpreadsheetTooLarge(InvalidInput):
    """The file passes a limit on what an import reads (422, naming rule and limit)."""

    code = "spreadsheet_too_large"

    def __init__(self, file_name: str, rule: str, limit: int, detail: str) -> None:
        super().__init__(f"{file_name} {detail}", field="file")
        self.rule = rule
        self.limit = limit


def check_workbook(file_name: str, content: bytes, limits: SpreadsheetLimits = LIMITS) -> None:
    """Refuse an XLSX file whose directory or parts pass `limits`, reading its parts as a
    stream (memory stays flat whatever they expand to)."""
    _check_entry_count(file_name, content, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _not_a_workbook(file_name, error) from None
    with archive:
        entries = archive.infolist()
        expanded = sum(entry.file_size for entry in entries)
        if expanded > limits.max_expanded_bytes:
            raise SpreadsheetTooLarge(
                file_name,
                "max_expanded_bytes",
                limits.max_expanded_bytes,
                f"expands to {expanded // MiB} MiB; a workbook may expand to at most "
                f"{limits.max_expanded_bytes // MiB} MiB",
            )
        for entry in entries:
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > _RATIO_FROM_BYTES and ratio > limits.max_compression_ratio:
                raise SpreadsheetTooLarge(
                    file_name,
                    "max_compression_ratio",
                    limits.max_compression_ratio,
                    f"has a part ({entry.filename}) compressed {ratio:.0f}:1; a workbook's "
                    f"parts may be compressed at most {limits.max_compression_ratio}:1",
                )
        budget = _Budget(file_name, limits)
        for entry in entries:
            if not entry.is_dir():
                _scan_part(archive, entry, budget)


def check_file_size(file_name: str, size: int, limit: int) -> None:
    """Refuse a file larger than `limit` bytes, before anything reads it."""
    if size > limit:
        raise SpreadsheetTooLarge(
            file_name,
            "max_file_bytes",
            limit,
            f"is {size} bytes; a file imports at most {limit // MiB} MB",
        )


def check_csv_rows(file_name: str, last_row: int, limits: SpreadsheetLimits = LIMITS) -> None:
    """Refuse a file whose rows go past the header plus `max_rows`."""
    if last_row > limits.max_rows + 1:
        raise too_many_rows(file_name, limits)


def check_columns(file_name: str, columns: int, limits: SpreadsheetLimits = LIMITS) -> None:
    if columns > limits.max_columns:
        raise SpreadsheetTooLarge(
            file_name,
            "max_columns",
            limits.max_columns,
            f"has {columns} columns; a file may have at most {limits.max_columns}",
        )


def too_many_rows(file_name: str, limits: SpreadsheetLimits) -> SpreadsheetTooLarge:
    return SpreadsheetTooLarge(
        file_name,
        "max_rows",
        limits.max_rows,
        f"has more than {limits.max_rows:,} rows under its header; import at most "
        f"{limits.max_rows:,} at a time (split the file)",
    )


# --- the zip directory -------------------------------------------------------------------

_END_OF_DIRECTORY = b"PK\x05\x06"
_MAX_COMMENT = 0xFFFF


def _check_entry_count(file_name: str, content: bytes, limits: SpreadsheetLimits) -> None:
    """Read the entry count from the end-of-directory record, before `zipfile` makes an
    object for each entry of a directory that may list hundreds of thousands."""
    end = content.rfind(_END_OF_DIRECTORY, max(0, len(content) - 22 - _MAX_COMMENT))
    if end < 0 or end + 22 > len(content):
        raise _not_a_workbook(file_name, "no zip directory")
    (entries,) = struct.unpack_from("<H", content, end + 10)
    # 0xFFFF means "see the ZIP64 record": more than a spreadsheet ever needs.
    if entries > limits.max_entries or entries == 0xFFFF:
        raise SpreadsheetTooLarge(
            file_name,
            "max_entries",
            limits.max_entries,
            f"holds {entries} zip entries; a workbook may hold at most {limits.max_entries}",
        )


def _not_a_workbook(file_name: str, error: object) -> InvalidInput:
    return InvalidInput(f"{file_name} is not an XLSX workbook: {error}", field="file")


# --- the parts, streamed -----------------------------------------------------------------

_DATA = frozenset({"sheetData", "sst"})  # where rows (of a sheet) and shared strings live
_XML_PARTS = (".xml", ".rels")


class _Budget:
    """What the parts scanned so far have used of the workbook-wide limits."""

    def __init__(self, file_name: str, limits: SpreadsheetLimits) -> None:
        self.file_name = file_name
        self.limits = limits
        self.elements = 0
        self.shared_strings = 0
        self.other = 0

    def refuse(self, rule: str, limit: int, detail: str) -> SpreadsheetTooLarge:
        return SpreadsheetTooLarge(self.file_name, rule, limit, detail)


class _PartScan:
    """expat callbacks counting one part's elements; nothing is kept."""

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self.limits = budget.limits
        self.depth = 0
        self.data_depth = 0  # the depth of the open sheetData/sst, 0 outside
        self.in_sheet = False
        self.row = 0  # the number openpyxl gives the current row
        self.item = 0  # elements inside the current row or shared string

    def start(self, name: str, attributes: dict[str, str]) -> None:
        budget, limits = self.budget, self.limits
        self.depth += 1
        budget.elements += 1
        if budget.elements > limits.max_xml_elements:
            raise budget.refuse(
                "max_xml_elements",
                limits.max_xml_elements,
                f"holds more than {limits.max_xml_elements:,} XML elements",
            )
        local = name.rpartition(" ")[2]
        if not self.data_depth:
            if local in _DATA:
                self.data_depth = self.depth
                self.in_sheet = local == "sheetData"
                return
            budget.other += 1
            if budget.other > limits.max_other_elements:
                raise budget.refuse(
                    "max_other_elements",
                    limits.max_other_elements,
                    f"holds more than {limits.max_other_elements:,} elements besides its "
                    "cells (styles, merged ranges, links)",
                )
            return
        if self.depth == self.data_depth + 1:  # a row, or a shared string
            self.item = 0
            if self.in_sheet and local == "row":
                self._row(attributes.get("r"))
            elif not self.in_sheet:
                budget.shared_strings += 1
                if budget.shared_strings > limits.max_shared_strings:
                    raise budget.refuse(
                        "max_shared_strings",
                        limits.max_shared_strings,
                        f"holds more than {limits.max_shared_strings:,} shared strings",
                    )
            return
        self.item += 1
        if self.item > limits.max_elements_per_row:
            raise budget.refuse(
                "max_elements_per_row",
                limits.max_elements_per_row,
                f"has a row or text of more than {limits.max_elements_per_row:,} XML elements",
            )

    def _row(self, number: str | None) -> None:
        # As openpyxl numbers rows: `r` when given (a float like "5.0" too), else the
        # row after the last; the rows it skips come out as blank rows.
        if number is None:
            self.row += 1
        else:
            try:
                self.row = int(float(number))
            except ValueError:
                raise _not_a_workbook(self.budget.file_name, f"row number {number!r}") from None
        if self.row > self.limits.max_rows + 1:
            raise too_many_rows(self.budget.file_name, self.limits)

    def end(self, name: str) -> None:
        if self.depth == self.data_depth:
            self.data_depth = 0
        self.depth -= 1

    def doctype(self, *_: Any) -> None:
        # Excel never writes one; a DTD is how entity expansion bombs get in.
        raise _not_a_workbook(self.budget.file_name, "a part declares a DTD")


def _scan_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: _Budget) -> None:
    scan = _PartScan(budget)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.StartDoctypeDeclHandler = scan.doctype
    try:
        with archive.open(entry) as part:
            parser.ParseFile(part)
    except expat.ExpatError as error:
        if entry.filename.endswith(_XML_PARTS):
            raise _not_a_workbook(budget.file_name, f"{entry.filename}: {error}") from None
        # Not XML (an image, a printer setting, legacy VML): openpyxl never parses it, or
        # stops at the same byte, so what was counted up to here is all it would see.
        return
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as error:
        raise _not_a_workbook(budget.file_name, error) from None
