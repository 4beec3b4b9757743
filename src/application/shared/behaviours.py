"""The behaviour log's row contract: observations every context appends (ADR 0013).

Decisions are aggregate events; observations (a page viewed, a tracked event, an e-mail
opened, a link clicked, a WeChat message) are `Behaviour` rows appended in bulk to one
append-only, tenant-first log, never updated. Followers read the log by position under
the same exactly-once tracking as the event store: it is the upstream named
`BEHAVIOURS`, and a follower names it in `follows` like an application.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

# The upstream name followers give in `follows` (and their tracking rows carry).
BEHAVIOURS = "behaviours"

MAX_NAME_LENGTH = 200
MAX_ID_LENGTH = 200


class BehaviourKind(StrEnum):
    """What was observed. Segment's six calls first; other contexts add theirs here."""

    TRACK = "track"  # a named custom event
    PAGE = "page"  # a web page viewed (properties: url, path, referrer, title, dwell_ms)
    SCREEN = "screen"  # an app screen viewed
    IDENTIFY = "identify"  # who a visitor is (traits in properties)
    ALIAS = "alias"  # one user id is another (previous_id in properties)
    GROUP = "group"  # a visitor belongs to a company or group
    CLICK = "click"  # a short link or e-mail link followed
    OPEN = "open"  # an e-mail opened (the pixel)
    # Messaging (ADR 0015): properties carry "task" (the task id) and "message" (the
    # pipeline's message id); bounces say "bounce": "hard" | "soft".
    EMAIL_SENT = "email_sent"  # handed to the relay (properties: domain of the address)
    EMAIL_DELIVERED = "email_delivered"  # the relay took it
    EMAIL_BOUNCED = "email_bounced"
    EMAIL_COMPLAINED = "email_complained"
    UNSUBSCRIBED = "unsubscribed"  # an unsubscribe link or a 退订 reply (channel says which)
    SMS_SENT = "sms_sent"  # the provider took it (properties: segments)
    SMS_DELIVERED = "sms_delivered"  # the provider's receipt: delivered
    SMS_FAILED = "sms_failed"  # refused by the provider or a failed receipt
    SMS_REPLIED = "sms_replied"  # a reply from the mobile (properties: text)
    # WeChat Official Accounts (WX-2): properties carry "account" (the account id); the
    # anonymous id is "wechat:<openid>", so stitching carries a fan's rows to their lead.
    WECHAT_FOLLOWED = "wechat_followed"  # subscribe (properties: scene of a parameter QR)
    WECHAT_UNFOLLOWED = "wechat_unfollowed"
    WECHAT_SCANNED = "wechat_scanned"  # a follower scanned a parameter QR (scene)
    WECHAT_MENU_CLICKED = "wechat_menu_clicked"  # CLICK / VIEW / scan-code menus (key, url)
    WECHAT_LOCATION = "wechat_location"  # the location a fan reports (latitude, longitude)
    WECHAT_MESSAGE = "wechat_message"  # a fan's message (msg_type, text, media_id…)
    WECHAT_REPLIED = "wechat_replied"  # the account's reply (text; auto or by an employee)
    WECHAT_MASS_SENT = "wechat_mass_sent"  # a mass message sent to the fan (properties: mass)
    WECHAT_TEMPLATE_SENT = "wechat_template_sent"  # a template message sent to the fan
    WECHAT_FAN_SYNCED = "wechat_fan_synced"  # the account's profile of the fan (user/info)
    # An item of the account's material library (WX-6) as a sync found it; a sync's last
    # row (name "finished") says which kinds it covered.
    WECHAT_MATERIAL_SYNCED = "wechat_material_synced"
    # WeChat's report on a mass or template send (MASSSENDJOBFINISH, TEMPLATESENDJOBFINISH):
    # properties msg_id, status and the counts; no fan (the anonymous id is empty).
    WECHAT_JOB_FINISHED = "wechat_job_finished"
    # Flows (FLOW-3): a notify-owner step's notice (properties: flow, owner, text).
    FLOW_OWNER_NOTIFIED = "flow_owner_notified"
    # WeCom SCRM (WECOM-1…3): properties carry "corp" (the corp id), "employee" (the
    # employee's WeCom userid) and the event's fields; the anonymous id is
    # "wecom:<external_userid>", so the rows follow the customer to their lead.
    WECOM_CUSTOMER_ADDED = "wecom_customer_added"  # (state: the live code's, welcome_code)
    WECOM_CUSTOMER_LOST = "wecom_customer_lost"  # the customer deleted the employee (churn)
    WECOM_CUSTOMER_REMOVED = "wecom_customer_removed"  # the employee deleted the customer
    WECOM_CUSTOMER_EDITED = "wecom_customer_edited"
    WECOM_GROUP_CHANGED = "wecom_group_changed"  # (chat_id, change, update_detail)
    WECOM_WELCOME_SENT = "wecom_welcome_sent"  # a welcome message went out (code, outcome)
    # A customer's inheritance ended (WECOM-4, ORG-3): outcome succeeded / failed, reason,
    # handover and takeover userids, the transfer batch; on the customer's lead.
    WECOM_CUSTOMER_TRANSFERRED = "wecom_customer_transferred"
    # The session archive (ARCH-1, ARCH-3): one row per archived message (properties: the
    # finance SDK's fields, see application/archive/messages.py), and one per hit of a
    # sensitive word or behaviour found when it was ingested.
    ARCHIVE_MESSAGE = "archive_message"
    ARCHIVE_ALERT = "archive_alert"


