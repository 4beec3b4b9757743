"""The leads' handover moves the customers in WeCom too (ORG-3 → WECOM-4): a policy
following the leads application by event topic ("leads.Lead.HandedOver": from and to
owner, kind leaving / in_service), never by its classes. Each lead handed over that is
a WeCom customer joins the transfer batch of its handover request (the request id
stamped on the event), so one handover makes one batch, split into calls by the
domain, and the same event seen again adds nothing."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.shared.errors import ApplicationError
from application.shared.policies import Policy
from application.shared.stamping import metadata_of, tenant_of
from application.shared.views import View
from application.wecom.inheritance import CustomerInheritance
from domain.shared.errors import DomainError

log = logging.getLogger("huoke.wecom.inheritance")
HANDED_OVER = "leads.Lead.HandedOver"


class HandoverTransfers(Policy):
    """Starts or extends the transfer batch of each handover with a WeCom customer."""

    name = "wecom_handover_transfers"
    follows = ("leads",)

    def __init__(self, view: View, *, inheritance: CustomerInheritance) -> None:
        super().__init__(view)
        self.inheritance = inheritance

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if get_topic(type(domain_event)) == HANDED_OVER:
            self.consider(domain_event, tracking)
        self.view.write(tracking, ())

    def consider(self, event: Any, tracking: Tracking) -> None:
        tenant_id = tenant_of(event) or getattr(event, "tenant_id", None)
        if tenant_id is None:
            return
        # The handover's request made every lead's event: one batch per request.
        started_by = str(metadata_of(event).get("request_id") or "")
        if not started_by:
            started_by = f"{tracking.application_name}-{tracking.notification_id}"
        to_owner = event.to_owner_id
        try:
            self.inheritance.take_handover(
                UUID(str(tenant_id)),
                lead_id=event.originator_id,
                from_employee_id=event.from_owner_id,
                to_employee_id=UUID(str(to_owner)) if to_owner is not None else None,
                kind=str(event.kind),
                reason=str(event.reason or ""),
                started_by=started_by,
            )
        except (ApplicationError, DomainError) as error:  # logged; never stops the leads
            log.warning("tenant %s: lead %s not transferred in WeCom: %s",
                        tenant_id, event.originator_id, error)  # fmt: skip
