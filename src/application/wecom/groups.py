"""A sync of the corp's customer groups (客户群, WECOM-3): every group of the employees in
the app's visible range, page by page (`groupchat/list` and `get`), recorded as
WECOM_GROUP_CHANGED rows named "synced" with the group's name, owner, member count and
inheritance status; the customer directory lists them beside the groups the callbacks
announced. A sync's rows carry its id, so a repeated sync adds rows, never duplicates."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.shared.errors import ProviderUnavailable
from application.wecom.callbacks import SOURCE, Observations
from application.wecom.commands import GroupSyncReport
from application.wecom.corps import WecomCorps
from application.wecom.customer_directory import SYNCED

PAGE = 100
MAX_PAGES = 1_000  # 100,000 groups: beyond, WeCom is walking in circles


class GroupSync:
    """Pulls the customer groups through the WeCom port into the behaviour log."""

    def __init__(
        self,
        corps: WecomCorps,
        observations: Observations,
        clock: Clock,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self.corps = corps
        self.observations = observations
        self.clock = clock
        self.new_id = new_id

    def sync(self, tenant_id: UUID) -> GroupSyncReport:
        api = self.corps.api_of(tenant_id)
        corpid = self.corps.corpid_of(tenant_id)
        sync_id = self.new_id()
        cursor, count = "", 0
        for _ in range(MAX_PAGES):
            page = api.customer_groups(cursor, PAGE)
            now = self.clock.now()
            rows = [
                Behaviour(
                    tenant_id=tenant_id,
                    kind=BehaviourKind.WECOM_GROUP_CHANGED.value,
                    channel=Channel.WECOM.value,
                    occurred_at=now,
                    received_at=now,
                    message_id=f"wecom:group-sync:{sync_id}:{group.chat_id}"[:200],
                    name=SYNCED,
                    properties={
                        "corp": corpid,
                        "chat_id": group.chat_id,
                        "change": SYNCED,
                        "name": group.name[:100],
                        "owner": group.owner,
                        "member_count": group.member_count,
                        "status": group.status,
                    },
                    source_id=SOURCE,
                )
                for group in page.items
            ]
            if rows:
                self.observations.take(rows)
            count += len(rows)
            if not page.next_cursor:
                return GroupSyncReport(groups=count)
            cursor = page.next_cursor
        raise ProviderUnavailable("WeCom's customer groups did not end")
