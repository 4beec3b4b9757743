"""Mass sends (WX-3, WX-4) and template sends (WX-5): the send ledger, the pipeline and
its worker, the results policy, the sends' read model and their routes (ADR 0016)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from adapters.wechat.send_ledger import SqlSendLedger, postgres_send_ledger, sqlite_send_ledger
from application.wechat.mass_audience import MassAudience
from application.wechat.mass_sends import WechatSends
from application.wechat.send_directory import SendDirectory, SendQueries
from application.wechat.send_pipeline import WechatDispatch
from application.wechat.send_results import SendResults
from entrypoints.contexts.parts import Part
from entrypoints.http.wechat_sends import WechatMassSendController, WechatTemplateSendController
from entrypoints.send_worker import SendWorker

SEND_EVENTS = {
    "wechat.MassSend.Drafted": "新建群发 · mass send drafted",
    "wechat.MassSend.SendingRequested": "群发发送 · mass send sent",
    "wechat.TemplateSend.Requested": "发送模板消息 · template messages sent",
}
IDLE_SECONDS = 0.5


def _ledger(infrastructure: Any, storage: Any) -> SqlSendLedger:
    if storage.database_url is None:
        return sqlite_send_ledger(storage.var_dir)
    return postgres_send_ledger(infrastructure.datastore, create_tables=storage.create_tables)


def _providers(
    c: containers.DynamicContainer, wechat: providers.Provider[Any]
) -> Mapping[str, providers.Provider[Any]]:
    ledger = providers.Singleton(_ledger, c.infrastructure, c.storage)
    queries = providers.Singleton(SendQueries, c.wechat_send_view)
    dispatch = providers.Singleton(
        WechatDispatch,
        wechat,
        c.wechat_accounts,
        providers.Singleton(MassAudience, c.wechat_fan_view),
        ledger,
        queries,
        c.wechat_api,
        c.ingestion,
        c.clock,
    )
    return {
        "wechat_send_ledger": ledger,
        "wechat_dispatch": dispatch,
        "wechat_send_worker": providers.Singleton(
            SendWorker, dispatch, IDLE_SECONDS, name="wechat-send-worker", actor="wechat-sender"
        ),
        "wechat_sends": providers.Singleton(
            WechatSends, wechat, c.wechat_accounts, dispatch, ledger, queries, c.wechat_api, c.clock
        ),
        SendResults.name: providers.Factory(
            SendResults, wechat=wechat, ledger=ledger, clock=c.clock
        ),
    }


PART = Part(
    providers=_providers,
    followers=(SendDirectory, SendResults),
    views={"wechat_send_view": SendDirectory},
    controllers=(WechatMassSendController, WechatTemplateSendController),
    dependencies=("wechat_sends",),
    configuration_events=SEND_EVENTS,
    workers=("wechat_send_worker",),
)
