"""Template messages (WX-5): only verified service accounts, only templates the account
added, every key of the template given a value (personalised by `{{nickname}}`-style
fan fields), an optional link to a landing page, and at most 100,000 sends per account
a day (Beijing time). Results come per message from TEMPLATESENDJOBFINISH."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text
from domain.wechat.mass_send import DailyLimitReached, SendState, checked_audience, mass_day

TEMPLATE_SENDS_PER_DAY = 100_000  # per account, under 100k fans (WX-5, fixed)
TEMPLATE_DAY_RULE = (
    f"an account sends at most {TEMPLATE_SENDS_PER_DAY:,} template messages a day, "
    "Beijing time (WX-5)"
)
MAX_VALUE = 200
MAX_URL = 1024
FAN_FIELDS = ("nickname", "province", "city", "openid")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


class TemplateUnusable(StateConflict):
    """The account may not send this template (not a verified service account, or the
    template is not added to it)."""

    code = "wechat_template_unusable"


def require_template_account(*, kind: str, verified: bool) -> None:
    if kind != "service" or not verified:
        raise TemplateUnusable(
            "template messages are sent only by verified service accounts (WX-5)",
            field="account_id",
        )


def checked_data(data: Mapping[str, Any], keys: list[str]) -> dict[str, str]:
    """A value for every key of the template and for no other; placeholders only of the
    fan's fields."""
    missing = [key for key in keys if not str(data.get(key) or "").strip()]
    if missing:
        raise InvalidValue(
            f"the template needs a value for {missing[0]!r}", field=f"data.{missing[0]}"
        )
    unknown = sorted(set(data) - set(keys))
    if unknown:
        raise InvalidValue(f"the template has no key {unknown[0]!r}", field=f"data.{unknown[0]}")
    checked: dict[str, str] = {}
    for key in keys:
        value = required_text(str(data[key]), field=f"data.{key}", max_length=MAX_VALUE)
        for name in _PLACEHOLDER.findall(value):
            if name not in FAN_FIELDS:
                raise InvalidValue(
                    f"{{{{{name}}}}} is not a fan field (one of {', '.join(FAN_FIELDS)})",
                    field=f"data.{key}",
                )
        checked[key] = value
    return checked


def checked_url(url: str) -> str:
    url = url.strip()
    if url and not (url.startswith("https://") or url.startswith("http://")):
        raise InvalidValue("url must be an http(s) link to the landing page", field="url")
    if len(url) > MAX_URL:
        raise InvalidValue(f"url must be at most {MAX_URL} characters", field="url")
    return url


def personalised(data: Mapping[str, str], fan: Mapping[str, str]) -> dict[str, str]:
    """The values with the fan's fields filled in (a field the fan lacks becomes "")."""
    return {
        key: _PLACEHOLDER.sub(lambda m: str(fan.get(m.group(1), "")), value)
        for key, value in data.items()
    }


def require_template_allowance(sent_today: int, sending: int) -> None:
    """Refuse a send that would take the account past 100,000 template messages today."""
    if sent_today + sending > TEMPLATE_SENDS_PER_DAY:
        left = max(0, TEMPLATE_SENDS_PER_DAY - sent_today)
        raise DailyLimitReached(
            f"{TEMPLATE_DAY_RULE}; {left:,} left today and this send has {sending:,} fans",
            field="audience",
        )


class TemplateSend(Aggregate):
    """Template messages of one template to an audience (模板消息群发)."""

    TOPIC = "wechat.TemplateSend"
    Created = None  # type: ignore[assignment]
    if TYPE_CHECKING:
        Requested: ClassVar[type[AggregateEvent]]
        RecipientsFixed: ClassVar[type[AggregateEvent]]
        Refused: ClassVar[type[AggregateEvent]]
        Finished: ClassVar[type[AggregateEvent]]

    @classmethod
    def request(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        account_id: UUID,
        account_kind: str,
        verified: bool,
        templates: Mapping[str, Mapping[str, Any]],
        template_id: str,
        data: Mapping[str, Any],
        url: str,
        audience: Mapping[str, Any],
        at: datetime,
    ) -> TemplateSend:
        """Send `template_id` now to the audience (filters, or `openids`)."""
        require_template_account(kind=account_kind, verified=verified)
        template = templates.get(template_id)
        if template is None:
            raise TemplateUnusable(
                f"template {template_id} is not added to the account (WX-5)", field="template_id"
            )
        keys = [str(k) for k in template.get("fields") or []]  # type: ignore[union-attr]
        mode = "targeted" if audience.get("openids") else "normal"
        return cls(
            id=id,
            tenant_id=tenant_id,
            account_id=account_id,
            template_id=template_id,
            data=checked_data(data, keys),
            url=checked_url(url),
            audience=checked_audience(audience, mode),
            at=at.isoformat(),
            day=mass_day(at),
        )

    @event("Requested", topic="wechat.TemplateSend.Requested")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        account_id: UUID,
        template_id: str,
        data: dict[str, str],
        url: str,
        audience: dict[str, Any],
        at: str,
        day: str,
    ) -> None:
        self.tenant_id = tenant_id
        self.account_id = account_id
        self.template_id = template_id
        self.data = data
        self.url = url
        self.audience = audience
        self.requested_at = at
        self.day = day
        self.state = SendState.SENDING.value
        self.recipients: dict[str, int] | None = None
        self.refusal = ""
        self.finished_at: str | None = None
        self.outcome: dict[str, int] = {}

    def fix_recipients(self, *, queued: int, skipped: int) -> None:
        if self.state != SendState.SENDING or self.recipients is not None:
            return
        self._recipients_fixed(queued=queued, skipped=skipped)

    @event("RecipientsFixed", topic="wechat.TemplateSend.RecipientsFixed")
    def _recipients_fixed(self, queued: int, skipped: int) -> None:
        self.recipients = {"queued": queued, "skipped": skipped}

    def refuse(self, reason: str) -> None:
        if self.state != SendState.SENDING or self.recipients is not None:
            raise StateConflict("only a send whose recipients are not fixed can be refused")
        self._refused(reason=reason[:300])

    @event("Refused", topic="wechat.TemplateSend.Refused")
    def _refused(self, reason: str) -> None:
        self.state = SendState.FAILED.value
        self.refusal = reason

    def finish(self, *, at: datetime, sent: int, skipped: int, failed: int) -> None:
        if self.state != SendState.SENDING or self.recipients is None:
            return
        state = SendState.FAILED if failed and not sent else SendState.SENT
        self._finished(
            at=at.isoformat(), state=state.value, sent=sent, skipped=skipped, failed=failed
        )

    @event("Finished", topic="wechat.TemplateSend.Finished")
    def _finished(self, at: str, state: str, sent: int, skipped: int, failed: int) -> None:
        self.state = state
        self.finished_at = at
        self.outcome = {"sent": sent, "skipped": skipped, "failed": failed}
