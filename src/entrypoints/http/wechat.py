"""Routes of Official Accounts (WX-1, WX-5, WX-6), their fans and conversations (WX-2,
WX-3)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response
from litestar.params import Parameter

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from application.wechat.account_directory import AccountQueries
from application.wechat.accounts import OfficialAccounts
from application.wechat.commands import (
    AccountDetails,
    AccountSummary,
    AddTemplate,
    BindAccount,
    DraftMenu,
    FanDetails,
    FanMessage,
    FansTagged,
    MaterialDetails,
    MaterialSyncReport,
    ReplySent,
    ReplyToFan,
    ReviseAccount,
    SetAutoReplies,
    TagDetails,
    TagFans,
)
from application.wechat.conversations import Conversations
from application.wechat.fan_directory import FanQueries
from application.wechat.fan_sync import FanSync, FanSyncReport
from application.wechat.fan_tags import FanTags
from application.wechat.materials import MaterialQueries, MaterialSync
from domain.shared.access import Action
from entrypoints.http.conventions import (
    ListOf,
    get,
    if_match,
    optional_if_match,
    page_of,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.conventions import patch as patch_route
from entrypoints.http.tenant import Cursor, Limit

OpenId = Annotated[str, Parameter(min_length=1, max_length=64, description="the fan's openid")]


class WechatAccountController(Controller):
    path = "/api/v1/wechat/accounts"
    tags = ["wechat"]
    guards = [tenant_may("wechat_accounts")]

    @get("/", operation_id="listWechatAccounts")
    def list_accounts(
        self,
        wechat_account_queries: AccountQueries,
        caller: TenantCaller,
        include_unbound: bool = False,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[AccountSummary]:
        """The tenant's Official Accounts, oldest first (never their keys)."""
        return page_of(
            wechat_account_queries.accounts(
                caller.tenant_id, cursor=cursor, limit=limit, include_unbound=include_unbound
            )
        )

    @post("/", operation_id="bindWechatAccount", may=Action.CREATE)
    def bind(
        self, data: BindAccount, wechat_accounts: OfficialAccounts, caller: TenantCaller
    ) -> Response[AccountDetails]:
        """Bind an Official Account with its developer settings.

        Point the account's server address (服务器地址) at `callback_path` on huoke's
        public URL, with the same Token and EncodingAESKey and safe mode (安全模式). The
        keys are never shown again. The same appid bound twice is 409."""
        return with_etag(wechat_accounts.bind(caller.tenant_id, data), status_code=201)

    @get("/{account_id:uuid}", operation_id="getWechatAccount")
    def get_account(
        self, account_id: UUID, wechat_accounts: OfficialAccounts, caller: TenantCaller
    ) -> Response[AccountDetails]:
        """One account with its templates and auto-replies (never its keys)."""
        return with_etag(wechat_accounts.account(caller.tenant_id, account_id))

    @patch_route("/{account_id:uuid}", operation_id="reviseWechatAccount")
    def revise(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        data: ReviseAccount,
        wechat_accounts: OfficialAccounts,
        caller: TenantCaller,
    ) -> Response[AccountDetails]:
        """Rename, mark (un)verified, or set new keys after a reset in WeChat."""
        version = if_match(request)
        return with_etag(
            wechat_accounts.revise(caller.tenant_id, account_id, data, expected_version=version)
        )

    @post(
        "/{account_id:uuid}/auto-replies",
        operation_id="setWechatAutoReplies",
        status_code=200,
        may=Action.UPDATE,
    )
    def set_auto_replies(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        data: SetAutoReplies,
        wechat_accounts: OfficialAccounts,
        caller: TenantCaller,
    ) -> Response[AccountDetails]:
        """Replace the follow reply and the keyword replies (exact matches first)."""
        version = if_match(request)
        return with_etag(
            wechat_accounts.set_auto_replies(
                caller.tenant_id, account_id, data, expected_version=version
            )
        )

    @post(
        "/{account_id:uuid}/templates",
        operation_id="addWechatTemplate",
        status_code=200,
        may=Action.UPDATE,
    )
    def add_template(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        data: AddTemplate,
        wechat_accounts: OfficialAccounts,
        caller: TenantCaller,
    ) -> Response[AccountDetails]:
        """Add a template (verified service accounts only, at most 25: 409 otherwise)."""
        version = if_match(request)
        return with_etag(
            wechat_accounts.add_template(
                caller.tenant_id, account_id, data, expected_version=version
            )
        )

    @get("/{account_id:uuid}/tags", operation_id="listWechatTags")
    def list_tags(
        self, account_id: UUID, wechat_fan_tags: FanTags, caller: TenantCaller
    ) -> list[TagDetails]:
        """The account's tags as WeChat holds them now (`tags/get`)."""
        return wechat_fan_tags.tags(caller.tenant_id, account_id)

    @post(
        "/{account_id:uuid}/menu",
        operation_id="draftWechatMenu",
        status_code=200,
        may=Action.UPDATE,
    )
    def draft_menu(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        data: DraftMenu,
        wechat_accounts: OfficialAccounts,
        caller: TenantCaller,
    ) -> Response[AccountDetails]:
        """Save the custom menu: up to 3 buttons, each a click/view button or a sub-menu
        of up to 5 (WeChat's limits, 422 naming the button). Fans see it once published."""
        version = if_match(request)
        return with_etag(
            wechat_accounts.draft_menu(caller.tenant_id, account_id, data, expected_version=version)
        )

    @post(
        "/{account_id:uuid}/menu/publish",
        operation_id="publishWechatMenu",
        status_code=200,
        may=Action.UPDATE,
    )
    def publish_menu(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        caller: TenantCaller,
    ) -> Response[AccountDetails]:
        """Publish the saved menu at WeChat (`menu/create`); 409 when none is saved."""
        version = optional_if_match(request)
        return with_etag(
            wechat_accounts.publish_menu(caller.tenant_id, account_id, expected_version=version)
        )

    @post(
        "/{account_id:uuid}/unbind",
        operation_id="unbindWechatAccount",
        status_code=200,
        may=Action.DELETE,
    )
    def unbind(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        caller: TenantCaller,
    ) -> Response[AccountDetails]:
        """Stop serving the account: its callbacks answer 404 from now on; its history,
        fans and conversations stay. Send the reason in `X-Reason`."""
        version = if_match(request)
        return with_etag(
            wechat_accounts.unbind(caller.tenant_id, account_id, expected_version=version)
        )


