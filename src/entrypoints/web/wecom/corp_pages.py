"""企业微信 · 设置 (WECOM-8): the tenant's corp with a form to bind it (its keys never shown
back), the callback URL to paste into the WeCom admin console, its name and keys, the
departments the last contacts sync found, and unbinding after a confirmation step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import AlreadyExists, ApplicationError, InvalidInput
from application.shared.history import RecordHistory
from application.wecom.commands import BindCorp, CorpDetails, ReviseCorp
from application.wecom.corps import WecomCorps
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
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import confirm_page, history_for, page, redirect, tenant_may
from entrypoints.web.sessions import Flash

RESOURCE = "wecom_corp"
CORP = "/console/wecom/corp"
SETTINGS_SECTION = "企业设置"
# What a refused bind form shows again: never the keys (they are typed again).
SHOWN_AGAIN = ("name", "corpid", "agentid")


@dataclass(frozen=True)
class CorpConsole:
    """The console's view of the outside for the WeCom pages: huoke's public address."""

    public_url: str

    def callback_url(self, callback_path: str) -> str:
        """The URL to type into the app's callback settings (接收事件服务器)."""
        return self.public_url.rstrip("/") + callback_path


class WecomCorpPages(Controller):
    path = "/wecom/corp"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def corp(
        self,
        request: Request[Any, Any, Any],
        wecom_corps: WecomCorps,
        wecom_corp_console: CorpConsole,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        return _corp_page(request, caller, wecom_corps, wecom_corp_console, history)

    @post("/new")
    async def bind(
        self,
        request: Request[Any, Any, Any],
        wecom_corps: WecomCorps,
        wecom_corp_console: CorpConsole,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(BindCorp, data)
            await change(lambda: wecom_corps.bind(caller.tenant_id, command))
        except AlreadyExists as taken:
            errors = refusal_errors(taken, field="corpid").errors
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = errors_of(refusal)
        else:
            flash = Flash(
                "success", _("企业微信已绑定：请在企业微信管理后台填写下方的接收事件服务器")
            )
            return redirect(request, CORP, flash=flash)
        values = {name: data.get(name, "") for name in SHOWN_AGAIN}
        return await in_thread(
            lambda: _corp_page(
                request,
                caller,
                wecom_corps,
                wecom_corp_console,
                history,
                form="bind",
                values=values,
                errors=errors,
                status=422,
            )
        )

    @post("/{corp_id:uuid}/settings")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        corp_id: UUID,
        wecom_corps: WecomCorps,
        wecom_corp_console: CorpConsole,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        await in_thread(lambda: wecom_corps.corp(caller.tenant_id, corp_id))  # 404: another's
        data = await form_data(request)
        try:
            version = version_of(data)
            if not str(data.get("name", "")).strip():
                raise FormErrors({"name": _("必填")})
            command = parse_form(ReviseCorp, data)
            await change(
                lambda: wecom_corps.revise(
                    caller.tenant_id, corp_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError, ApplicationError) as refusal:
            input_error = isinstance(refusal, FormErrors | InvalidInput | InvalidValue)
            values = {k: data.get(k, "") for k in ("name", "agentid")}
            shown = errors_of(refusal)
            return await in_thread(
                lambda: _corp_page(
                    request,
                    caller,
                    wecom_corps,
                    wecom_corp_console,
                    history,
                    form="settings",
                    values=values,
                    errors=shown,
                    status=422 if input_error else 409,
                )
            )
        return redirect(request, CORP, flash=Flash("success", _("已保存")))

    @get("/{corp_id:uuid}/unbind", sync_to_thread=True)
    def unbind_confirmation(
        self, request: Request[Any, Any, Any], corp_id: UUID, wecom_corps: WecomCorps
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        return _unbind_page(request, wecom_corps.corp(caller.tenant_id, corp_id), {}, {})

    @post("/{corp_id:uuid}/unbind")
    async def unbind(
        self, request: Request[Any, Any, Any], corp_id: UUID, wecom_corps: WecomCorps
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        corp = await in_thread(lambda: wecom_corps.corp(caller.tenant_id, corp_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            reason = reason_of(data, required=True)
            await change(
                lambda: wecom_corps.unbind(caller.tenant_id, corp_id, expected_version=version),
                reason=reason,
            )
        except (DomainError, ApplicationError) as refusal:  # unbound already, or changed
            return _unbind_page(request, corp, data, errors_of(refusal), status=409)
        except FormErrors as invalid:
            return _unbind_page(request, corp, data, invalid.errors, status=422)
        return redirect(request, CORP, flash=Flash("success", _("企业微信已解绑")))


def _corp_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    corps: WecomCorps,
    console: CorpConsole,
    history: RecordHistory,
    *,
    form: str | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    """The corp's page, or the bind form while none is bound."""
    bound = corps.corps(caller.tenant_id)
    corp = bound[0] if bound else None
    return page(
        request,
        "wecom/corp.html",
        title=_("企业微信"),
        corp=corp,
        callback_url=console.callback_url(corp.callback_path) if corp else "",
        may_bind=caller.may(RESOURCE, Action.CREATE) and corp is None,
        may_update=caller.may(RESOURCE, Action.UPDATE) and corp is not None,
        may_unbind=caller.may(RESOURCE, Action.DELETE) and corp is not None,
        history=history_for(history, caller, corp.id) if corp else None,
        form=form,
        values=values or {},
        errors=errors or {},
        status=status,
    )


def _unbind_page(
    request: Request[Any, Any, Any],
    corp: CorpDetails,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("解绑企业微信"),
        description=_(
            "解绑后火客不再接收「{name}」的客户事件（回调地址答复 404），也不再调用企业微信的"
            "接口；客户、流失记录和历史保留。再次绑定会生成新的回调地址。"
        ).format(name=corp.name),
        action=f"{CORP}/{corp.id}/unbind",
        confirm_label=_("确认解绑"),
        reason_required=True,
        fields={"version": corp.version},
        values=values,
        errors=errors,
        cancel=CORP,
        status=status,
    )


PAGES: tuple[Any, ...] = (WecomCorpPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="企业微信",
        path=CORP,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SETTINGS_SECTION,
        action=Action.READ,
        order=60,
    ),
)
