"""Answering fans from the platform (WX-2, WX-3): customer-service messages, which
WeChat allows only within 48 hours of the fan's last interaction; huoke refuses before
calling WeChat, naming the rule and how long ago the window closed."""

from __future__ import annotations

from uuid import UUID

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.wechat.accounts import OfficialAccounts
from application.wechat.callbacks import SOURCE, fan_key
from application.wechat.commands import ReplySent, ReplyToFan
from application.wechat.fan_directory import FanQueries
from application.wechat.ports import Observations, OutgoingMessage, WechatApi
from application.wechat.wechat import Wechat
from domain.wechat.windows import service_window_left


class Conversations:
    """Sends a fan a customer-service message and keeps it in their conversation."""

    def __init__(
        self,
        wechat: Wechat,
        accounts: OfficialAccounts,
        fans: FanQueries,
        api: WechatApi,
        observations: Observations,
        clock: Clock,
    ) -> None:
        self.wechat = wechat
        self.accounts = accounts
        self.fans = fans
        self.api = api
        self.observations = observations
        self.clock = clock

    def reply(
        self,
        tenant_id: UUID,
        account_id: UUID,
        openid: str,
        command: ReplyToFan,
        *,
        sender: str,
    ) -> ReplySent:
        """Send `command.text` to the fan as a customer-service message; `sender` is the
        replying employee's (or API key's) id. Refused (409 `outside_service_window`)
        48 hours after the fan's last interaction."""
        serving = self.accounts.bound_for(tenant_id, account_id)
        fan = self.fans.fan(tenant_id, account_id, openid)
        now = self.clock.now()
        left = service_window_left(fan.last_interaction_at, now)
        self.api.send_customer_message(
            serving.api_keys, openid, OutgoingMessage(kind="text", text=command.text)
        )
        reply_id = self.wechat.new_id("wechat_reply")  # the Idempotency-Key's, when sent
        self.observations.take(
            [
                Behaviour(
                    tenant_id=tenant_id,
                    kind=BehaviourKind.WECHAT_REPLIED.value,
                    channel=Channel.WECHAT.value,
                    occurred_at=now,
                    received_at=now,
                    message_id=f"wechat:{account_id}:reply:{reply_id}",
                    name="customer_service",
                    properties={
                        "account": str(account_id),
                        "openid": openid,
                        "text": command.text,
                        "by": sender,
                    },
                    anonymous_id=fan_key(openid),
                    source_id=SOURCE,
                )
            ]
        )
        return ReplySent(openid=openid, sent_at=now, window_left_seconds=int(left.total_seconds()))
