"""Tenancy (TEN): tenants, their API keys and the platform's staff accounts."""

from domain.tenancy.api_keys import ApiKey
from domain.tenancy.staff import StaffAccount, StaffRole, parse_staff_roles, staff_is_allowed
from domain.tenancy.tenant import DEFAULT_TIMEZONE, Tenant, TenantStatus

__all__ = [
    "DEFAULT_TIMEZONE",
    "ApiKey",
    "StaffAccount",
    "StaffRole",
    "Tenant",
    "TenantStatus",
    "parse_staff_roles",
    "staff_is_allowed",
]
