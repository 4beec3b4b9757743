"""What messaging needs from outside: relays and providers, DNS, signing, tracking links,
and the leads (who a recipient is, whether they may be contacted, opting them out).

Each port is implemented in `adapters/messaging` (or, for another context's services,
by an adapter over that context's application) and wired in the manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

# --- e-mail --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMail:
    """One message for one recipient, ready for the relay: `data` is the whole RFC 5322
    message, already DKIM-signed. `message_id` is the pipeline's deterministic id."""

    message_id: str
    envelope_from: str  # the VERP return path: bounces name the message
    recipient: str
    data: bytes


@dataclass(frozen=True)
class MailOutcome:
    """What the relay said about one message. `accepted` False with `permanent` True is
    a hard bounce (5xx); False with `permanent` False is a soft one (4xx, no answer)."""

    message_id: str
    accepted: bool
    permanent: bool = False
    code: int = 0
    detail: str = ""


class MailTransport(Protocol):
    """Hands e-mails to a relay (SMTP) or to the sandbox outbox (.eml files)."""

    def deliver(
        self, mails: Sequence[OutgoingMail], commit: Callable[[Sequence[str]], None]
    ) -> list[MailOutcome]:
        """Stage messages with the relay up to, but not including, the step that makes
        the relay take them (SMTP: the final "." of DATA; the sandbox: the rename of the
        file), call `commit` with the ids staged, then complete them — in rounds, as
        many at a time as the relay has connections, so `commit` may be called several
        times. A message whose `commit` did not return is never taken by the relay: a
        crash before it sends nobody anything and a restart sends nobody twice. If
        `commit` raises, the staged messages are abandoned and the error propagates.
        Answers one outcome per message of `mails` (refused ones with the relay's code)."""
        ...


class DkimSigner(Protocol):
    """Signs a message for a sending domain (RFC 6376, relaxed/relaxed, rsa-sha256)."""

    def sign(self, message: bytes, *, domain: str, selector: str, private_key_pem: str) -> bytes:
        """`message` with a DKIM-Signature header in front."""
        ...


# --- SMS -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingSms:
    """One text for one mobile. `message_id` is the pipeline's deterministic id (the
    provider's out id / session context, so receipts name it)."""

    message_id: str
    mobile: str
    signature: str  # without brackets: the provider adds 【】
    text: str


@dataclass(frozen=True)
class SmsOutcome:
    message_id: str
    accepted: bool
    permanent: bool = False
    provider_id: str = ""  # the provider's id of the message (receipts carry it)
    code: str = ""
    detail: str = ""


class SmsProvider(Protocol):
    """Sends texts through one provider (Aliyun, Tencent Cloud, the sandbox)."""

    name: str

    def send(self, messages: Sequence[OutgoingSms]) -> list[SmsOutcome]:
        """Send each text; one outcome per message, in order."""
        ...


# --- tracking links (the tracking context's codes) -----------------------------------------


class TrackingTokens(Protocol):
    """Signed URLs whose visits the tracking context records as the recipient's opens
    and clicks (the behaviour's properties carry `message`: our message id)."""

    def open_pixel_url(self, *, tenant_id: UUID, lead_id: UUID, message_id: str) -> str: ...

    def click_url(self, *, tenant_id: UUID, lead_id: UUID, message_id: str, url: str) -> str: ...

    def short_link(
        self, *, tenant_id: UUID, task_id: UUID, lead_id: UUID, url: str, channel: str
    ) -> str:
        """A short `/s/{code}` URL for `url` whose clicks are the lead's on `channel`
        (one promotion link per task and URL, one code per recipient)."""
        ...


# --- the leads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """What a template may say about a recipient, and where to reach them."""

    lead_id: UUID
    name: str | None = None
    email: str | None = None
    mobile: str | None = None
    company: str | None = None
    title: str | None = None
    city: str | None = None
    custom: Mapping[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The personalisation fields: `{{name}}`, `{{company}}`, `{{custom.<key>}}` …"""
        return {
            "name": self.name,
            "email": self.email,
            "mobile": self.mobile,
            "company": self.company,
            "title": self.title,
            "city": self.city,
            "custom": dict(self.custom),
        }


class People(Protocol):
    """The leads context's answer to "who are these recipients, may we contact them"."""

    def people(self, tenant_id: UUID, lead_ids: Collection[UUID]) -> dict[UUID, Person]:
        """The live leads among `lead_ids` (others are absent)."""
        ...

    def contactable(self, tenant_id: UUID, lead_ids: Collection[UUID], channel: str) -> set[UUID]:
        """Those a send on `channel` may go to (not unsubscribed, not suppressed)."""
        ...


class ConsentBook(Protocol):
    """Records what a recipient said or what their address did (LEAD-9)."""

    def unsubscribe(self, tenant_id: UUID, lead_id: UUID, channel: str, source: str) -> None:
        """The lead opted out of `channel`; answers once every sender can see it."""
        ...

    def suppress(self, tenant_id: UUID, lead_id: UUID, channel: str, source: str) -> None:
        """A hard bounce or a complaint (`source`): nothing more to the lead on `channel`."""
        ...


class Audiences(Protocol):
    """The segments context's answer to "who is in this group / filter now"."""

    def members(self, tenant_id: UUID, audience: Mapping[str, Any]) -> list[UUID]:
        """The live leads the audience (Audience.to_primitives) selects now."""
        ...
