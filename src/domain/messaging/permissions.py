"""What each tenant role may do with messaging (MAIL, SMS): marketers write and send;
sales, their managers and analysts read tasks and reports."""

from __future__ import annotations

from domain.shared.access import READ, Action, Grants, tenant_grants

_MANAGE = frozenset({Action.CREATE, Action.READ, Action.UPDATE, Action.DELETE})

MESSAGING_GRANTS: Grants = {
    resource: tenant_grants(marketer=_MANAGE, sales=READ, sales_manager=READ, data_analyst=READ)
    for resource in (
        "email_tasks",
        "email_templates",
        "sending_domains",
        "sms_tasks",
        "sms_signatures",
    )
}
