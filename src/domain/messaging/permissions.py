"""What each tenant role may do with messaging (MAIL, SMS): marketers write and send;
sales, their managers and analysts read tasks and reports."""

from __future__ import annotations

from domain.shared.access import MANAGE, READ, Grants, tenant_grants

MESSAGING_GRANTS: Grants = {
    resource: tenant_grants(marketer=MANAGE, sales=READ, sales_manager=READ, data_analyst=READ)
    for resource in (
        "email_tasks",
        "email_templates",
        "sending_domains",
        "sms_tasks",
        "sms_signatures",
    )
}
