"""Official Account pages (营销触达 · 微信公众号; WX-1, WX-5, WX-6): the accounts with a
form to bind one (its keys never shown back); an account's page with the server
address to type into WeChat's console, its name and verification, the follow and
keyword replies, its message templates, and unbinding after a confirmation step."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import AlreadyExists, InvalidInput
from application.shared.history import RecordHistory
from application.wechat.account_directory import AccountQueries
from application.wechat.accounts import OfficialAccounts
from application.wechat.commands import (
    AccountDetails,
    AddTemplate,
    BindAccount,
    ReviseAccount,
    SetAutoReplies,
)
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    FormErrors,
    errors_of,
    form_data,
    parse_form,
    reason_of,
    refusal_errors,
    version_of,
)
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import (
    confirm_page,
    history_for,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Row, Table
from entrypoints.web.wechat.common import ACCOUNTS, KIND_NAMES, SECTION, WechatConsole, kind_name

RESOURCE = "wechat_accounts"
FILTERS = ("unbound", "cursor")
# What a refused bind form shows again: never the keys (they are typed again).
SHOWN_AGAIN = ("name", "appid", "kind", "verified")
# How a keyword rule's match is typed on its line (English words or Chinese).
MATCHES = {"exact": "exact", "contains": "contains", "精确": "exact", "包含": "contains"}
RULE_FIELDS = {"keyword": "关键词", "match": "匹配方式", "reply": "回复"}
_FIELD_SEPARATORS = re.compile(r"[\s,，、;；]+")


class WechatAccountPages(Controller):
    path = "/wechat/accounts"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def accounts(
        self,
        request: Request[Any, Any, Any],
        wechat_account_queries: AccountQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        return _accounts_page(request, caller, wechat_account_queries, {}, {})

    @post("/new")
    async def bind(
        self,
        request: Request[Any, Any, Any],
        wechat_accounts: OfficialAccounts,
        wechat_account_queries: AccountQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(BindAccount, {**data, "verified": bool(data.get("verified"))})
            made = await change(lambda: wechat_accounts.bind(caller.tenant_id, command))
        except AlreadyExists as taken:  # the same appid bound before
            errors = refusal_errors(taken, field="appid").errors
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = errors_of(refusal)
        else:
            flash = Flash("success", _("公众号已绑定：请到微信公众平台填写下方的服务器配置"))
            return redirect(request, f"{ACCOUNTS}/{made.id}", flash=flash)
        values = {name: data.get(name, "") for name in SHOWN_AGAIN}
        return await in_thread(
            lambda: _accounts_page(request, caller, wechat_account_queries, values, errors)
        )

    @get("/{account_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_console: WechatConsole,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        account = wechat_accounts.account(caller.tenant_id, account_id)  # 404 for another's
        return _account_page(request, caller, account, wechat_console, history)

    @post("/{account_id:uuid}/settings")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_console: WechatConsole,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            if not str(data.get("name", "")).strip():
                raise FormErrors({"name": _("必填")})
            command = parse_form(ReviseAccount, {**data, "verified": bool(data.get("verified"))})
            await change(
                lambda: wechat_accounts.revise(
                    caller.tenant_id, account_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            values = {"name": data.get("name", ""), "verified": data.get("verified", "")}
            return await self._again(
                request, caller, wechat_accounts, wechat_console, history, account_id,
                form="settings", values=values, refusal=refusal,
            )  # fmt: skip
        return redirect(request, f"{ACCOUNTS}/{account_id}", flash=Flash("success", _("已保存")))

    @post("/{account_id:uuid}/auto-replies")
    async def set_auto_replies(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_console: WechatConsole,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            rules, lines = rules_of(data.get("keyword_replies", ""))
            command = _auto_replies(data.get("follow_reply", ""), rules, lines)
            await change(
                lambda: wechat_accounts.set_auto_replies(
                    caller.tenant_id, account_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            values = {k: data.get(k, "") for k in ("follow_reply", "keyword_replies")}
            return await self._again(
                request, caller, wechat_accounts, wechat_console, history, account_id,
                form="auto_replies", values=values, refusal=refusal,
            )  # fmt: skip
        flash = Flash("success", _("自动回复已保存"))
        return redirect(request, f"{ACCOUNTS}/{account_id}#auto-replies", flash=flash)

    @post("/{account_id:uuid}/templates")
    async def add_template(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_console: WechatConsole,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            fields = [f for f in _FIELD_SEPARATORS.split(str(data.get("fields", ""))) if f]
            command = parse_form(AddTemplate, {**data, "fields": fields or None})
            await change(
                lambda: wechat_accounts.add_template(
                    caller.tenant_id, account_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            values = {k: data.get(k, "") for k in ("template_id", "title", "fields")}
            return await self._again(
                request, caller, wechat_accounts, wechat_console, history, account_id,
                form="template", values=values, refusal=refusal,
            )  # fmt: skip
        flash = Flash("success", _("模板已添加"))
        return redirect(request, f"{ACCOUNTS}/{account_id}#templates", flash=flash)

    @post("/{account_id:uuid}/templates/remove")
    async def remove_template(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_console: WechatConsole,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        data = await form_data(request)
        template_id = str(data.get("template_id", ""))
        try:
            version = version_of(data)
            await change(
                lambda: wechat_accounts.remove_template(
                    caller.tenant_id, account_id, template_id, expected_version=version
                )
            )
        except (FormErrors, DomainError) as refusal:  # removed meanwhile
            return await self._again(
                request, caller, wechat_accounts, wechat_console, history, account_id,
                form="template", values={}, refusal=refusal,
            )  # fmt: skip
        flash = Flash("success", _("模板已移除"))
        return redirect(request, f"{ACCOUNTS}/{account_id}#templates", flash=flash)

    @get("/{account_id:uuid}/unbind", sync_to_thread=True)
    def unbind_confirmation(
        self, request: Request[Any, Any, Any], account_id: UUID, wechat_accounts: OfficialAccounts
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        return _unbind_page(request, wechat_accounts.account(caller.tenant_id, account_id), {}, {})

    @post("/{account_id:uuid}/unbind")
    async def unbind(
        self, request: Request[Any, Any, Any], account_id: UUID, wechat_accounts: OfficialAccounts
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        account = await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            reason = reason_of(data, required=True)
            await change(
                lambda: wechat_accounts.unbind(
                    caller.tenant_id, account_id, expected_version=version
                ),
                reason=reason,
            )
        except DomainError as refusal:  # unbound already
            return _unbind_page(request, account, data, errors_of(refusal), status=409)
        except FormErrors as invalid:
            return _unbind_page(request, account, data, invalid.errors, status=422)
        flash = Flash("success", _("公众号已解绑"))
        return redirect(request, f"{ACCOUNTS}/{account_id}", flash=flash)

    async def _again(
        self,
        request: Request[Any, Any, Any],
        caller: TenantCaller,
        wechat_accounts: OfficialAccounts,
        wechat_console: WechatConsole,
        history: RecordHistory,
        account_id: UUID,
        *,
        form: str,
        values: Mapping[str, Any],
        refusal: Exception,
    ) -> Response[Any]:
        """The account's page again, with the refused form's errors and what was typed
        (422 for input to correct, 409 for a state that does not allow it)."""
        input_error = isinstance(refusal, FormErrors | InvalidInput | InvalidValue)

        def shown() -> Response[Any]:
            account = wechat_accounts.account(caller.tenant_id, account_id)
            return _account_page(
                request, caller, account, wechat_console, history,
                form=form, values=values, errors=errors_of(refusal),
                status=422 if input_error else 409,
            )  # fmt: skip

        return await in_thread(shown)


def rules_of(text: Any) -> tuple[list[dict[str, str]], list[int]]:
    """Keyword rules typed one a line, `关键词|匹配方式|回复` (the match `exact`/`精确`
    or `contains`/`包含`; `关键词|回复` is an exact match), with each rule's line number
    for the errors; blank lines are skipped."""
    rules: list[dict[str, str]] = []
    lines: list[int] = []
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|", 2)]
        if len(parts) < 2:
            raise FormErrors(
                {"keyword_replies": _("第 {n} 行：请按“关键词|匹配方式|回复”填写").format(n=number)}
            )
        if len(parts) == 3 and parts[1].lower() in MATCHES:
            keyword, match, reply = parts[0], MATCHES[parts[1].lower()], parts[2]
        else:  # 关键词|回复 (the reply may hold a "|" of its own)
            keyword, match, reply = parts[0], "exact", line.split("|", 1)[1].strip()
        rules.append({"keyword": keyword, "match": match, "reply": reply})
        lines.append(number)
    return rules, lines


def rules_text(rules: Sequence[Mapping[str, str]]) -> str:
    """The account's keyword rules as the form's textarea shows them."""
    return "\n".join(f"{r['keyword']}|{r['match']}|{r['reply']}" for r in rules)


def _auto_replies(follow_reply: Any, rules: list[dict[str, str]], lines: list[int]) -> Any:
    """The command, or the errors with a rule's mistake on the rules' field, by line."""
    try:
        return parse_form(SetAutoReplies, {"follow_reply": follow_reply, "keyword_replies": rules})
    except FormErrors as invalid:
        errors: dict[str, str] = {}
        for name, message in invalid.errors.items():
            parts = name.split(".")
            if parts[0] == "keyword_replies" and len(parts) >= 3 and parts[1].isdigit():
                index = int(parts[1])
                line = lines[index] if index < len(lines) else index + 1
                label = _(RULE_FIELDS.get(parts[2], parts[2]))
                message = _("第 {n} 行：{field}{message}").format(
                    n=line, field=label, message=message
                )
            errors.setdefault(parts[0], message)
        raise FormErrors(errors) from None


def _accounts_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    queries: AccountQueries,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    query = query_of(request, FILTERS)
    listed = queries.accounts(
        caller.tenant_id,
        cursor=query["cursor"] or None,
        limit=PAGE_SIZE,
        include_unbound=bool(query["unbound"]),
    )
    rows = [
        Row(
            str(account.id),
            [
                Cell(account.name, href=f"{ACCOUNTS}/{account.id}"),
                Cell(account.appid),
                Cell(kind_name(account.kind)),
                Cell(_("已认证"), badge="ok") if account.verified else Cell(_("未认证")),
                Cell(str(account.templates)),
                Cell(_("已解绑"), badge="bad")
                if account.unbound
                else Cell(_("使用中"), badge="ok"),
                Cell(local_time(account.created_at, timezone)),
            ],
        )
        for account in listed.items
    ]
    table = Table(
        id="wechat-accounts",
        url=ACCOUNTS,
        columns=[
            Column("name", "名称"),
            Column("appid", "AppID"),
            Column("kind", "类型"),
            Column("verified", "微信认证"),
            Column("templates", "模板数", numeric=True),
            Column("status", "状态"),
            Column("created", "绑定时间"),
        ],
        rows=rows,
        caption="微信公众号",
        next_cursor=listed.next_cursor,
        filters=[Filter("unbound", "显示已解绑的公众号", kind="checkbox")],
        query=query,
        empty_message="还没有绑定公众号",
    )
    return page(
        request,
        "wechat/accounts.html",
        title=_("微信公众号"),
        table=table,
        may_bind=caller.may(RESOURCE, Action.CREATE),
        kinds=[(kind, _(name)) for kind, name in KIND_NAMES.items()],
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def _account_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    account: AccountDetails,
    console: WechatConsole,
    history: RecordHistory,
    *,
    form: str | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    """An account's page; a refused `form` shows its errors and what was typed."""
    bound = not account.unbound
    return page(
        request,
        "wechat/account.html",
        title=account.name,
        account=account,
        kind_name=kind_name(account.kind),
        callback_url=console.callback_url(account.callback_path),
        rules=rules_text(account.keyword_replies),
        may_update=caller.may(RESOURCE, Action.UPDATE) and bound,
        may_unbind=caller.may(RESOURCE, Action.DELETE) and bound,
        may_read_fans=caller.may("wechat_fans", Action.READ),
        history=history_for(history, caller, account.id),
        form=form,
        values=values or {},
        errors=errors or {},
        status=status,
    )


def _unbind_page(
    request: Request[Any, Any, Any],
    account: AccountDetails,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("解绑公众号"),
        description=_(
            "解绑后火客不再接收「{name}」的消息和事件（回调地址答复 404），也不能再回复粉丝；"
            "粉丝、会话和历史记录保留。解绑不可撤销。"
        ).format(name=account.name),
        action=f"{ACCOUNTS}/{account.id}/unbind",
        confirm_label=_("确认解绑"),
        reason_required=True,
        fields={"version": account.version},
        values=values,
        errors=errors,
        cancel=f"{ACCOUNTS}/{account.id}",
        status=status,
    )


PAGES: tuple[Any, ...] = (WechatAccountPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="微信公众号",
        path=ACCOUNTS,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=30,
    ),
)
