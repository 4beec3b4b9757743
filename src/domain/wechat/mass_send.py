"""Mass sends of an Official Account (WX-3, WX-4): who gets them, what, and WeChat's
fixed limits on how often, as pure rules and the `MassSend` aggregate.

- Normal (无区别群发, by tag, region, gender, follow time, with include and exclude): a
  service-account fan receives at most 4 mass messages a calendar month (Beijing
  time); a fan who already has 4 — counting messages still in flight — is skipped,
  with the reason. A subscription account (订阅号) may mass send once a day.
- Targeted (定向发送, to a list of openids, service accounts): not counted against a
  fan's 4 a month, but an account makes at most 100 targeted sends a day (seed 003
  §3.3 states both).
- Unlimited (不限次群发, seed 003 §3.9): customer-service messages to the fans of the
  audience active in the last 48 hours; counted against nothing.

Sending is draft → sending (its recipients are fixed once, atomically with the cap
check: ADR 0016) → sent, or failed when a daily limit refused it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text
from domain.wechat.windows import MASS_SENDS_PER_MONTH, WECHAT_ZONE, mass_month

SUBSCRIPTION_MASS_SENDS_PER_DAY = 1  # 订阅号: one mass send a day (WeChat's rule)
TARGETED_SENDS_PER_DAY = 100  # 定向发送: 100 a day per service account (seed 003 §3.3)
OPENIDS_PER_CALL = 10_000  # message/mass/send takes 2…10,000 openids
MAX_TARGETED_OPENIDS = 10_000
MAX_TEXT = 600
MAX_FILTER_VALUES = 100
MONTHLY_CAP_RULE = (
    f"a service-account fan receives at most {MASS_SENDS_PER_MONTH} mass messages a "
    "calendar month, Beijing time (WX-4)"
)
SUBSCRIPTION_DAY_RULE = (
    "a subscription account (订阅号) may mass send once a day, Beijing time (WX-4)"
)
TARGETED_DAY_RULE = (
    f"a service account makes at most {TARGETED_SENDS_PER_DAY} targeted sends (定向发送) a day, "
    "Beijing time (WX-4)"
)
WINDOW_RULE = "unlimited sends reach only fans active in the last 48 hours (WX-3)"


class MassMode(StrEnum):
    NORMAL = "normal"  # 无区别群发: counted against each fan's 4 a month
    TARGETED = "targeted"  # 定向发送: to listed openids, ≤ 100 sends a day, not counted
    UNLIMITED = "unlimited"  # 不限次群发: customer-service messages to 48-hour-active fans


class SendState(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"  # asked to send; recipients fixed (or being fixed) and going out
    SENT = "sent"  # every recipient has an outcome
    FAILED = "failed"  # refused by a daily limit, or WeChat refused every batch


class SkipReason(StrEnum):
    MONTHLY_CAP = "monthly_cap"
    OUTSIDE_WINDOW = "outside_service_window"
    UNFOLLOWED = "unfollowed"
    NOT_A_FAN = "not_a_fan"


MESSAGE_KINDS = ("text", "image", "voice", "video", "mpnews")
_INCLUDE_KEYS = {"tag_ids", "provinces", "cities", "sex", "followed_from", "followed_to"}
_EXCLUDE_KEYS = {"tag_ids", "provinces", "cities", "sex"}


class DailyLimitReached(StateConflict):
    """A daily limit of WeChat's on an account's sends is used up (names the rule)."""

    code = "wechat_daily_limit"


def mass_day(at: datetime) -> str:
    """The calendar day (YYYY-MM-DD, Beijing time) a send counts against."""
    return at.astimezone(WECHAT_ZONE).strftime("%Y-%m-%d")


# --- the monthly cap, as a pure rule ------------------------------------------------------


def counts_against_cap(mode: str, account_kind: str) -> bool:
    """Whether a send's messages count against each fan's 4 a month."""
    return mode == MassMode.NORMAL and account_kind == "service"


def allot(received: Mapping[str, int], openids: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split `openids` into those who may get one more mass message this month and those
    who may not: `received` is how many each already got or has in flight."""
    granted: list[str] = []
    capped: list[str] = []
    for openid in openids:
        (capped if received.get(openid, 0) >= MASS_SENDS_PER_MONTH else granted).append(openid)
    return granted, capped


def require_day_allowance(mode: str, account_kind: str, sends_today: int) -> None:
    """Refuse a send past the account's daily limit (`sends_today`: sends of the same
    kind the account already started today)."""
    if mode == MassMode.TARGETED and sends_today >= TARGETED_SENDS_PER_DAY:
        raise DailyLimitReached(f"{TARGETED_DAY_RULE}; {sends_today} made today", field="mode")
    if (
        mode == MassMode.NORMAL
        and account_kind == "subscription"
        and sends_today >= SUBSCRIPTION_MASS_SENDS_PER_DAY
    ):
        raise DailyLimitReached(f"{SUBSCRIPTION_DAY_RULE}; already sent today", field="mode")


