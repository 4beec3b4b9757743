"""One recipient's e-mail as RFC 5322 bytes, before DKIM signing (MAIL-2, MAIL-4).

`compose_mail` makes a `multipart/alternative` message (the text part first, then the
responsive HTML, as RFC 2046 orders them: the richest last) with:

* `From` (the sender name RFC 2047-encoded), `To`, `Reply-To`, `Subject` (RFC 2047),
  `Date`, and `Message-ID: <message id@sender domain>` — the pipeline's deterministic id,
  so a message re-sent after a crash is the same message;
* `List-Unsubscribe: <https-url>` (and `<mailto:…>` when given) with
  `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058: a mailbox provider
  POSTs to the URL and the recipient is out, no page, no cookie), and `List-Id`
  (RFC 2919). The DKIM signature must cover both List-Unsubscribe headers (RFC 8058 §4).
* the unsubscribe link in the body as well: where the template put
  `{{ unsubscribe_url }}`, else a footer "退订 · Unsubscribe" at the end of the HTML and
  the text.

Headers and parts are put together here with the `email` package's encoders (RFC 2047
words, addresses, dates) rather than by its generator: the generator costs more than
rendering and signing together, once per recipient. Bodies are base64 when they are
mostly non-ASCII (Chinese) text, quoted-printable otherwise; every line ends in CRLF and
none is longer than 76 characters.
"""

from __future__ import annotations

import binascii
import hashlib
import html as htmllib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr

from application.messaging.rendering import (
    UNSUBSCRIBE_PLACEHOLDER,
    RenderedMail,
    insert_before_body_end,
)
from application.shared.errors import InvalidInput

FOOTER_TEXT = "退订 · Unsubscribe"
_ASCII = bytes(range(128))
_LINE_BREAKS = re.compile(r"\r\n?")
_UNSAFE_HEADER = re.compile(r"[\x00-\x1f\x7f]")
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$")
_MAX_HEADER_LINE = 78


def compose_mail(
    rendered: RenderedMail,
    *,
    message_id: str,
    sender_name: str,
    sender_address: str,
    reply_to: str | None,
    recipient: str,
    unsubscribe_url: str,
    unsubscribe_post_url: str,
    list_id: str,
    unsubscribe_mailto: str | None = None,
    date: datetime | None = None,
) -> bytes:
    """The message for one recipient (unsigned). `unsubscribe_url` is the link shown
    in the body, `unsubscribe_post_url` the URL of `List-Unsubscribe` that one click
    POSTs to (RFC 8058; https, as huoke's public URL is in production), usually the
    same. Addresses must be plain ASCII addresses (InvalidInput naming the field
    otherwise); `date` defaults to now."""
    sender = _address(sender_address, "sender_address")
    domain = sender.rpartition("@")[2]
    to = _address(recipient, "email")
    html_part, text_part = with_unsubscribe(rendered, unsubscribe_url)
    unsubscribe = [f"<{_header_safe(unsubscribe_post_url, 'unsubscribe')}>"]
    if unsubscribe_mailto:
        mailto = unsubscribe_mailto
        if not mailto.startswith("mailto:"):
            mailto = "mailto:" + _address(mailto, "unsubscribe_mailto")
        unsubscribe.append(f"<{_header_safe(mailto, 'unsubscribe_mailto')}>")
    boundary = "=_hk_" + hashlib.sha256(message_id.encode()).hexdigest()[:28]
    headers = [
        ("From", formataddr((_one_line(sender_name), sender), charset="utf-8")),
        ("To", to),
        ("Subject", _encoded(_one_line(rendered.subject), "Subject")),
        ("Date", format_datetime((date or datetime.now(UTC)).astimezone(UTC))),
        ("Message-ID", f"<{_header_safe(message_id, 'message_id')}@{domain}>"),
    ]
    if reply_to:
        headers.append(("Reply-To", _address(reply_to, "reply_to")))
    headers += [
        ("List-Id", f"<{_header_safe(list_id.strip('<>'), 'list_id')}>"),
        ("List-Unsubscribe", _folded_list(unsubscribe)),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative;\r\n boundary="{boundary}"'),
    ]
    lines = [f"{name}: {value}" for name, value in headers]
    out = "\r\n".join(lines).encode("ascii") + b"\r\n\r\n"
    for subtype, body in (("plain", text_part), ("html", html_part)):
        encoding, encoded = _body(body)
        out += (
            f'--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
        ).encode("ascii")
        out += encoded
    return out + f"--{boundary}--\r\n".encode("ascii")


def with_unsubscribe(rendered: RenderedMail, url: str) -> tuple[str, str]:
    """The HTML and text with the message's unsubscribe link where the template put
    `{{ unsubscribe_url }}`, else in a footer at the end of each."""
    html, text = rendered.html, rendered.text
    if UNSUBSCRIBE_PLACEHOLDER in html:
        html = html.replace(UNSUBSCRIBE_PLACEHOLDER, htmllib.escape(url))
    else:
        footer = (
            '<p style="margin:24px 0 0;font-size:12px;color:#888;text-align:center">'
            f'<a href="{htmllib.escape(url)}" style="color:#888">{FOOTER_TEXT}</a></p>'
        )
        html = insert_before_body_end(html, footer)
    if UNSUBSCRIBE_PLACEHOLDER in text:
        text = text.replace(UNSUBSCRIBE_PLACEHOLDER, url)
    else:
        text = text.rstrip("\n") + f"\n\n{FOOTER_TEXT}: {url}\n"
    return html, text


def _body(text: str) -> tuple[str, bytes]:
    data = _LINE_BREAKS.sub("\n", text).encode("utf-8")
    if len(data.translate(None, _ASCII)) * 5 > len(data):  # over a fifth non-ASCII bytes
        encoded = binascii.b2a_base64(data.replace(b"\n", b"\r\n"), newline=False)
        return "base64", b"".join(
            encoded[at : at + 76] + b"\r\n" for at in range(0, len(encoded), 76)
        )
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    if not encoded.endswith(b"\n"):
        encoded += b"=\n"  # a soft break: the part's own line end is not content
    return "quoted-printable", encoded.replace(b"\n", b"\r\n")


def _encoded(value: str, name: str) -> str:
    """A header value as it goes on the wire: plain when it is short ASCII, else RFC
    2047 encoded words folded under the line limit."""
    if value.isascii() and len(name) + 2 + len(value) <= _MAX_HEADER_LINE:
        return value
    charset = "us-ascii" if value.isascii() else "utf-8"
    return Header(value, charset, header_name=name).encode(linesep="\r\n")


def _folded_list(items: Sequence[str]) -> str:
    return ",\r\n ".join(items) if sum(len(item) + 2 for item in items) > 60 else ", ".join(items)


def _one_line(value: str) -> str:
    return " ".join(_UNSAFE_HEADER.sub(" ", value).split())


def _header_safe(value: str, field: str) -> str:
    if not value or _UNSAFE_HEADER.search(value) or not value.isascii() or " " in value:
        raise InvalidInput(f"{field} cannot go into a mail header as it is", field=field)
    return value


def _address(value: str, field: str) -> str:
    address = value.strip()
    if not _ADDRESS.match(address) or len(address) > 254:
        raise InvalidInput(f"{field} must be a plain e-mail address", field=field)
    return address
