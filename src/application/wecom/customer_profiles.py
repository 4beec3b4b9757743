"""A customer's details after they are added or edited (WECOM-3): WeCom's callbacks name
the customer and the employee only, so this policy asks WeCom (`externalcontact/get`,
every follow-user page) and records what it answered as a profile row of the log
(kind WECOM_CUSTOMER_EDITED, name "profile"): the customer directory and the lead
follow it.

The profile row's message id is derived from the row it answers, so a replay after a
crash stores nothing twice. A corp that cannot be asked (unbound, no SCRM plan, WeCom
refusing or away) leaves the customer without details, logged, and never stops the log.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.shared.errors import ApplicationError
from application.shared.policies import Policy
from application.shared.views import View
from application.wecom.callbacks import SOURCE, Observations, customer_key
from application.wecom.corps import WecomCorps
from application.wecom.customer_directory import PROFILE
from application.wecom.ports import ExternalContact, whole_customer
from domain.shared.errors import DomainError

log = logging.getLogger("huoke.wecom.customers")
ASKED_AFTER = frozenset({BehaviourKind.WECOM_CUSTOMER_ADDED, BehaviourKind.WECOM_CUSTOMER_EDITED})


def profile_properties(corpid: str, contact: ExternalContact) -> dict[str, Any]:
    """What a profile (or sync) row keeps of WeCom's answer."""
    return {
        "corp": corpid,
        "external_userid": contact.external_userid,
        "name": contact.name[:100],
        "type": contact.type,
        "corp_name": contact.corp_name[:200],
        "follow_users": [
            {
                "userid": follow.userid,
                "remark": follow.remark[:200],
                "tags": [tag.name for tag in follow.tags][:50],
                "tag_ids": [tag.id for tag in follow.tags if tag.id][:50],
                "add_way": follow.add_way,
                "added_at": follow.createtime.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "state": follow.state[:30],
            }
            for follow in contact.follow_users
        ],
    }


def profile_message_id(message_id: str) -> str:
    """The profile row's id for the row it answers (short: a callback's is long)."""
    return f"wecom:{PROFILE}:{hashlib.sha256(message_id.encode()).hexdigest()[:40]}"


class CustomerProfiles(Policy):
    """Asks WeCom for a customer's details when they are added or edited."""

    name = "wecom_customer_profiles"
    follows = (BEHAVIOURS,)

    def __init__(
        self, view: View, *, corps: WecomCorps, observations: Observations, clock: Clock
    ) -> None:
        super().__init__(view)
        self.corps = corps
        self.observations = observations
        self.clock = clock

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Behaviour) and domain_event.channel == Channel.WECOM:
            rows = self.profile_of(domain_event)
            if rows:
                self.observations.take(rows)
        self.view.write(tracking, ())

    def profile_of(self, row: Behaviour) -> Sequence[Behaviour]:
        if row.kind not in ASKED_AFTER or row.name in (PROFILE, "synced"):
            return []
        external = str(row.properties.get("external_userid") or "")
        if not external:
            return []
        try:
            contact = whole_customer(self.corps.api_of(row.tenant_id), external)
        except (ApplicationError, DomainError) as error:
            log.warning("tenant %s: no profile of a WeCom customer: %s", row.tenant_id, error)
            return []
        now = self.clock.now()
        return [
            Behaviour(
                tenant_id=row.tenant_id,
                kind=BehaviourKind.WECOM_CUSTOMER_EDITED.value,
                channel=Channel.WECOM.value,
                occurred_at=now,
                received_at=now,
                message_id=profile_message_id(row.message_id),
                name=PROFILE,
                properties=profile_properties(str(row.properties.get("corp") or ""), contact),
                anonymous_id=customer_key(external),
                source_id=SOURCE,
            )
        ]
