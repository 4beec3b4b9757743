"""Export the leads a list filter selects to a spreadsheet, inside the caller's data
scope (LEAD-10, ORG-2).

Lead fields are typed by strangers (forms, imports), so a cell that a spreadsheet
would read as a formula (`=`, `+`, `-`, `@` first, also after spaces or a tab) is
written with a leading apostrophe: opening the file never runs what a visitor typed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from application.leads.queries import LeadFilter, where_clause
from application.leads.scope import CallerOrScope, ScopedLeads
from application.leads.selection import LeadSelection
from application.shared.clock import Clock
from application.shared.errors import InvalidInput

MAX_EXPORT_ROWS = 100_000  # one synchronous download; narrower filters beyond that
CellValue = str | int | float | None

COLUMNS: tuple[tuple[str, str], ...] = (
    ("lead_id", "id"),
    ("name", "name"),
    ("mobile", "mobile"),
    ("email", "email"),
    ("company", "company"),
    ("title", "title"),
    ("city", "city"),
    ("status", "status"),
    ("pool_state", "pool state"),
    ("owner_id", "owner id"),
    ("source_level1", "source"),
    ("source_level2", "source detail"),
    ("tags", "tags"),
    ("user_type", "user type"),
    ("created_at", "created at (UTC)"),
    ("updated_at", "updated at (UTC)"),
)

_FORMULA_START = ("=", "+", "-", "@")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")  # e.g. an E.164 mobile: computes nothing


class SheetWriter(Protocol):
    """Writes one sheet of rows as a spreadsheet file (XLSX in production)."""

    media_type: str
    extension: str

    def write(
        self,
        title: str,
        header: Sequence[str],
        rows: Iterable[Sequence[CellValue]],
        target: BinaryIO,
    ) -> None: ...


@dataclass(frozen=True)
class ExportedSheet:
    filename: str
    media_type: str
    content: bytes
    rows: int


def safe_cell(value: CellValue) -> CellValue:
    """The value as a spreadsheet must show it: text a spreadsheet would evaluate gets a
    leading apostrophe; numbers and plain numeric text are left alone."""
    if not isinstance(value, str):
        return value
    start = value.lstrip(" \t\r\n")
    if start.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    if value[:1] in ("\t", "\r"):  # a cell that opens with a control character
        return "'" + value
    return value


class LeadExport:
    """Builds the spreadsheet of the leads a filter selects."""

    def __init__(
        self, leads: ScopedLeads, selection: LeadSelection, sheet: SheetWriter, clock: Clock
    ) -> None:
        self.leads = leads
        self.selection = selection
        self.sheet = sheet
        self.clock = clock

    def export(self, who: CallerOrScope, found: LeadFilter) -> ExportedSheet:
        """Every live lead matching `found` inside the caller's data scope, newest first;
        refused beyond `MAX_EXPORT_ROWS` (narrow the filter)."""
        scope = self.leads.scope_of(who)
        where, params = where_clause(scope, found)
        counted = self.selection.view.rows(
            f"SELECT COUNT(*) AS n FROM leads_leads WHERE {where}", params
        )
        total = int(counted[0]["n"])
        if total > MAX_EXPORT_ROWS:
            raise InvalidInput(
                f"{total} leads match; export at most {MAX_EXPORT_ROWS} at a time "
                "(narrow the filter, e.g. created_from / created_to)",
                field="created_from",
            )
        rows = (
            [safe_cell(_cell(row, column)) for column, _ in COLUMNS]
            for row in self.selection.rows(scope, found)
        )
        target = io.BytesIO()
        self.sheet.write("leads", [title for _, title in COLUMNS], rows, target)
        stamp = self.clock.now().strftime("%Y%m%d-%H%M%S")
        return ExportedSheet(
            filename=f"leads-{stamp}.{self.sheet.extension}",
            media_type=self.sheet.media_type,
            content=target.getvalue(),
            rows=total,
        )


def _cell(row: dict[str, object], column: str) -> CellValue:
    value = row[column]
    if column == "tags":
        return ", ".join(tag for tag in str(value).split(",") if tag)
    return value if isinstance(value, str | int | float) or value is None else str(value)
