"""How the company pages name the tenancy context's codes: roles, statuses, kinds,
quotas and product lines (Chinese msgids; English in locale/en/tenancy.po)."""

from __future__ import annotations

from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _

ROLES = {
    "tenant_admin": N_("企业管理员"),
    "marketer": N_("市场人员"),
    "sales": N_("销售"),
    "sales_manager": N_("销售经理"),
    "data_analyst": N_("数据分析员"),
    "auditor": N_("审计员"),
}

ORDER_STATUSES = {
    "created": N_("待支付"),
    "paid": N_("已支付"),
    "delivered": N_("已开通"),
    "cancelled": N_("已取消"),
    "refunding": N_("退款中"),
    "refunded": N_("已退款"),
}

ORDER_KINDS = {
    "new": N_("新购"),
    "renew": N_("续费"),
    "upgrade": N_("升级"),
    "add_on": N_("增值包"),
}

REFUND_STATUSES = {
    "requested": N_("待审核"),
    "approved": N_("已批准"),
    "rejected": N_("已驳回"),
    "refunded": N_("已退款"),
    "failed": N_("退款失败"),
}

SUBSCRIPTION_STATUSES = {
    "trial": N_("试用中"),
    "active": N_("生效中"),
    "expired": N_("已到期"),
    "cancelled": N_("已取消"),
}

PRODUCT_LINES = {
    "quick_sell": N_("天翼云快销"),
    "scrm": N_("翼有群 SCRM"),
}

PROVIDERS = {
    "sandbox": N_("沙箱支付"),
    "wechatpay": N_("微信支付"),
    "alipay": N_("支付宝"),
}

QUOTAS = {
    "concurrent_campaigns": N_("同时进行的活动"),
    "campaigns_per_month": N_("每月活动数"),
    "interactive_campaigns_per_month": N_("每月互动活动数"),
    "card_seats": N_("云名片席位"),
    "managed_accounts": N_("托管账号"),
    "wecom_accounts": N_("企业微信账号"),
}

# The badge each state wears in lists (tables.py: ok | warn | bad | info).
BADGES = {
    "delivered": "ok",
    "active": "ok",
    "refunded": "info",
    "paid": "info",
    "trial": "info",
    "approved": "info",
    "created": "warn",
    "requested": "warn",
    "refunding": "warn",
    "cancelled": "bad",
    "rejected": "bad",
    "failed": "bad",
    "expired": "bad",
}


def label(labels: dict[str, str], code: str) -> str:
    """The code's name in the page's language; an unknown code is shown as it is."""
    return _(labels[code]) if code in labels else code


def role_names(roles: list[str]) -> str:
    return "、".join(label(ROLES, role) for role in roles)
