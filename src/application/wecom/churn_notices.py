"""Churn alerts reach the employee (WECOM-3): when a customer deletes an employee
(del_follow_user) the huoke employee linked to that member is told, through the notice
mechanism owners of leads already get (LEAD-7's notifier), naming the customer's lead.

A notice is best effort and at most once per loss as far as this policy goes (a crash
between the notice and the tracking row may repeat it; a notice is harmless twice, a
lost one is not); the alert itself is a row of the customer directory either way.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind, Channel
from application.shared.policies import Policy
from application.shared.views import View
from application.wecom.customer_leads import CustomerLeadsPort
from application.wecom.member_directory import MemberQueries

log = logging.getLogger("huoke.wecom.churn")


class EmployeeNotices(Protocol):
    """Tells an employee something about one of their leads (the leads' notifier)."""

    def owner_notified(self, tenant_id: UUID, lead_id: UUID, owner_id: UUID, text: str) -> None:
        """Deliver `text` to `owner_id` about `lead_id` (must not raise on delivery)."""
        ...


class ChurnNotices(Policy):
    """Tells the employee a customer deleted them."""

    name = "wecom_churn_notices"
    follows = (BEHAVIOURS,)

    def __init__(
        self,
        view: View,
        *,
        members: MemberQueries,
        leads: CustomerLeadsPort,
        notices: EmployeeNotices,
    ) -> None:
        super().__init__(view)
        self.members = members
        self.leads = leads
        self.notices = notices

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if (
            isinstance(domain_event, Behaviour)
            and domain_event.channel == Channel.WECOM
            and domain_event.kind == BehaviourKind.WECOM_CUSTOMER_LOST
        ):
            self.notify(domain_event)
        self.view.write(tracking, ())

    def notify(self, row: Behaviour) -> None:
        userid = str(row.properties.get("employee") or "")
        external = str(row.properties.get("external_userid") or "")
        employee = self.members.employees_of(row.tenant_id, [userid]).get(userid)
        lead = self.leads.lead_of_customer(row.tenant_id, external) if external else None
        if employee is None or lead is None:
            return  # no one to tell, or nothing to point them to: the alert list has it
        try:
            self.notices.owner_notified(
                row.tenant_id, lead, employee, "客户已将你从企业微信删除 · a customer deleted you"
            )
        except Exception:  # a notice that fails must not stop the log
            log.exception("could not tell employee %s of a lost customer", employee)
