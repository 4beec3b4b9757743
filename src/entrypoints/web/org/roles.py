"""The ORG-1 roles as the console names them (Chinese msgids, English in the catalogue)."""

from __future__ import annotations

from collections.abc import Iterable

from domain.shared.access import TenantRole
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _

ROLE_LABELS: dict[str, str] = {
    TenantRole.TENANT_ADMIN: N_("企业管理员"),
    TenantRole.MARKETER: N_("市场"),
    TenantRole.SALES: N_("销售"),
    TenantRole.SALES_MANAGER: N_("销售主管"),
    TenantRole.DATA_ANALYST: N_("数据分析"),
    TenantRole.AUDITOR: N_("审计"),
}


def role_options() -> list[tuple[str, str]]:
    """(value, label) of every role, for the roles checkboxes."""
    return [(str(role), _(label)) for role, label in ROLE_LABELS.items()]


def role_names(roles: Iterable[str]) -> str:
    """The employee's roles in the viewer's language, in ORG-1's order."""
    given = set(roles)
    return "、".join(_(label) for role, label in ROLE_LABELS.items() if role in given)
