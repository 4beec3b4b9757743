"""The core of the WeChat context: accounts and their keys (WX-1), callbacks into the
behaviour log (WX-2), fans and conversations, customer-service replies (WX-3), and the
WeChat API adapter every part sends through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from adapters.wechat.callback_crypto import WechatpyCallbackCrypto
from adapters.wechat.leads_in_view import LeadsAsInView
from application.wechat.account_directory import AccountDirectory, AccountQueries
from application.wechat.accounts import OfficialAccounts
from application.wechat.callbacks import CallbackIntake
from application.wechat.conversations import Conversations
from application.wechat.fan_directory import FanDirectory, FanQueries
from application.wechat.fan_sync import FanSync
from application.wechat.fan_tags import FanTags
from application.wechat.materials import MaterialLibrary, MaterialQueries, MaterialSync
from application.wechat.qr_code_directory import QrCodeDirectory, QrCodeQueries, QrCodeStats
from application.wechat.qr_codes import ParameterQrCodes
from application.wechat.qr_scan_tagging import QrScanTagging
from entrypoints.contexts.parts import Part
from entrypoints.http.wechat import (
    WechatAccountController,
    WechatFanController,
    WechatMaterialController,
)
from entrypoints.http.wechat_qr_codes import WechatQrCodeController
from entrypoints.public.refusals import RefusalLimit
from entrypoints.public.wechat_callbacks import WechatCallbackController

ACCOUNT_EVENTS = {
    "wechat.OfficialAccount.Bound": "绑定公众号 · Official Account bound",
    "wechat.OfficialAccount.Renamed": "公众号更名 · Official Account renamed",
    "wechat.OfficialAccount.KeysChanged": "更换公众号密钥 · Official Account keys changed",
    "wechat.OfficialAccount.VerificationChanged": "公众号认证变更 · verification changed",
    "wechat.OfficialAccount.TemplateAdded": "添加模板消息模板 · template added",
    "wechat.OfficialAccount.TemplateRemoved": "移除模板消息模板 · template removed",
    "wechat.OfficialAccount.AutoRepliesSet": "设置自动回复 · auto-replies set",
    "wechat.OfficialAccount.MenuDrafted": "保存自定义菜单 · custom menu saved",
    "wechat.OfficialAccount.MenuPublished": "发布自定义菜单 · custom menu published",
    "wechat.OfficialAccount.Unbound": "解绑公众号 · Official Account unbound",
    "wechat.ParameterQrCode.Made": "新建渠道二维码 · parameter QR code made",
    "wechat.ParameterQrCode.ScanActionsChanged": "渠道二维码扫码动作变更 · scan actions changed",
    "wechat.ParameterQrCode.Archived": "归档渠道二维码 · parameter QR code archived",
}


def _access_tokens(storage: Any, infrastructure: Any) -> Any:
    """The access_token cache every process shares (a table of the store's database)."""
    from adapters.wechat.access_tokens import postgres_access_tokens, sqlite_access_tokens

    if storage.database_url is None:
        return sqlite_access_tokens(storage.var_dir, storage.cipher_key)
    return postgres_access_tokens(
        infrastructure.datastore, storage.cipher_key, create_tables=storage.create_tables
    )


def _wechat_api(settings: Any, storage: Any, tokens: providers.Provider[Any]) -> Any:
    """The sandbox (embedded default: records to var/outbox/wechat.jsonl) or WeChat."""
    from adapters.wechat.sandbox import SandboxWechatApi

    if settings.wechat.api == "sandbox":
        return SandboxWechatApi(storage.var_dir / "outbox")
    from adapters.wechat.api import WechatpyApi

    return WechatpyApi(tokens(), base_url=settings.wechat.api_base)


def _refusals(settings: Any) -> RefusalLimit:
    return RefusalLimit(settings.wechat.refusals_per_minute, "WeChat callbacks")


def _providers(
    c: containers.DynamicContainer, wechat: providers.Provider[Any]
) -> Mapping[str, providers.Provider[Any]]:
    tokens = providers.Singleton(_access_tokens, c.storage, c.infrastructure)
    api = providers.Singleton(_wechat_api, c.settings, c.storage, tokens.provider)
    accounts = providers.Singleton(OfficialAccounts, wechat, api)
    fans = providers.Singleton(FanQueries, c.wechat_fan_view)
    qr_queries = providers.Singleton(QrCodeQueries, c.wechat_qr_code_view, c.wechat_qr_stats_view)
    return {
        "wechat_accounts": accounts,
        "wechat_account_queries": providers.Singleton(AccountQueries, c.wechat_account_view),
        "wechat_fans": fans,
        "wechat_access_tokens": tokens,
        "wechat_api": api,
        "wechat_callbacks": providers.Singleton(
            CallbackIntake,
            accounts,
            providers.Singleton(WechatpyCallbackCrypto),
            c.ingestion,
            c.clock,
            qr_queries,
        ),
        "wechat_conversations": providers.Singleton(
            Conversations, wechat, accounts, fans, api, c.ingestion, c.clock
        ),
        "wechat_refusals": providers.Singleton(_refusals, c.settings),
        "wechat_fan_sync": providers.Singleton(
            FanSync, wechat, accounts, api, c.ingestion, c.clock
        ),
        "wechat_fan_tags": providers.Singleton(
            FanTags, wechat, accounts, api, c.ingestion, c.clock
        ),
        "wechat_material_sync": providers.Singleton(
            MaterialSync, wechat, accounts, api, c.ingestion, c.clock
        ),
        "wechat_materials": providers.Singleton(MaterialQueries, c.wechat_material_view),
        "wechat_qr_code_queries": qr_queries,
        "wechat_qr_codes": providers.Singleton(
            ParameterQrCodes,
            wechat,
            accounts,
            api,
            qr_queries,
            c.clock,
            providers.Singleton(LeadsAsInView, c.leads),
        ),
        QrScanTagging.name: providers.Factory(
            QrScanTagging, accounts=accounts, codes=qr_queries, api=api
        ),
    }


PART = Part(
    providers=_providers,
    followers=(
        AccountDirectory,
        FanDirectory,
        MaterialLibrary,
        QrCodeDirectory,
        QrCodeStats,
        QrScanTagging,
    ),
    views={
        "wechat_account_view": AccountDirectory,
        "wechat_fan_view": FanDirectory,
        "wechat_material_view": MaterialLibrary,
        "wechat_qr_code_view": QrCodeDirectory,
        "wechat_qr_stats_view": QrCodeStats,
    },
    controllers=(
        WechatAccountController,
        WechatFanController,
        WechatMaterialController,
        WechatQrCodeController,
        WechatCallbackController,
    ),
    dependencies=(
        "wechat_accounts",
        "wechat_account_queries",
        "wechat_fans",
        "wechat_callbacks",
        "wechat_conversations",
        "wechat_refusals",
        "wechat_fan_sync",
        "wechat_fan_tags",
        "wechat_material_sync",
        "wechat_materials",
        "wechat_qr_code_queries",
        "wechat_qr_codes",
    ),
    configuration_events=ACCOUNT_EVENTS,
)