# --- what a send holds ----------------------------------------------------------------------


def checked_message(message: Mapping[str, Any]) -> dict[str, str]:
    """Text (≤ 600 characters), or the media_id of an image, voice, video or mpnews."""
    kind = str(message.get("kind", ""))
    if kind not in MESSAGE_KINDS:
        raise InvalidValue(
            f"message.kind must be one of {', '.join(MESSAGE_KINDS)}", field="message.kind"
        )
    if kind == "text":
        text = required_text(
            str(message.get("text") or ""), field="message.text", max_length=MAX_TEXT
        )
        return {"kind": kind, "text": text, "media_id": ""}
    media_id = required_text(
        str(message.get("media_id") or ""), field="message.media_id", max_length=128
    )
    return {"kind": kind, "text": "", "media_id": media_id}


def checked_audience(audience: Mapping[str, Any], mode: str) -> dict[str, Any]:
    """Filters of normal and unlimited sends (include: tag ids, provinces, cities, sex,
    followed from/to; exclude: tag ids, provinces, cities, sex), or the openids of a
    targeted send. Times are ISO-8601 with a zone."""
    if mode == MassMode.TARGETED:
        openids = audience.get("openids") or []
        if not isinstance(openids, list) or not openids:
            raise InvalidValue("a targeted send lists the fans' openids", field="audience.openids")
        unique = sorted(
            {required_text(str(o), field="audience.openids", max_length=64) for o in openids}
        )
        if len(unique) > MAX_TARGETED_OPENIDS:
            raise InvalidValue(
                f"a targeted send reaches at most {MAX_TARGETED_OPENIDS} fans",
                field="audience.openids",
            )
        return {"openids": unique}
    if audience.get("openids"):
        raise InvalidValue("only a targeted send lists openids", field="audience.openids")
    include = _filters(audience.get("include") or {}, _INCLUDE_KEYS, "audience.include")
    exclude = _filters(audience.get("exclude") or {}, _EXCLUDE_KEYS, "audience.exclude")
    start, end = include.get("followed_from"), include.get("followed_to")
    if start and end and start > end:
        raise InvalidValue(
            "followed_from must not be after followed_to", field="audience.include.followed_from"
        )
    return {"include": include, "exclude": exclude}


