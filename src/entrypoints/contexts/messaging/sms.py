"""Messaging part: SMS (SMS-1…4) — signatures and their review, SMS tasks, the SMS
channel of the pipeline, the provider (the sandbox outbox unless the settings name
Aliyun or Tencent Cloud), receipts and replies. See __init__.

Settings (`settings.messaging`): `sms_provider` ("sandbox", "aliyun", "tencent"),
`sms_access_key_id` / `sms_access_key_secret` (Aliyun AccessKey, Tencent SecretId /
SecretKey), `sms_app_id` (Tencent SmsSdkAppId), `sms_endpoint` (the API host; tests: a
local server), `sms_callback_token` (the `?token=` of the callback URLs); optionally
`sms_catch_all_template`, the provider template whose one variable carries a whole text
(for texts approved without a provider template).
"""

from __future__ import annotations

from typing import Any

from dependency_injector import providers

from adapters.messaging.aliyun_sms import AliyunSms
from adapters.messaging.sandbox_sms import OUTBOX, SandboxSms
from adapters.messaging.sms_sent_texts import (
    SqlSentTexts,
    postgres_sent_texts,
    sqlite_sent_texts,
)
from adapters.messaging.tencent_sms import TencentSms
from application.messaging.sms_directory import SmsDirectory, SmsQueries
from application.messaging.sms_receipts import SmsReceipts
from application.messaging.sms_sending import SmsSending
from application.messaging.sms_signatures import SmsSignatures
from application.messaging.sms_tasks import SmsTasks
from entrypoints.contexts.messaging.part import Part
from entrypoints.http.sms import SmsSignatureController, SmsTaskController
from entrypoints.public.sms_callbacks import CallbackGate, SmsCallbackController

SMS_EVENTS = {
    "messaging.SmsSignature.Submitted": "提交短信签名 · SMS signature submitted",
    "messaging.SmsSignature.Approved": "短信签名审核通过 · SMS signature approved",
    "messaging.SmsSignature.Rejected": "短信签名审核未通过 · SMS signature rejected",
    "messaging.SmsSignature.Removed": "删除短信签名 · SMS signature removed",
    "messaging.SmsTask.Drafted": "新建短信任务 · SMS task drafted",
    "messaging.SmsTask.Revised": "修改短信任务 · SMS task revised",
    "messaging.SmsTask.ReviewRequested": "短信内容提交审核 · SMS text submitted for review",
    "messaging.SmsTask.Approved": "短信内容审核通过 · SMS text approved",
    "messaging.SmsTask.Rejected": "短信内容审核未通过 · SMS text rejected",
    "messaging.SmsTask.Scheduled": "短信任务定时/发送 · SMS task scheduled",
    "messaging.SmsTask.Unscheduled": "取消定时 · SMS task unscheduled",
    "messaging.SmsTask.Cancelled": "取消短信任务 · SMS task cancelled",
    "messaging.SmsTask.Deleted": "删除短信任务 · SMS task deleted",
}


def sms_provider(settings: Any) -> SandboxSms | AliyunSms | TencentSms:
    """The provider the settings name; the sandbox outbox by default."""
    sms = settings.messaging
    name = sms.sms_provider or "sandbox"
    catch_all = str(getattr(sms, "sms_catch_all_template", "") or "")
    if name == "sandbox":
        return SandboxSms(settings.var_dir / OUTBOX)
    if not (sms.sms_access_key_id and sms.sms_access_key_secret):
        raise ValueError(
            f"HUOKE_SMS_PROVIDER={name} needs HUOKE_SMS_ACCESS_KEY_ID and "
            "HUOKE_SMS_ACCESS_KEY_SECRET"
        )
    if name == "aliyun":
        return AliyunSms(
            sms.sms_access_key_id,
            sms.sms_access_key_secret,
            sms.sms_endpoint,
            catch_all_template=catch_all,
        )
    if name == "tencent":
        if not sms.sms_app_id:
            raise ValueError("HUOKE_SMS_PROVIDER=tencent needs HUOKE_SMS_APP_ID (SmsSdkAppId)")
        return TencentSms(
            sms.sms_access_key_id,
            sms.sms_access_key_secret,
            sms.sms_app_id,
            sms.sms_endpoint,
            catch_all_template=catch_all,
        )
    raise ValueError(f"HUOKE_SMS_PROVIDER must be sandbox, aliyun or tencent, not {name!r}")


def _sent_texts(infrastructure: Any, storage: Any) -> SqlSentTexts:
    if storage.database_url is None:
        return sqlite_sent_texts(storage.var_dir)
    return postgres_sent_texts(infrastructure.datastore, create_tables=storage.create_tables)


def _callback_gate(settings: Any) -> CallbackGate:
    return CallbackGate(settings.messaging.sms_callback_token)


class _OnFirstUse:
    """Another part's service, looked up when first used: the send queue comes from the
    tasks part, which may be wired after this one (or, while it waits, not at all)."""

    def __init__(self, provider: Any) -> None:
        self._provider = provider

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider(), name)


def _providers(c: Any, messaging: providers.Provider[Any]) -> dict[str, providers.Provider[Any]]:
    provider = providers.Singleton(sms_provider, c.settings)
    queries = providers.Singleton(SmsQueries, c.messaging_sms_view)
    sent = providers.Singleton(_sent_texts, c.infrastructure, c.storage)
    signatures = providers.Singleton(SmsSignatures, messaging, queries, provider)
    return {
        "sms_provider": provider,
        "sms_sent_texts": sent,
        "sms_queries": queries,
        "sms_signatures": signatures,
        "sms_tasks": providers.Singleton(
            SmsTasks,
            messaging,
            queries,
            signatures,
            provider,
            providers.Object(_OnFirstUse(c.send_queue)),
            c.clock,
        ),
        "sms_sending": providers.Singleton(SmsSending, provider, c.tracking_tokens, sent, c.clock),
        "sms_receipts": providers.Singleton(
            SmsReceipts, c.delivery_outcomes, c.behaviours, c.consent_book, sent, c.clock
        ),
        "sms_callback_gate": providers.Singleton(_callback_gate, c.settings),
    }


PART = Part(
    providers=_providers,
    followers=(SmsDirectory,),
    views={"messaging_sms_view": SmsDirectory},
    controllers=(SmsSignatureController, SmsTaskController, SmsCallbackController),
    dependencies=("sms_signatures", "sms_tasks", "sms_receipts", "sms_callback_gate"),
    configuration_events=SMS_EVENTS,
)
