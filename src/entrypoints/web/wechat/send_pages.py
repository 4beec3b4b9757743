"""Mass-send pages (营销触达 · 群发; WX-3, WX-4): the tenant's mass sends (or one account's)
with a draft form — the audience by tag, region, gender and follow time with include and
exclude, or listed openids — a send's page with a preview to one fan, sending after a
confirmation step, its recipients (skipped ones with the reason, e.g. the 4-a-month cap)
and WeChat's results from MASSSENDJOBFINISH."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, NotFound, ProviderUnavailable
from application.shared.pages import MAX_LIMIT
from application.wechat.account_directory import AccountQueries
from application.wechat.commands import AccountSummary
from application.wechat.mass_sends import WechatSends
from application.wechat.send_commands import DraftMassSend, MassSendDetails, PreviewMassSend
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.http.problems import translated
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    FormErrors,
    errors_of,
    form_data,
    optional_id,
    parse_form,
    refusal_errors,
    version_of,
)
from entrypoints.web.i18n import N_, current_language, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import (
    confirm_page,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table
from entrypoints.web.wechat.common import SECTION, kind_name

RESOURCE = "wechat_mass_sends"
MASS_SENDS = "/console/wechat/mass-sends"
FILTERS = ("account", "cursor")
RECIPIENT_FILTERS = ("state", "cursor")
MODES = {
    "normal": N_("普通群发（服务号粉丝每月最多 4 条）"),
    "targeted": N_("定向发送（指定 OpenID，不占每月 4 条）"),
    "unlimited": N_("不限次群发（48 小时内互动过的粉丝，以客服消息发送）"),
}
MODE_SHORT = {"normal": N_("普通群发"), "targeted": N_("定向发送"), "unlimited": N_("不限次群发")}
MESSAGE_KINDS = {
    "text": N_("文字"),
    "image": N_("图片"),
    "voice": N_("语音"),
    "video": N_("视频"),
    "mpnews": N_("图文"),
}
SEXES = {"": N_("不限"), "1": N_("男"), "2": N_("女"), "0": N_("未知")}
STATES = {
    "draft": (N_("草稿"), "info"),
    "sending": (N_("发送中"), "warn"),
    "sent": (N_("已发送"), "ok"),
    "failed": (N_("失败"), "bad"),
}
RECIPIENT_STATES = {
    "queued": (N_("排队中"), "info"),
    "sent": (N_("已发送"), "ok"),
    "skipped": (N_("已跳过"), "warn"),
    "failed": (N_("失败"), "bad"),
}
SKIP_REASONS = {
    "monthly_cap": N_("本月已收到 4 条群发（服务号粉丝每月最多 4 条，WX-4）"),
    "outside_service_window": N_("48 小时内未互动（不限次群发只发给 48 小时内互动过的粉丝）"),
    "unfollowed": N_("已取消关注"),
    "not_a_fan": N_("不是该公众号的粉丝"),
}
# The form's fields of the audience, and where the command names them.
LIST_FIELDS = ("tag_ids", "provinces", "cities")
SHOWN_AGAIN = (
    "account_id", "name", "mode", "kind", "text", "media_id", "openids", "followed_from",
    "followed_to", "include_sex", "exclude_sex",
    *(f"{side}_{name}" for side in ("include", "exclude") for name in LIST_FIELDS),
)  # fmt: skip
SEPARATORS = re.compile(r"[\s,，、;；]+")


class WechatMassSendPages(Controller):
    path = "/wechat/mass-sends"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def sends(
        self,
        request: Request[Any, Any, Any],
        wechat_sends: WechatSends,
        wechat_account_queries: AccountQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        query = query_of(request, FILTERS)
        chosen = query["account"]
        return _sends_page(
            request, caller, wechat_sends, wechat_account_queries, {"account_id": chosen}, {}
        )

    @post("/new")
    async def draft(
        self,
        request: Request[Any, Any, Any],
        wechat_sends: WechatSends,
        wechat_account_queries: AccountQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        timezone = signed_in_viewer(request).timezone
        try:
            command = parse_form(DraftMassSend, draft_of(data, timezone))
            made = await change(lambda: wechat_sends.draft(caller.tenant_id, command))
        except NotFound:  # an account not the tenant's (or gone): the choice is wrong
            errors = {"account_id": _("请选择公众号")}
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = form_errors(refusal)
        else:
            flash = Flash("success", _("群发草稿已保存：可先预览给自己，再发送"))
            return redirect(request, f"{MASS_SENDS}/{made.id}", flash=flash)
        values = {name: data.get(name, "") for name in SHOWN_AGAIN}
        return await in_thread(
            lambda: _sends_page(
                request, caller, wechat_sends, wechat_account_queries, values, errors
            )
        )

    @get("/{mass_send_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        mass_send_id: UUID,
        wechat_sends: WechatSends,
        wechat_account_queries: AccountQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        send = wechat_sends.mass_send(caller.tenant_id, mass_send_id)  # 404 for another's
        return _send_page(request, caller, send, wechat_sends, wechat_account_queries)

    @post("/{mass_send_id:uuid}/preview")
    async def preview(
        self,
        request: Request[Any, Any, Any],
        mass_send_id: UUID,
        wechat_sends: WechatSends,
        wechat_account_queries: AccountQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        # another tenant's send: the 404 page, before the form is read
        await in_thread(lambda: wechat_sends.mass_send(caller.tenant_id, mass_send_id))
        data = await form_data(request)
        status = 422
        try:
            command = parse_form(PreviewMassSend, data)
            await change(lambda: wechat_sends.preview(caller.tenant_id, mass_send_id, command))
        except (FormErrors, InvalidInput) as invalid:
            errors = errors_of(invalid)
        except DomainError as refusal:
            errors, status = refusal_errors(refusal, field="openid").errors, 409
        except ProviderUnavailable as unavailable:  # WeChat refused (e.g. not a fan)
            errors, status = refusal_errors(unavailable, field="openid").errors, 503
        else:
            message = _("预览已发送给 {openid}").format(openid=command.openid)
            where = f"{MASS_SENDS}/{mass_send_id}#preview"
            return redirect(request, where, flash=Flash("success", message))

        def shown() -> Response[Any]:
            send = wechat_sends.mass_send(caller.tenant_id, mass_send_id)
            return _send_page(
                request, caller, send, wechat_sends, wechat_account_queries,
                values={"openid": data.get("openid", "")}, errors=errors, status=status,
            )  # fmt: skip

        return await in_thread(shown)

    @get("/{mass_send_id:uuid}/send", sync_to_thread=True)
    def send_confirmation(
        self,
        request: Request[Any, Any, Any],
        mass_send_id: UUID,
        wechat_sends: WechatSends,
        wechat_account_queries: AccountQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        send = wechat_sends.mass_send(caller.tenant_id, mass_send_id)
        return _send_confirmation(request, caller, send, wechat_account_queries, {})

    @post("/{mass_send_id:uuid}/send")
    async def send(
        self,
        request: Request[Any, Any, Any],
        mass_send_id: UUID,
        wechat_sends: WechatSends,
        wechat_account_queries: AccountQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        # another tenant's send: the 404 page, before the form is read
        await in_thread(lambda: wechat_sends.mass_send(caller.tenant_id, mass_send_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            sent = await change(
                lambda: wechat_sends.send(caller.tenant_id, mass_send_id, expected_version=version)
            )
        except (FormErrors, DomainError) as refusal:  # a daily limit, sent already
            # The step has no fields of its own: the rule is shown on the form.
            errors = {"__all__": next(iter(errors_of(refusal).values()))}
        else:
            # The send worker may already have sent some: every fan not skipped counts.
            counts = sent.recipients
            message = _("已开始发送：发给 {reached} 位粉丝，{skipped} 位跳过").format(
                reached=counts.queued + counts.sent + counts.failed, skipped=counts.skipped
            )
            where = f"{MASS_SENDS}/{mass_send_id}"
            return redirect(request, where, flash=Flash("success", message))

        def refused() -> Response[Any]:
            # A daily limit's refusal fails the send: the step shows it as it is now.
            now = wechat_sends.mass_send(caller.tenant_id, mass_send_id)
            return _send_confirmation(
                request, caller, now,
                wechat_account_queries, errors, status=409,
            )  # fmt: skip

        return await in_thread(refused)


def draft_of(data: Mapping[str, Any], timezone: str) -> dict[str, Any]:
    """The command's shape from the flat form: lists typed with commas, the follow dates
    as the start of the first day and the end of the last, in the viewer's zone."""
    errors: dict[str, str] = {}
    audience: dict[str, Any] = {"include": {}, "exclude": {}, "openids": []}
    for side in ("include", "exclude"):
        for name in LIST_FIELDS:
            field = f"{side}_{name}"
            values = [v for v in SEPARATORS.split(str(data.get(field, "") or "")) if v]
            if name == "tag_ids":
                if not all(v.isdigit() for v in values):
                    errors[field] = _("请填写标签 ID（数字），用逗号分隔")
                    continue
                audience[side][name] = [int(v) for v in values]
            else:
                audience[side][name] = values
        sex = str(data.get(f"{side}_sex", "") or "")
        if sex:
            audience[side]["sex"] = int(sex) if sex in ("0", "1", "2") else sex
    zone = ZoneInfo(timezone)
    for name, extra in (("followed_from", timedelta(0)), ("followed_to", timedelta(days=1))):
        typed = str(data.get(name, "") or "").strip()
        if not typed:
            continue
        try:
            day = date.fromisoformat(typed)
        except ValueError:
            errors[name] = _("请填写日期，例如 2026-11-01")
            continue
        moment = datetime.combine(day, time(0), zone) + extra
        audience["include"][name] = moment - timedelta(microseconds=1) if extra else moment
    # What the use case would refuse one at a time, named together on the form.
    if not str(data.get("name", "") or "").strip():
        errors["name"] = _("必填")
    kind = str(data.get("kind") or "text")
    needed = "text" if kind == "text" else "media_id"
    if not str(data.get(needed, "") or "").strip():
        errors[needed] = _("必填")
    if str(data.get("mode", "")) == "targeted":
        audience["openids"] = [o for o in SEPARATORS.split(str(data.get("openids", ""))) if o]
    if errors:
        raise FormErrors(errors)
    return {
        "account_id": data.get("account_id", ""),
        "name": str(data.get("name", "") or "").strip(),
        "mode": data.get("mode", ""),
        "audience": audience,
        "message": {
            "kind": kind,
            "text": str(data.get("text", "") or ""),
            "media_id": str(data.get("media_id", "") or "").strip(),
        },
    }


