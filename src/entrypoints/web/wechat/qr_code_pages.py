"""Parameter QR code pages (渠道二维码; TRK-3): an account's codes with a form to make one
(temporary with a validity, or permanent; a reply and a tag on scan); a code's page with
its scans, follows, fans retained now and 7-day retention, what a scan does, and
archiving after a confirmation step (its counts stay)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import AlreadyExists, InvalidInput, ProviderUnavailable
from application.wechat.accounts import OfficialAccounts
from application.wechat.commands import (
    AccountDetails,
    MakeQrCode,
    QrCodeDetails,
    ReviseQrCode,
)
from application.wechat.qr_code_directory import QrCodeQueries
from application.wechat.qr_codes import ParameterQrCodes
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    FormErrors,
    errors_of,
    form_data,
    parse_form,
    refusal_errors,
    version_of,
)
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.pages import (
    confirm_page,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Row, Table
from entrypoints.web.wechat.common import ACCOUNTS

RESOURCE = "wechat_accounts"  # the API guards codes with the account's permission
QR_CODES = "/console/wechat/qr-codes"
SHOWN_AGAIN = ("name", "scene", "valid_days", "permanent", "reply", "tag_id")


class WechatQrCodeListPages(Controller):
    path = "/wechat/accounts/{account_id:uuid}/qr-codes"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def codes(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_qr_code_queries: QrCodeQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        account = wechat_accounts.account(caller.tenant_id, account_id)  # 404 for another's
        return _codes_page(request, caller, account, wechat_qr_code_queries, {}, {})

    @post("/")
    async def make(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_qr_codes: ParameterQrCodes,
        wechat_qr_code_queries: QrCodeQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        # another tenant's account: the 404 page, before the form is read
        account = await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        data = await form_data(request)
        status = 422
        try:
            command = parse_form(MakeQrCode, made_of(data))
            made = await change(lambda: wechat_qr_codes.make(caller.tenant_id, account_id, command))
        except AlreadyExists as taken:  # the scene has a live code
            errors = refusal_errors(taken, field="scene").errors
        except (FormErrors, InvalidInput, InvalidValue) as invalid:
            errors = errors_of(invalid)
        except DomainError as refusal:  # a subscription account, unbound
            errors, status = refusal_errors(refusal, field="__all__").errors, 409
        except ProviderUnavailable as unavailable:  # WeChat refused or could not be reached
            errors, status = refusal_errors(unavailable, field="__all__").errors, 503
        else:
            flash = Flash("success", _("二维码已生成"))
            return redirect(request, f"{QR_CODES}/{made.id}", flash=flash)
        values = {name: data.get(name, "") for name in SHOWN_AGAIN}
        return await in_thread(
            lambda: _codes_page(
                request, caller, account, wechat_qr_code_queries, values, errors, status=status
            )
        )


class WechatQrCodePages(Controller):
    path = "/wechat/qr-codes"
    include_in_schema = False

    @get("/{qr_code_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        qr_code_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_qr_codes: ParameterQrCodes,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        code = wechat_qr_codes.code(caller.tenant_id, qr_code_id)  # 404 for another's
        return _code_page(request, caller, code, wechat_accounts, wechat_qr_codes)

    @post("/{qr_code_id:uuid}")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        qr_code_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_qr_codes: ParameterQrCodes,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        # another tenant's code: the 404 page, before the form is read
        await in_thread(lambda: wechat_qr_codes.code(caller.tenant_id, qr_code_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            command = parse_form(ReviseQrCode, data)
            await change(
                lambda: wechat_qr_codes.revise(
                    caller.tenant_id, qr_code_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            input_error = isinstance(refusal, FormErrors | InvalidInput | InvalidValue)
            values = {name: data.get(name, "") for name in ("reply", "tag_id")}
            errors = errors_of(refusal)

            def shown() -> Response[Any]:
                code = wechat_qr_codes.code(caller.tenant_id, qr_code_id)
                return _code_page(
                    request, caller, code, wechat_accounts, wechat_qr_codes,
                    values=values, errors=errors,
                    status=422 if input_error else 409,
                )  # fmt: skip

            return await in_thread(shown)
        flash = Flash("success", _("扫码后的动作已保存"))
        return redirect(request, f"{QR_CODES}/{qr_code_id}", flash=flash)

    @get("/{qr_code_id:uuid}/archive", sync_to_thread=True)
    def archive_confirmation(
        self, request: Request[Any, Any, Any], qr_code_id: UUID, wechat_qr_codes: ParameterQrCodes
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        return _archive_page(request, wechat_qr_codes.code(caller.tenant_id, qr_code_id), {})

    @post("/{qr_code_id:uuid}/archive")
    async def archive(
        self, request: Request[Any, Any, Any], qr_code_id: UUID, wechat_qr_codes: ParameterQrCodes
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        code = await in_thread(lambda: wechat_qr_codes.code(caller.tenant_id, qr_code_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: wechat_qr_codes.archive(
                    caller.tenant_id, qr_code_id, expected_version=version
                )
            )
        except (FormErrors, DomainError) as refusal:  # archived already
            errors = {"__all__": next(iter(errors_of(refusal).values()))}
            return _archive_page(request, code, errors, status=409)
        flash = Flash("success", _("二维码已停用：扫码不再回复和打标签，统计保留"))
        return redirect(request, f"{QR_CODES}/{qr_code_id}", flash=flash)


def made_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The command from the form: a permanent code has no validity; a temporary one
    needs its days (WeChat's temporary codes last at most 30)."""
    permanent = bool(data.get("permanent"))
    days = str(data.get("valid_days", "") or "").strip()
    if not permanent and not days:
        raise FormErrors({"valid_days": _("请填写有效天数（1–30），或选择永久二维码")})
    return {
        **{name: data.get(name, "") for name in ("name", "scene", "reply", "tag_id")},
        "valid_days": None if permanent else days,
    }


