"""An import of leads from a spreadsheet (LEAD-3): which file, how its columns map to lead
fields, and what became of every row, batch by batch.

Each batch's leads are committed in the same transaction as the batch's `BatchApplied`
event, so an import that stops half way (a crash, a bad file) documents exactly the rows
it applied, and resuming it continues after the last applied row.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.leads.identity import IdentityKind
from domain.leads.lead import BASE_FIELDS, SOURCE_FIELDS
from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

OUTCOMES = ("created", "updated", "duplicate", "rejected")
CUSTOM_PREFIX = "custom:"
SOURCE_PREFIX = "source."
MAX_COLUMNS = 200
MAX_FIELD_KEY = 64
# A person needs one of these to be a lead at all (LEAD-3).
REQUIRED_ANY = (IdentityKind.MOBILE.value, IdentityKind.EMAIL.value)
RowResult = dict[str, Any]


class ImportStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


def mapping_target(target: str, *, column: str) -> str:
    """A lead field a column may fill: an identity (mobile, email…), a base profile field,
    `custom:<key>` or `source.<key>` (level1, level2, utm_…)."""
    field = f"mapping.{column}"
    target = target.strip()
    if target in IdentityKind.__members__.values() or target in BASE_FIELDS:
        return target
    if target.startswith(CUSTOM_PREFIX):
        key = target[len(CUSTOM_PREFIX) :].strip()
        if not key or len(key) > MAX_FIELD_KEY:
            raise InvalidValue(
                f"custom field key must be 1 to {MAX_FIELD_KEY} characters", field=field
            )
        return CUSTOM_PREFIX + key
    if target.startswith(SOURCE_PREFIX) and target[len(SOURCE_PREFIX) :] in SOURCE_FIELDS:
        return target
    raise InvalidValue(f"{target!r} is not a lead field a column can fill", field=field)


class LeadImport(Aggregate):
    """One file offered to the leads, and the outcome of each of its rows."""

    TOPIC = "leads.LeadImport"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Started: ClassVar[type[AggregateEvent]]
        BatchApplied: ClassVar[type[AggregateEvent]]
        Completed: ClassVar[type[AggregateEvent]]
        Failed: ClassVar[type[AggregateEvent]]
        Resumed: ClassVar[type[AggregateEvent]]

    @classmethod
    def start(
        cls,
        *,
        import_id: UUID,
        tenant_id: UUID,
        file_name: str,
        size: int,
        content_hash: str,
        columns: list[str],
        mapping: dict[str, str],
        update_existing: bool,
        source: dict[str, str],
    ) -> LeadImport:
        """Refuses a mapping that names a column the file lacks, a field no column can
        fill, a field filled twice, or no mobile/e-mail column at all."""
        file_name = required_text(file_name, field="file_name", max_length=255)
        if size < 0:
            raise InvalidValue("size cannot be negative", field="size")
        if len(columns) > MAX_COLUMNS:
            raise InvalidValue(f"a file has at most {MAX_COLUMNS} columns", field="file")
        if not mapping:
            raise InvalidValue("map at least one column to a lead field", field="mapping")
        targets: dict[str, str] = {}
        for column, target in mapping.items():
            if column not in columns:
                raise InvalidValue(f"the file has no column {column!r}", field=f"mapping.{column}")
            checked = mapping_target(target, column=column)
            if checked in targets.values():
                raise InvalidValue(f"{checked} is mapped twice", field=f"mapping.{column}")
            targets[column] = checked
        if not any(target in REQUIRED_ANY for target in targets.values()):
            raise InvalidValue("map a column to mobile or email", field="mapping")
        return cls(
            id=import_id,
            tenant_id=tenant_id,
            file_name=file_name,
            size=size,
            content_hash=content_hash,
            columns=list(columns),
            mapping=targets,
            update_existing=update_existing,
            source=dict(source),
        )

    @event("Started", topic="leads.LeadImport.Started")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        file_name: str,
        size: int,
        content_hash: str,
        columns: list[str],
        mapping: dict[str, str],
        update_existing: bool,
        source: dict[str, str],
    ) -> None:
        self.tenant_id = tenant_id
        self.file_name = file_name
        self.size = size
        self.content_hash = content_hash
        self.columns = list(columns)
        self.mapping = dict(mapping)
        self.update_existing = update_existing
        self.source = dict(source)
        self.status = ImportStatus.RUNNING.value
        self.applied_through = 0  # the last row number applied (rows count from 1)
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.results: list[RowResult] = []
        self.failure: str | None = None

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def apply_batch(self, first_row: int, last_row: int, results: list[RowResult]) -> None:
        """Record the outcome of rows `first_row`…`last_row` (blank rows have none); the
        caller commits it with the leads the batch created or changed."""
        self._require_running()
        if first_row <= self.applied_through:
            raise StateConflict(f"rows up to {self.applied_through} are already applied")
        if last_row < first_row:
            raise InvalidValue("last_row comes before first_row", field="last_row")
        previous = first_row - 1
        for result in results:
            row = result.get("row")
            if not isinstance(row, int) or not previous < row <= last_row:
                raise InvalidValue(f"row {row} is out of order or outside the batch", field="row")
            if result.get("outcome") not in OUTCOMES:
                raise InvalidValue(f"unknown outcome {result.get('outcome')!r}", field="outcome")
            previous = row
        counts = Counter(str(result["outcome"]) for result in results)
        self._batch_applied(
            first_row=first_row,
            last_row=last_row,
            counts={outcome: counts[outcome] for outcome in OUTCOMES},
            results=[dict(result) for result in results],
        )

    @event("BatchApplied", topic="leads.LeadImport.BatchApplied")
    def _batch_applied(
        self, first_row: int, last_row: int, counts: dict[str, int], results: list[RowResult]
    ) -> None:
        self.applied_through = last_row
        for outcome, count in counts.items():
            self.counts[outcome] = self.counts.get(outcome, 0) + count
        self.results.extend(results)

    def complete(self) -> None:
        """Every row of the file is applied."""
        self._require_running()
        self._completed(rows=self.rows)

    @event("Completed", topic="leads.LeadImport.Completed")
    def _completed(self, rows: int) -> None:
        self.status = ImportStatus.COMPLETED.value

    def fail(self, reason: str) -> None:
        """The import stopped before the end (an unreadable row, a crash); the rows
        applied so far stay, and `resume` continues after them."""
        self._require_running()
        self._failed(reason=required_text(reason, field="reason", max_length=500))

    @event("Failed", topic="leads.LeadImport.Failed")
    def _failed(self, reason: str) -> None:
        self.status = ImportStatus.FAILED.value
        self.failure = reason

    def resume(self, content_hash: str) -> None:
        """Continue a failed or interrupted import with the same file (same content)."""
        if self.status == ImportStatus.COMPLETED:
            raise StateConflict("the import is already complete")
        if content_hash != self.content_hash:
            raise InvalidValue("this is not the file the import started with", field="file")
        self._resumed(after_row=self.applied_through)

    @event("Resumed", topic="leads.LeadImport.Resumed")
    def _resumed(self, after_row: int) -> None:
        self.status = ImportStatus.RUNNING.value
        self.failure = None

    def _require_running(self) -> None:
        if self.status != ImportStatus.RUNNING:
            raise StateConflict(f"the import is {self.status}")