class Channel(StrEnum):
    """Where the observation came from (the timeline and per-channel counts use it)."""

    WEB = "web"
    APP = "app"
    SERVER = "server"
    EMAIL = "email"
    SMS = "sms"
    WECHAT = "wechat"
    WECOM = "wecom"
    LINK = "link"  # a short link shared outside a tracked channel


@dataclass(frozen=True)
class Behaviour:
    """One observation. `properties` and `context` are JSON-able and may hold personal
    data: the log stores them encrypted. `message_id` is unique per tenant: appending
    a row whose id the tenant already has stores nothing (an SDK's retry)."""

    tenant_id: UUID
    kind: str
    channel: str
    occurred_at: datetime  # when it happened (the sender's clock, skew-corrected)
    received_at: datetime  # when huoke took it (the log is partitioned by this)
    message_id: str
    name: str = ""  # the event's or page's name
    properties: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)  # ip, user agent, page, utm
    anonymous_id: str | None = None
    user_id: str | None = None
    lead_id: UUID | None = None  # when the appender already knows whose it is
    source_id: str = ""  # the tracking source, or the appending context ("messaging")
    request_id: str = ""
    position: int = 0  # given by the log when stored; 0 before


class BehaviourLog(Protocol):
    """The append side of the log, for every context that observes something."""

    def append(self, behaviours: Sequence[Behaviour]) -> list[int]:
        """Store `behaviours` in one transaction, in order. Answers each row's position,
        0 for a row whose `message_id` the tenant already had (nothing stored for it).
        Raises when nothing could be stored; then nothing was."""
        ...

    def encode(self, behaviours: Sequence[Behaviour]) -> list[Any]:
        """`append` in two steps: the rows as the database stores them (encrypted)…"""
        ...

    def store(self, rows: Sequence[Any]) -> list[int]:
        """…then stored in one transaction, answering positions as `append` does."""
        ...


class BehaviourReader(Protocol):
    """The read side, for queries that page through a tenant's rows."""

    def behaviours_of(
        self,
        tenant_id: UUID,
        *,
        after: int = 0,
        limit: int = 100,
    ) -> list[Behaviour]:
        """The tenant's rows with a position above `after`, oldest first."""
        ...


__all__ = [
    "BEHAVIOURS",
    "Behaviour",
    "BehaviourKind",
    "BehaviourLog",
    "BehaviourReader",
    "Channel",
]
