"""Unsubscribe links (MAIL-4, LEAD-9): every marketing e-mail carries a signed link, in
its footer and in `List-Unsubscribe`, that opts its recipient out of the channel.

A token names the tenant, the lead, the channel and the message, and carries an HMAC
made with a key derived from the process's cipher key (every API node reads every
other's tokens, nobody else can make one). A token whose signature does not match reads
as None: the page answers 404 and nothing changes.

Format, `/u/{token}`: unpadded base64url of `version (1 byte) | tenant id (16) | lead id
(16) | channel letter (1) | message id` followed by the first 12 bytes of the signature.
The message id is 16 bytes when it is a UUID (flag byte 1), else a length byte and its
UTF-8 (flag byte 0, at most 200 bytes).

Opening the link shows a page with a button (a GET never unsubscribes: mail scanners
follow links); the button, or a mailbox provider's RFC 8058 one-click POST, records the
opt-out on the lead (`ConsentBook.unsubscribe`) and an `unsubscribed` behaviour whose id
is derived from the message, so a second click records nothing more.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from application.messaging.ports import ConsentBook
from application.shared.behaviours import Behaviour, BehaviourKind, BehaviourLog
from application.shared.clock import Clock

VERSION = 1
SIGNATURE_BYTES = 12
MAX_MESSAGE_ID_BYTES = 200
CHANNEL_LETTERS = {"email": b"e", "sms": b"s", "wechat": b"w"}
_CHANNEL_OF_LETTER = {letter: channel for channel, letter in CHANNEL_LETTERS.items()}
SOURCE = "messaging"
LINK_SOURCE = "unsubscribe link"  # the consent's source when the page's button was used
ONE_CLICK_SOURCE = "one-click"  # … when a mailbox provider posted RFC 8058's one click


def derive_key(cipher_key: bytes) -> bytes:
    """The signing key of unsubscribe tokens, derived from the process cipher key (raw
    bytes), so that it is never the cipher key itself nor another code's key."""
    return hmac.new(cipher_key, b"huoke-unsubscribe-links", hashlib.sha256).digest()


@dataclass(frozen=True)
class UnsubscribeToken:
    """What a valid token says: whose opt-out, from which channel, after which message."""

    tenant_id: UUID
    lead_id: UUID
    channel: str
    message_id: str


class UnsubscribeLinks:
    """Makes and reads the signed `/u/{token}` links."""

    def __init__(self, key: bytes, public_url: str) -> None:
        if len(key) < 16:
            raise ValueError("the unsubscribe key must be at least 16 bytes")
        self._key = key
        self.public_url = public_url.rstrip("/")

    def url_for(self, tenant_id: UUID, lead_id: UUID, message_id: str, channel: str) -> str:
        """The link that opts `lead_id` out of `channel` (shown in the message's footer
        and in its List-Unsubscribe header)."""
        return f"{self.public_url}/u/{self.token(tenant_id, lead_id, message_id, channel)}"

    def token(self, tenant_id: UUID, lead_id: UUID, message_id: str, channel: str) -> str:
        letter = CHANNEL_LETTERS.get(channel)
        if letter is None:
            raise ValueError(f"no unsubscribe links for the channel {channel!r}")
        payload = bytes([VERSION]) + tenant_id.bytes + lead_id.bytes + letter
        payload += _message_bytes(message_id)
        raw = payload + self._signature(payload)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def read(self, token: str) -> UnsubscribeToken | None:
        """What a token says; None unless huoke signed it (tampered, cut, made up)."""
        if len(token) > 400:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, binascii.Error):
            return None
        # The decoder skips stray characters and ignores a last character's unused bits:
        # only the one spelling huoke made is accepted.
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != token:
            return None
        if len(raw) < 1 + 16 + 16 + 1 + 2 + SIGNATURE_BYTES:
            return None
        payload, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
        if not hmac.compare_digest(signature, self._signature(payload)):
            return None
        if payload[0] != VERSION:
            return None
        channel = _CHANNEL_OF_LETTER.get(payload[33:34])
        message_id = _message_id(payload[34:])
        if channel is None or message_id is None:
            return None  # signed, so never made this way: refuse rather than guess
        return UnsubscribeToken(
            tenant_id=UUID(bytes=payload[1:17]),
            lead_id=UUID(bytes=payload[17:33]),
            channel=channel,
            message_id=message_id,
        )

    def _signature(self, payload: bytes) -> bytes:
        digest = hmac.new(self._key, b"u1:" + payload, hashlib.sha256).digest()
        return digest[:SIGNATURE_BYTES]


