"""Fan pages of an Official Account (WX-2, WX-3): the account's fans, following or gone,
with how long the 48-hour customer-service window still runs; a fan's conversation in
chat order with a reply form, whose refusal outside the window names the rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, ProviderUnavailable
from application.wechat.accounts import OfficialAccounts
from application.wechat.commands import FanDetails, FanMessage, ReplyToFan
from application.wechat.conversations import Conversations
from application.wechat.fan_directory import FanQueries
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form, refusal_errors
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import page, query_of, redirect, signed_in_viewer, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table
from entrypoints.web.wechat.common import ACCOUNTS, WechatConsole, window_cell

RESOURCE = "wechat_fans"
FILTERS = ("status", "cursor")
STATUSES = {"following": True, "left": False}  # the filter's values: 关注 / 已取关
SENDERS = {"fan": N_("粉丝"), "auto": N_("自动回复")}
MESSAGE_KINDS = {
    "text": N_("文字"),
    "image": N_("图片"),
    "voice": N_("语音"),
    "video": N_("视频"),
    "shortvideo": N_("小视频"),
    "location": N_("位置"),
    "link": N_("链接"),
}


class WechatFanPages(Controller):
    path = "/wechat/accounts/{account_id:uuid}/fans"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def fans(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_fans: FanQueries,
        wechat_console: WechatConsole,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        account = wechat_accounts.account(caller.tenant_id, account_id)  # 404 for another's
        timezone = signed_in_viewer(request).timezone
        query = query_of(request, FILTERS)
        listed = wechat_fans.fans(
            caller.tenant_id,
            account_id,
            subscribed=STATUSES.get(query["status"]),
            cursor=query["cursor"] or None,
            limit=PAGE_SIZE,
        )
        now = wechat_console.now()
        base = f"{ACCOUNTS}/{account_id}/fans"
        rows = [
            Row(
                fan.openid,
                [
                    Cell(fan.openid, href=f"{base}/{fan.openid}"),
                    Cell(fan.nickname or "—"),
                    _status_cell(fan),
                    Cell(local_time(fan.subscribed_at, timezone)),
                    Cell(local_time(fan.last_interaction_at, timezone)),
                    window_cell(fan, now),
                ],
            )
            for fan in listed.items
        ]
        table = Table(
            id="wechat-fans",
            url=base,
            columns=[
                Column("openid", "OpenID"),
                Column("nickname", "昵称"),
                Column("status", "状态"),
                Column("subscribed_at", "关注时间"),
                Column("last_interaction_at", "最近互动"),
                Column("window", "48 小时客服消息"),
            ],
            rows=rows,
            caption="粉丝",
            next_cursor=listed.next_cursor,
            filters=[
                Filter(
                    "status",
                    "状态",
                    kind="select",
                    options=(Option("following", "关注"), Option("left", "已取关")),
                )
            ],
            query=query,
            empty_message="还没有粉丝互动过",
        )
        return page(
            request,
            "wechat/fans.html",
            title=_("粉丝 · {name}").format(name=account.name),
            account=account,
            table=table,
        )

    @get("/{openid:str}", sync_to_thread=True)
    def conversation(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        openid: str,
        wechat_accounts: OfficialAccounts,
        wechat_fans: FanQueries,
        wechat_console: WechatConsole,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        return _conversation_page(
            request, caller, account_id, openid, wechat_accounts, wechat_fans, wechat_console,
            cursor=cursor or None, values={}, errors={},
        )  # fmt: skip

    @post("/{openid:str}/reply")
    async def reply(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        openid: str,
        wechat_accounts: OfficialAccounts,
        wechat_fans: FanQueries,
        wechat_conversations: Conversations,
        wechat_console: WechatConsole,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        # another tenant's account: the 404 page, before the form is read
        await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        data = await form_data(request)
        sender = str(caller.employee_id or caller.key_id)
        status = 422
        try:
            command = parse_form(ReplyToFan, data)
            sent = await change(
                lambda: wechat_conversations.reply(
                    caller.tenant_id, account_id, openid, command, sender=sender
                )
            )
        except (FormErrors, InvalidInput) as invalid:
            errors = errors_of(invalid)
        except DomainError as refusal:  # outside the 48-hour window: the rule, on the form
            errors, status = refusal_errors(refusal, field="__all__").errors, 409
        except ProviderUnavailable as unavailable:  # WeChat refused or could not be reached
            errors, status = refusal_errors(unavailable, field="__all__").errors, 503
        else:
            await in_thread(wechat_console.wait_for_fans)
            hours = sent.window_left_seconds // 3600
            message = _("已发送；客服消息时限还剩 {n} 小时").format(n=hours)
            where = f"{ACCOUNTS}/{account_id}/fans/{openid}#reply"
            return redirect(request, where, flash=Flash("success", message))
        return await in_thread(
            lambda: _conversation_page(
                request, caller, account_id, openid, wechat_accounts, wechat_fans,
                wechat_console, cursor=None, values={"text": data.get("text", "")},
                errors=errors, status=status,
            )
        )  # fmt: skip


def _conversation_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    account_id: UUID,
    openid: str,
    accounts: OfficialAccounts,
    fans: FanQueries,
    console: WechatConsole,
    *,
    cursor: str | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
) -> Response[Any]:
    account = accounts.account(caller.tenant_id, account_id)  # 404 for another's
    fan = fans.fan(caller.tenant_id, account_id, openid)  # 404 for a stranger
    # Newest first from the directory; shown in chat order, the newest by the reply form.
    messages = fans.messages(caller.tenant_id, account_id, openid, cursor=cursor, limit=PAGE_SIZE)
    now = console.now()
    base = f"{ACCOUNTS}/{account_id}/fans/{openid}"
    return page(
        request,
        "wechat/fan.html",
        title=_("与 {name} 的会话").format(name=fan.nickname or fan.openid),
        account=account,
        fan=fan,
        status_cell=_status_cell(fan),
        window=window_cell(fan, now),
        messages=[_shown(message) for message in reversed(messages.items)],
        earlier_url=f"{base}?cursor={messages.next_cursor}" if messages.next_cursor else None,
        latest_url=base if cursor else None,
        may_reply=caller.may(RESOURCE, Action.UPDATE) and not account.unbound,
        values=values,
        errors=errors,
        status=status,
    )


def _shown(message: FanMessage) -> dict[str, Any]:
    """A message as the conversation shows it: who, when, what (a non-text kind named)."""
    sender = _(SENDERS[message.by]) if message.by in SENDERS else _("客服")
    kind = message.msg_type
    label = _(MESSAGE_KINDS[kind]) if kind in MESSAGE_KINDS else kind
    return {
        "direction": message.direction,
        "at": message.at,
        "sender": sender,
        "text": message.text,
        "kind": "" if kind == "text" else label,
    }


def _status_cell(fan: FanDetails) -> Cell:
    """Following, gone, or not known yet (a fan who wrote before huoke saw them follow,
    until the follower list is synced)."""
    if fan.subscribed:
        return Cell(_("关注"), badge="ok")
    if fan.unsubscribed_at is not None:
        return Cell(_("已取关"), badge="bad")
    return Cell(_("未知"), badge="info")


PAGES: tuple[Any, ...] = (WechatFanPages,)
