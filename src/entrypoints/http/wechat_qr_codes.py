"""Routes of parameter QR codes (TRK-3): made at WeChat, their scan actions, counts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from application.wechat.accounts import OfficialAccounts
from application.wechat.commands import (
    MakeLeadQrCode,
    MakeQrCode,
    QrCodeDetails,
    QrCodeStatsDetails,
    ReviseQrCode,
)
from application.wechat.qr_code_directory import QrCodeQueries
from application.wechat.qr_codes import ParameterQrCodes
from domain.shared.access import Action
from entrypoints.http.conventions import ListOf, get, if_match, page_of, post, tenant_may, with_etag
from entrypoints.http.conventions import patch as patch_route
from entrypoints.http.tenant import Cursor, Limit


class WechatQrCodeController(Controller):
    path = "/api/v1/wechat"
    tags = ["wechat"]
    guards = [tenant_may("wechat_accounts")]

    @get("/accounts/{account_id:uuid}/qr-codes", operation_id="listWechatQrCodes")
    def list_codes(
        self,
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_qr_code_queries: QrCodeQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[QrCodeDetails]:
        """The account's parameter QR codes, newest first."""
        wechat_accounts.serving_for(caller.tenant_id, account_id)  # 404 for another's
        return page_of(
            wechat_qr_code_queries.codes_of(
                caller.tenant_id, account_id, cursor=cursor, limit=limit
            )
        )

    @post(
        "/accounts/{account_id:uuid}/qr-codes", operation_id="makeWechatQrCode", may=Action.CREATE
    )
    def make(
        self,
        account_id: UUID,
        data: MakeQrCode,
        wechat_qr_codes: ParameterQrCodes,
        caller: TenantCaller,
    ) -> Response[QrCodeDetails]:
        """Make a temporary (`valid_days` 1–30) or permanent code for `scene` at WeChat.

        Service accounts only (409); a scene with a live code is 409. A follow or scan
        through it is answered `reply` and tagged `tag_id`; the fan's scene is kept."""
        return with_etag(wechat_qr_codes.make(caller.tenant_id, account_id, data), status_code=201)

    @post(
        "/accounts/{account_id:uuid}/lead-qr-codes",
        operation_id="makeWechatLeadQrCode",
        may=Action.CREATE,
    )
    def make_for_lead(
        self,
        account_id: UUID,
        data: MakeLeadQrCode,
        wechat_qr_codes: ParameterQrCodes,
        caller: TenantCaller,
    ) -> Response[QrCodeDetails]:
        """A temporary code that binds the fan who scans it to the lead: their openid
        joins the lead's identities and their WeChat behaviour its timeline. Asking again
        answers the lead's live code."""
        return with_etag(wechat_qr_codes.make_for_lead(caller, account_id, data), status_code=201)

    @get("/qr-codes/{qr_code_id:uuid}", operation_id="getWechatQrCode")
    def get_code(
        self, qr_code_id: UUID, wechat_qr_codes: ParameterQrCodes, caller: TenantCaller
    ) -> Response[QrCodeDetails]:
        return with_etag(wechat_qr_codes.code(caller.tenant_id, qr_code_id))

    @patch_route("/qr-codes/{qr_code_id:uuid}", operation_id="reviseWechatQrCode")
    def revise(
        self,
        request: Request[Any, Any, Any],
        qr_code_id: UUID,
        data: ReviseQrCode,
        wechat_qr_codes: ParameterQrCodes,
        caller: TenantCaller,
    ) -> Response[QrCodeDetails]:
        """Change what a scan does (reply, tag)."""
        version = if_match(request)
        return with_etag(
            wechat_qr_codes.revise(caller.tenant_id, qr_code_id, data, expected_version=version)
        )

    @post(
        "/qr-codes/{qr_code_id:uuid}/archive",
        operation_id="archiveWechatQrCode",
        status_code=200,
        may=Action.DELETE,
    )
    def archive(
        self,
        request: Request[Any, Any, Any],
        qr_code_id: UUID,
        wechat_qr_codes: ParameterQrCodes,
        caller: TenantCaller,
    ) -> Response[QrCodeDetails]:
        """Stop acting on the code's scans; its counts stay."""
        version = if_match(request)
        return with_etag(
            wechat_qr_codes.archive(caller.tenant_id, qr_code_id, expected_version=version)
        )

    @get("/qr-codes/{qr_code_id:uuid}/stats", operation_id="getWechatQrCodeStats")
    def stats(
        self, qr_code_id: UUID, wechat_qr_codes: ParameterQrCodes, caller: TenantCaller
    ) -> QrCodeStatsDetails:
        """Scans, follows, fans retained now and 7 days after they followed (TRK-3)."""
        return wechat_qr_codes.stats(caller.tenant_id, qr_code_id)
