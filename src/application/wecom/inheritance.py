"""Customer inheritance (客户继承, WECOM-4 with ORG-3): an employee's WeCom customers
handed to another employee through WeCom, recorded as transfer batches
(`domain.wecom.transfer`) that the worker (`transfer_work`) sends and follows.

Two ways in, both driven by the ORG-3 handover screen:

- the leads' handover: each lead handed over (`leads.Lead.HandedOver`, followed by
  `HandoverTransfers`) whose lead is a WeCom customer (identity
  `wecom_external_userid`) joins the batch of its handover request, from the old
  owner's WeCom member to the new owner's (离职继承 when the old owner left, else
  在职继承); a lead released to the pool moves nothing in WeCom;
- the explicit command: every active WeCom customer of the employee's member (the
  customer directory), and for an employee who left their customer groups, to the
  employee named.

Employees are WeCom members through the member directory; a customer already queued
or waiting in an unfinished batch from the same employee is not named again. What a
caller sees of the batches is narrowed to their data scope (ORG-2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.callers import TenantCaller
from application.shared.clock import Clock
from application.shared.commands import Command
from application.shared.errors import InvalidInput, NotFound, VersionConflict
from application.shared.pages import Page
from application.wecom.customer_directory import CustomerQueries
from application.wecom.member_directory import MemberQueries
from application.wecom.transfer_directory import TransferQueries
from application.wecom.wecom import Wecom
from domain.wecom.transfer import (
    MAX_CUSTOMERS,
    CustomerTransferBatch,
    Origin,
    batch_id_for,
)

log = logging.getLogger("huoke.wecom.inheritance")
CONFLICT_RETRIES = 5
PAGE = 100
LEFT = 5  # WeCom's member status: left the corp
LEAVING = "leaving"  # the leads' handover kind for an owner who left (离职继承)
TransferKind = Literal["resigned", "on_job"]
CustomerOutcome = Literal["queued", "waiting", "succeeded", "failed"]


class LeadCustomers(Protocol):
    """The leads context as inheritance needs it (implemented over the leads
    application in the composition root)."""

    def customer_of_lead(self, tenant_id: UUID, lead_id: UUID) -> str | None:
        """The WeCom external_userid the lead holds (identity wecom_external_userid)."""
        ...

    def lead_of_customer(self, tenant_id: UUID, external_userid: str) -> UUID | None:
        """The lead holding the customer's external_userid, if any."""
        ...


class Scoping(Protocol):
    """Whose WeCom customers a caller sees (the customers' own scoping)."""

    def scope(self, caller: TenantCaller) -> list[str] | None:
        """The userids of the members whose customers the caller sees; None: all."""
        ...


class StartTransfer(Command):
    """Move the employee's WeCom customers to `to_employee_id` (ORG-3 through WeCom)."""

    employee_id: UUID = Field(description="whose WeCom customers move (left or still employed)")
    to_employee_id: UUID = Field(description="the current employee who takes the customers")
    reason: str = Field(min_length=1, max_length=500, examples=["离职交接"])
    include_groups: bool = Field(
        default=True,
        description="also hand over the customer groups the employee owns (离职继承 only)",
    )


class TransferBatchDetails(BaseModel):
    """A transfer batch and its progress: customers per outcome (queued: not yet
    accepted by WeCom; waiting: 等待接替, the takeover's 24 hours run)."""

    id: UUID
    handover_userid: str
    handover_name: str
    takeover_userid: str = Field(description='"" when the target has no WeCom member')
    takeover_name: str
    from_employee_id: UUID | None
    to_employee_id: UUID | None
    kind: TransferKind = Field(description="resigned (离职继承) or on_job (在职继承)")
    reason: str
    origin: str = Field(description="handover (the leads' handover) or command")
    started_at: datetime
    updated_at: datetime
    done: bool
    calls: int
    total: int
    queued: int
    waiting: int
    succeeded: int
    failed: int
    groups_total: int
    groups_succeeded: int
    groups_failed: int


class TransferCustomerDetails(BaseModel):
    """One customer of a batch. `reason` (when failed): wecom_refused (WeCom's `errcode`
    refused them), customer_refused, takeover_at_limit, no_record, no_result,
    wecom_unavailable, no_takeover_member. `wecom_status` is WeCom's transfer status
    (1 taken over, 2 waiting, 3 refused, 4 at the limit, 5 no record)."""

    external_userid: str
    name: str = Field(description="the customer's WeCom name, as the customer directory has it")
    lead_id: UUID | None
    call: int
    state: CustomerOutcome
    reason: str
    errcode: int
    wecom_status: int | None
    updated_at: datetime


class TransferGroupDetails(BaseModel):
    chat_id: str
    state: CustomerOutcome
    reason: str
    errcode: int
    updated_at: datetime


