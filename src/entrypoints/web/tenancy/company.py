"""Console pages (企业设置) for a tenant's people: company profile, API keys, subscription
and usage, orders and refunds. Each page is in a company_*.py module of its own."""

from __future__ import annotations

from typing import Any

from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.tenancy.company_keys import CompanyApiKeysController
from entrypoints.web.tenancy.company_orders import CompanyOrdersController
from entrypoints.web.tenancy.company_profile import CompanyProfileController
from entrypoints.web.tenancy.company_refunds import CompanyRefundsController
from entrypoints.web.tenancy.company_subscription import CompanySubscriptionController

SECTION = "企业设置"

PAGES: tuple[Any, ...] = (  # the controllers, registered by the context's manifest
    CompanyProfileController,
    CompanyApiKeysController,
    CompanySubscriptionController,
    CompanyOrdersController,
    CompanyRefundsController,
)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="企业信息",
        path="/console/company/profile",
        resource="tenant",
        audience=Audience.TENANT,
        section=SECTION,
        order=10,
    ),
    NavItem(
        label="套餐与用量",
        path="/console/company/subscription",
        resource="billing",
        audience=Audience.TENANT,
        section=SECTION,
        order=60,
    ),
    NavItem(
        label="订单",
        path="/console/company/orders",
        resource="billing",
        audience=Audience.TENANT,
        section=SECTION,
        order=70,
    ),
    NavItem(
        label="退款",
        path="/console/company/refunds",
        resource="billing",
        audience=Audience.TENANT,
        section=SECTION,
        order=80,
    ),
    NavItem(
        label="API 密钥",
        path="/console/company/api-keys",
        resource="access",
        audience=Audience.TENANT,
        section=SECTION,
        order=90,
    ),
)