def form_field(name: str) -> str:
    """The form's field for a name of the command (`audience.include.tag_ids.0` →
    `include_tag_ids`, `message.text` → `text`)."""
    parts = [part for part in name.split(".") if not part.isdigit()]
    if parts[:1] == ["message"] and len(parts) > 1:
        return parts[1]
    if parts[:1] == ["audience"] and len(parts) > 1:
        if parts[1] == "openids":
            return "openids"
        if len(parts) > 2 and parts[1] in ("include", "exclude"):
            key = parts[2]
            if key in ("followed_from", "followed_to"):
                return key
            return f"{parts[1]}_{'sex' if key == 'sex' else key}"
        return "__all__"
    return parts[0] if parts else "__all__"


def form_errors(refusal: Exception) -> dict[str, str]:
    """The refusal's errors on the form's fields (the first for each field)."""
    errors: dict[str, str] = {}
    for name, message in errors_of(refusal).items():
        errors.setdefault(form_field(name), message)
    return errors


def _accounts(queries: AccountQueries, tenant_id: UUID) -> list[AccountSummary]:
    """The tenant's bound accounts, for the draft form and the names of the list
    (a tenant binds a handful; the first 100 are offered)."""
    return list(queries.accounts(tenant_id, cursor=None, limit=MAX_LIMIT).items)