class CustomerInheritance:
    """Starts transfer batches and reads them."""

    def __init__(
        self,
        wecom: Wecom,
        members: MemberQueries,
        customers: CustomerQueries,
        leads: LeadCustomers,
        queries: TransferQueries,
        scoping: Scoping,
        clock: Clock,
    ) -> None:
        self.wecom = wecom
        self.members = members
        self.customers = customers
        self.leads = leads
        self.queries = queries
        self.scoping = scoping
        self.clock = clock

    # --- starting ------------------------------------------------------------------------

    def start(self, caller: TenantCaller, command: StartTransfer) -> TransferBatchDetails:
        """Transfer every active WeCom customer of the employee (and, when they left,
        their customer groups) to `to_employee_id`: 离职继承 when the employee left
        (in huoke or in WeCom), else 在职继承. The worker sends the calls; the answer is
        the batch as started (every customer queued)."""
        tenant_id, employee_id = caller.tenant_id, command.employee_id
        if not self.members.employee_known(tenant_id, employee_id):
            raise InvalidInput(f"no employee {employee_id}", field="employee_id")
        to = command.to_employee_id
        if to == employee_id:
            raise InvalidInput("hand the customers to someone else", field="to_employee_id")
        if to not in self.members.employee_names(tenant_id):
            raise InvalidInput(f"no current employee {to}", field="to_employee_id")
        handover = self.members.userid_of(tenant_id, employee_id)
        if handover is None:
            raise InvalidInput("the employee has no WeCom member", field="employee_id")
        takeover = self.members.userid_of(tenant_id, to)
        if takeover is None:
            raise InvalidInput("the employee has no WeCom member", field="to_employee_id")
        member = self.members.member(tenant_id, handover)
        resigned = member.departed or member.status == LEFT
        externals = self._customers_of(tenant_id, handover)
        busy = self.queries.in_transfer(tenant_id, handover, externals)
        externals = [e for e in externals if e not in busy]
        groups = self._groups_of(tenant_id, handover) if resigned and command.include_groups else []
        if not externals and not groups:
            raise InvalidInput(
                "the employee has no WeCom customers left to transfer", field="employee_id"
            )
        now = self.clock.now()
        batch = CustomerTransferBatch.start(
            batch_id=self.wecom.new_id("wecom_transfer"),
            tenant_id=tenant_id,
            handover_userid=handover,
            takeover_userid=takeover,
            resigned=resigned,
            from_employee_id=employee_id,
            to_employee_id=to,
            reason=command.reason,
            origin=Origin.COMMAND.value,
            at=now,
        )
        batch.add_customers(
            [(e, self.leads.lead_of_customer(tenant_id, e)) for e in externals], at=now
        )
        batch.add_groups(groups, at=now)
        try:
            self.wecom.commit(batch)
        except VersionConflict:
            # The same Idempotency-Key again: the batch its first request started.
            if batch.id not in self.wecom.repository:
                raise
            batch = self.wecom.load(batch.id, CustomerTransferBatch, tenant_id=tenant_id)
        return self.details_of(batch)

    def take_handover(
        self,
        tenant_id: UUID,
        *,
        lead_id: UUID,
        from_employee_id: UUID,
        to_employee_id: UUID | None,
        kind: str,
        reason: str,
        started_by: str,
    ) -> UUID | None:
        """A lead handed over (ORG-3): when it is a WeCom customer of the old owner's
        member, add it to the batch of `started_by` (the handover's request) from that
        member to the new owner's (one with no member fails every customer, visibly).
        Answers the batch, None when nothing moves in WeCom. Seeing the same handover
        again adds nothing."""
        if to_employee_id is None:
            return None  # released to the pool: WeCom has no pool
        external = self.leads.customer_of_lead(tenant_id, lead_id)
        if external is None:
            return None
        handover = self.members.userid_of(tenant_id, from_employee_id)
        if handover is None:
            return None  # not a WeCom member: WeCom has nothing of theirs to move
        takeover = self.members.userid_of(tenant_id, to_employee_id) or ""
        resigned = kind == LEAVING
        batch_id = batch_id_for(
            tenant_id, started_by, handover, takeover or str(to_employee_id), kind
        )
        for _ in range(CONFLICT_RETRIES):
            if batch_id in self.wecom.repository:
                batch = self.wecom.load(batch_id, CustomerTransferBatch, tenant_id=tenant_id)
                if external in batch.customers:
                    return batch_id  # seen before
                new = False
            else:
                batch = CustomerTransferBatch.start(
                    batch_id=batch_id,
                    tenant_id=tenant_id,
                    handover_userid=handover,
                    takeover_userid=takeover,
                    resigned=resigned,
                    from_employee_id=from_employee_id,
                    to_employee_id=to_employee_id,
                    reason=reason[:500],
                    origin=Origin.HANDOVER.value,
                    at=self.clock.now(),
                )
                new = True
            if self.queries.in_transfer(tenant_id, handover, [external]):
                return None  # another batch is moving them
            now = self.clock.now()
            batch.add_customers([(external, lead_id)], at=now)
            if new and resigned and takeover:
                batch.add_groups(self._groups_of(tenant_id, handover), at=now)
            try:
                self.wecom.commit(batch)
            except VersionConflict:
                continue  # the worker or another lead's event changed it: again
            return batch_id
        raise VersionConflict(f"transfer batch {batch_id} kept changing")

    def _customers_of(self, tenant_id: UUID, userid: str) -> list[str]:
        found: list[str] = []
        cursor: str | None = None
        while len(found) < MAX_CUSTOMERS:
            page = self.customers.relations(
                tenant_id, userids=None, userid=userid, status="active", cursor=cursor, limit=PAGE
            )
            found += [r.external_userid for r in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        return list(dict.fromkeys(found))[:MAX_CUSTOMERS]

    def _groups_of(self, tenant_id: UUID, userid: str) -> list[str]:
        found: list[str] = []
        cursor: str | None = None
        while len(found) < MAX_CUSTOMERS:
            page = self.customers.groups(
                tenant_id, owners=[userid], include_dismissed=False, cursor=cursor, limit=PAGE
            )
            found += [str(g["chat_id"]) for g in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        return found

    # --- reading -------------------------------------------------------------------------

    def batches(
        self,
        caller: TenantCaller,
        *,
        employee_id: UUID | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[TransferBatchDetails]:
        """The batches newest first (of one handover employee if asked)."""
        page = self.queries.batches(
            caller.tenant_id,
            userids=self.scoping.scope(caller),
            employee_id=employee_id,
            cursor=cursor,
            limit=limit,
        )
        names = self._names(caller.tenant_id, page.items)
        return Page([_details(row, names) for row in page.items], page.next_cursor)

    def batch(self, caller: TenantCaller, batch_id: UUID) -> TransferBatchDetails:
        row = self.queries.batch(caller.tenant_id, batch_id, userids=self.scoping.scope(caller))
        return _details(row, self._names(caller.tenant_id, [row]))

    def customers_of(
        self,
        caller: TenantCaller,
        batch_id: UUID,
        *,
        state: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[TransferCustomerDetails]:
        """Each customer's outcome, by call (404 for a batch outside the caller's scope)."""
        self.queries.batch(caller.tenant_id, batch_id, userids=self.scoping.scope(caller))
        page = self.queries.customers(
            caller.tenant_id, batch_id, state=state, cursor=cursor, limit=limit
        )
        names = self._customer_names(caller.tenant_id, [r["external_userid"] for r in page.items])
        return Page(
            [
                TransferCustomerDetails(
                    external_userid=row["external_userid"],
                    name=names.get(row["external_userid"], ""),
                    lead_id=row["lead_id"],
                    call=int(row["call_number"]),
                    state=row["state"],
                    reason=row["reason"],
                    errcode=int(row["errcode"]),
                    wecom_status=row["wecom_status"],
                    updated_at=row["updated_at"],
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def _customer_names(self, tenant_id: UUID, externals: list[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for external in externals:  # a page's worth (at most 100)
            try:
                row, _relations = self.customers.customer(tenant_id, external, userids=None)
            except NotFound:
                continue  # not in the directory (added before the corp was bound)
            names[external] = str(row["name"] or "")
        return names

    def groups_of(self, caller: TenantCaller, batch_id: UUID) -> list[TransferGroupDetails]:
        self.queries.batch(caller.tenant_id, batch_id, userids=self.scoping.scope(caller))
        return [
            TransferGroupDetails(**row) for row in self.queries.groups(caller.tenant_id, batch_id)
        ]

    def details_of(self, batch: CustomerTransferBatch) -> TransferBatchDetails:
        """What the batch itself says now (before the read model has it)."""
        counts = batch.counts()
        groups = [g["state"] for g in batch.groups.values()]
        names = self.members.names_of(
            batch.tenant_id, [batch.handover_userid, batch.takeover_userid]
        )
        return TransferBatchDetails(
            id=batch.id,
            handover_userid=batch.handover_userid,
            handover_name=names.get(batch.handover_userid, ""),
            takeover_userid=batch.takeover_userid,
            takeover_name=names.get(batch.takeover_userid, ""),
            from_employee_id=batch.from_employee_id,
            to_employee_id=batch.to_employee_id,
            kind="resigned" if batch.resigned else "on_job",
            reason=batch.reason,
            origin=batch.origin,
            started_at=batch.started_at,
            updated_at=batch.modified_on,
            done=batch.done,
            calls=len(batch.calls),
            total=len(batch.customers),
            queued=counts["queued"],
            waiting=counts["waiting"],
            succeeded=counts["succeeded"],
            failed=counts["failed"],
            groups_total=len(groups),
            groups_succeeded=groups.count("succeeded"),
            groups_failed=groups.count("failed"),
        )

    def _names(self, tenant_id: UUID, rows: list[dict[str, object]]) -> dict[str, str]:
        userids = {str(r[k]) for r in rows for k in ("handover_userid", "takeover_userid")}
        return self.members.names_of(tenant_id, userids - {""})


def _details(row: dict[str, object], names: dict[str, str]) -> TransferBatchDetails:
    value: Callable[[str], object] = row.__getitem__
    return TransferBatchDetails.model_validate(
        {
            **row,
            "id": value("batch_id"),
            "handover_name": names.get(str(value("handover_userid")), ""),
            "takeover_name": names.get(str(value("takeover_userid")), ""),
            "kind": "resigned" if value("resigned") else "on_job",
        }
    )
