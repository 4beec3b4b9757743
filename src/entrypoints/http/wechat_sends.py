"""Routes of mass sends (WX-3, WX-4) and template sends (WX-5)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from application.wechat.mass_sends import WechatSends
from application.wechat.send_commands import (
    DraftMassSend,
    MassSendDetails,
    PreviewMassSend,
    PreviewSent,
    SendRecipient,
    SendSummary,
    SendTemplate,
    TemplateSendDetails,
)
from domain.shared.access import Action
from entrypoints.http.conventions import (
    OPTIONAL_IF_MATCH,
    ListOf,
    get,
    page_of,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

RecipientState = Annotated[
    Literal["queued", "sent", "skipped", "failed"] | None,
    Parameter(query="state", description="only fans in this state"),
]
AccountFilter = Annotated[
    UUID | None, Parameter(query="account_id", description="only this account's sends")
]


class WechatMassSendController(Controller):
    path = "/api/v1/wechat/mass-sends"
    tags = ["wechat"]
    guards = [tenant_may("wechat_mass_sends")]
    dependencies = OPTIONAL_IF_MATCH

    @get("/", operation_id="listWechatMassSends")
    def list_sends(
        self,
        wechat_sends: WechatSends,
        caller: TenantCaller,
        account: AccountFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[SendSummary]:
        """The tenant's mass sends, newest first."""
        return page_of(
            wechat_sends.mass_sends(
                caller.tenant_id, account_id=account, cursor=cursor, limit=limit
            )
        )

    @post("/", operation_id="draftWechatMassSend", may=Action.CREATE)
    def draft(
        self, data: DraftMassSend, wechat_sends: WechatSends, caller: TenantCaller
    ) -> Response[MassSendDetails]:
        """Draft a mass send: normal (a service-account fan gets at most 4 a month),
        targeted (listed openids; 100 sends a day, not counted against the 4) or
        unlimited (customer-service messages to fans active in the last 48 hours)."""
        return with_etag(wechat_sends.draft(caller.tenant_id, data), status_code=201)

    @get("/{mass_send_id:uuid}", operation_id="getWechatMassSend")
    def get_send(
        self, mass_send_id: UUID, wechat_sends: WechatSends, caller: TenantCaller
    ) -> Response[MassSendDetails]:
        """One mass send with its progress, skipped fans by reason and WeChat's results."""
        return with_etag(wechat_sends.mass_send(caller.tenant_id, mass_send_id))

    @post("/{mass_send_id:uuid}/preview", operation_id="previewWechatMassSend", status_code=200)
    def preview(
        self,
        mass_send_id: UUID,
        data: PreviewMassSend,
        wechat_sends: WechatSends,
        caller: TenantCaller,
    ) -> PreviewSent:
        """Send the message to one fan as a preview (counted against nothing)."""
        return wechat_sends.preview(caller.tenant_id, mass_send_id, data)

    @post("/{mass_send_id:uuid}/send", operation_id="sendWechatMassSend", status_code=202)
    def send(
        self,
        mass_send_id: UUID,
        wechat_sends: WechatSends,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[MassSendDetails]:
        """Send a draft now. Its recipients are fixed at once: a service-account fan who
        already has 4 mass messages this month (in flight included) is skipped, with the
        reason. 409 `wechat_daily_limit` names the rule when a subscription account
        already sent today or 100 targeted sends were made today."""
        return with_etag(
            wechat_sends.send(caller.tenant_id, mass_send_id, expected_version=expected_version),
            status_code=202,
        )

    @get("/{mass_send_id:uuid}/recipients", operation_id="listWechatMassSendRecipients")
    def recipients(
        self,
        mass_send_id: UUID,
        wechat_sends: WechatSends,
        caller: TenantCaller,
        in_state: RecipientState = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[SendRecipient]:
        """The send's fans by openid, with why a fan was skipped or failed."""
        return page_of(
            wechat_sends.recipients(
                caller.tenant_id,
                mass_send_id,
                template=False,
                state=in_state,
                cursor=cursor,
                limit=limit,
            )
        )


class WechatTemplateSendController(Controller):
    path = "/api/v1/wechat/template-sends"
    tags = ["wechat"]
    guards = [tenant_may("wechat_mass_sends")]

    @get("/", operation_id="listWechatTemplateSends")
    def list_sends(
        self,
        wechat_sends: WechatSends,
        caller: TenantCaller,
        account: AccountFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[SendSummary]:
        """The tenant's template sends, newest first."""
        return page_of(
            wechat_sends.template_sends(
                caller.tenant_id, account_id=account, cursor=cursor, limit=limit
            )
        )

    @post("/", operation_id="sendWechatTemplate", may=Action.CREATE, status_code=202)
    def send(
        self, data: SendTemplate, wechat_sends: WechatSends, caller: TenantCaller
    ) -> Response[TemplateSendDetails]:
        """Send a template message to an audience now.

        Only verified service accounts, only a template added to the account (409
        `wechat_template_unusable`), a value for every key of the template (422 naming
        `data.<key>`); at most 100,000 a day per account (409 `wechat_daily_limit`)."""
        return with_etag(wechat_sends.send_template(caller.tenant_id, data), status_code=202)

    @get("/{template_send_id:uuid}", operation_id="getWechatTemplateSend")
    def get_send(
        self, template_send_id: UUID, wechat_sends: WechatSends, caller: TenantCaller
    ) -> Response[TemplateSendDetails]:
        """One template send with its progress."""
        return with_etag(wechat_sends.template_send(caller.tenant_id, template_send_id))

    @get("/{template_send_id:uuid}/recipients", operation_id="listWechatTemplateSendRecipients")
    def recipients(
        self,
        template_send_id: UUID,
        wechat_sends: WechatSends,
        caller: TenantCaller,
        in_state: RecipientState = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[SendRecipient]:
        """Each fan's message: its msgid and WeChat's result (TEMPLATESENDJOBFINISH)."""
        return page_of(
            wechat_sends.recipients(
                caller.tenant_id,
                template_send_id,
                template=True,
                state=in_state,
                cursor=cursor,
                limit=limit,
            )
        )
