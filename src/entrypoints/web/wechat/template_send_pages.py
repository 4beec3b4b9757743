"""Template-message pages (模板消息; WX-5): the tenant's template sends (or one account's);
a send form in two steps that works without script — choose the account's template,
then a value for each of its fields, the landing page and the fans — and a send's page
with each fan's result (WeChat's TEMPLATESENDJOBFINISH)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, NotFound
from application.wechat.account_directory import AccountQueries
from application.wechat.accounts import OfficialAccounts
from application.wechat.commands import AccountDetails
from application.wechat.mass_sends import WechatSends
from application.wechat.send_commands import SendTemplate, TemplateSendDetails
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.http.problems import translated
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form
from entrypoints.web.i18n import current_language, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import page, query_of, redirect, signed_in_viewer, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table
from entrypoints.web.wechat.common import SECTION
from entrypoints.web.wechat.send_pages import (
    SEPARATORS,
    SKIP_REASONS,
    account_names,
    audience_lines,
    chosen_id,
    recipients_table,
    state_cell,
)

RESOURCE = "wechat_mass_sends"  # the API guards template sends with the mass sends'
TEMPLATE_SENDS = "/console/wechat/template-sends"
FILTERS = ("account", "cursor")


class WechatTemplateSendPages(Controller):
    path = "/wechat/template-sends"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def sends(
        self,
        request: Request[Any, Any, Any],
        wechat_sends: WechatSends,
        wechat_accounts: OfficialAccounts,
        wechat_account_queries: AccountQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        timezone = signed_in_viewer(request).timezone
        query = query_of(request, FILTERS)
        names = account_names(wechat_account_queries, caller.tenant_id)
        account_id = chosen_id(query["account"])
        account = _account_or_none(wechat_accounts, caller, account_id)
        listed = wechat_sends.template_sends(
            caller.tenant_id,
            account_id=account_id,
            cursor=query["cursor"] or None,
            limit=PAGE_SIZE,
        )
        rows = [
            Row(
                str(send.id),
                [
                    Cell(send.name or str(send.id), href=f"{TEMPLATE_SENDS}/{send.id}"),
                    Cell(names.get(send.account_id, "—")),
                    state_cell(send.state),
                    Cell(local_time(send.requested_at, timezone) if send.requested_at else "—"),
                ],
            )
            for send in listed.items
        ]
        table = Table(
            id="wechat-template-sends",
            url=TEMPLATE_SENDS,
            columns=[
                Column("name", "模板"),
                Column("account", "公众号"),
                Column("state", "状态"),
                Column("requested_at", "发送时间"),
            ],
            rows=rows,
            caption="模板消息",
            next_cursor=listed.next_cursor,
            filters=[
                Filter(
                    "account",
                    "公众号",
                    kind="select",
                    options=tuple(Option(str(key), name) for key, name in names.items()),
                )
            ],
            query=query,
            empty_message="还没有发送过模板消息",
        )
        return page(
            request,
            "wechat/template_sends.html",
            title=_("模板消息"),
            table=table,
            account=account,
            template_options=[(t["template_id"], t["title"]) for t in account.templates]
            if account
            else [],
            may_send=caller.may(RESOURCE, Action.CREATE),
        )

    @get("/new", sync_to_thread=True)
    def send_form(
        self,
        request: Request[Any, Any, Any],
        wechat_accounts: OfficialAccounts,
        account: str = "",
        template: str = "",
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        chosen = _account_or_none(wechat_accounts, caller, chosen_id(account))
        if chosen is None:  # no account chosen: the list, where one is
            return redirect(request, TEMPLATE_SENDS)
        return _send_form(request, chosen, template, {}, {})

    @post("/new")
    async def send(
        self,
        request: Request[Any, Any, Any],
        wechat_sends: WechatSends,
        wechat_accounts: OfficialAccounts,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        account = await in_thread(
            lambda: _account_or_none(wechat_accounts, caller, chosen_id(data.get("account_id")))
        )
        if account is None:  # not the tenant's: nothing to show a form for
            raise NotFound("no such account")
        status = 422
        try:
            command = parse_form(SendTemplate, template_send_of(data, account))
            made = await change(lambda: wechat_sends.send_template(caller.tenant_id, command))
        except (FormErrors, InvalidInput, InvalidValue) as invalid:
            errors = {_form_field(name): text for name, text in errors_of(invalid).items()}
        except DomainError as refusal:  # not a verified service account, a daily limit
            errors, status = {"__all__": next(iter(errors_of(refusal).values()))}, 409
        else:
            # The send worker may already have sent some: every fan not skipped counts.
            counts = made.recipients
            message = _("模板消息已开始发送：发给 {reached} 位粉丝，{skipped} 位跳过").format(
                reached=counts.queued + counts.sent + counts.failed, skipped=counts.skipped
            )
            where = f"{TEMPLATE_SENDS}/{made.id}"
            return redirect(request, where, flash=Flash("success", message))
        template = str(data.get("template_id", ""))
        return await in_thread(
            lambda: _send_form(request, account, template, data, errors, status=status)
        )

    @get("/{template_send_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        template_send_id: UUID,
        wechat_sends: WechatSends,
        wechat_accounts: OfficialAccounts,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        send = wechat_sends.template_send(caller.tenant_id, template_send_id)  # 404: another's
        return _send_page(request, caller, send, wechat_sends, wechat_accounts)


def template_send_of(data: Mapping[str, Any], account: AccountDetails) -> dict[str, Any]:
    """The command from the form: a value for each of the template's fields (`data_<key>`),
    the fans as openids or by tag."""
    template_id = str(data.get("template_id", "") or "")
    template = next((t for t in account.templates if t["template_id"] == template_id), None)
    fields: Any = template["fields"] if template else []  # the template's keys
    keys = [str(key) for key in fields]
    openids = [o for o in SEPARATORS.split(str(data.get("openids", "") or "")) if o]
    tags = [t for t in SEPARATORS.split(str(data.get("include_tag_ids", "") or "")) if t]
    if not all(tag.isdigit() for tag in tags):
        raise FormErrors({"include_tag_ids": _("请填写标签 ID（数字），用逗号分隔")})
    audience: dict[str, Any] = {"openids": openids}
    if not openids:
        audience["include"] = {"tag_ids": [int(tag) for tag in tags]}
    return {
        "account_id": str(account.id),
        "template_id": template_id,
        "data": {key: str(data.get(f"data_{key}", "") or "") for key in keys},
        "url": str(data.get("url", "") or "").strip(),
        "audience": audience,
    }


def _form_field(name: str) -> str:
    """`data.keyword1` → `data_keyword1`; `audience.openids` → `openids`."""
    parts = [part for part in name.split(".") if not part.isdigit()]
    if parts[:1] == ["data"] and len(parts) > 1:
        return f"data_{parts[1]}"
    if parts[:1] == ["audience"]:
        return "openids" if "openids" in parts else "include_tag_ids"
    return parts[0] if parts else "__all__"


def _account_or_none(
    accounts: OfficialAccounts, caller: TenantCaller, account_id: UUID | None
) -> AccountDetails | None:
    if account_id is None:
        return None
    try:
        return accounts.account(caller.tenant_id, account_id)
    except NotFound:
        return None


def _send_form(
    request: Request[Any, Any, Any],
    account: AccountDetails,
    template_id: str,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int | None = None,
) -> Response[Any]:
    template = next((t for t in account.templates if t["template_id"] == template_id), None)
    return page(
        request,
        "wechat/template_send_form.html",
        title=_("发送模板消息 · {name}").format(name=account.name),
        account=account,
        chosen=template,
        templates=[(t["template_id"], t["title"]) for t in account.templates],
        # WeChat's placeholders are typed as they are: shown from here, not the template
        placeholders="{{nickname}}、{{province}}、{{city}}、{{openid}}",
        usable=account.kind == "service" and account.verified and not account.unbound,
        values=values,
        errors=errors,
        status=status or (422 if errors else 200),
    )


def _send_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    send: TemplateSendDetails,
    sends: WechatSends,
    accounts: OfficialAccounts,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    account = _account_or_none(accounts, caller, send.account_id)
    titles = {str(t["template_id"]): str(t["title"]) for t in account.templates} if account else {}
    return page(
        request,
        "wechat/template_send.html",
        title=titles.get(send.template_id, send.template_id),
        send=send,
        account_name=account.name if account else "—",
        state=state_cell(send.state),
        audience=audience_lines(send.audience, timezone),
        refusal=translated(send.refusal, current_language()) if send.refusal else "",
        reasons=[
            (_(SKIP_REASONS[code]) if code in SKIP_REASONS else code, count)
            for code, count in sorted(send.skipped_reasons.items())
        ],
        table=recipients_table(
            request, caller, send.id, sends, template=True, url=f"{TEMPLATE_SENDS}/{send.id}"
        ),
    )


PAGES: tuple[Any, ...] = (WechatTemplateSendPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="模板消息",
        path=TEMPLATE_SENDS,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=32,
    ),
)
