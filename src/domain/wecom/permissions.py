"""What each tenant role may do with WeCom SCRM (WECOM-1…5): marketers bind the corp and
run live codes and mass sends; sales work their own customers and follow-up tasks."""

from __future__ import annotations

from domain.shared.access import FOLLOW_UP, MANAGE, READ, Grants, tenant_grants

WECOM_GRANTS: Grants = {
    "wecom_corp": tenant_grants(marketer=READ, sales_manager=READ),
    "wecom_customers": tenant_grants(marketer=READ, sales=READ, sales_manager=READ),
    "wecom_live_codes": tenant_grants(marketer=MANAGE, sales_manager=READ),
    "wecom_mass_sends": tenant_grants(marketer=MANAGE, sales_manager=READ, sales=READ),
    "wecom_tasks": tenant_grants(marketer=MANAGE, sales=FOLLOW_UP, sales_manager=FOLLOW_UP),
    "wecom_transfers": tenant_grants(sales_manager=READ),
}
