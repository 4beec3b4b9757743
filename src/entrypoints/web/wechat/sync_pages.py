"""Pages that pull from WeChat (WX-6, issue 18 item 3): the account's material library
(素材库: images, voice, video, news) by kind with a "sync from WeChat" button, and the
fans page's "sync fans" button (followers and their profiles: tags, region, gender)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.errors import ProviderUnavailable
from application.wechat.accounts import OfficialAccounts
from application.wechat.commands import MaterialDetails
from application.wechat.fan_sync import FanSync
from application.wechat.materials import MaterialQueries, MaterialSync
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import errors_of
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import page, query_of, redirect, signed_in_viewer, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table
from entrypoints.web.wechat.common import ACCOUNTS, WechatConsole

RESOURCE = "wechat_accounts"  # the API guards the library with the account's permission
KINDS = {"image": N_("图片"), "voice": N_("语音"), "video": N_("视频"), "news": N_("图文")}
FILTERS = ("kind", "cursor")


class WechatMaterialPages(Controller):
    path = "/wechat/accounts/{account_id:uuid}/materials"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def materials(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_materials: MaterialQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        account = wechat_accounts.account(caller.tenant_id, account_id)  # 404 for another's
        timezone = signed_in_viewer(request).timezone
        query = query_of(request, FILTERS)
        kind = query["kind"] if query["kind"] in KINDS else None
        listed = wechat_materials.materials(
            caller.tenant_id, account_id, kind=kind, cursor=query["cursor"] or None,
            limit=PAGE_SIZE,
        )  # fmt: skip
        rows = [_row(item, timezone) for item in listed.items]
        table = Table(
            id="wechat-materials",
            url=f"{ACCOUNTS}/{account_id}/materials",
            columns=[
                Column("kind", "类型"),
                Column("name", "名称"),
                Column("media_id", "media_id"),
                Column("updated_at", "微信更新时间"),
                Column("synced_at", "同步时间"),
            ],
            rows=rows,
            caption="素材库",
            next_cursor=listed.next_cursor,
            filters=[
                Filter(
                    "kind",
                    "类型",
                    kind="select",
                    options=tuple(Option(k, label) for k, label in KINDS.items()),
                )
            ],
            query=query,
            empty_message="还没有素材：从微信同步后显示",
        )
        return page(
            request,
            "wechat/materials.html",
            title=_("素材库 · {name}").format(name=account.name),
            account=account,
            table=table,
            may_sync=caller.may(RESOURCE, Action.UPDATE) and not account.unbound,
        )

    @post("/sync")
    async def sync(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_material_sync: MaterialSync,
        wechat_console: WechatConsole,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        # another tenant's account: the 404 page, before anything is asked of WeChat
        await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        where = f"{ACCOUNTS}/{account_id}/materials"
        try:
            report = await change(lambda: wechat_material_sync.sync(caller.tenant_id, account_id))
        except (DomainError, ProviderUnavailable) as refusal:  # unbound; WeChat refused
            message = next(iter(errors_of(refusal).values()))
            return redirect(request, where, flash=Flash("error", message))
        await in_thread(wechat_console.wait_for_materials)
        counts = "，".join(
            f"{_(label)} {report.counts.get(kind, 0)}" for kind, label in KINDS.items()
        )
        flash = Flash("success", _("已从微信同步素材：{counts}").format(counts=counts))
        return redirect(request, where, flash=flash)


class WechatFanSyncPages(Controller):
    path = "/wechat/accounts/{account_id:uuid}/fans/sync"
    include_in_schema = False

    @post("/")
    async def sync(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_fan_sync: FanSync,
        wechat_console: WechatConsole,
    ) -> Response[Any]:
        caller = tenant_may(request, "wechat_fans", Action.UPDATE)  # as the API's sync
        await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        where = f"{ACCOUNTS}/{account_id}/fans"
        try:
            report = await change(lambda: wechat_fan_sync.sync(caller.tenant_id, account_id))
        except (DomainError, ProviderUnavailable) as refusal:  # unbound; WeChat refused
            message = next(iter(errors_of(refusal).values()))
            return redirect(request, where, flash=Flash("error", message))
        await in_thread(wechat_console.wait_for_fans)
        message = _("已从微信同步粉丝：关注 {followers} 人，更新资料 {synced} 人").format(
            followers=report.followers, synced=report.synced
        )
        return redirect(request, where, flash=Flash("success", message))


def _row(item: MaterialDetails, timezone: str) -> Row:
    titles = "、".join(str(a.get("title", "")) for a in item.articles if a.get("title"))
    name = item.name or titles or "—"
    return Row(
        f"{item.kind}:{item.media_id}",
        [
            Cell(_(KINDS[item.kind]) if item.kind in KINDS else item.kind),
            Cell(name, href=item.url or None),
            Cell(item.media_id),
            Cell(local_time(item.updated_at, timezone) if item.updated_at else "—"),
            Cell(local_time(item.synced_at, timezone)),
        ],
    )


PAGES: tuple[Any, ...] = (WechatMaterialPages, WechatFanSyncPages)
