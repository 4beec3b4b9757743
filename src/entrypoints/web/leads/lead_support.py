"""What the lead pages share: the list's path, owners' names and choices, and the
words shown for lead values."""

from __future__ import annotations

from uuid import UUID

from application.org.directory import OrgQueries
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _

LIST_PATH = "/console/leads"
EMPLOYEE_CHOICES = 100  # an owner field offers the first 100 current employees (a page)

POOL_STATES: dict[str, str] = {
    "pool": N_("公海"),
    "assigned": N_("已分配"),
    "following": N_("跟进中"),
    "won": N_("赢单"),
    "lost": N_("输单"),
    "closed": N_("已关闭"),
}
POOL_BADGES = {"pool": "info", "assigned": "warn", "following": "warn", "won": "ok"}
OUTCOMES: dict[str, str] = {"won": N_("赢单"), "lost": N_("输单"), "closed": N_("已关闭")}
CHANNELS: dict[str, str] = {"email": N_("邮件"), "sms": N_("短信"), "wechat": N_("微信")}
CONSENT_STATES: dict[str, str] = {
    "subscribed": N_("已订阅"),
    "unsubscribed": N_("已退订"),
    "suppressed": N_("已屏蔽"),
}
NO_CONSENT = N_("未表态")  # the person never said
IDENTITY_KINDS: dict[str, str] = {
    "mobile": N_("手机号"),
    "email": N_("邮箱"),
    "wechat_openid": N_("微信 OpenID"),
    "wechat_unionid": N_("微信 UnionID"),
    "wecom_external_userid": N_("企业微信外部联系人"),
    "member_id": N_("会员号"),
}
PROFILE_FIELDS: dict[str, str] = {
    "name": N_("姓名"),
    "gender": N_("性别"),
    "birthday": N_("生日"),
    "city": N_("城市"),
    "company": N_("公司"),
    "title": N_("职位"),
    "industry": N_("行业"),
}
TIMELINE_KINDS: dict[str, str] = {
    "lead.Registered": N_("创建线索"),
    "lead.IdentityAttached": N_("添加身份"),
    "lead.ProfileUpdated": N_("修改资料"),
    "lead.SourceChanged": N_("修改来源"),
    "lead.StatusChanged": N_("修改状态"),
    "lead.Assigned": N_("分配负责人"),
    "lead.FollowedUp": N_("跟进"),
    "lead.Closed": N_("关闭线索"),
    "lead.ReleasedToPool": N_("释放到公海"),
    "lead.HandedOver": N_("交接"),
    "lead.Tagged": N_("添加标签"),
    "lead.Untagged": N_("移除标签"),
    "lead.ConsentChanged": N_("修改订阅"),
    "lead.Absorbed": N_("合并重复线索"),
    "lead.MergedInto": N_("被合并"),
    "lead.Deleted": N_("删除线索"),
    "flows.step": N_("营销流程步骤"),
}


def owner_names(org_queries: OrgQueries, tenant_id: UUID, ids: set[UUID | None]) -> dict[str, str]:
    """The names of a page's owners (one query), by id as text."""
    found = org_queries.names(tenant_id, {i for i in ids if i is not None})
    return {str(employee_id): name for employee_id, name in found.items()}


def employee_choices(org_queries: OrgQueries, tenant_id: UUID) -> list[tuple[str, str]]:
    """Current employees as (id, name) options of an owner field."""
    page = org_queries.employees(
        tenant_id, department_id=None, include_left=False, cursor=None, limit=EMPLOYEE_CHOICES
    )
    return [(str(employee.id), employee.name) for employee in page.items]


def pool_label(state: str) -> str:
    return _(POOL_STATES.get(state, state))
