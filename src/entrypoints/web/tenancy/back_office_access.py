"""What every back-office page shares: the staff member looking at it (checked as the
API's `staff_may` guards check a staff token), a record's history, the Chinese names of
states and events, and a refusal turned into the errors shown next to its field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar
from uuid import UUID

import anyio.to_thread
from litestar import Request

from application.shared.callers import StaffCaller
from application.shared.context import acting, current_context
from application.shared.errors import AlreadyExists, InvalidInput, PermissionDenied
from application.shared.history import HistoryEntry, RecordHistory
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from entrypoints.http.problems import translated
from entrypoints.web.forms import GENERAL, FormErrors
from entrypoints.web.i18n import N_, current_language
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import DEFAULT_TIMEZONE, viewer_of

T = TypeVar("T")
ADMIN = "/console/admin"


def staff_may(request: Request[Any, Any, Any], resource: str, action: Action) -> StaffCaller:
    """The staff member behind the page, if their roles allow `action` on `resource`;
    anyone else (a tenant's employee included) is refused with the 403 page."""
    viewer = viewer_of(request)
    if viewer is None or not viewer.is_staff:
        raise PermissionDenied("the back office needs a staff sign-in")
    staff = viewer.staff
    staff.require(resource, action)
    return staff


def uuid_or_none(value: str | None) -> UUID | None:
    """A filter's id as typed; anything that is not one filters nothing."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def timezone_of(request: Request[Any, Any, Any]) -> str:
    """The time zone the viewer reads times in."""
    viewer = viewer_of(request)
    return viewer.timezone if viewer is not None else DEFAULT_TIMEZONE


def history_of(
    request: Request[Any, Any, Any], history: RecordHistory, aggregate_id: UUID
) -> list[HistoryEntry] | None:
    """The record's events, newest first, for staff whose roles may read history (as
    GET /api/v1/admin/history/{id}); None for the others, who see no history panel."""
    viewer = viewer_of(request)
    if viewer is None or not viewer.is_staff or not viewer.staff.may("history", Action.READ):
        return None
    return list(reversed(history.of(aggregate_id, tenant_id=None)))


async def in_thread(reason: str | None, work: Callable[[], T]) -> T:
    """Run a use case off the event loop; a reason typed in the form is recorded on its
    events (the API takes it from X-Reason). The page shown next reads the lists, so the
    change waits for them (as `Prefer: read-your-writes`)."""
    context = replace(current_context(), read_your_writes=True, reason=reason or None)

    def run() -> T:
        with acting(context):
            return work()

    return await anyio.to_thread.run_sync(run)


def refusal_form_errors(refusal: InvalidInput | InvalidValue | AlreadyExists) -> FormErrors:
    """A use case's refusal on its field, in the page's language (the API's catalogue)."""
    return FormErrors({refusal.field or GENERAL: translated(str(refusal), current_language())})


def reason_of(data: dict[str, Any], field: str = "reason") -> str:
    """The reason typed in a confirmation form, or FormErrors when it is missing."""
    reason = str(data.get(field, "")).strip()
    if not reason:
        raise FormErrors({field: _("请填写原因")})
    return reason


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
_EVENTS = {
    "tenancy.Tenant.Registered": N_("企业开通"),
    "tenancy.Tenant.Renamed": N_("企业更名"),
    "tenancy.Tenant.SettingsUpdated": N_("企业设置变更"),
    "tenancy.Tenant.TimezoneChanged": N_("时区变更"),
    "tenancy.Tenant.OwnerChanged": N_("负责人变更"),
    "tenancy.Tenant.Suspended": N_("企业停用"),
    "tenancy.Tenant.Reactivated": N_("企业恢复"),
    "tenancy.Tenant.HeadOfficeAssigned": N_("归属总部"),
    "tenancy.Subscription.Started": N_("开通套餐"),
    "tenancy.Subscription.Upgraded": N_("套餐升级"),
    "tenancy.Subscription.Renewed": N_("套餐续费"),
    "tenancy.Subscription.AddOnPurchased": N_("购买增值包"),
    "tenancy.Subscription.Extended": N_("套餐延期"),
    "tenancy.Subscription.Cancelled": N_("套餐取消"),
    "tenancy.Subscription.Expired": N_("套餐到期"),
    "tenancy.Subscription.Restarted": N_("套餐重新开通"),
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
    "tenancy.StaffAccount.Enrolled": N_("平台员工加入"),
    "tenancy.StaffAccount.Disabled": N_("平台员工停用"),
    "logins.Login.Granted": N_("开通控制台登录"),
    "logins.Login.SignedIn": N_("登录"),
    "logins.Login.SignInFailed": N_("登录失败"),
    "logins.Login.LockedOut": N_("登录锁定"),
    "logins.Login.PasswordChanged": N_("登录密码变更"),
    "logins.Login.PasswordResetRequested": N_("申请重置密码"),
    "logins.Login.Revoked": N_("控制台登录撤销"),
}
_ACTORS = {
    "staff": N_("平台员工"),
    "api_key": N_("API 密钥"),
    "employee": N_("员工"),
    "system": N_("系统"),
    "visitor": N_("访客"),
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


def event_label(event_type: str) -> str:
    return _(_EVENTS[event_type]) if event_type in _EVENTS else event_type


def actor_label(actor: dict[str, Any] | None) -> str:
    if not actor:
        return "—"
    kind = str(actor.get("kind", ""))
    return f"{_(_ACTORS[kind]) if kind in _ACTORS else kind} {actor.get('id', '')}".strip()


# What the back-office templates call by name (labels of states, events, actors).
TEMPLATE_HELPERS: dict[str, Any] = {
    "state_label": state_label,
    "state_badge": state_badge,
    "kind_label": kind_label,
    "product_line_label": product_line_label,
    "role_label": role_label,
    "event_label": event_label,
    "actor_label": actor_label,
}
