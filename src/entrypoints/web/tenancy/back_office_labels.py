"""What every back-office page shares: the Chinese names of states, kinds, product
lines and roles, and the filters and tenant link of the lists of every tenant's records.
Who may see a page (`staff_may`), a record's
history, running a change and a refusal on its field are the frame's (pages.py,
actions.py, forms.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _
from entrypoints.web.tables import Cell, Filter, Option

ADMIN = "/console/admin"


def uuid_or_none(value: str | None) -> UUID | None:
    """A filter's id as typed; anything that is not one filters nothing."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


_STATES = {
    "active": N_("正常"),
    "suspended": N_("已停用"),
    "trial": N_("试用"),
    "expired": N_("已到期"),
    "cancelled": N_("已取消"),
    "created": N_("待支付"),
    "paid": N_("已支付"),
    "delivered": N_("已开通"),
    "refunding": N_("退款中"),
    "refunded": N_("已退款"),
    "requested": N_("待审批"),
    "approved": N_("已批准"),
    "rejected": N_("已驳回"),
    "failed": N_("退款失败"),
    "disabled": N_("已停用"),
}
_BADGES = {
    "active": "ok",
    "delivered": "ok",
    "refunded": "ok",
    "trial": "info",
    "paid": "info",
    "approved": "info",
    "requested": "warn",
    "created": "warn",
    "refunding": "warn",
    "suspended": "bad",
    "failed": "bad",
    "rejected": "bad",
    "expired": "bad",
    "cancelled": "bad",
    "disabled": "bad",
}
_KINDS = {
    "new": N_("新购"),
    "renew": N_("续费"),
    "upgrade": N_("升级"),
    "add_on": N_("增值包"),
    "payment_notification_forged": N_("伪造的支付通知"),
    "payment_amount_mismatch": N_("支付金额不符"),
}
_PRODUCT_LINES = {"quick_sell": N_("天翼云快销"), "scrm": N_("翼有群 SCRM")}
_ROLES = {
    "admin": N_("管理员"),
    "support": N_("客服"),
    "billing": N_("财务"),
    "auditor": N_("审计员"),
}


def state_label(state: str) -> str:
    return _(_STATES[state]) if state in _STATES else state


def state_badge(state: str) -> str:
    return _BADGES.get(state, "info")


def kind_label(kind: str) -> str:
    return _(_KINDS[kind]) if kind in _KINDS else kind


def product_line_label(line: str) -> str:
    return _(_PRODUCT_LINES[line]) if line in _PRODUCT_LINES else line


def role_label(role: str) -> str:
    return _(_ROLES[role]) if role in _ROLES else role


def role_options() -> list[tuple[str, str]]:
    return [(role, _(label)) for role, label in _ROLES.items()]


def choice(name: str, label: str, labels: dict[str, str], *codes: str) -> Filter:
    """A select filter offering `codes` by their names (msgids, the table translates)."""
    return Filter(
        name, label=label, kind="select", options=tuple(Option(c, labels[c]) for c in codes)
    )


def state_filter(*states: str) -> Filter:
    return choice("status", "状态", _STATES, *states)


def kind_filter(*kinds: str) -> Filter:
    return choice("kind", "类型", _KINDS, *kinds)


def product_line_filter() -> Filter:
    return choice("product_line", "产品线", _PRODUCT_LINES, *_PRODUCT_LINES)


# Lists of every tenant's records filter by one tenant and link to it.
TENANT_FILTER = Filter("tenant_id", label="企业编号", placeholder="企业编号（UUID）")


def tenant_link(tenant_id: UUID) -> Cell:
    return Cell(_("查看企业"), href=f"{ADMIN}/tenants/{tenant_id}")


# What the back-office templates call by name (labels of states, kinds, roles).
TEMPLATE_HELPERS: dict[str, Any] = {
    "state_label": state_label,
    "state_badge": state_badge,
    "kind_label": kind_label,
    "product_line_label": product_line_label,
    "role_label": role_label,
}
