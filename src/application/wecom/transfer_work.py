"""The transfer worker's round (WECOM-4): every tenant's transfer batches that are due
are taken in turn and moved on one step after another: unanswered calls reconciled
with WeCom's transfer results, calls of at most 100 customers sent (the resigned
endpoint for an employee who left, the on-job one otherwise), the results of waiting
customers polled until each is final (the takeover's 24 hours), customer groups handed
over within the corp's 300 a day.

Each call is claimed on the batch (a stored event) before WeCom is called, so workers
in several processes never send one call twice; a worker that dies holding a claim
leaves it to lapse, and the next one reads WeCom's results before sending again. What
WeCom answered is recorded right after; a batch changed meanwhile (the handover adding
customers) is loaded again and the answer applied to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from application.shared.clock import Clock
from application.shared.errors import ApplicationError, ProviderUnavailable, VersionConflict
from application.wecom.ports import WecomApi, WecomRateLimited, WecomRefused
from application.wecom.transfer_directory import TransferQueries
from application.wecom.wecom import Wecom
from domain.shared.errors import DomainError
from domain.wecom.transfer import CustomerTransferBatch, GroupTransferDay, Step

log = logging.getLogger("huoke.wecom.transfers")
BATCHES_PER_ROUND = 20
STEPS_PER_BATCH = 20  # then the next batch; the rest waits for the next round
CONFLICT_RETRIES = 5
MAX_RESULT_PAGES = 200


class CorpApis(Protocol):
    """The tenant's WeCom API (`WecomCorps.api_of`)."""

    def api_of(self, tenant_id: UUID) -> WecomApi: ...


class TenantZones(Protocol):
    def timezone_of(self, tenant_id: UUID) -> str:
        """The tenant's IANA timezone (Asia/Shanghai by default)."""
        ...


@dataclass
class TransferRound:
    """What one round did: `sent` calls to WeCom (transfers, result reads)."""

    batches: int = 0
    sent: int = 0

    @property
    def busy(self) -> bool:
        return self.sent > 0


