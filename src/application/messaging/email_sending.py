"""The e-mail channel of the pipeline (MAIL-1…4): each recipient's message rendered from
the task's template, composed with the unsubscribe headers, DKIM-signed for the sending
domain and handed to the relay under the transport's commit protocol (ADR 0015)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from uuid import UUID

from application.messaging.composing import compose_mail
from application.messaging.ports import (
    DkimSigner,
    MailOutcome,
    MailTransport,
    OutgoingMail,
    TrackingTokens,
)
from application.messaging.rendering import render_mail
from application.messaging.sending import FAILED, HARD_BOUNCE, SENT, SOFT_BOUNCE, Outcome, Recipient
from application.shared.errors import InvalidInput, NotFound
from domain.shared.errors import DomainError

CHANNEL = "email"


class TemplateContent(Protocol):
    """The HTML and field defaults of a tenant's template, as they are now."""

    def content(self, tenant_id: UUID, template_id: UUID) -> tuple[str, Mapping[str, str]]: ...


class SigningIdentities(Protocol):
    def signing_identity(self, tenant_id: UUID, address: str) -> Any:
        """domain, selector, private_key_pem, return_path_domain of a verified domain."""
        ...


class UnsubscribeUrls(Protocol):
    def url_for(self, tenant_id: UUID, lead_id: UUID, message_id: str, channel: str) -> str: ...


class EmailSending:
    """`ChannelSending` for e-mail."""

    channel = CHANNEL

    def __init__(
        self,
        templates: TemplateContent,
        identities: SigningIdentities,
        signer: DkimSigner,
        transport: MailTransport,
        tokens: TrackingTokens,
        unsubscribe: UnsubscribeUrls,
        return_path: Callable[[str, str], str],
    ) -> None:
        self.templates = templates
        self.identities = identities
        self.signer = signer
        self.transport = transport
        self.tokens = tokens
        self.unsubscribe = unsubscribe
        self.return_path = return_path

    def send(
        self,
        task: Any,
        recipients: Sequence[Recipient],
        mark_sent: Callable[[Sequence[str]], None],
    ) -> list[Outcome]:
        content = task.content
        try:
            identity = self.identities.signing_identity(task.tenant_id, content["sender_address"])
            html, defaults = self.templates.content(task.tenant_id, task.template_id)
        except (InvalidInput, NotFound) as refused:
            # The domain lost its verification or the template went: retry later.
            return [Outcome(r.message_id, SOFT_BOUNCE, detail=str(refused)) for r in recipients]
        outcomes: dict[str, Outcome] = {}
        mails: list[OutgoingMail] = []
        for recipient in recipients:
            address = recipient.person.email
            if not address:
                outcomes[recipient.message_id] = Outcome(
                    recipient.message_id, FAILED, detail="the lead has no e-mail address"
                )
                continue
            try:
                data = self._message(task, identity, html, defaults, recipient, address)
            except (DomainError, InvalidInput) as broken:  # this recipient's fields broke it
                outcomes[recipient.message_id] = Outcome(
                    recipient.message_id, FAILED, address=address, detail=str(broken)
                )
                continue
            envelope = self.return_path(recipient.message_id, identity.return_path_domain)
            mails.append(OutgoingMail(recipient.message_id, envelope, address, data))
        addresses = {mail.message_id: mail.recipient for mail in mails}
        for said in self.transport.deliver(mails, mark_sent) if mails else []:
            outcomes[said.message_id] = _outcome(said, addresses[said.message_id])
        return [outcomes[r.message_id] for r in recipients if r.message_id in outcomes]

    def message(self, task: Any, recipient: Recipient, address: str) -> OutgoingMail:
        """One recipient's signed message outside the queue (a test send)."""
        content = task.content
        identity = self.identities.signing_identity(task.tenant_id, content["sender_address"])
        html, defaults = self.templates.content(task.tenant_id, task.template_id)
        data = self._message(task, identity, html, defaults, recipient, address)
        envelope = self.return_path(recipient.message_id, identity.return_path_domain)
        return OutgoingMail(recipient.message_id, envelope, address, data)

    def _message(
        self,
        task: Any,
        identity: Any,
        html: str,
        defaults: Mapping[str, str],
        recipient: Recipient,
        address: str,
    ) -> bytes:
        content = task.content
        rendered = render_mail(
            content["subject"],
            html,
            recipient.person,
            defaults,
            tokens=self.tokens,
            tenant_id=task.tenant_id,
            message_id=recipient.message_id,
        )
        unsubscribe = self.unsubscribe.url_for(
            task.tenant_id, recipient.lead_id, recipient.message_id, CHANNEL
        )
        data = compose_mail(
            rendered,
            message_id=recipient.message_id,
            sender_name=content["sender_name"],
            sender_address=content["sender_address"],
            reply_to=content["reply_to"],
            recipient=address,
            unsubscribe_url=unsubscribe,
            unsubscribe_post_url=unsubscribe,
            list_id=f"{task.id}.{identity.domain}",
        )
        return self.signer.sign(
            data,
            domain=identity.domain,
            selector=identity.selector,
            private_key_pem=identity.private_key_pem,
        )


def _outcome(said: MailOutcome, address: str) -> Outcome:
    if said.accepted:
        return Outcome(said.message_id, SENT, address=address, detail=said.detail)
    result = HARD_BOUNCE if said.permanent else SOFT_BOUNCE
    detail = f"{said.code} {said.detail}".strip()
    return Outcome(said.message_id, result, address=address, detail=detail)
