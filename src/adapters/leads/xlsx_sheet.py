"""Spreadsheets as XLSX with openpyxl's write-only workbook: rows stream to the file,
so a large export never holds every cell in memory at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from application.leads.export import CellValue

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XlsxSheetWriter:
    media_type = XLSX
    extension = "xlsx"

    def write(
        self,
        title: str,
        header: Sequence[str],
        rows: Iterable[Sequence[CellValue]],
        target: BinaryIO,
    ) -> None:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append([_storable(value) for value in row])
        workbook.save(target)


def _storable(value: CellValue) -> CellValue:
    """XML cannot carry most control characters: they are dropped, not refused."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
