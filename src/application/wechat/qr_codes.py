"""Parameter QR codes (TRK-3): made at WeChat for a scene, then recorded; a scan's reply
comes back in the callback's answer (`reply_for_scene`), a scan's tag is given by the
`QrScanTagging` policy, and the counts are in `qr_code_stats`."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from application.shared.callers import TenantCaller
from application.shared.clock import Clock
from application.shared.errors import AlreadyExists, NotFound
from application.wechat.accounts import OfficialAccounts
from application.wechat.callbacks import lead_scene
from application.wechat.commands import (
    MakeLeadQrCode,
    MakeQrCode,
    QrCodeDetails,
    QrCodeStatsDetails,
    ReviseQrCode,
)
from application.wechat.ports import LeadsInView, WechatApi
from application.wechat.qr_code_directory import QrCodeQueries
from application.wechat.wechat import Wechat
from domain.wechat.qr_code import ParameterQrCode, require_service_account

DAY_SECONDS = 86_400


class ParameterQrCodes:
    """Makes, changes and archives an account's parameter QR codes."""

    def __init__(
        self,
        wechat: Wechat,
        accounts: OfficialAccounts,
        api: WechatApi,
        queries: QrCodeQueries,
        clock: Clock,
        leads: LeadsInView,
    ) -> None:
        self.wechat = wechat
        self.accounts = accounts
        self.api = api
        self.queries = queries
        self.clock = clock
        self.leads = leads

    def make(self, tenant_id: UUID, account_id: UUID, command: MakeQrCode) -> QrCodeDetails:
        """Ask WeChat for a code of `command.scene` and record it; a scene the account
        already has a live code for is 409 (its scans could not be told apart)."""
        serving = self.accounts.bound_for(tenant_id, account_id)
        if self.queries.code_for_scene(tenant_id, account_id, command.scene) is not None:
            raise AlreadyExists(f"scene {command.scene} already has a QR code")
        require_service_account(serving.kind)  # before WeChat is asked
        expires_in = command.valid_days * DAY_SECONDS if command.valid_days else None
        ticket = self.api.create_qr_code(serving.api_keys, command.scene, expires_in)
        code = ParameterQrCode.make(
            code_id=self.wechat.new_id("wechat_qr_code"),
            tenant_id=tenant_id,
            account_id=account_id,
            account_kind=serving.kind,
            name=command.name,
            scene=command.scene,
            valid_days=command.valid_days,
            ticket=ticket.ticket,
            image_url=ticket.url,
            reply=command.reply,
            tag_id=command.tag_id,
        )
        return qr_code_details(self.wechat.create(code))

    def make_for_lead(
        self, caller: TenantCaller, account_id: UUID, command: MakeLeadQrCode
    ) -> QrCodeDetails:
        """A code whose scan binds the fan to `command.lead_id` (their openid joins the
        lead's identities through identity stitching); the lead's live code if it has one.
        A lead the caller may not see is 404."""
        if not self.leads.sees(caller, command.lead_id):
            raise NotFound(f"no Lead {command.lead_id}")
        tenant_id = caller.tenant_id
        scene = lead_scene(command.lead_id)
        existing = self.queries.code_for_scene(tenant_id, account_id, scene)
        if existing is not None:
            return self.code(tenant_id, UUID(existing["code_id"]))
        return self.make(
            tenant_id,
            account_id,
            MakeQrCode(
                name=f"绑定线索 {command.lead_id}"[:64],
                scene=scene,
                valid_days=command.valid_days,
                reply=command.reply,
            ),
        )

    def code(self, tenant_id: UUID, code_id: UUID) -> QrCodeDetails:
        return qr_code_details(self.wechat.load(code_id, ParameterQrCode, tenant_id=tenant_id))

    def stats(self, tenant_id: UUID, code_id: UUID) -> QrCodeStatsDetails:
        """The code's scans, follows and retention as of now (TRK-3)."""
        code = self.wechat.load(code_id, ParameterQrCode, tenant_id=tenant_id)
        return self.queries.counts(tenant_id, code.account_id, code.scene, self.clock.now())

    def revise(
        self, tenant_id: UUID, code_id: UUID, command: ReviseQrCode, *, expected_version: int
    ) -> QrCodeDetails:
        """Change what a scan does (its reply, its tag)."""
        code = self.wechat.load(
            code_id, ParameterQrCode, tenant_id=tenant_id, expected_version=expected_version
        )
        code.change_scan_actions(reply=command.reply, tag_id=command.tag_id)
        self.wechat.commit(code)
        return qr_code_details(code)

    def archive(self, tenant_id: UUID, code_id: UUID, *, expected_version: int) -> QrCodeDetails:
        code = self.wechat.load(
            code_id, ParameterQrCode, tenant_id=tenant_id, expected_version=expected_version
        )
        code.archive()
        self.wechat.commit(code)
        return qr_code_details(code)


def qr_code_details(code: ParameterQrCode) -> QrCodeDetails:
    created_at = code.created_on
    return QrCodeDetails(
        id=code.id,
        account_id=code.account_id,
        name=code.name,
        scene=code.scene,
        permanent=code.permanent,
        valid_days=code.valid_days,
        expires_at=created_at + timedelta(days=code.valid_days) if code.valid_days else None,
        image_url=code.image_url,
        reply=code.reply,
        tag_id=code.tag_id,
        archived=code.archived,
        version=code.version,
        created_at=created_at,
    )
