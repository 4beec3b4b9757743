"""Intake at scale (LEAD-3): a pasted list of up to 500 mobiles/e-mails, and imports of
CSV/XLSX files with a column mapping.

An import is a `LeadImport` aggregate in the leads event store. Rows are applied in
batches (500 by default); each batch's new and changed leads, their identity claims and
the import's `BatchApplied` event (every row's outcome) commit in one transaction, so a
crash never leaves applied rows undocumented, and `resume` continues after the last
applied batch. Which identities already exist is asked of the read model in one query
per batch; the read model may lag, the event store decides: a batch that conflicts is
matched again row by row against the event store and committed again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal, Protocol
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from pydantic import BaseModel, Field, ValidationError

from application.leads.commands import LeadInput
from application.leads.intake import IntakeBatch, Offer, OnMatch, claim_ids, offer_from
from application.leads.leads import Leads
from application.leads.spreadsheet_limits import check_file_size
from application.leads.spreadsheets import Cell, Table, read_table
from application.shared.commands import Command
from application.shared.errors import ApplicationError, InvalidInput, VersionConflict
from application.shared.pages import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor
from domain.leads.identity import IdentityKind
from domain.leads.lead_import import (
    CUSTOM_PREFIX,
    REQUIRED_ANY,
    SOURCE_PREFIX,
    LeadImport,
    RowResult,
)
from domain.shared.errors import DomainError

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PASTE_LINES = 500
BATCH_ROWS = 500
CONFLICT_RETRIES = 3
# A cell a spreadsheet would run as a formula when the data is opened again (OWASP "CSV
# injection"): kept as the text it is, and flagged on the row.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RowOutcome = Literal["created", "updated", "duplicate", "rejected"]
IDENTITY_FIELDS = frozenset(kind.value for kind in IdentityKind)
log = logging.getLogger("huoke.leads.imports")


# --- ports -------------------------------------------------------------------------------


class ClaimIndex(Protocol):
    """Which identity index ids are (probably) stored: the leads read model answers in one
    query per batch, so only those claims are loaded; it may lag behind the store."""

    def claimed(self, tenant_id: UUID, claim_ids: Any) -> set[UUID]: ...


class DuplicateSink(Protocol):
    """Where a person goes who is already a lead when "update existing" is off: the
    cleaning queue (LEAD-4, `DuplicateCases.duplicate_found`). Called after the batch
    holding the row has committed; the row is also recorded in the import's
    `BatchApplied` event (outcome `duplicate`, the matched lead, the offered values), so a
    queue can be rebuilt from the events if a call is lost."""

    def duplicate_found(self, tenant_id: UUID, offer: Offer) -> object: ...


class NoCleaningQueue:
    """Duplicates are only recorded in the import (tests, or no queue wired)."""

    def duplicate_found(self, tenant_id: UUID, offer: Offer) -> object:
        return None


# --- commands and answers ----------------------------------------------------------------


class PasteLeads(Command):
    """Mobiles and/or e-mail addresses, one a line (`text`) or as a list (`lines`)."""

    text: str | None = Field(default=None, max_length=64_000, examples=["13800138000\nli@a.cn"])
    lines: list[str] | None = Field(default=None, max_length=MAX_PASTE_LINES)
    source: dict[str, str | None] = Field(default_factory=dict, max_length=20)
    update_existing: bool = False


class PastedLine(BaseModel):
    line: int = Field(description="1-based line of the pasted text (or index in `lines`)")
    value: str
    outcome: RowOutcome
    lead_id: UUID | None
    reason: str | None = None
    field: str | None = None


class PasteResult(BaseModel):
    counts: dict[str, int]
    results: list[PastedLine]


class ImportOptions(Command):
    """How to read a file: column header → lead field (`mobile`, `email`, `name`,
    `company`…, `custom:<key>`, `source.level1`…), whether to update leads that already
    exist (otherwise they are reported as duplicates), and a source for every row."""

    mapping: dict[str, str] = Field(min_length=1, max_length=200)
    update_existing: bool = False
    source: dict[str, str] = Field(default_factory=dict, max_length=20)


class ImportRow(BaseModel):
    row: int = Field(description="the row number a spreadsheet shows (header = 1)")
    outcome: RowOutcome
    lead_id: UUID | None = Field(description="created, updated, or the duplicate's match")
    reason: str | None = None
    field: str | None = None
    flagged: list[str] = Field(
        default_factory=list, description="fields whose text starts like a formula"
    )


class LeadImportDetails(BaseModel):
    id: UUID
    file_name: str
    size: int
    status: Literal["running", "completed", "failed"]
    mapping: dict[str, str]
    update_existing: bool
    counts: dict[str, int]
    rows: int = Field(description="rows applied so far")
    applied_through_row: int
    failure: str | None
    version: int
    results: list[ImportRow] = Field(description="one page of per-row results")
    next_cursor: str | None


def import_details(
    lead_import: LeadImport, results: list[ImportRow], next_cursor: str | None
) -> LeadImportDetails:
    return LeadImportDetails(
        id=lead_import.id,
        file_name=lead_import.file_name,
        size=lead_import.size,
        status=lead_import.status,  # type: ignore[arg-type]
        mapping=dict(lead_import.mapping),
        update_existing=lead_import.update_existing,
        counts=dict(lead_import.counts),
        rows=lead_import.rows,
        applied_through_row=lead_import.applied_through,
        failure=lead_import.failure,
        version=lead_import.version,
        results=results,
        next_cursor=next_cursor,
    )


# --- rows into offers --------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    reason: str
    field: str | None


def row_offer(cells: dict[str, Cell], source: dict[str, str]) -> tuple[Offer | Refusal, list[str]]:
    """One row (lead field → cell text) as a normalised offer, or why it is refused; plus
    the fields whose text starts like a formula (stored as text, flagged)."""
    values: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    row_source: dict[str, str | None] = dict(source)
    flagged: list[str] = []
    for target, cell in cells.items():
        if cell is None:
            continue
        if target not in IDENTITY_FIELDS and cell.startswith(FORMULA_STARTS):
            flagged.append(target)
        if target.startswith(CUSTOM_PREFIX):
            custom[target[len(CUSTOM_PREFIX) :]] = cell
        elif target.startswith(SOURCE_PREFIX):
            row_source[target[len(SOURCE_PREFIX) :]] = cell
        else:
            values[target] = cell
    if not any(values.get(kind) for kind in REQUIRED_ANY):
        return Refusal("missing identity: at least one of mobile/email", "mobile"), flagged
    try:
        offer = offer_from(LeadInput(**values, custom=custom, source=row_source))
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or None
        return Refusal(f"{field}: {problem['msg']}", field), flagged
    except (InvalidInput, DomainError) as refused:
        return Refusal(refused.message, getattr(refused, "field", None)), flagged
    return offer, flagged


def _offer_dict(offer: Offer) -> dict[str, Any]:
    return {
        "identities": [dict(i) for i in offer.identities],
        "profile": dict(offer.profile),
        "custom": dict(offer.custom),
        "source": dict(offer.source),
    }


# --- the use cases -----------------------------------------------------------------------


# Told the import id once it is stored, then after each batch: rows applied so far, and
# about how many rows the file has (None if unknown).
Progress = Callable[[UUID, int, int | None], None]


class LeadImports:
    """Pasted lists and file imports into the leads, in batches (LEAD-3)."""

    def __init__(
        self,
        leads: Leads,
        claims: ClaimIndex,
        *,
        duplicates: DuplicateSink | None = None,
        batch_rows: int = BATCH_ROWS,
        max_file_bytes: int = MAX_FILE_BYTES,
        read: Callable[[str, bytes], Table] = read_table,
    ) -> None:
        self.leads = leads
        self.claims = claims
        self.duplicates = duplicates or NoCleaningQueue()
        self.batch_rows = batch_rows
        self.max_file_bytes = max_file_bytes
        self.read = read

    # --- paste ---------------------------------------------------------------------------

    def paste(self, tenant_id: UUID, command: PasteLeads) -> PasteResult:
        """Up to 500 mobiles/e-mails, each created, updated (with `update_existing`),
        reported as a duplicate or rejected with its reason; bad lines never block good
        ones. All good lines commit together."""
        if (command.text is None) == (command.lines is None):
            raise InvalidInput("send either text or lines", field="text")
        raw = command.text.splitlines() if command.text is not None else list(command.lines or [])
        entries = [(number, value.strip()) for number, value in enumerate(raw, 1) if value.strip()]
        if len(entries) > MAX_PASTE_LINES:
            raise InvalidInput(f"paste at most {MAX_PASTE_LINES} lines at once", field="text")
        source = {k: v for k, v in command.source.items() if v}
        parsed: list[tuple[int, str, Offer | Refusal]] = []
        for number, value in entries:
            kind = IdentityKind.EMAIL.value if "@" in value else IdentityKind.MOBILE.value
            offer, _ = row_offer({kind: value}, source)
            parsed.append((number, value, offer))
        results, duplicates = self._apply(
            tenant_id,
            [(number, offer) for number, _, offer in parsed],
            update_existing=command.update_existing,
            new_lead_id=lambda _: uuid4(),
        )
        lines = [
            PastedLine(
                line=number,
                value=value,
                outcome=result["outcome"],
                lead_id=result.get("lead_id"),
                reason=result.get("reason"),
                field=result.get("field"),
            )
            for (number, value, _), result in zip(parsed, results, strict=True)
        ]
        self._report(tenant_id, duplicates)
        counts = {outcome: 0 for outcome in ("created", "updated", "duplicate", "rejected")}
        for line in lines:
            counts[line.outcome] += 1
        return PasteResult(counts=counts, results=lines)

    # --- imports -------------------------------------------------------------------------

    def start(
        self,
        tenant_id: UUID,
        file_name: str,
        content: bytes,
        options: ImportOptions,
        *,
        progress: Progress | None = None,
    ) -> LeadImportDetails:
        """Import a CSV or XLSX file (at most 5 MB) and answer what became of its rows.
        The file is refused as a whole (422, naming it) when it is too large, unreadable,
        or the mapping names a column it lacks; single bad rows are rejected and reported."""
        table = self._table(file_name, content)
        lead_import = LeadImport.start(
            import_id=self.leads.new_id(f"lead-import:{tenant_id}"),
            tenant_id=tenant_id,
            file_name=file_name,
            size=len(content),
            content_hash=_digest(content),
            columns=table.columns,
            mapping=dict(options.mapping),
            update_existing=options.update_existing,
            source={k: v for k, v in options.source.items() if v},
        )
        stored = self.leads.create(lead_import)
        if stored is not lead_import:  # a repeated request (Idempotency-Key): no second run
            return self.details(tenant_id, stored.id)
        if progress:
            progress(lead_import.id, 0, table.rows_hint)
        return self._run(lead_import, table, progress)

    def resume(
        self,
        tenant_id: UUID,
        import_id: UUID,
        content: bytes,
        *,
        progress: Progress | None = None,
    ) -> LeadImportDetails:
        """Continue a failed or interrupted import after its last applied row; the file
        must be the one it started with (same content)."""
        lead_import = self.leads.load(import_id, LeadImport, tenant_id=tenant_id)
        self._check_size(lead_import.file_name, content)
        lead_import.resume(_digest(content))
        table = self.read(lead_import.file_name, content)
        self.leads.commit(lead_import)
        return self._run(lead_import, table, progress)

    def details(
        self,
        tenant_id: UUID,
        import_id: UUID,
        *,
        outcome: RowOutcome | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> LeadImportDetails:
        """Status, counts and one page of per-row results (optionally of one outcome),
        read from the import itself, so they are never behind what was applied."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
        lead_import = self.leads.load(import_id, LeadImport, tenant_id=tenant_id)
        return _page(lead_import, outcome=outcome, cursor=cursor, limit=limit)

    # --- how an import runs --------------------------------------------------------------

    def _check_size(self, file_name: str, content: bytes) -> None:
        check_file_size(file_name, len(content), self.max_file_bytes)

    def _table(self, file_name: str, content: bytes) -> Table:
        self._check_size(file_name, content)
        return self.read(file_name, content)

    def _run(
        self, lead_import: LeadImport, table: Table, progress: Progress | None
    ) -> LeadImportDetails:
        tenant_id = lead_import.tenant_id
        positions = {column: i for i, column in enumerate(table.columns)}
        targets = [(positions[column], target) for column, target in lead_import.mapping.items()]
        known: set[UUID] = set()  # claims this run committed: the read model may not have them
        read = lead_import.rows
        try:
            for batch in _batches(table.rows, lead_import.applied_through, self.batch_rows):
                offers = []
                for number, cells in batch:
                    picked = {t: (cells[i] if i < len(cells) else None) for i, t in targets}
                    offer, flagged = row_offer(picked, lead_import.source)
                    offers.append((number, offer, flagged))
                lead_import = self._apply_batch(lead_import, offers, known)
                read += len(batch)
                if progress:
                    progress(lead_import.id, read, table.rows_hint)
        except InvalidInput as unreadable:  # the file breaks off (a corrupt row, bad bytes)
            lead_import = self.leads.load(lead_import.id, LeadImport, tenant_id=tenant_id)
            lead_import.fail(unreadable.message)
            self.leads.commit(lead_import)
            return _page(lead_import)
        except VersionConflict:
            raise  # another run of this import is ahead: it is not ours to mark failed
        except BaseException as error:
            self._record_failure(lead_import, error)
            raise
        lead_import.complete()
        self.leads.commit(lead_import)
        return _page(lead_import)

    def _apply_batch(
        self,
        lead_import: LeadImport,
        offers: list[tuple[int, Offer | Refusal, list[str]]],
        known: set[UUID],
    ) -> LeadImport:
        """Apply one batch and record it on the import, in one transaction; answers the
        import as stored after it."""
        first_row, last_row = offers[0][0], offers[-1][0]
        import_id, tenant_id = lead_import.id, lead_import.tenant_id

        def lead_id_for(row: int) -> UUID:  # a redone row collides instead of duplicating
            return uuid5(NAMESPACE_URL, f"/huoke/lead-imports/{import_id}/rows/{row}")

        for attempt in range(CONFLICT_RETRIES + 1):
            results, batch, duplicates = self._match(
                tenant_id,
                [(number, offer) for number, offer, _ in offers],
                update_existing=lead_import.update_existing,
                new_lead_id=lead_id_for,
                known_claims=known if attempt == 0 else None,
            )
            for result, (_, _, flagged) in zip(results, offers, strict=True):
                if flagged:
                    result["flagged"] = flagged
            version = lead_import.version
            lead_import.apply_batch(first_row, last_row, results)
            try:
                self.leads.commit(*batch.aggregates(), lead_import)
            except VersionConflict:
                # Someone claimed one of these identities since we looked (or the read
                # model lagged): match again against the event store itself.
                lead_import = self.leads.load(import_id, LeadImport, tenant_id=tenant_id)
                if lead_import.version != version:
                    raise VersionConflict("the import is being run elsewhere") from None
                continue
            known.update(batch.claims)  # stored now, whatever the read model says
            self._report(tenant_id, duplicates)
            return lead_import
        raise VersionConflict(f"rows {first_row}-{last_row} kept conflicting; resume the import")

    def _apply(
        self,
        tenant_id: UUID,
        offers: list[tuple[int, Offer | Refusal]],
        *,
        update_existing: bool,
        new_lead_id: Callable[[int], UUID],
    ) -> tuple[list[RowResult], list[Offer]]:
        """Match and commit offers that need no import record (a paste)."""
        known: set[UUID] | None = set()
        for _ in range(CONFLICT_RETRIES + 1):
            results, batch, duplicates = self._match(
                tenant_id,
                offers,
                update_existing=update_existing,
                new_lead_id=new_lead_id,
                known_claims=known,
            )
            try:
                self.leads.commit(*batch.aggregates())
            except VersionConflict:
                known = None  # ask the event store for every claim this time
                continue
            return results, duplicates
        raise VersionConflict("these people were being changed concurrently; retry")

    def _match(
        self,
        tenant_id: UUID,
        offers: list[tuple[int, Offer | Refusal]],
        *,
        update_existing: bool,
        new_lead_id: Callable[[int], UUID],
        known_claims: set[UUID] | None,
    ) -> tuple[list[RowResult], IntakeBatch, list[Offer]]:
        """Offer every good row to one intake batch; `known_claims` adds the read model's
        answer (None: ask the event store for each claim)."""
        good = [offer for _, offer in offers if isinstance(offer, Offer)]
        if known_claims is not None:
            known_claims = known_claims | self.claims.claimed(tenant_id, claim_ids(tenant_id, good))
        current = [0]
        batch = IntakeBatch(
            tenant_id,
            self.leads.repository,
            lambda: new_lead_id(current[0]),
            on_match=OnMatch.UPDATE if update_existing else OnMatch.REPORT,
            known_claims=known_claims,
            rules=self.leads.rules.for_tenant(tenant_id),
        )
        results: list[RowResult] = []
        duplicates: list[Offer] = []
        for number, offer in offers:
            if isinstance(offer, Refusal):
                results.append(_rejected(number, offer))
                continue
            current[0] = number
            try:
                outcome, lead = batch.offer(offer)
            except (DomainError, ApplicationError) as refused:
                message = getattr(refused, "message", str(refused))
                results.append(_rejected(number, Refusal(message, getattr(refused, "field", None))))
                continue
            result: RowResult = {"row": number, "outcome": outcome, "lead_id": str(lead.id)}
            if outcome == "duplicate":
                result["offer"] = _offer_dict(offer)
                duplicates.append(offer)
            results.append(result)
        return results, batch, duplicates

    def _report(self, tenant_id: UUID, duplicates: list[Offer]) -> None:
        """Hand committed duplicates to the cleaning queue; one it cannot take stays
        recorded in the import (or paste answer) and is logged."""
        for offer in duplicates:
            try:
                self.duplicates.duplicate_found(tenant_id, offer)
            except Exception:
                log.exception("the cleaning queue refused a duplicate of tenant %s", tenant_id)

    def _record_failure(self, lead_import: LeadImport, error: BaseException) -> None:
        """Best effort: mark the import failed so it shows as stopped (a process that
        dies outright leaves it `running`; both resume the same way)."""
        try:
            fresh = self.leads.load(lead_import.id, LeadImport, tenant_id=lead_import.tenant_id)
            fresh.fail(f"interrupted: {type(error).__name__}")
            self.leads.commit(fresh)
        except Exception:  # the store may be what failed; the original error matters more
            log.exception("could not mark lead import %s failed", lead_import.id)


