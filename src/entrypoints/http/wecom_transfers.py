"""Routes of customer inheritance through WeCom (客户继承, WECOM-4 with ORG-3): start a
transfer of an employee's WeCom customers, the batches with their progress, each
customer's and group's outcome."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from litestar import Controller, Response

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from application.wecom.inheritance import (
    CustomerInheritance,
    StartTransfer,
    TransferBatchDetails,
    TransferCustomerDetails,
    TransferGroupDetails,
)
from domain.shared.access import Action
from entrypoints.http.conventions import ListOf, get, page_of, post, tenant_may
from entrypoints.http.tenant import Cursor, Limit

Outcome = Literal["queued", "waiting", "succeeded", "failed"]


class WecomTransferController(Controller):
    path = "/api/v1/wecom/transfers"
    tags = ["wecom"]
    guards = [tenant_may("wecom_transfers")]

    @get("/", operation_id="listWecomTransfers")
    def list_transfers(
        self,
        wecom_inheritance: CustomerInheritance,
        caller: TenantCaller,
        employee_id: UUID | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[TransferBatchDetails]:
        """Transfer batches newest first, of one handover employee if asked: the
        employees, the kind (离职继承 / 在职继承) and how many customers are queued,
        waiting for the takeover (24 hours), taken over or failed."""
        return page_of(
            wecom_inheritance.batches(caller, employee_id=employee_id, cursor=cursor, limit=limit)
        )

    @post("/", operation_id="startWecomTransfer", may=Action.CREATE)
    def start(
        self, data: StartTransfer, wecom_inheritance: CustomerInheritance, caller: TenantCaller
    ) -> Response[TransferBatchDetails]:
        """Transfer every active WeCom customer of `employee_id` (and, when they left,
        their customer groups) to `to_employee_id` through WeCom.

        离职继承 when the employee left (in huoke or in WeCom), else 在职继承. WeCom takes
        at most 100 customers a call and the takeover employee has 24 hours; a
        customer already in an unfinished transfer from the employee is left out. The
        worker sends the calls: the answer has every customer queued. 422 naming the
        field when an employee has no WeCom member or nothing is left to move."""
        return Response(wecom_inheritance.start(caller, data), status_code=201)

    @get("/{transfer_id:uuid}", operation_id="getWecomTransfer")
    def get_transfer(
        self, transfer_id: UUID, wecom_inheritance: CustomerInheritance, caller: TenantCaller
    ) -> TransferBatchDetails:
        """One transfer batch with its progress."""
        return wecom_inheritance.batch(caller, transfer_id)

    @get("/{transfer_id:uuid}/customers", operation_id="listWecomTransferCustomers")
    def list_customers(
        self,
        transfer_id: UUID,
        wecom_inheritance: CustomerInheritance,
        caller: TenantCaller,
        outcome: Outcome | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[TransferCustomerDetails]:
        """Each customer's outcome, call by call (`outcome` filters): queued, waiting
        (等待接替), succeeded (接替完毕) or failed with the reason and WeCom's errcode or
        status."""
        return page_of(
            wecom_inheritance.customers_of(
                caller, transfer_id, state=outcome, cursor=cursor, limit=limit
            )
        )

    @get("/{transfer_id:uuid}/groups", operation_id="listWecomTransferGroups")
    def list_groups(
        self, transfer_id: UUID, wecom_inheritance: CustomerInheritance, caller: TenantCaller
    ) -> list[TransferGroupDetails]:
        """The customer groups of the batch and their outcome (300 a day per corp)."""
        return wecom_inheritance.groups_of(caller, transfer_id)