class WechatFanController(Controller):
    path = "/api/v1/wechat/accounts/{account_id:uuid}/fans"
    tags = ["wechat"]
    guards = [tenant_may("wechat_fans")]

    @get("/", operation_id="listWechatFans")
    def list_fans(
        self,
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_fans: FanQueries,
        caller: TenantCaller,
        subscribed: bool | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[FanDetails]:
        """The account's fans, newest first; `subscribed` filters followers or leavers."""
        wechat_accounts.serving_for(caller.tenant_id, account_id)  # 404 for another's
        return page_of(
            wechat_fans.fans(
                caller.tenant_id, account_id, subscribed=subscribed, cursor=cursor, limit=limit
            )
        )

    @post("/sync", operation_id="syncWechatFans", status_code=200, may=Action.UPDATE)
    def sync(
        self, account_id: UUID, wechat_fan_sync: FanSync, caller: TenantCaller
    ) -> FanSyncReport:
        """Pull the account's followers and their profiles from WeChat (user/get and
        user/info/batchget) into the fan list: tags, region, gender, unionid. Runs while
        the request waits (about one second per 10,000 fans at WeChat); `huoke wechat
        sync-fans` does the same with a progress bar."""
        return wechat_fan_sync.sync(caller.tenant_id, account_id)

    @post("/tag", operation_id="tagWechatFans", status_code=200, may=Action.UPDATE)
    def tag(
        self, account_id: UUID, data: TagFans, wechat_fan_tags: FanTags, caller: TenantCaller
    ) -> FansTagged:
        """Give the fans a tag of the account at WeChat (50 a call); the fan list shows it
        at once."""
        return wechat_fan_tags.tag(caller.tenant_id, account_id, data)

    @get("/{openid:str}", operation_id="getWechatFan")
    def get_fan(
        self,
        account_id: UUID,
        openid: OpenId,
        wechat_accounts: OfficialAccounts,
        wechat_fans: FanQueries,
        caller: TenantCaller,
    ) -> FanDetails:
        """One fan: following or not, last interaction, the 48-hour window's end."""
        wechat_accounts.serving_for(caller.tenant_id, account_id)
        return wechat_fans.fan(caller.tenant_id, account_id, openid)

    @get("/{openid:str}/messages", operation_id="listWechatFanMessages")
    def messages(
        self,
        account_id: UUID,
        openid: OpenId,
        wechat_accounts: OfficialAccounts,
        wechat_fans: FanQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[FanMessage]:
        """The fan's conversation, newest first (kept for good)."""
        wechat_accounts.serving_for(caller.tenant_id, account_id)
        wechat_fans.fan(caller.tenant_id, account_id, openid)
        return page_of(
            wechat_fans.messages(caller.tenant_id, account_id, openid, cursor=cursor, limit=limit)
        )

    @post(
        "/{openid:str}/messages",
        operation_id="replyToWechatFan",
        status_code=201,
        may=Action.UPDATE,
    )
    def reply(
        self,
        account_id: UUID,
        openid: OpenId,
        data: ReplyToFan,
        wechat_conversations: Conversations,
        caller: TenantCaller,
    ) -> ReplySent:
        """Send the fan a customer-service text.

        WeChat allows it only within 48 hours of the fan's last interaction: later it is
        409 `outside_service_window`, naming how long ago the window closed."""
        sender = str(caller.employee_id or caller.key_id)
        return wechat_conversations.reply(caller.tenant_id, account_id, openid, data, sender=sender)


class WechatMaterialController(Controller):
    path = "/api/v1/wechat/accounts/{account_id:uuid}/materials"
    tags = ["wechat"]
    guards = [tenant_may("wechat_accounts")]

    @get("/", operation_id="listWechatMaterials")
    def list_materials(
        self,
        account_id: UUID,
        wechat_accounts: OfficialAccounts,
        wechat_materials: MaterialQueries,
        caller: TenantCaller,
        kind: Literal["image", "voice", "video", "news"] | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[MaterialDetails]:
        """The account's material library as its last sync found it (WX-6)."""
        wechat_accounts.serving_for(caller.tenant_id, account_id)  # 404 for another's
        return page_of(
            wechat_materials.materials(
                caller.tenant_id, account_id, kind=kind, cursor=cursor, limit=limit
            )
        )

    @post("/sync", operation_id="syncWechatMaterials", status_code=200, may=Action.UPDATE)
    def sync(
        self, account_id: UUID, wechat_material_sync: MaterialSync, caller: TenantCaller
    ) -> MaterialSyncReport:
        """Pull the account's images, voice, video and news from WeChat; items WeChat no
        longer has leave the library once the sync completes."""
        return wechat_material_sync.sync(caller.tenant_id, account_id)
