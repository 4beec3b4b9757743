"""Signed codes of short links and e-mail tracking tokens (TRK-2).

Every code huoke hands out carries an HMAC made with a key derived from the process's
cipher key (so every API node accepts every other's codes, and nobody else can make
one). A code whose signature does not match (tampered, truncated, made up) reads as
None: the endpoint answers 404 and counts nothing, before any database is asked.

Formats (all characters URL-safe; base62 is `0-9A-Za-z`):

* Link code, `/s/{code}`, 14 characters: the link's 8-character short code, then a
  6-character base62 signature. `LinkCodes.for_link(short_code)`.
* Recipient code, `/s/{code}`, 37 characters: the short code (8), one channel letter
  (`CHANNEL_LETTERS`: `s` sms, `e` email, `w` wechat, `q` wecom, `a` app, `b` web,
  `v` server, `l` link), the recipient lead's id as 22 base62 digits, and the 6-character
  signature. A click on it is the lead's own, on that channel. The messaging context
  mints one per recipient and channel: `LinkCodes.for_recipient(short_code,
  lead_id=..., channel=Channel.SMS)` for a promotion link it made for the message.
* E-mail tokens, `/o/{token}.gif` (open pixel) and `/c/{token}` (click redirect):
  unpadded base64url of `kind (1 byte: "o" or "c") | tenant id (16) | lead id (16) |
  message key length (1) | message key (UTF-8, ≤ 200 bytes) | target URL (UTF-8, click
  tokens only)` followed by the first 12 bytes of the signature.
  `LinkCodes.open_token(tenant_id=..., lead_id=..., message_key=...)` and
  `LinkCodes.click_token(..., url=...)`; the message key is the messaging context's id
  of the e-mail sent (it comes back in the behaviour's properties as `message`).

Signatures cover the whole payload with a domain prefix per format, so a code of one
kind is never read as another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID

from application.shared.behaviours import Channel
from domain.tracking.promotion import BASE62, SHORT_CODE_LENGTH

SIGNATURE_LENGTH = 6  # base62 characters of a /s/ code's signature (about 35 bits)
LEAD_DIGITS = 22  # base62 digits of a 128-bit id
LINK_CODE_LENGTH = SHORT_CODE_LENGTH + SIGNATURE_LENGTH
RECIPIENT_CODE_LENGTH = SHORT_CODE_LENGTH + 1 + LEAD_DIGITS + SIGNATURE_LENGTH
TOKEN_SIGNATURE_BYTES = 12
MAX_MESSAGE_KEY_BYTES = 200
MAX_TOKEN_URL_BYTES = 2048
CHANNEL_LETTERS = {
    Channel.SMS: "s",
    Channel.EMAIL: "e",
    Channel.WECHAT: "w",
    Channel.WECOM: "q",
    Channel.APP: "a",
    Channel.WEB: "b",
    Channel.SERVER: "v",
    Channel.LINK: "l",
}
_CHANNEL_OF_LETTER = {letter: channel for channel, letter in CHANNEL_LETTERS.items()}
_DIGIT = {ch: i for i, ch in enumerate(BASE62)}
_OPEN, _CLICK = b"o", b"c"


def derive_key(cipher_key: bytes) -> bytes:
    """The signing key of link codes, derived from the process cipher key (raw bytes), so
    that it is never the cipher key itself."""
    return hmac.new(cipher_key, b"huoke-link-codes", hashlib.sha256).digest()


@dataclass(frozen=True)
class ShortLinkCode:
    """What a valid `/s/` code says: which link, and for a recipient code whose click."""

    short_code: str
    lead_id: UUID | None = None
    channel: Channel | None = None


@dataclass(frozen=True)
class EmailToken:
    """What a valid open or click token says."""

    tenant_id: UUID
    lead_id: UUID
    message_key: str
    url: str | None = None  # the click's target (click tokens)


class LinkCodes:
    """Makes and reads the signed codes (see the module docstring for their format)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the link-code key must be at least 16 bytes")
        self._key = key

    # --- /s/ codes -----------------------------------------------------------------------

    def for_link(self, short_code: str) -> str:
        """The code of a promotion link as shared on its channel (anyone may click it)."""
        _check_short(short_code)
        return short_code + self._signature(short_code)

    def for_recipient(self, short_code: str, *, lead_id: UUID, channel: Channel | str) -> str:
        """The code of a promotion link sent to one lead on one channel (e.g. an SMS): a
        click on it is attributed to that lead and channel."""
        _check_short(short_code)
        body = short_code + CHANNEL_LETTERS[Channel(channel)] + _base62(lead_id.int, LEAD_DIGITS)
        return body + self._signature(body)

    def read(self, code: str) -> ShortLinkCode | None:
        """The link (and recipient) of a code; None unless the signature matches."""
        if len(code) not in (LINK_CODE_LENGTH, RECIPIENT_CODE_LENGTH):
            return None
        body, signature = code[:-SIGNATURE_LENGTH], code[-SIGNATURE_LENGTH:]
        if not all(ch in _DIGIT for ch in code):
            return None
        if not hmac.compare_digest(signature, self._signature(body)):
            return None
        short_code = body[:SHORT_CODE_LENGTH]
        if len(code) == LINK_CODE_LENGTH:
            return ShortLinkCode(short_code)
        channel = _CHANNEL_OF_LETTER.get(body[SHORT_CODE_LENGTH])
        lead = _number(body[SHORT_CODE_LENGTH + 1 :])
        if channel is None or lead >= 1 << 128:
            return None  # signed, so never minted this way: refuse rather than guess
        return ShortLinkCode(short_code, lead_id=UUID(int=lead), channel=channel)

    # --- e-mail tokens -------------------------------------------------------------------

    def open_token(self, *, tenant_id: UUID, lead_id: UUID, message_key: str) -> str:
        """The token of an e-mail's open pixel, `/o/{token}.gif`."""
        return self._token(_OPEN, tenant_id, lead_id, message_key, b"")

    def click_token(self, *, tenant_id: UUID, lead_id: UUID, message_key: str, url: str) -> str:
        """The token of a link in an e-mail, `/c/{token}` (redirects to `url`)."""
        encoded = url.encode()
        if not url or len(encoded) > MAX_TOKEN_URL_BYTES:
            raise ValueError(f"a click token's URL is 1 to {MAX_TOKEN_URL_BYTES} bytes")
        return self._token(_CLICK, tenant_id, lead_id, message_key, encoded)

    def read_open(self, token: str) -> EmailToken | None:
        """What an open token says; None unless it is one huoke signed."""
        return self._read_token(token, _OPEN)

    def read_click(self, token: str) -> EmailToken | None:
        """What a click token says (with its target URL); None unless huoke signed it."""
        return self._read_token(token, _CLICK)

    # --- signing -------------------------------------------------------------------------

    def _signature(self, body: str) -> str:
        digest = hmac.new(self._key, b"s1:" + body.encode(), hashlib.sha256).digest()
        return _base62(int.from_bytes(digest[:8]) % 62**SIGNATURE_LENGTH, SIGNATURE_LENGTH)

    def _token_signature(self, payload: bytes) -> bytes:
        digest = hmac.new(self._key, b"t1:" + payload, hashlib.sha256).digest()
        return digest[:TOKEN_SIGNATURE_BYTES]

    def _token(
        self, kind: bytes, tenant_id: UUID, lead_id: UUID, message_key: str, tail: bytes
    ) -> str:
        key = message_key.encode()
        if len(key) > MAX_MESSAGE_KEY_BYTES:
            raise ValueError(f"a message key is at most {MAX_MESSAGE_KEY_BYTES} bytes")
        payload = kind + tenant_id.bytes + lead_id.bytes + bytes([len(key)]) + key + tail
        raw = payload + self._token_signature(payload)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _read_token(self, token: str, kind: bytes) -> EmailToken | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, binascii.Error):
            return None
        # The decoder skips stray characters and ignores the unused bits of the last one:
        # only the one spelling huoke made is accepted.
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != token:
            return None
        if len(raw) < 1 + 16 + 16 + 1 + TOKEN_SIGNATURE_BYTES:
            return None
        payload, signature = raw[:-TOKEN_SIGNATURE_BYTES], raw[-TOKEN_SIGNATURE_BYTES:]
        if not hmac.compare_digest(signature, self._token_signature(payload)):
            return None
        if payload[:1] != kind:
            return None
        key_length = payload[33]
        key_end = 34 + key_length
        if key_end > len(payload):
            return None
        try:
            message_key = payload[34:key_end].decode()
            tail = payload[key_end:].decode()
        except UnicodeDecodeError:
            return None
        if (kind == _CLICK) != bool(tail):
            return None
        return EmailToken(
            tenant_id=UUID(bytes=payload[1:17]),
            lead_id=UUID(bytes=payload[17:33]),
            message_key=message_key,
            url=tail or None,
        )


def _check_short(short_code: str) -> None:
    if len(short_code) != SHORT_CODE_LENGTH or not all(ch in _DIGIT for ch in short_code):
        raise ValueError(f"a short code is {SHORT_CODE_LENGTH} base62 characters")


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    if number:
        raise ValueError("number too large for the width")
    return "".join(reversed(digits))


def _number(digits: str) -> int:
    value = 0
    for ch in digits:
        value = value * 62 + _DIGIT[ch]
    return value