def _filters(raw: Any, keys: set[str], where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidValue(f"{where} must be an object", field=where)
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise InvalidValue(f"{where} has no filter {unknown[0]!r}", field=f"{where}.{unknown[0]}")
    out: dict[str, Any] = {}
    for key in sorted(raw):
        value, field = raw[key], f"{where}.{key}"
        if value is None or value == []:
            continue
        if key == "tag_ids":
            out[key] = sorted({_tag_id(v, field) for v in _listed(value, field)})
        elif key in ("provinces", "cities"):
            out[key] = sorted(
                {required_text(str(v), field=field, max_length=50) for v in _listed(value, field)}
            )
        elif key == "sex":
            if value not in (0, 1, 2) or isinstance(value, bool):
                raise InvalidValue(
                    f"{field} must be 0 (unknown), 1 (male) or 2 (female)", field=field
                )
            out[key] = int(value)
        else:  # followed_from / followed_to
            out[key] = _moment(value, field)
    return out


def _listed(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidValue(f"{field} must be a list", field=field)
    if len(value) > MAX_FILTER_VALUES:
        raise InvalidValue(f"{field} takes at most {MAX_FILTER_VALUES} values", field=field)
    return value


def _tag_id(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise InvalidValue(f"{field} must list WeChat tag ids (integers)", field=field)
    return value


def _moment(value: Any, field: str) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(f"{field} must be an ISO-8601 time", field=field) from None
    if moment.tzinfo is None:
        raise InvalidValue(f"{field} needs a time zone", field=field)
    return moment.isoformat()


class MassSend(Aggregate):
    """One mass message of an account to an audience (群发)."""

    TOPIC = "wechat.MassSend"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Drafted: ClassVar[type[AggregateEvent]]
        SendingRequested: ClassVar[type[AggregateEvent]]
        RecipientsFixed: ClassVar[type[AggregateEvent]]
        Refused: ClassVar[type[AggregateEvent]]
        ResultsReported: ClassVar[type[AggregateEvent]]
        Finished: ClassVar[type[AggregateEvent]]

    @classmethod
    def draft(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        account_id: UUID,
        account_kind: str,
        name: str,
        mode: str,
        audience: Mapping[str, Any],
        message: Mapping[str, Any],
    ) -> MassSend:
        """A draft: nothing is sent until `request_send`."""
        if mode not in MassMode.__members__.values():
            raise InvalidValue("mode must be normal, targeted or unlimited", field="mode")
        if mode == MassMode.TARGETED and account_kind != "service":
            raise InvalidValue("targeted sends (定向发送) are for service accounts", field="mode")
        return cls(
            id=id,
            tenant_id=tenant_id,
            account_id=account_id,
            account_kind=account_kind,
            name=required_text(name, field="name", max_length=64),
            mode=mode,
            audience=checked_audience(audience, mode),
            message=checked_message(message),
        )

    @event("Drafted", topic="wechat.MassSend.Drafted")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        account_id: UUID,
        account_kind: str,
        name: str,
        mode: str,
        audience: dict[str, Any],
        message: dict[str, str],
    ) -> None:
        self.tenant_id = tenant_id
        self.account_id = account_id
        self.account_kind = account_kind
        self.name = name
        self.mode = mode
        self.audience = audience
        self.message = message
        self.state = SendState.DRAFT.value
        self.requested_at: str | None = None
        self.month = ""
        self.day = ""
        self.recipients: dict[str, int] | None = None  # queued, skipped when fixed
        self.refusal = ""
        self.results: dict[str, dict[str, Any]] = {}  # by WeChat msg_id
        self.finished_at: str | None = None
        self.outcome: dict[str, int] = {}

    @property
    def counted(self) -> bool:
        """Whether its messages count against each fan's 4 a month."""
        return counts_against_cap(self.mode, self.account_kind)

    def request_send(self, at: datetime) -> None:
        """Send now: the month and day it counts against are those of `at`."""
        if self.state != SendState.DRAFT:
            raise StateConflict(f"a {self.state} mass send cannot be sent again", field="state")
        self._sending_requested(at=at.isoformat(), month=mass_month(at), day=mass_day(at))

    @event("SendingRequested", topic="wechat.MassSend.SendingRequested")
    def _sending_requested(self, at: str, month: str, day: str) -> None:
        self.state = SendState.SENDING.value
        self.requested_at = at
        self.month = month
        self.day = day

    def fix_recipients(self, *, queued: int, skipped: int) -> None:
        """Record how many fans the send goes to and how many were skipped (once)."""
        if self.state != SendState.SENDING or self.recipients is not None:
            return
        if queued < 0 or skipped < 0:
            raise InvalidValue("recipient counts must not be negative", field="recipients")
        self._recipients_fixed(queued=queued, skipped=skipped)

    @event("RecipientsFixed", topic="wechat.MassSend.RecipientsFixed")
    def _recipients_fixed(self, queued: int, skipped: int) -> None:
        self.recipients = {"queued": queued, "skipped": skipped}

    def refuse(self, reason: str) -> None:
        """A daily limit refused the send before any recipient was fixed."""
        if self.state != SendState.SENDING or self.recipients is not None:
            raise StateConflict("only a send whose recipients are not fixed can be refused")
        self._refused(reason=reason[:300])

    @event("Refused", topic="wechat.MassSend.Refused")
    def _refused(self, reason: str) -> None:
        self.state = SendState.FAILED.value
        self.refusal = reason

    def report_results(
        self,
        *,
        msg_id: str,
        status: str,
        total: int,
        filtered: int,
        sent: int,
        errors: int,
    ) -> bool:
        """WeChat's MASSSENDJOBFINISH for one of its batches; a repeat changes nothing."""
        if msg_id in self.results or self.state == SendState.DRAFT:
            return False
        self._results_reported(
            msg_id=msg_id, status=status, total=total, filtered=filtered, sent=sent, errors=errors
        )
        return True

    @event("ResultsReported", topic="wechat.MassSend.ResultsReported")
    def _results_reported(
        self, msg_id: str, status: str, total: int, filtered: int, sent: int, errors: int
    ) -> None:
        self.results[msg_id] = {
            "status": status,
            "total": total,
            "filtered": filtered,
            "sent": sent,
            "errors": errors,
        }

    def finish(self, *, at: datetime, sent: int, skipped: int, failed: int) -> None:
        """Every recipient has an outcome: sent, or failed when none could be sent."""
        if self.state != SendState.SENDING or self.recipients is None:
            return
        state = SendState.FAILED if failed and not sent else SendState.SENT
        self._finished(
            at=at.isoformat(), state=state.value, sent=sent, skipped=skipped, failed=failed
        )

    @event("Finished", topic="wechat.MassSend.Finished")
    def _finished(self, at: str, state: str, sent: int, skipped: int, failed: int) -> None:
        self.state = state
        self.finished_at = at
        self.outcome = {"sent": sent, "skipped": skipped, "failed": failed}
