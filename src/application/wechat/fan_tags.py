"""Fans' tags both ways (issue 18 item 3): the account's tags read from WeChat, and fans
tagged from huoke at WeChat (`batchtagging`, 50 a call). A tag given here is recorded
for the fan at once (a `wechat_fan_synced` row named "tagged"), so the fan list shows it
before the next sync; a sync then reports what WeChat holds."""

from __future__ import annotations

from uuid import UUID

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.wechat.accounts import OfficialAccounts
from application.wechat.callbacks import SOURCE, fan_key
from application.wechat.commands import FansTagged, TagDetails, TagFans
from application.wechat.fan_directory import TAGGED
from application.wechat.ports import FanTag, Observations, WechatApi
from application.wechat.wechat import Wechat

PER_CALL = 50  # batchtagging's limit


class FanTags:
    """Reads an account's tags and tags its fans."""

    def __init__(
        self,
        wechat: Wechat,
        accounts: OfficialAccounts,
        api: WechatApi,
        observations: Observations,
        clock: Clock,
    ) -> None:
        self.wechat = wechat
        self.accounts = accounts
        self.api = api
        self.observations = observations
        self.clock = clock

    def tags(self, tenant_id: UUID, account_id: UUID) -> list[TagDetails]:
        """The account's tags as WeChat holds them now."""
        serving = self.accounts.bound_for(tenant_id, account_id)
        return [_details(tag) for tag in self.api.tags(serving.api_keys)]

    def tag(self, tenant_id: UUID, account_id: UUID, command: TagFans) -> FansTagged:
        """Give `command.tag_id` to the fans at WeChat, 50 a call, recording each call's
        fans once WeChat took it (a failure part-way keeps what was tagged)."""
        serving = self.accounts.bound_for(tenant_id, account_id)
        openids = list(dict.fromkeys(command.openids))  # each fan once, in order
        batch_id = self.wechat.new_id("wechat_fan_tagging")
        for start in range(0, len(openids), PER_CALL):
            chunk = openids[start : start + PER_CALL]
            self.api.tag_fans(serving.api_keys, command.tag_id, chunk)
            now = self.clock.now()
            self.observations.take(
                [
                    Behaviour(
                        tenant_id=tenant_id,
                        kind=BehaviourKind.WECHAT_FAN_SYNCED.value,
                        channel=Channel.WECHAT.value,
                        occurred_at=now,
                        received_at=now,
                        message_id=f"wechat:{account_id}:tag:{batch_id}:{openid}",
                        name=TAGGED,
                        properties={
                            "account": str(account_id),
                            "openid": openid,
                            "tag_added": command.tag_id,
                        },
                        anonymous_id=fan_key(openid),
                        source_id=SOURCE,
                    )
                    for openid in chunk
                ]
            )
        return FansTagged(tag_id=command.tag_id, tagged=len(openids))


def _details(tag: FanTag) -> TagDetails:
    return TagDetails(tag_id=tag.tag_id, name=tag.name, count=tag.count)