def validity_cell(code: QrCodeDetails, timezone: str) -> Cell:
    if code.archived:
        return Cell(_("已停用"), badge="bad")
    if code.permanent:
        return Cell(_("永久"), badge="ok")
    until = local_time(code.expires_at, timezone) if code.expires_at else "—"
    return Cell(_("临时，至 {at}").format(at=until), badge="info")


def _codes_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    account: AccountDetails,
    queries: QrCodeQueries,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int | None = None,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    query = query_of(request, ("cursor",))
    listed = queries.codes_of(
        caller.tenant_id, account.id, cursor=query["cursor"] or None, limit=PAGE_SIZE
    )
    rows = [
        Row(
            str(code.id),
            [
                Cell(code.name, href=f"{QR_CODES}/{code.id}"),
                Cell(code.scene),
                validity_cell(code, timezone),
                Cell(code.reply or "—"),
                Cell(str(code.tag_id) if code.tag_id is not None else "—"),
                Cell(local_time(code.created_at, timezone)),
            ],
        )
        for code in listed.items
    ]
    table = Table(
        id="wechat-qr-codes",
        url=f"{ACCOUNTS}/{account.id}/qr-codes",
        columns=[
            Column("name", "名称"),
            Column("scene", "场景值"),
            Column("validity", "有效期"),
            Column("reply", "扫码回复"),
            Column("tag", "扫码标签"),
            Column("created_at", "创建时间"),
        ],
        rows=rows,
        caption="渠道二维码",
        next_cursor=listed.next_cursor,
        query=query,
        empty_message="还没有渠道二维码",
    )
    return page(
        request,
        "wechat/qr_codes.html",
        title=_("渠道二维码 · {name}").format(name=account.name),
        account=account,
        table=table,
        may_make=caller.may(RESOURCE, Action.CREATE) and not account.unbound,
        service=account.kind == "service",
        values=values,
        errors=errors,
        status=status or (422 if errors else 200),
    )


def _code_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    code: QrCodeDetails,
    accounts: OfficialAccounts,
    codes: ParameterQrCodes,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    account = accounts.account(caller.tenant_id, code.account_id)
    stats = codes.stats(caller.tenant_id, code.id)
    retention = (
        f"{stats.retention_7_days:.0%}" if stats.retention_7_days is not None else _("尚无数据")
    )
    return page(
        request,
        "wechat/qr_code.html",
        title=code.name,
        code=code,
        account=account,
        validity=validity_cell(code, timezone),
        stats=stats,
        retention=retention,
        may_update=caller.may(RESOURCE, Action.UPDATE) and not code.archived,
        may_archive=caller.may(RESOURCE, Action.DELETE) and not code.archived,
        values=values or {},
        errors=errors or {},
        status=status,
    )


def _archive_page(
    request: Request[Any, Any, Any],
    code: QrCodeDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("停用二维码"),
        description=_(
            "停用后扫描「{name}」不再回复和打标签；已有的统计保留。停用不可撤销。"
        ).format(name=code.name),
        action=f"{QR_CODES}/{code.id}/archive",
        confirm_label=_("确认停用"),
        reason_required=None,
        fields={"version": code.version},
        errors=errors,
        cancel=f"{QR_CODES}/{code.id}",
        status=status,
    )


PAGES: tuple[Any, ...] = (WechatQrCodeListPages, WechatQrCodePages)
