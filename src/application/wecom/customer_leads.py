"""Every WeCom customer is a lead (issue 20 deliverable 2, WECOM-3, LEAD-1): a customer
added attaches to the lead holding their `wecom_external_userid`, or makes one (source
"wecom", owner the huoke employee linked to the WeCom member who added them); their
profile row then gives the lead their name if it had none.

Through `CustomerLeadsPort`, declared here and implemented in the composition root over
the leads application's one intake. It is idempotent: the leads' identity index makes
a second offer of the same external_userid match the first lead, and the lead's id is
derived from the row (its message id), so a replay after a crash makes nothing new.
A refusal (a tenant's lead rules) is logged and never stops the log.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind, Channel
from application.shared.errors import ApplicationError
from application.shared.policies import Policy
from application.shared.views import View
from application.wecom.customer_directory import PROFILE, SYNCED
from application.wecom.member_directory import MemberQueries
from domain.shared.errors import DomainError

log = logging.getLogger("huoke.wecom.leads")
LEAD_SOURCE = "wecom"


class CustomerLeadsPort(Protocol):
    """The leads context as this policy needs it."""

    def lead_for_customer(
        self,
        tenant_id: UUID,
        external_userid: str,
        *,
        name: str,
        owner_id: UUID | None,
        state: str,
        key: str,
    ) -> UUID | None:
        """The lead with the customer's external_userid, made (source "wecom", the
        owner, the live code's `state` as channel) when none has it; an empty profile
        field is filled with `name`. `key` makes the creation idempotent. None when the
        leads refused."""
        ...

    def lead_of_customer(self, tenant_id: UUID, external_userid: str) -> UUID | None:
        """The lead holding the customer's external_userid, if any."""
        ...


class CustomerLeads(Policy):
    """Makes and names the leads of WeCom customers."""

    name = "wecom_customer_leads"
    follows = (BEHAVIOURS,)

    def __init__(self, view: View, *, leads: CustomerLeadsPort, members: MemberQueries) -> None:
        super().__init__(view)
        self.leads = leads
        self.members = members

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Behaviour) and domain_event.channel == Channel.WECOM:
            self.consider(domain_event)
        self.view.write(tracking, ())

    def consider(self, row: Behaviour) -> None:
        properties = row.properties
        external = str(properties.get("external_userid") or "")
        if not external:
            return
        if row.kind == BehaviourKind.WECOM_CUSTOMER_ADDED:
            userid, name = str(properties.get("employee") or ""), ""
            state = str(properties.get("state") or "")
        elif row.kind == BehaviourKind.WECOM_CUSTOMER_EDITED and row.name in (PROFILE, SYNCED):
            follows = [f for f in properties.get("follow_users") or () if isinstance(f, dict)]
            userid = str(follows[0].get("userid") or "") if follows else ""
            state = str(follows[0].get("state") or "") if follows else ""
            name = str(properties.get("name") or "")
        else:
            return
        owner = self.members.employees_of(row.tenant_id, [userid]).get(userid) if userid else None
        try:
            self.leads.lead_for_customer(
                row.tenant_id,
                external,
                name=name,
                owner_id=owner,
                state=state,
                key=row.message_id,
            )
        except (ApplicationError, DomainError) as error:
            log.warning("tenant %s: no lead for a WeCom customer: %s", row.tenant_id, error)
