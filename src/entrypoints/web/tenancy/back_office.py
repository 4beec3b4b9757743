"""Console pages (平台后台, staff only): tenants, subscriptions, orders, refunds,
security incidents and staff accounts under /console/admin, one module each."""

from __future__ import annotations

from typing import Any

from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.tenancy.back_office_incidents import IncidentPages
from entrypoints.web.tenancy.back_office_orders import OrderPages
from entrypoints.web.tenancy.back_office_refunds import RefundPages
from entrypoints.web.tenancy.back_office_staff import StaffPages
from entrypoints.web.tenancy.back_office_subscriptions import SubscriptionPages
from entrypoints.web.tenancy.back_office_tenants import TenantPages

PAGES: tuple[Any, ...] = (  # the controllers, registered by the context's manifest
    TenantPages,
    SubscriptionPages,
    OrderPages,
    RefundPages,
    IncidentPages,
    StaffPages,
)
SECTION = "平台后台"
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="企业",
        path="/console/admin/tenants",
        resource="tenants",
        audience=Audience.STAFF,
        section=SECTION,
        order=10,
    ),
    NavItem(
        label="套餐",
        path="/console/admin/subscriptions",
        resource="billing",
        audience=Audience.STAFF,
        section=SECTION,
        order=20,
    ),
    NavItem(
        label="订单",
        path="/console/admin/orders",
        resource="billing",
        audience=Audience.STAFF,
        section=SECTION,
        order=30,
    ),
    NavItem(
        label="退款",
        path="/console/admin/refunds",
        resource="billing",
        audience=Audience.STAFF,
        section=SECTION,
        order=40,
    ),
    NavItem(
        label="安全事件",
        path="/console/admin/security-incidents",
        resource="billing",
        audience=Audience.STAFF,
        section=SECTION,
        order=50,
    ),
    NavItem(
        label="平台员工",
        path="/console/admin/staff",
        resource="staff",
        audience=Audience.STAFF,
        section=SECTION,
        order=60,
    ),
)
