"""E-mail task reports (MAIL-5, seed 003 §8.5): what became of a task's messages — sent,
delivered, hard and soft bounces, complaints, unsubscribes, total and unique opens and
clicks — per recipient domain, per operating system and device, and per link.

A follower of the behaviour log. The pipeline's rows (`email_sent`, `email_delivered`,
`email_bounced`, `email_complained`) name the task and the message; opens and clicks
(the tracking context's pixel and redirect) and unsubscribes name only the message, so
the model keeps a message → task table filled from `email_sent`, which the pipeline
appends before anything else can happen to a message. A row for a message the table
does not know (a test send, another channel) counts nothing.

"Unique" is per message: the first open (click) of a message counts once for its task
and its domain, and once for each system, device and link it was first seen on. A
message that soft-bounced before it went through counts as soft-bounced and delivered;
soft bounces are counted once per message however often it was retried.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from pydantic import BaseModel, Field

from application.messaging.messaging import Messaging
from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.errors import NotFound
from application.shared.views import ReadModel, Statement, View
from domain.messaging.email_task import EmailTask

MESSAGES = "messaging_report_messages"
COUNTS = "messaging_report_counts"
SEEN = "messaging_report_seen"
METRICS = (
    "sent",
    "delivered",
    "hard_bounces",
    "soft_bounces",
    "complaints",
    "unsubscribes",
    "opens",
    "unique_opens",
    "clicks",
    "unique_clicks",
)
TASK, DOMAIN, OS, DEVICE, LINK = "task", "domain", "os", "device", "link"
MAX_KEY = 500  # characters of a link or domain kept as a key
_ADD = (
    f"INSERT INTO {COUNTS} (tenant_id, task_id, scope, scope_key, {', '.join(METRICS)}) "
    f"VALUES (?, ?, ?, ?, {', '.join('?' for _ in METRICS)}) "
    "ON CONFLICT (tenant_id, task_id, scope, scope_key) DO UPDATE SET "
    + ", ".join(f"{metric} = {COUNTS}.{metric} + excluded.{metric}" for metric in METRICS)
)
# The flag of a message each outcome sets, and the metric its first setting counts.
_FLAGS = {
    BehaviourKind.EMAIL_DELIVERED.value: ("delivered", "delivered"),
    BehaviourKind.EMAIL_COMPLAINED.value: ("complained", "complaints"),
    BehaviourKind.UNSUBSCRIBED.value: ("unsubscribed", "unsubscribes"),
}


# --- the user agent ------------------------------------------------------------------------

_PROXIES = re.compile(r"GoogleImageProxy|YahooMailProxy|via ggpht\.com", re.IGNORECASE)
_SYSTEMS = (
    ("iOS", re.compile(r"iPhone|iPad|iPod|\biOS\b|CFNetwork.*Darwin", re.IGNORECASE)),
    ("Android", re.compile(r"Android", re.IGNORECASE)),
    ("Windows", re.compile(r"Windows|Win64|WOW64|Outlook-Windows", re.IGNORECASE)),
    ("macOS", re.compile(r"Macintosh|Mac OS X|macOS", re.IGNORECASE)),
    ("Linux", re.compile(r"Linux|X11|CrOS|Ubuntu|Fedora", re.IGNORECASE)),
)
_MOBILE = re.compile(
    r"Mobile|iPhone|iPad|iPod|Android|Windows Phone|HarmonyOS|Tablet", re.IGNORECASE
)
UNKNOWN = "unknown"


def system_of(user_agent: str) -> str:
    """`iOS`, `Android`, `Windows`, `macOS`, `Linux`, `other`, or `unknown` (no user
    agent, or a mail provider's image proxy, which says nothing of the reader)."""
    if not user_agent.strip() or _PROXIES.search(user_agent):
        return UNKNOWN
    for name, pattern in _SYSTEMS:
        if pattern.search(user_agent):
            return name
    return "other"


def device_of(user_agent: str) -> str:
    """`mobile` (phones and tablets), `desktop`, or `unknown` (as `system_of`)."""
    if not user_agent.strip() or _PROXIES.search(user_agent):
        return UNKNOWN
    return "mobile" if _MOBILE.search(user_agent) else "desktop"


# --- the read model ------------------------------------------------------------------------


class EmailReports(ReadModel):
    """Counts what became of each e-mail task's messages, by domain, system, device
    and link."""

    name = "messaging_email_reports"
    version = 1
    follows = (BEHAVIOURS,)
    tables = {
        MESSAGES: "tenant_id TEXT NOT NULL, message_id TEXT NOT NULL, task_id TEXT NOT NULL, "
        "domain TEXT NOT NULL, delivered INTEGER NOT NULL, soft INTEGER NOT NULL, "
        "hard INTEGER NOT NULL, complained INTEGER NOT NULL, unsubscribed INTEGER NOT NULL, "
        "opened INTEGER NOT NULL, clicked INTEGER NOT NULL, "
        "PRIMARY KEY (tenant_id, message_id)",
        COUNTS: "tenant_id TEXT NOT NULL, task_id TEXT NOT NULL, scope TEXT NOT NULL, "
        "scope_key TEXT NOT NULL, "
        + ", ".join(f"{metric} INTEGER NOT NULL" for metric in METRICS)
        + ", PRIMARY KEY (tenant_id, task_id, scope, scope_key)",
        SEEN: "tenant_id TEXT NOT NULL, message_id TEXT NOT NULL, metric TEXT NOT NULL, "
        "scope TEXT NOT NULL, scope_key TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, message_id, metric, scope, scope_key)",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        statements: list[Statement] = []
        if isinstance(domain_event, Behaviour) and domain_event.channel == "email":
            statements = self._counted(domain_event)
        self.view.write(tracking, statements)

    def _counted(self, behaviour: Behaviour) -> list[Statement]:
        message_id = behaviour.properties.get("message")
        if not isinstance(message_id, str) or not message_id:
            return []
        tenant_id = str(behaviour.tenant_id)
        kind = behaviour.kind
        if kind == BehaviourKind.EMAIL_SENT:
            return self._sent(tenant_id, message_id, behaviour.properties)
        message = self._message(tenant_id, message_id)
        if message is None:
            return []
        if kind in _FLAGS:
            flag, metric = _FLAGS[kind]
            return self._first(message, flag, metric)
        if kind == BehaviourKind.EMAIL_BOUNCED:
            hard = behaviour.properties.get("bounce") == "hard"
            return self._first(
                message, *(("hard", "hard_bounces") if hard else ("soft", "soft_bounces"))
            )
        if kind == BehaviourKind.OPEN:
            return self._seen(message, behaviour, "open", "opens", "unique_opens", "opened")
        if kind == BehaviourKind.CLICK:
            return self._seen(message, behaviour, "click", "clicks", "unique_clicks", "clicked")
        return []

    def _sent(
        self, tenant_id: str, message_id: str, properties: Mapping[str, Any]
    ) -> list[Statement]:
        task_id = properties.get("task")
        if not isinstance(task_id, str) or not task_id:
            return []
        if self._message(tenant_id, message_id) is not None:
            return []  # counted when it was first sent
        domain = str(properties.get("domain") or "").strip().lower()[:MAX_KEY]
        return [
            (
                f"INSERT INTO {MESSAGES} (tenant_id, message_id, task_id, domain, delivered, "
                "soft, hard, complained, unsubscribed, opened, clicked) "
                "VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0)",
                (tenant_id, message_id, task_id, domain),
            ),
            _add(tenant_id, task_id, TASK, "", sent=1),
            _add(tenant_id, task_id, DOMAIN, domain, sent=1),
        ]

    def _first(self, message: Mapping[str, Any], flag: str, metric: str) -> list[Statement]:
        """Set `flag` of the message; its first setting counts `metric` once."""
        if message[flag]:
            return []
        tenant_id, task_id = message["tenant_id"], message["task_id"]
        return [
            _flag(message, flag),
            _add(tenant_id, task_id, TASK, "", **{metric: 1}),
            _add(tenant_id, task_id, DOMAIN, message["domain"], **{metric: 1}),
        ]

    def _seen(
        self,
        message: Mapping[str, Any],
        behaviour: Behaviour,
        metric: str,
        total: str,
        unique: str,
        flag: str,
    ) -> list[Statement]:
        """An open or a click: one more in total everywhere it applies, and the first of
        the message on each of them once more in unique."""
        tenant_id, task_id = message["tenant_id"], message["task_id"]
        first = not message[flag]
        statements: list[Statement] = [_flag(message, flag)] if first else []
        for scope, key in ((TASK, ""), (DOMAIN, message["domain"])):
            statements.append(
                _add(tenant_id, task_id, scope, key, **{total: 1, unique: int(first)})
            )
        user_agent = behaviour.context.get("userAgent")
        user_agent = user_agent if isinstance(user_agent, str) else ""
        scopes = [(OS, system_of(user_agent)), (DEVICE, device_of(user_agent))]
        url = behaviour.properties.get("url")
        if metric == "click" and isinstance(url, str) and url:
            scopes.append((LINK, url[:MAX_KEY]))
        for scope, key in scopes:
            new = self._first_seen(message, metric, scope, key)
            if new:
                statements.append(
                    (
                        f"INSERT INTO {SEEN} (tenant_id, message_id, metric, scope, scope_key) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (tenant_id, message["message_id"], metric, scope, key),
                    )
                )
            statements.append(_add(tenant_id, task_id, scope, key, **{total: 1, unique: int(new)}))
        return statements

    def _message(self, tenant_id: str, message_id: str) -> dict[str, Any] | None:
        # In a batch the statements of earlier behaviours already ran: this sees them.
        rows = self.view.rows(
            f"SELECT * FROM {MESSAGES} WHERE tenant_id = ? AND message_id = ?",
            (tenant_id, message_id),
        )
        return rows[0] if rows else None

    def _first_seen(self, message: Mapping[str, Any], metric: str, scope: str, key: str) -> bool:
        return not self.view.rows(
            f"SELECT 1 AS seen FROM {SEEN} WHERE tenant_id = ? AND message_id = ? "
            "AND metric = ? AND scope = ? AND scope_key = ?",
            (message["tenant_id"], message["message_id"], metric, scope, key),
        )


def _add(tenant_id: str, task_id: str, scope: str, key: str, **deltas: int) -> Statement:
    return _ADD, (tenant_id, task_id, scope, key, *(deltas.get(metric, 0) for metric in METRICS))


def _flag(message: Mapping[str, Any], flag: str) -> Statement:
    return (
        f"UPDATE {MESSAGES} SET {flag} = 1 WHERE tenant_id = ? AND message_id = ?",
        (message["tenant_id"], message["message_id"]),
    )


# --- reading -------------------------------------------------------------------------------


class Counts(BaseModel):
    sent: int = 0
    delivered: int = 0
    hard_bounces: int = Field(default=0, description="硬退: the address does not exist")
    soft_bounces: int = Field(
        default=0, description="软退: messages refused for now (retried for up to 5 days)"
    )
    complaints: int = 0
    unsubscribes: int = 0
    opens: int = Field(default=0, description="总打开: every open")
    unique_opens: int = Field(default=0, description="净打开: messages opened")
    clicks: int = Field(default=0, description="总点击: every click")
    unique_clicks: int = Field(default=0, description="净点击: messages with a click")


class Rates(BaseModel):
    """Shares, 0 to 1 (0 when there is nothing to divide by)."""

    delivered: float = Field(description="delivered / sent")
    bounced: float = Field(description="(hard + soft bounces) / sent")
    opened: float = Field(description="unique opens / delivered")
    clicked: float = Field(description="unique clicks / delivered")
    clicked_of_opened: float = Field(description="unique clicks / unique opens")
    unsubscribed: float = Field(description="unsubscribes / delivered")


class DomainCounts(Counts):
    domain: str


class AudienceCounts(BaseModel):
    key: str = Field(description="the system or device (unknown: no user agent, or a proxy)")
    opens: int
    unique_opens: int
    clicks: int
    unique_clicks: int


class LinkCounts(BaseModel):
    url: str
    clicks: int
    unique_clicks: int


class EmailReport(BaseModel):
    """What became of an e-mail task's messages (MAIL-5)."""

    task_id: UUID
    totals: Counts
    rates: Rates
    by_domain: list[DomainCounts] = Field(description="recipient domains, most sent first")
    by_os: list[AudienceCounts] = Field(description="operating systems, most opened first")
    by_device: list[AudienceCounts] = Field(description="mobile or desktop")
    by_link: list[LinkCounts] = Field(description="links, most clicked first")


class ReportQueries:
    """Reads of the e-mail reports."""

    def __init__(self, view: View, messaging: Messaging) -> None:
        self.view = view
        self.messaging = messaging

    def report(self, tenant_id: UUID, task_id: UUID) -> EmailReport:
        """One task's report (NotFound unless it is a live task of the tenant)."""
        task = self.messaging.load(task_id, EmailTask, tenant_id=tenant_id)
        if task.deleted:
            raise NotFound(f"no EmailTask {task_id}")
        rows = self.view.rows(
            f"SELECT * FROM {COUNTS} WHERE tenant_id = ? AND task_id = ?",
            (str(tenant_id), str(task_id)),
        )
        by_scope: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_scope.setdefault(row["scope"], []).append(row)
        task_rows = by_scope.get(TASK, [])
        totals = _counts(task_rows[0]) if task_rows else Counts()
        domains = sorted(by_scope.get(DOMAIN, []), key=lambda r: (-r["sent"], r["scope_key"]))
        return EmailReport(
            task_id=task_id,
            totals=totals,
            rates=rates_of(totals),
            by_domain=[
                DomainCounts(domain=row["scope_key"], **_counts(row).model_dump())
                for row in domains
            ],
            by_os=_audience(by_scope.get(OS, [])),
            by_device=_audience(by_scope.get(DEVICE, [])),
            by_link=[
                LinkCounts(
                    url=row["scope_key"], clicks=row["clicks"], unique_clicks=row["unique_clicks"]
                )
                for row in sorted(
                    by_scope.get(LINK, []), key=lambda r: (-r["clicks"], r["scope_key"])
                )
            ],
        )


def rates_of(counts: Counts) -> Rates:
    return Rates(
        delivered=_share(counts.delivered, counts.sent),
        bounced=_share(counts.hard_bounces + counts.soft_bounces, counts.sent),
        opened=_share(counts.unique_opens, counts.delivered),
        clicked=_share(counts.unique_clicks, counts.delivered),
        clicked_of_opened=_share(counts.unique_clicks, counts.unique_opens),
        unsubscribed=_share(counts.unsubscribes, counts.delivered),
    )


def _share(part: int, whole: int) -> float:
    return round(min(part / whole, 1.0), 4) if whole else 0.0


def _counts(row: Mapping[str, Any]) -> Counts:
    return Counts(**{metric: int(row[metric]) for metric in METRICS})


def _audience(rows: Sequence[Mapping[str, Any]]) -> list[AudienceCounts]:
    ordered = sorted(rows, key=lambda r: (-r["opens"] - r["clicks"], r["scope_key"]))
    return [
        AudienceCounts(
            key=row["scope_key"],
            opens=row["opens"],
            unique_opens=row["unique_opens"],
            clicks=row["clicks"],
            unique_clicks=row["unique_clicks"],
        )
        for row in ordered
    ]
