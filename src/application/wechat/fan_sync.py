"""Fans synced from the account (WX-1, issue 18 item 3): the followers list paged from
`user/get` (10,000 a page) and their profiles from `user/info/batchget` (100 a call),
each profile stored as a `wechat_fan_synced` behaviour: what the account says of the
fan at the time, which the fan directory then shows (tags, region, gender, unionid).

A sync is an observation, not a decision: a second run stores the profiles again under
its own id, a crash mid-run is mended by running it again, and nothing is lost in
between. A sync makes no leads: a fan becomes one by interacting (a follow, a scan, a
message: see `callbacks`) or by being bound to one (a form, an identify).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from pydantic import BaseModel

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.shared.views import iso
from application.wechat.accounts import OfficialAccounts
from application.wechat.callbacks import SOURCE, fan_key
from application.wechat.ports import AccountKeys, FanProfile, Observations, WechatApi
from application.wechat.wechat import Wechat

PROFILES_PER_CALL = 100  # user/info/batchget's limit
ROWS_PER_BATCH = 1000
MAX_PAGES = 10_000  # 100 million followers: a guard against a provider that loops


class FanSyncReport(BaseModel):
    sync_id: UUID
    followers: int  # what WeChat says the account has
    synced: int  # profiles stored


class FanSync:
    """Pulls an account's followers and their profiles into the behaviour log."""

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

    def sync(
        self,
        tenant_id: UUID,
        account_id: UUID,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> FanSyncReport:
        """Sync every follower of the tenant's account; `progress(done, total)` is told
        after each batch (the CLI's progress bar)."""
        serving = self.accounts.bound_for(tenant_id, account_id)
        sync_id = self.wechat.new_id("wechat_fan_sync")
        total, synced, next_openid = 0, 0, ""
        for _ in range(MAX_PAGES):
            page = self.api.followers(serving.api_keys, next_openid)
            total = page.total
            for start in range(0, len(page.openids), ROWS_PER_BATCH):
                openids = page.openids[start : start + ROWS_PER_BATCH]
                profiles = self._profiles(serving.api_keys, openids)
                self.observations.take(self._rows(tenant_id, account_id, sync_id, profiles))
                synced += len(profiles)
                if progress is not None:
                    progress(synced, total)
            if not page.next_openid or not page.openids:
                break
            next_openid = page.next_openid
        return FanSyncReport(sync_id=sync_id, followers=total, synced=synced)

    def _profiles(self, keys: AccountKeys, openids: Sequence[str]) -> list[FanProfile]:
        profiles: list[FanProfile] = []
        for start in range(0, len(openids), PROFILES_PER_CALL):
            chunk = openids[start : start + PROFILES_PER_CALL]
            profiles.extend(self.api.fan_profiles(keys, chunk))
        return profiles

    def _rows(
        self, tenant_id: UUID, account_id: UUID, sync_id: UUID, profiles: list[FanProfile]
    ) -> list[Behaviour]:
        now = self.clock.now()
        rows: list[Behaviour] = []
        for profile in profiles:
            rows.append(
                Behaviour(
                    tenant_id=tenant_id,
                    kind=BehaviourKind.WECHAT_FAN_SYNCED.value,
                    channel=Channel.WECHAT.value,
                    occurred_at=now,
                    received_at=now,
                    anonymous_id=fan_key(profile.openid),
                    source_id=SOURCE,
                    message_id=f"wechat:{account_id}:sync:{sync_id}:{profile.openid}",
                    name="fan_synced",
                    properties={
                        "account": str(account_id),
                        "openid": profile.openid,
                        "subscribed": profile.subscribed,
                        "unionid": profile.unionid,
                        "nickname": profile.nickname,
                        "sex": profile.sex,
                        "province": profile.province,
                        "city": profile.city,
                        "tag_ids": list(profile.tag_ids),
                        "subscribed_at": iso(profile.subscribed_at)
                        if profile.subscribed_at
                        else "",
                        "scene": profile.qr_scene,
                    },
                )
            )
        return rows
