"""The SMS channel of the pipeline (SMS-1…4; ADR 0015): each recipient's text filled in
from the task's approved content, long links replaced by the recipient's tracked short
links, handed to the provider.

The text is cut into the pieces of its provider template
(`domain.messaging.sms_content.template_pieces`): literal text, personalisation fields
(rendered for the recipient in the messaging sandbox, `rendering.render_text`) and long
links (each recipient's `/s/{code}` from `TrackingTokens.short_link`, channel "sms").
The provider gets the filled text and, where the content was approved as one of its
templates, that template with the values of its variables.

Never twice: `mark_sent` is called with the batch just before the provider's requests,
so a restart never sends a text the provider may already have. A crash during the
requests may leave some of the batch marked sent but never sent (skipped, not doubled);
that is the promise SMS makes, as a provider offers no way to stage a text.

Accepted texts are remembered with the provider's id (`SentTexts`): receipts name a
message by it (Tencent's status callback carries only `sid`), and replies name only
the mobile, so the last text sent to that mobile is the one answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.messaging.ports import SmsOutcome, SmsProvider, TrackingTokens
from application.messaging.rendering import render_text
from application.messaging.sending import FAILED, SENT, SOFT_BOUNCE, Outcome, Recipient
from application.messaging.sms_reviews import TemplatedSms
from application.shared.clock import Clock
from application.shared.errors import InvalidInput
from domain.messaging.sms_content import (
    MAX_LENGTH,
    Piece,
    segment_count,
    signed,
    sms_length,
    template_pieces,
)
from domain.shared.errors import DomainError

CHANNEL = "sms"


@dataclass(frozen=True)
class SentText:
    """A text a provider took: whose, which task, and the provider's id of it."""

    tenant_id: UUID
    message_id: str
    task_id: UUID
    lead_id: UUID
    provider: str
    provider_id: str
    mobile: str  # as sent (E.164)
    sent_at: datetime


class SentTexts(Protocol):
    """The texts providers took, for receipts and replies to find theirs."""

    def record(self, texts: Sequence[SentText]) -> None:
        """Remember `texts` (a text remembered already is kept as it was)."""
        ...

    def by_message(self, message_id: str) -> SentText | None: ...

    def by_provider_id(self, provider: str, provider_id: str) -> SentText | None: ...

    def latest_to(self, tenant_id: UUID, mobile: str) -> SentText | None:
        """The last text sent to `mobile` for the tenant (a reply answers it)."""
        ...


class SmsSending:
    """`ChannelSending` for SMS."""

    channel = CHANNEL

    def __init__(
        self, provider: SmsProvider, tokens: TrackingTokens, sent: SentTexts, clock: Clock
    ) -> None:
        self.provider = provider
        self.tokens = tokens
        self.sent = sent
        self.clock = clock

    def send(
        self,
        task: Any,
        recipients: Sequence[Recipient],
        mark_sent: Callable[[Sequence[str]], None],
    ) -> list[Outcome]:
        pieces = template_pieces(task.text)
        template = _template_for(task, self.provider.name)
        outcomes: dict[str, Outcome] = {}
        texts: list[TemplatedSms] = []
        for recipient in recipients:
            mobile = recipient.person.mobile
            if not mobile:
                outcomes[recipient.message_id] = Outcome(
                    recipient.message_id, FAILED, detail="the lead has no mobile"
                )
                continue
            try:
                params = self._values(task, pieces, recipient)
            except (DomainError, InvalidInput) as broken:  # this recipient's fields broke it
                outcomes[recipient.message_id] = Outcome(
                    recipient.message_id, FAILED, address=mobile, detail=str(broken)
                )
                continue
            text = "".join(p.value if p.kind == "text" else params[p.variable] for p in pieces)
            length = sms_length(signed(task.signature, text))
            if length > MAX_LENGTH:
                outcomes[recipient.message_id] = Outcome(
                    recipient.message_id,
                    FAILED,
                    address=mobile,
                    detail=f"the text is {length} characters for this recipient (at most "
                    f"{MAX_LENGTH})",
                )
                continue
            ordered = tuple(
                dict.fromkeys((p.variable, params[p.variable]) for p in pieces if p.variable)
            )
            texts.append(
                TemplatedSms(
                    message_id=recipient.message_id,
                    mobile=mobile,
                    signature=task.signature,
                    text=text,
                    template=template,
                    params=ordered,
                )
            )
        if texts:
            mark_sent([text.message_id for text in texts])
            said = self.provider.send(texts)
            self._remember(task, recipients, texts, said)
            for sms, answer in zip(texts, said, strict=True):
                outcomes[sms.message_id] = _outcome(sms, answer)
        return [outcomes[r.message_id] for r in recipients if r.message_id in outcomes]

    def _values(self, task: Any, pieces: Sequence[Piece], recipient: Recipient) -> dict[str, str]:
        values: dict[str, str] = {}
        for piece in pieces:
            if piece.kind == "field" and piece.variable not in values:
                # An SMS is one line: the field's value loses line breaks.
                rendered = render_text(piece.value, recipient.person, {}, field="text")
                values[piece.variable] = " ".join(rendered.split())
            elif piece.kind == "link" and piece.variable not in values:
                values[piece.variable] = self.tokens.short_link(
                    tenant_id=task.tenant_id,
                    task_id=task.id,
                    lead_id=recipient.lead_id,
                    url=piece.value,
                    channel=CHANNEL,
                )
        return values

    def _remember(
        self,
        task: Any,
        recipients: Sequence[Recipient],
        texts: Sequence[TemplatedSms],
        said: Sequence[SmsOutcome],
    ) -> None:
        leads = {r.message_id: r.lead_id for r in recipients}
        now = self.clock.now()
        taken = [
            SentText(
                tenant_id=task.tenant_id,
                message_id=sms.message_id,
                task_id=task.id,
                lead_id=leads[sms.message_id],
                provider=self.provider.name,
                provider_id=answer.provider_id,
                mobile=sms.mobile,
                sent_at=now,
            )
            for sms, answer in zip(texts, said, strict=True)
            if answer.accepted
        ]
        if taken:
            self.sent.record(taken)


def _template_for(task: Any, provider: str) -> str:
    """The provider's template of the task's approved content, when it was approved
    with this provider (`provider:ref`); else none (the adapter's catch-all)."""
    owner, _, ref = str(task.template).partition(":")
    return ref if owner == provider and ref else ""


def _outcome(sms: TemplatedSms, said: SmsOutcome) -> Outcome:
    if said.accepted:
        segments = segment_count(sms_length(signed(sms.signature, sms.text)))
        return Outcome(
            sms.message_id,
            SENT,
            address=sms.mobile,
            provider_id=said.provider_id,
            properties={"segments": segments},
        )
    detail = f"{said.code}: {said.detail}".strip(": ") if said.code else said.detail
    result = FAILED if said.permanent else SOFT_BOUNCE
    return Outcome(
        sms.message_id, result, address=sms.mobile, detail=detail, provider_id=said.provider_id
    )
