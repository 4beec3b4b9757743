"""WeChat messages sent by marketing flows (FLOW-3): a customer-service message within
the 48-hour window (WX-3), or a template message from a verified service account
(WX-5), to the fan of the account stitched to the lead.

Once only: a template message carries a `client_msg_id` derived from the step, which
WeChat sends once. A customer-service message has no such id, so its "replied" row is
stored first under the step's id and the message is sent only when that row is new: a
step redone after a crash sends nothing again (at most once; a failed call is recorded
as the step's failure).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from application.shared.behaviours import Behaviour, BehaviourKind, BehaviourLog, Channel
from application.shared.clock import Clock
from application.shared.errors import InvalidInput
from application.wechat.accounts import OfficialAccounts
from application.wechat.callbacks import SOURCE, fan_key
from application.wechat.fan_directory import FanQueries
from application.wechat.ports import OutgoingMessage, WechatApi
from domain.wechat.template_send import require_template_account
from domain.wechat.windows import OutsideServiceWindow, service_window_left

NO_FAN = "线索未关注该公众号 · the lead follows no fan of this account"


class FlowWechatSends:
    def __init__(
        self,
        accounts: OfficialAccounts,
        fans: FanQueries,
        api: WechatApi,
        behaviours: BehaviourLog,
        clock: Clock,
    ) -> None:
        self.accounts = accounts
        self.fans = fans
        self.api = api
        self.behaviours = behaviours
        self.clock = clock

    def send_to_lead(
        self, tenant_id: UUID, lead_id: UUID, kind: str, params: Mapping[str, Any], message_id: str
    ) -> str | None:
        """Send the step's message (`kind` send_wechat or send_wechat_template, with the
        node's `params`); None once sent, else why it was skipped."""
        account_id = _uuid(params.get("account_id"))
        serving = self.accounts.bound_for(tenant_id, account_id)
        fans = self.fans.fans_of_lead(tenant_id, account_id, lead_id)
        following = [fan for fan in fans if fan.subscribed]
        if not following:
            return NO_FAN
        fan = following[0]
        now = self.clock.now()
        if kind == "send_wechat_template":
            account = serving.account
            require_template_account(kind=account.kind, verified=account.verified)
            msg_id = self.api.send_template(
                serving.api_keys,
                fan.openid,
                str(params["template_id"]),
                dict(params["data"]),
                url=str(params.get("url") or ""),
                client_msg_id=UUID(message_id).hex,
            )
            self._record(
                tenant_id,
                account_id,
                fan.openid,
                BehaviourKind.WECHAT_TEMPLATE_SENT,
                message_id,
                {"template": str(params["template_id"]), "msg_id": msg_id},
            )
            return None
        try:
            service_window_left(fan.last_interaction_at, now)
        except OutsideServiceWindow as outside:
            return f"超出48小时客服消息窗口 · {outside}"[:300]
        text = str(params["message"]["text"])
        first = self._record(
            tenant_id, account_id, fan.openid, BehaviourKind.WECHAT_REPLIED,
            message_id, {"text": text, "by": "flow"},
        )  # fmt: skip
        if first:
            self.api.send_customer_message(
                serving.api_keys, fan.openid, OutgoingMessage(kind="text", text=text)
            )
        return None

    def _record(
        self,
        tenant_id: UUID,
        account_id: UUID,
        openid: str,
        kind: BehaviourKind,
        message_id: str,
        extra: dict[str, Any],
    ) -> bool:
        now = self.clock.now()
        stored = self.behaviours.append(
            [
                Behaviour(
                    tenant_id=tenant_id,
                    kind=kind.value,
                    channel=Channel.WECHAT.value,
                    occurred_at=now,
                    received_at=now,
                    message_id=f"wechat:{account_id}:flow:{message_id}",
                    name="flow",
                    properties={"account": str(account_id), "openid": openid, **extra},
                    anonymous_id=fan_key(openid),
                    source_id=SOURCE,
                )
            ]
        )
        return bool(stored and stored[0])


def _uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput("account_id: not an account's id", field="account_id") from None