def _batches(
    rows: Iterator[tuple[int, list[Cell]]], after_row: int, size: int
) -> Iterator[list[tuple[int, list[Cell]]]]:
    """Non-blank rows after `after_row`, `size` at a time."""
    batch: list[tuple[int, list[Cell]]] = []
    for number, cells in rows:
        if number <= after_row or not any(cells):
            continue
        batch.append((number, cells))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _page(
    lead_import: LeadImport,
    *,
    outcome: RowOutcome | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> LeadImportDetails:
    """The import with one page of its row results, keyed by row number."""
    after = int(decode_cursor(cursor, width=1)[0]) if cursor else 0
    chosen = (
        r
        for r in lead_import.results
        if r["row"] > after and (outcome is None or r["outcome"] == outcome)
    )
    page = list(islice(chosen, limit + 1))
    next_cursor = encode_cursor([page[limit - 1]["row"]]) if len(page) > limit else None
    return import_details(lead_import, [_import_row(r) for r in page[:limit]], next_cursor)


def _rejected(row: int, refusal: Refusal) -> RowResult:
    return {
        "row": row,
        "outcome": "rejected",
        "lead_id": None,
        "reason": refusal.reason,
        "field": refusal.field,
    }


def _import_row(result: RowResult) -> ImportRow:
    return ImportRow(
        row=result["row"],
        outcome=result["outcome"],
        lead_id=result.get("lead_id"),
        reason=result.get("reason"),
        field=result.get("field"),
        flagged=list(result.get("flagged") or []),
    )


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
