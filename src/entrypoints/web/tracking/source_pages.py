"""Tracking source pages (营销 · 追踪来源): the list; create a source and see its write
key once; a source's details with its ingestion stats and history; rename and the
Do-Not-Track setting; rotate the key and revoke the source after a confirmation step;
and the install page (安装代码) for the snippet and the Segment-compatible SDKs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from application.tracking.commands import (
    CreateTrackingSource,
    IssuedTrackingSource,
    ReviseTrackingSource,
    TrackingSourceDetails,
)
from application.tracking.source_stats import SourceStatsQueries
from application.tracking.sources import TrackingSources
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    FormErrors,
    errors_of,
    form_data,
    parse_form,
    reason_of,
    version_of,
)
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import confirm_page, history_for, page, query_of, redirect, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table

BASE = "/console/tracking/sources"
FILTERS = ("status", "cursor")
STATS_DAYS = 14  # days of ingestion counts on a source's page
PLACEHOLDER_KEY = "YOUR_WRITE_KEY"
# Chinese msgids of the choices a source has (English in locale/en/tracking.po).
KIND_NAMES = {"website": N_("网站"), "server": N_("服务端"), "app": N_("应用")}
STATUS_NAMES = {"live": N_("使用中"), "revoked": N_("已停用")}
BEHAVIOUR_KINDS = ("page", "track", "identify", "screen", "alias", "group")


class TrackingSourcePages(Controller):
    path = "/tracking/sources"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def sources(
        self,
        request: Request[Any, Any, Any],
        tracking_sources: TrackingSources,
        status: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.READ)
        chosen = status if status in STATUS_NAMES else None
        listed = tracking_sources.sources(
            caller.tenant_id, status=chosen, cursor=cursor or None, limit=PAGE_SIZE
        )
        rows = [
            Row(
                str(source.id),
                [
                    Cell(source.name, href=f"{BASE}/{source.id}"),
                    Cell(_(KIND_NAMES[source.kind])),
                    Cell(f"hk_…{source.key_prefix}…"),
                    Cell(_("是") if source.honour_do_not_track else _("否")),
                    _status_cell(source.status),
                ],
            )
            for source in listed.items
        ]
        may_create = caller.may("tracking", Action.CREATE)
        table = Table(
            id="tracking-sources",
            url=BASE,
            columns=[
                Column("name", "名称"),
                Column("kind", "类型"),
                Column("key", "写入密钥"),
                Column("dnt", "遵守 Do-Not-Track"),
                Column("status", "状态"),
            ],
            rows=rows,
            caption="追踪来源",
            next_cursor=listed.next_cursor,
            filters=[
                Filter(
                    "status",
                    "状态",
                    kind="select",
                    options=(Option("live", "使用中"), Option("revoked", "已停用")),
                )
            ],
            query=query_of(request, FILTERS),
            empty_message="还没有追踪来源",
            empty_action=("新建追踪来源", f"{BASE}/new") if may_create else None,
        )
        return page(
            request,
            "tracking/sources.html",
            title=_("追踪来源"),
            table=table,
            may_create=may_create,
        )

    @get("/new", sync_to_thread=True)
    def new_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        tenant_may(request, "tracking", Action.CREATE)
        return _source_form(request, None, {"kind": "website", "honour_do_not_track": "1"}, {})

    @post("/new")
    async def create(
        self,
        request: Request[Any, Any, Any],
        tracking_sources: TrackingSources,
        install_origin: str,
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(
                CreateTrackingSource,
                {**data, "honour_do_not_track": bool(data.get("honour_do_not_track"))},
            )
            issued = await change(lambda: tracking_sources.create(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _source_form(request, None, data, errors_of(refusal))
        return _key_page(request, issued, install_origin, title=_("追踪来源已创建"), status=201)

    @get("/{source_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        source_id: UUID,
        tracking_sources: TrackingSources,
        source_stats: SourceStatsQueries,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.READ)
        source = tracking_sources.source(caller.tenant_id, source_id)  # 404 for another's
        stats = source_stats.of_source(caller.tenant_id, source.id, days=STATS_DAYS)
        live = source.status == "live"
        return page(
            request,
            "tracking/sources_detail.html",
            title=source.name,
            source=source,
            kind_name=_(KIND_NAMES[source.kind]),
            status_cell=_status_cell(source.status),
            stats=stats,
            stats_days=STATS_DAYS,
            kinds=[k for k in BEHAVIOUR_KINDS if any(k in d.by_kind for d in stats.days)]
            or ["page", "track"],
            may_update=caller.may("tracking", Action.UPDATE) and live,
            may_revoke=caller.may("tracking", Action.DELETE) and live,
            history=history_for(history, caller, source.id),
        )

    @get("/{source_id:uuid}/install", sync_to_thread=True)
    def install(
        self,
        request: Request[Any, Any, Any],
        source_id: UUID,
        tracking_sources: TrackingSources,
        install_origin: str,
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.READ)
        source = tracking_sources.source(caller.tenant_id, source_id)
        return page(
            request,
            "tracking/sources_install.html",
            title=_("安装代码") + f" · {source.name}",
            source=source,
            **install_context(source, install_origin, None),
        )

    @get("/{source_id:uuid}/edit", sync_to_thread=True)
    def edit_form(
        self, request: Request[Any, Any, Any], source_id: UUID, tracking_sources: TrackingSources
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.UPDATE)
        source = tracking_sources.source(caller.tenant_id, source_id)
        values = {
            "name": source.name,
            "honour_do_not_track": "1" if source.honour_do_not_track else "",
            "version": str(source.version),
        }
        return _source_form(request, source, values, {})

    @post("/{source_id:uuid}/edit")
    async def revise(
        self, request: Request[Any, Any, Any], source_id: UUID, tracking_sources: TrackingSources
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.UPDATE)
        current = await in_thread(lambda: tracking_sources.source(caller.tenant_id, source_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            command = parse_form(
                ReviseTrackingSource,
                {
                    "name": data.get("name", ""),
                    "honour_do_not_track": bool(data.get("honour_do_not_track")),
                },
            )
            if command.name is None:
                raise FormErrors({"name": _("必填")})
            await change(
                lambda: tracking_sources.revise(
                    caller.tenant_id, source_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _source_form(request, current, data, errors_of(refusal))
        return redirect(request, f"{BASE}/{source_id}", flash=Flash("success", _("已保存")))

    @get("/{source_id:uuid}/rotate-key", sync_to_thread=True)
    def rotate_confirmation(
        self, request: Request[Any, Any, Any], source_id: UUID, tracking_sources: TrackingSources
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.UPDATE)
        return _rotate_page(request, tracking_sources.source(caller.tenant_id, source_id), {})

    @post("/{source_id:uuid}/rotate-key")
    async def rotate_key(
        self,
        request: Request[Any, Any, Any],
        source_id: UUID,
        tracking_sources: TrackingSources,
        install_origin: str,
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.UPDATE)
        source = await in_thread(lambda: tracking_sources.source(caller.tenant_id, source_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            issued = await change(
                lambda: tracking_sources.rotate_key(
                    caller.tenant_id, source_id, expected_version=version
                ),
                reason=reason_of(data),
            )
        except DomainError as refusal:  # revoked meanwhile
            return _rotate_page(request, source, errors_of(refusal), status=409)
        except FormErrors as invalid:
            return _rotate_page(request, source, invalid.errors, status=422)
        return _key_page(request, issued, install_origin, title=_("写入密钥已更换"), status=200)

    @get("/{source_id:uuid}/revoke", sync_to_thread=True)
    def revoke_confirmation(
        self, request: Request[Any, Any, Any], source_id: UUID, tracking_sources: TrackingSources
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.DELETE)
        return _revoke_page(request, tracking_sources.source(caller.tenant_id, source_id), {}, {})

    @post("/{source_id:uuid}/revoke")
    async def revoke(
        self, request: Request[Any, Any, Any], source_id: UUID, tracking_sources: TrackingSources
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.DELETE)
        source = await in_thread(lambda: tracking_sources.source(caller.tenant_id, source_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            reason = reason_of(data, required=True)
            await change(
                lambda: tracking_sources.revoke(
                    caller.tenant_id, source_id, expected_version=version
                ),
                reason=reason,
            )
        except DomainError as refusal:  # already revoked
            return _revoke_page(request, source, data, errors_of(refusal), status=409)
        except FormErrors as invalid:
            return _revoke_page(request, source, data, invalid.errors, status=422)
        return redirect(request, f"{BASE}/{source_id}", flash=Flash("success", _("追踪来源已停用")))


def install_context(
    source: TrackingSourceDetails, origin: str, write_key: str | None
) -> dict[str, Any]:
    """What the install instructions show: the snippet with the key (only right after it
    was made; else a placeholder to replace) and the host the SDKs send to."""
    return {
        "origin": origin.rstrip("/"),
        "write_key": write_key or PLACEHOLDER_KEY,
        "key_known": write_key is not None,
        "honour_dnt": source.honour_do_not_track,
    }


def _key_page(
    request: Request[Any, Any, Any],
    issued: IssuedTrackingSource,
    origin: str,
    *,
    title: str,
    status: int,
) -> Response[Any]:
    response = page(
        request,
        "tracking/sources_key.html",
        title=title,
        source=issued,
        kind_name=_(KIND_NAMES[issued.kind]),
        **install_context(issued, origin, issued.write_key),
        status=status,
    )
    # The key is on this page only: no browser or proxy may keep a copy of it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _source_form(
    request: Request[Any, Any, Any],
    source: TrackingSourceDetails | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response[Any]:
    """The create / settings form; with errors, again with what was typed (422)."""
    return page(
        request,
        "tracking/sources_form.html",
        title=_("追踪来源设置") if source else _("新建追踪来源"),
        source=source,
        kinds=[(kind, _(name)) for kind, name in KIND_NAMES.items()],
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def _rotate_page(
    request: Request[Any, Any, Any],
    source: TrackingSourceDetails,
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("更换写入密钥"),
        description=_(
            "将为「{name}」生成新的写入密钥，当前密钥（hk_…{prefix}…）立即失效："
            "请随后把新密钥更新到网站、服务端或应用中。"
        ).format(name=source.name, prefix=source.key_prefix),
        action=f"{BASE}/{source.id}/rotate-key",
        confirm_label=_("确认更换密钥"),
        reason_required=False,
        fields={"version": source.version},
        errors=errors,
        cancel=f"{BASE}/{source.id}",
        status=status,
    )


def _revoke_page(
    request: Request[Any, Any, Any],
    source: TrackingSourceDetails,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("停用追踪来源"),
        description=_(
            "停用后「{name}」的写入密钥立即失效，发往它的行为数据将被拒绝；"
            "停用不可撤销，已收到的数据和统计保留。"
        ).format(name=source.name),
        action=f"{BASE}/{source.id}/revoke",
        confirm_label=_("确认停用"),
        reason_required=True,
        fields={"version": source.version},
        values=values,
        errors=errors,
        cancel=f"{BASE}/{source.id}",
        status=status,
    )


def _status_cell(status: str) -> Cell:
    return Cell(_(STATUS_NAMES[status]), badge="ok" if status == "live" else "bad")


PAGES: tuple[Any, ...] = (TrackingSourcePages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="追踪来源",
        path=BASE,
        resource="tracking",
        audience=Audience.TENANT,
        section="营销",
        action=Action.READ,
        order=40,
    ),
)
