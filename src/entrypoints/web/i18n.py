"""The console's languages: Chinese first, English beside (Babel catalogues).

Templates and console code are written in Chinese; `locale/en/LC_MESSAGES/console.po`
carries the English of every message (msgid Chinese, msgstr English). The .po file is
read at start-up, so there is no compile step; a test keeps it complete.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po

CHINESE = "zh-CN"
ENGLISH = "en"
LANGUAGES = (CHINESE, ENGLISH)
LANGUAGE_COOKIE = "huoke_lang"
CATALOGUES = Path(__file__).parent / "locale" / "en"  # one <context>.po per context

_language: ContextVar[str] = ContextVar("console_language", default=CHINESE)


def _english() -> dict[str, str]:
    english: dict[str, str] = {}
    for path in sorted(CATALOGUES.glob("*.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale="en")
        english |= {str(m.id): str(m.string) for m in catalogue if m.id and m.string}
    return english


ENGLISH_MESSAGES = _english()


def set_language(language: str) -> None:
    _language.set(language if language in LANGUAGES else CHINESE)


def current_language() -> str:
    return _language.get()


def gettext(message: str) -> str:
    """The message in the page's language (Chinese source, English from the catalogue)."""
    if _language.get() == ENGLISH:
        return ENGLISH_MESSAGES.get(message, message)
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    return gettext(singular if count == 1 else plural)


_ = gettext


def N_(message: str) -> str:
    """Marks a msgid for the catalogue where it is defined; translated when shown."""
    return message


def yuan(fen: int | None) -> str:
    """Money is kept in fen and shown in yuan: 123456 -> ¥1,234.56."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def local_time(moment: datetime | None, timezone: str, *, with_seconds: bool = False) -> str:
    """A moment in the tenant's time zone (`2026-12-02 14:05`)."""
    if moment is None:
        return "—"
    shown = moment.astimezone(ZoneInfo(timezone))
    return shown.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


# Who acted (the kind an event's metadata names), Chinese msgids.
ACTOR_KINDS = {
    "api_key": N_("API 密钥"),
    "employee": N_("员工"),
    "staff": N_("平台员工"),
    "system": N_("系统"),
    "visitor": N_("访客"),
}
# The kind of record (the aggregate's class in a topic), Chinese msgids.
RECORDS: dict[str, str] = {
    "Tenant": N_("租户"),
    "Staff": N_("平台员工"),
    "StaffAccount": N_("平台员工"),
    "ApiKey": N_("API 密钥"),
    "Department": N_("部门"),
    "Employee": N_("员工"),
    "Subscription": N_("订阅"),
    "Order": N_("订单"),
    "Refund": N_("退款"),
    "SecurityIncident": N_("安全事件"),
    "QuotaUsage": N_("配额用量"),
    "Lead": N_("线索"),
    "LeadSettings": N_("线索设置"),
    "LeadImport": N_("线索导入"),
    "DuplicateCase": N_("重复线索"),
    "Login": N_("登录账号"),
}
# What happened (the event's class in a topic), Chinese msgids; others are shown in
# English words.
EVENTS: dict[str, str] = {
    "Created": N_("创建"),
    "Registered": N_("登记"),
    "Enrolled": N_("加入"),
    "Hired": N_("入职"),
    "Updated": N_("修改"),
    "ProfileUpdated": N_("修改资料"),
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
# Events that are no configuration change (the manifests describe those) but have a
# name people use on a record's page: billing, refunds, incidents, console logins.
NAMED_EVENTS: dict[str, str] = {
    "tenancy.Subscription.Expired": N_("套餐到期"),
    "tenancy.Order.Placed": N_("下单"),
    "tenancy.Order.PaymentStarted": N_("发起支付"),
    "tenancy.Order.Paid": N_("支付成功"),
    "tenancy.Order.Delivered": N_("服务已开通"),
    "tenancy.Order.Cancelled": N_("订单取消"),
    "tenancy.Order.RefundOpened": N_("申请退款"),
    "tenancy.Order.RefundClosed": N_("退款结束"),
    "tenancy.Refund.Requested": N_("申请退款"),
    "tenancy.Refund.Approved": N_("批准退款"),
    "tenancy.Refund.Rejected": N_("驳回退款"),
    "tenancy.Refund.Completed": N_("退款完成"),
    "tenancy.Refund.Failed": N_("退款失败"),
    "tenancy.Refund.Retried": N_("重试退款"),
    "tenancy.SecurityIncident.Recorded": N_("记录安全事件"),
    "logins.Login.Granted": N_("开通控制台登录"),
    "logins.Login.SignedIn": N_("登录"),
    "logins.Login.SignInFailed": N_("登录失败"),
    "logins.Login.LockedOut": N_("登录锁定"),
    "logins.Login.PasswordChanged": N_("登录密码变更"),
    "logins.Login.PasswordResetRequested": N_("申请重置密码"),
    "logins.Login.Revoked": N_("控制台登录撤销"),
    "messaging.EmailTask.SendingStarted": N_("邮件开始发送"),
    "messaging.EmailTask.Finished": N_("邮件发送完成"),
    "messaging.SmsTask.SendingStarted": N_("短信开始发送"),
    "messaging.SmsTask.Finished": N_("短信发送完成"),
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def words(name: str) -> str:
    """`ReleasedToPool` -> `released to pool` (a name no one has put in Chinese)."""
    return _CAMEL.sub(" ", name).lower()


def actor_label(actor: Mapping[str, Any] | None) -> str:
    """Who acted: their kind in words and their id (the id the operation log filters by)."""
    if not actor:
        return "—"
    kind = str(actor.get("kind") or "")
    label = gettext(ACTOR_KINDS[kind]) if kind in ACTOR_KINDS else kind
    ident = actor.get("id")
    return f"{label} {ident}" if ident and kind != "system" else label


def event_words(topic: str) -> str:
    """An event's kind of record and what happened to it, in words:
    `org.Department.Renamed` -> 部门 · 改名 (any topic, named or not)."""
    parts = topic.split(".")
    record, event = (parts[-2], parts[-1]) if len(parts) >= 2 else ("", parts[-1])
    record_words = gettext(RECORDS[record]) if record in RECORDS else words(record)
    happened = gettext(EVENTS[event]) if event in EVENTS else words(event)
    return f"{record_words} · {happened}" if record_words else happened


def in_language(described: str) -> str:
    """The half of a "中文 · English" description in the page's language."""
    chinese, _sep, english = described.partition(" · ")
    return english if _language.get() == ENGLISH and english else chinese


def event_label(topic: str, labels: Mapping[str, str]) -> str:
    """What an event means on a record's history: the manifests' description of a
    configuration change (`labels`, "中文 · English"), else the name the console gives
    the event, else its record and event in words."""
    described = labels.get(topic)
    if described is not None:
        return in_language(described)
    if topic in NAMED_EVENTS:
        return gettext(NAMED_EVENTS[topic])
    return event_words(topic)