def _message_bytes(message_id: str) -> bytes:
    try:
        as_uuid = UUID(message_id)
    except ValueError:
        as_uuid = None
    if as_uuid is not None and str(as_uuid) == message_id:
        return b"\x01" + as_uuid.bytes
    encoded = message_id.encode()
    if not encoded or len(encoded) > MAX_MESSAGE_ID_BYTES:
        raise ValueError(f"a message id is 1 to {MAX_MESSAGE_ID_BYTES} bytes")
    return b"\x00" + bytes([len(encoded)]) + encoded


def _message_id(data: bytes) -> str | None:
    if data[:1] == b"\x01" and len(data) == 17:
        return str(UUID(bytes=data[1:]))
    if data[:1] == b"\x00" and len(data) >= 2 and len(data) == 2 + data[1]:
        try:
            return data[2:].decode()
        except UnicodeDecodeError:
            return None
    return None


class SentMessages(Protocol):
    """Which task sent a message (the send queue), for the behaviour's `task`."""

    def message(self, message_id: str) -> Any | None:
        """The queued message (with `task_id`), None when the queue has no such id."""
        ...


@dataclass(frozen=True)
class Unsubscribed:
    """What a confirmed unsubscribe did."""

    channel: str
    source: str


class Unsubscribing:
    """Reads unsubscribe links and records the opt-outs they confirm."""

    def __init__(
        self,
        links: UnsubscribeLinks,
        consent: ConsentBook,
        behaviours: BehaviourLog,
        clock: Clock,
        messages: SentMessages | None = None,
    ) -> None:
        self.links = links
        self.consent = consent
        self.behaviours = behaviours
        self.clock = clock
        self.messages = messages

    def read(self, token: str) -> UnsubscribeToken | None:
        """What the link says; None when it is not one huoke signed."""
        return self.links.read(token)

    def confirm(self, token: str, *, one_click: bool) -> Unsubscribed | None:
        """Opt the link's lead out of its channel, at once: every send planned after
        this answer leaves them out (the consent read model has it before the lead's
        change is answered). None (and nothing recorded) for a tampered token."""
        read = self.links.read(token)
        if read is None:
            return None
        source = ONE_CLICK_SOURCE if one_click else LINK_SOURCE
        self.consent.unsubscribe(read.tenant_id, read.lead_id, read.channel, source)
        now = self.clock.now()
        self.behaviours.append(
            [
                Behaviour(
                    tenant_id=read.tenant_id,
                    kind=BehaviourKind.UNSUBSCRIBED.value,
                    channel=read.channel,
                    occurred_at=now,
                    received_at=now,
                    # One per message: a second click (or the provider's retry) is absorbed.
                    message_id=f"{BehaviourKind.UNSUBSCRIBED.value}-{read.message_id}",
                    name="unsubscribed",
                    properties={
                        "task": self._task_of(read.message_id),
                        "message": read.message_id,
                        "via": source,
                    },
                    lead_id=read.lead_id,
                    source_id=SOURCE,
                )
            ]
        )
        return Unsubscribed(channel=read.channel, source=source)

    def _task_of(self, message_id: str) -> str:
        if self.messages is None:
            return ""
        message = self.messages.message(message_id)
        return str(message.task_id) if message is not None else ""
