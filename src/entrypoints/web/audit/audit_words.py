"""The words an auditor reads: an event's type, who acted, and what changed, from the
topics and metadata every stored event carries (no context is imported)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from entrypoints.web.i18n import N_, current_language
from entrypoints.web.i18n import gettext as _

# The kind of record (the aggregate's class), Chinese msgids.
RECORDS: dict[str, str] = {
    "Tenant": N_("租户"),
    "Staff": N_("平台员工"),
    "ApiKey": N_("API 密钥"),
    "Department": N_("部门"),
    "Employee": N_("员工"),
    "Subscription": N_("订阅"),
    "Order": N_("订单"),
    "Refund": N_("退款"),
    "QuotaUsage": N_("配额用量"),
    "Lead": N_("线索"),
    "LeadSettings": N_("线索设置"),
    "LeadImport": N_("线索导入"),
    "DuplicateCase": N_("重复线索"),
    "Login": N_("登录账号"),
}
# What happened (the event's class), Chinese msgids; others are shown in English words.
EVENTS: dict[str, str] = {
    "Created": N_("创建"),
    "Registered": N_("登记"),
    "Enrolled": N_("加入"),
    "Hired": N_("入职"),
    "Updated": N_("修改"),
    "Renamed": N_("改名"),
    "Changed": N_("变更"),
    "Deleted": N_("删除"),
    "Removed": N_("删除"),
    "Suspended": N_("暂停"),
    "Reactivated": N_("恢复"),
    "Revoked": N_("吊销"),
    "Issued": N_("签发"),
    "Disabled": N_("停用"),
    "Left": N_("离职"),
    "Assigned": N_("分配"),
    "ReleasedToPool": N_("释放到公海"),
    "FollowedUp": N_("跟进"),
    "Closed": N_("关闭"),
    "Tagged": N_("添加标签"),
    "Untagged": N_("移除标签"),
    "Granted": N_("授予"),
    "SignedIn": N_("登录"),
    "SignInFailed": N_("登录失败"),
    "LockedOut": N_("锁定"),
    "PasswordChanged": N_("修改密码"),
    "Started": N_("开始"),
    "Completed": N_("完成"),
    "Failed": N_("失败"),
    "Requested": N_("申请"),
    "Approved": N_("批准"),
    "Rejected": N_("拒绝"),
    "Refunded": N_("已退款"),
    "Paid": N_("已支付"),
    "Delivered": N_("已交付"),
    "Cancelled": N_("已取消"),
    "Extended": N_("延期"),
}
ACTORS: dict[str, str] = {
    "api_key": N_("API 密钥"),
    "employee": N_("员工"),
    "staff": N_("平台员工"),
    "system": N_("系统"),
    "visitor": N_("访客"),
}
_WORDS = re.compile(r"(?<!^)(?=[A-Z])")
LONGEST_VALUE = 120  # characters of one changed field shown in a table cell


@dataclass(frozen=True)
class Change:
    field: str
    value: str


def words(name: str) -> str:
    """`ReleasedToPool` -> `released to pool` (an event no one has named in Chinese)."""
    return _WORDS.sub(" ", name).lower()


def event_type(topic: str) -> str:
    """An event's type in words: `leads.Lead.Assigned` -> 线索 · 分配."""
    parts = topic.split(".")
    record, event = (parts[-2], parts[-1]) if len(parts) >= 2 else ("", parts[-1])
    record_words = _(RECORDS[record]) if record in RECORDS else words(record)
    event_words = _(EVENTS[event]) if event in EVENTS else words(event)
    return f"{record_words} · {event_words}" if record_words else event_words


def summary_in_language(summary: str) -> str:
    """The operation log's summary is `中文 · English`: the half of the page's language."""
    chinese, _sep, english = summary.partition(" · ")
    return english if current_language() == "en" and english else chinese


def actor_text(actor: Mapping[str, Any] | None) -> str:
    """Who acted: kind in words and their id (the id is what the log filters by)."""
    if not actor:
        return "—"
    kind = str(actor.get("kind") or "")
    label = _(ACTORS[kind]) if kind in ACTORS else kind
    ident = actor.get("id")
    return f"{label} {ident}" if ident and kind != "system" else label


def changes(data: Mapping[str, Any]) -> list[Change]:
    """The event's fields as the page shows them, shortened to a cell's width."""
    return [Change(key, _shown(value)) for key, value in sorted(data.items())]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= LONGEST_VALUE else text[: LONGEST_VALUE - 1] + "…"