class TransferWork:
    """One round over the due batches."""

    def __init__(
        self,
        wecom: Wecom,
        corps: CorpApis,
        queries: TransferQueries,
        zones: TenantZones,
        clock: Clock,
    ) -> None:
        self.wecom = wecom
        self.corps = corps
        self.queries = queries
        self.zones = zones
        self.clock = clock

    def run_once(self) -> TransferRound:
        done = TransferRound()
        for tenant_id, batch_id in self.queries.due(self.clock.now(), limit=BATCHES_PER_ROUND):
            done.batches += 1
            try:
                done.sent += self.work_on(tenant_id, batch_id)
            except Exception:  # one batch's trouble never stops the others
                log.exception("tenant %s: transfer batch %s failed this round", tenant_id, batch_id)
        return done

    def work_on(self, tenant_id: UUID, batch_id: UUID) -> int:
        """Move the batch on until nothing of it is due now; answers the WeCom calls."""
        calls = 0
        for _ in range(STEPS_PER_BATCH):
            batch = self._load(tenant_id, batch_id)
            step = batch.next_step(self.clock.now())
            if step is None:
                break
            calls += self._take(batch, step)
        return calls

    def _take(self, batch: CustomerTransferBatch, step: Step) -> int:
        if step.kind == "send":
            return self._send(batch, step.call)
        if step.kind == "reconcile":
            return self._reconcile(batch, step.call)
        if step.kind == "poll":
            return self._poll(batch)
        return self._groups(batch)

    # --- customers -----------------------------------------------------------------------

    def _send(self, batch: CustomerTransferBatch, number: int) -> int:
        now = self.clock.now()
        try:
            customers = batch.claim(number, at=now)
            self.wecom.commit(batch)
        except (VersionConflict, DomainError):
            return 0  # another worker took it, or the batch changed: look again
        attempt = batch.call(number)["attempts"]
        record: Callable[[CustomerTransferBatch, datetime], None]
        try:
            api = self.corps.api_of(batch.tenant_id)
            answers = api.transfer_customers(
                batch.handover_userid, batch.takeover_userid, customers, resigned=batch.resigned
            )
        except WecomRateLimited as error:  # WeCom did nothing: the same customers later
            message = f"{error.errcode} {error.errmsg}"
            record = _failure(number, attempt, message, answered=True)
        except WecomRefused as error:  # the whole call, for good
            code, text = error.errcode, error.errmsg

            def record(b: CustomerTransferBatch, at: datetime) -> None:
                b.refuse_call(number, attempt, code, text, at=at)
        except ProviderUnavailable as error:  # no answer: WeCom may have taken them
            record = _failure(number, attempt, str(error), answered=False)
        except ApplicationError as error:  # no corp, no plan: nothing was sent
            record = _failure(number, attempt, str(error), answered=True)
        else:
            by_customer = {a.external_userid: a.errcode for a in answers}

            def record(b: CustomerTransferBatch, at: datetime) -> None:
                b.record_answer(number, attempt, by_customer, at=at)

        self._record(batch, record)
        return 1

    def _reconcile(self, batch: CustomerTransferBatch, number: int) -> int:
        record: Callable[[CustomerTransferBatch, datetime], None]
        try:
            results = self._results(batch)
        except ApplicationError as error:
            message = str(error)

            def record(b: CustomerTransferBatch, at: datetime) -> None:
                b.reconcile_failed(number, message, at=at)
        else:

            def record(b: CustomerTransferBatch, at: datetime) -> None:
                b.reconcile(number, results, at=at)

        self._record(batch, record)
        return 1

    def _poll(self, batch: CustomerTransferBatch) -> int:
        record: Callable[[CustomerTransferBatch, datetime], None]
        try:
            results = self._results(batch)
        except ApplicationError as error:
            message = str(error)

            def record(b: CustomerTransferBatch, at: datetime) -> None:
                b.poll_failed(message, at=at)
        else:

            def record(b: CustomerTransferBatch, at: datetime) -> None:
                b.record_results(results, at=at)

        self._record(batch, record)
        return 1

    def _results(self, batch: CustomerTransferBatch) -> list[dict[str, Any]]:
        """Every page of WeCom's results of transfers between the batch's employees."""
        api = self.corps.api_of(batch.tenant_id)
        results: list[dict[str, Any]] = []
        cursor, seen = "", set()
        for _ in range(MAX_RESULT_PAGES):
            page = api.transfer_results(
                batch.handover_userid, batch.takeover_userid, cursor, resigned=batch.resigned
            )
            results += [
                {
                    "external_userid": r.external_userid,
                    "status": r.status,
                    "takeover_time": r.takeover_time,
                }
                for r in page.items
            ]
            if not page.next_cursor or page.next_cursor in seen:
                return results
            seen.add(page.next_cursor)
            cursor = page.next_cursor
        return results

    # --- groups --------------------------------------------------------------------------

    def _groups(self, batch: CustomerTransferBatch) -> int:
        now = self.clock.now()
        if batch.group_claim is not None:  # its worker is gone: the groups again
            self._record(batch, lambda b, at: b.record_group_failure("claim lapsed", at=at))
            return 0
        zone = ZoneInfo(self.zones.timezone_of(batch.tenant_id))
        local = now.astimezone(zone)
        day = local.date().isoformat()
        tomorrow = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
        budget_id = GroupTransferDay.create_id(batch.tenant_id, day)
        if budget_id in self.wecom.repository:
            budget = self.wecom.load(budget_id, GroupTransferDay, tenant_id=batch.tenant_id)
        else:
            budget = GroupTransferDay.open(tenant_id=batch.tenant_id, day=day)
        try:
            chat_ids = batch.claim_groups(budget, at=now, next_day=tomorrow)
            self.wecom.commit(batch, budget)  # the day's budget and the claim together
        except (VersionConflict, DomainError):
            return 0
        if not chat_ids:
            return 0  # the day's 300 are spent: tomorrow
        record: Callable[[CustomerTransferBatch, datetime], None]
        try:
            api = self.corps.api_of(batch.tenant_id)
            failed = api.transfer_groups(chat_ids, batch.takeover_userid, resigned=batch.resigned)
        except ApplicationError as error:
            message = str(error)

            def record(b: CustomerTransferBatch, at: datetime) -> None:
                b.record_group_failure(message, at=at)
        else:
            by_chat = {f.chat_id: f.errcode for f in failed}

            def record(b: CustomerTransferBatch, at: datetime) -> None:
                b.record_group_answer(by_chat, at=at)

        self._record(batch, record)
        return 1

    # --- storing -------------------------------------------------------------------------

    def _record(
        self,
        batch: CustomerTransferBatch,
        record: Callable[[CustomerTransferBatch, datetime], None],
    ) -> None:
        """Apply what WeCom answered and store it; on a conflict (the batch changed
        meanwhile) load it again and apply it there."""
        for _ in range(CONFLICT_RETRIES):
            try:
                record(batch, self.clock.now())
            except DomainError as error:  # the claim lapsed and someone else went on
                log.warning("transfer batch %s: %s", batch.id, error)
                return
            try:
                self.wecom.commit(batch)
                return
            except VersionConflict:
                batch = self._load(batch.tenant_id, batch.id)
        raise VersionConflict(f"transfer batch {batch.id} kept changing")

    def _load(self, tenant_id: UUID, batch_id: UUID) -> CustomerTransferBatch:
        return self.wecom.load(batch_id, CustomerTransferBatch, tenant_id=tenant_id)


def _failure(
    number: int, attempt: int, message: str, *, answered: bool
) -> Callable[[CustomerTransferBatch, datetime], None]:
    def record(batch: CustomerTransferBatch, at: datetime) -> None:
        batch.record_failure(number, attempt, message, answered=answered, at=at)

    return record