def state_cell(state: str) -> Cell:
    label, badge = STATES.get(state, (state, "info"))
    return Cell(_(label), badge=badge)


def _sends_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    sends: WechatSends,
    queries: AccountQueries,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    query = query_of(request, FILTERS)
    accounts = _accounts(queries, caller.tenant_id)
    names = {account.id: account.name for account in accounts}
    account_id = chosen_id(query["account"])
    listed = sends.mass_sends(
        caller.tenant_id, account_id=account_id, cursor=query["cursor"] or None, limit=PAGE_SIZE
    )
    rows = [
        Row(
            str(send.id),
            [
                Cell(send.name, href=f"{MASS_SENDS}/{send.id}"),
                Cell(names.get(send.account_id, "—")),
                Cell(_(MODE_SHORT.get(send.mode, send.mode))),
                state_cell(send.state),
                Cell(local_time(send.requested_at, timezone) if send.requested_at else "—"),
                Cell(local_time(send.created_at, timezone)),
            ],
        )
        for send in listed.items
    ]
    table = Table(
        id="wechat-mass-sends",
        url=MASS_SENDS,
        columns=[
            Column("name", "名称"),
            Column("account", "公众号"),
            Column("mode", "方式"),
            Column("state", "状态"),
            Column("requested_at", "发送时间"),
            Column("created_at", "创建时间"),
        ],
        rows=rows,
        caption="群发",
        next_cursor=listed.next_cursor,
        filters=[
            Filter(
                "account",
                "公众号",
                kind="select",
                options=tuple(Option(str(a.id), a.name) for a in accounts),
            )
        ],
        query=query,
        empty_message="还没有群发",
    )
    return page(
        request,
        "wechat/mass_sends.html",
        title=_("群发"),
        table=table,
        may_draft=caller.may(RESOURCE, Action.CREATE) and bool(accounts),
        accounts=[(str(a.id), f"{a.name}（{kind_name(a.kind)}）") for a in accounts],
        modes=[(mode, _(label)) for mode, label in MODES.items()],
        kinds=[(kind, _(label)) for kind, label in MESSAGE_KINDS.items()],
        sexes=[(value, _(label)) for value, label in SEXES.items()],
        account=next((a for a in accounts if a.id == account_id), None),
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def chosen_id(raw: Any) -> UUID | None:
    """The account a filter or a form names (none when it names no valid id)."""
    try:
        return optional_id({"account": raw}, "account")
    except FormErrors:  # a filter typed by hand: every account
        return None


def account_names(queries: AccountQueries, tenant_id: UUID) -> dict[UUID, str]:
    return {a.id: a.name for a in _accounts(queries, tenant_id)}


def _account_name(queries: AccountQueries, caller: TenantCaller, account_id: UUID) -> str:
    return account_names(queries, caller.tenant_id).get(account_id, _("已解绑的公众号"))


def audience_lines(audience: Mapping[str, Any], timezone: str) -> list[str]:
    """The audience in words, one line a filter ("所有粉丝" when none)."""
    if audience.get("openids"):
        openids = list(audience["openids"])
        return [_("指定粉丝：{openids}").format(openids="、".join(openids))]
    lines: list[str] = []
    for side, word in (("include", N_("包含")), ("exclude", N_("排除"))):
        filters = audience.get(side) or {}
        for key, label in (("tag_ids", N_("标签")), ("provinces", N_("省份")),
                           ("cities", N_("城市"))):  # fmt: skip
            if filters.get(key):
                values = "、".join(str(v) for v in filters[key])
                lines.append(f"{_(word)} · {_(label)}：{values}")
        if "sex" in filters:
            sex = _(SEXES.get(str(filters["sex"]), str(filters["sex"])))
            lines.append(f"{_(word)} · {_('性别')}：{sex}")
    for key, label in (
        ("followed_from", N_("关注时间不早于")),
        ("followed_to", N_("关注时间不晚于")),
    ):
        moment = (audience.get("include") or {}).get(key)
        if moment:
            lines.append(f"{_(label)} {local_time(datetime.fromisoformat(moment), timezone)}")
    return lines or [_("所有关注的粉丝")]


def recipients_table(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    send_id: UUID,
    sends: WechatSends,
    *,
    template: bool,
    url: str,
) -> Table:
    """A send's fans: state, why one was skipped or failed, WeChat's result."""
    query = query_of(request, RECIPIENT_FILTERS)
    state = query["state"] if query["state"] in RECIPIENT_STATES else None
    listed = sends.recipients(
        caller.tenant_id, send_id, template=template, state=state,
        cursor=query["cursor"] or None, limit=PAGE_SIZE,
    )  # fmt: skip
    rows = [
        Row(
            recipient.openid,
            [
                Cell(recipient.openid),
                Cell(
                    _(RECIPIENT_STATES[recipient.state][0]),
                    badge=RECIPIENT_STATES[recipient.state][1],
                )
                if recipient.state in RECIPIENT_STATES
                else Cell(recipient.state),
                Cell(reason_text(recipient.detail) or "—"),
                Cell(recipient.msg_id or "—"),
                Cell(recipient.result or "—"),
            ],
        )
        for recipient in listed.items
    ]
    return Table(
        id="wechat-send-recipients",
        url=url,
        columns=[
            Column("openid", "OpenID"),
            Column("state", "状态"),
            Column("detail", "原因"),
            Column("msg_id", "消息 ID"),
            Column("result", "微信结果"),
        ],
        rows=rows,
        caption="接收人",
        next_cursor=listed.next_cursor,
        filters=[
            Filter(
                "state",
                "状态",
                kind="select",
                options=tuple(Option(k, label) for k, (label, _b) in RECIPIENT_STATES.items()),
            )
        ],
        query=query,
        empty_message="发送后在这里列出每位粉丝",
    )


def reason_text(detail: str) -> str:
    """Why a fan was skipped or failed: the reason named in the page's language (the
    ledger keeps `reason: the rule`), or WeChat's own words."""
    if not detail:
        return ""
    code, _sep, rest = detail.partition(":")
    if code.strip() in SKIP_REASONS:
        return _(SKIP_REASONS[code.strip()])
    return translated(rest.strip() or detail, current_language())


def _send_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    send: MassSendDetails,
    sends: WechatSends,
    queries: AccountQueries,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    draft = send.state == "draft"
    return page(
        request,
        "wechat/mass_send.html",
        title=send.name,
        send=send,
        state=state_cell(send.state),
        account_name=_account_name(queries, caller, send.account_id),
        mode=_(MODE_SHORT.get(send.mode, send.mode)),
        kind=_(MESSAGE_KINDS.get(send.message.get("kind", ""), send.message.get("kind", ""))),
        audience=audience_lines(send.audience, timezone),
        refusal=translated(send.refusal, current_language()) if send.refusal else "",
        reasons=[
            (_(SKIP_REASONS[code]) if code in SKIP_REASONS else code, count)
            for code, count in sorted(send.skipped_reasons.items())
        ],
        table=recipients_table(
            request, caller, send.id, sends, template=False, url=f"{MASS_SENDS}/{send.id}"
        ),
        may_send=caller.may(RESOURCE, Action.UPDATE) and draft,
        values=values or {},
        errors=errors or {},
        status=status,
    )


def _send_confirmation(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    send: MassSendDetails,
    queries: AccountQueries,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    audience = "；".join(audience_lines(send.audience, timezone))
    rule = {
        "normal": _("服务号的每位粉丝每月最多收到 4 条群发，本月已满 4 条的粉丝会被跳过；"
                    "订阅号每天只能群发 1 次。"),
        "targeted": _("定向发送不占粉丝每月 4 条的额度，每个服务号每天最多 100 次。"),
        "unlimited": _("以客服消息发送，只发给 48 小时内互动过的粉丝。"),
    }.get(send.mode, "")  # fmt: skip
    return confirm_page(
        request,
        title=_("发送群发"),
        description=_(
            "「{name}」将从「{account}」发给：{audience}。接收人在发送时确定，发出后不能撤回。"
        ).format(
            name=send.name,
            account=_account_name(queries, caller, send.account_id),
            audience=audience,
        )
        + rule,
        action=f"{MASS_SENDS}/{send.id}/send",
        confirm_label=_("确认发送"),
        reason_required=None,
        fields={"version": send.version},
        errors=errors,
        cancel=f"{MASS_SENDS}/{send.id}",
        status=status,
    )


PAGES: tuple[Any, ...] = (WechatMassSendPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="群发",
        path=MASS_SENDS,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=31,
    ),
)
