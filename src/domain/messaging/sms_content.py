"""What an SMS may say (SMS-3) and how long it is as the providers count it (SMS-1).

Rules of the text:
- it must contain the unsubscribe keyword "退订" (*fixed*, SMS-3: the carriers refuse
  marketing texts without it);
- personalisation is `{{name}}`, `{{company}}`, `{{title}}`, `{{city}}`, `{{email}}`,
  `{{mobile}}` and `{{custom.<key>}}`, each optionally `{{name | default('客户')}}`; no
  other template syntax (an SMS is one line of text, and each field becomes one
  variable of the provider's template);
- with its signature `【签名】` in front it is at most `MAX_LENGTH` characters.

Length as Aliyun and Tencent Cloud count it: every character is one (a Chinese character,
a letter, a digit, a space, a punctuation mark), a character outside the Basic
Multilingual Plane (most emoji) two, as the carriers' UCS-2 encoding needs; the
signature and its brackets count. Up to 70 characters go as one message; a longer text
is split into parts of 67 (each part carries a header), billed one message each.

Links longer than `SHORT_LINK_AT` characters are replaced at send time by the
recipient's tracked short link (`/s/{code}`); before the send the length counts them
at `SHORT_LINK_LENGTH`, and fields at their own written length.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from domain.shared.errors import InvalidValue

UNSUBSCRIBE_KEYWORD = "退订"
SINGLE_LIMIT = 70  # characters of a message sent as one
PART_LIMIT = 67  # characters of each part of a longer message
MAX_LENGTH = 500  # characters of one message, signature included (both providers' limit)
SHORT_LINK_AT = 20  # links longer than this are replaced by short links
SHORT_LINK_LENGTH = 25  # what a replaced link is counted as before the send
FIELDS = ("name", "company", "title", "city", "email", "mobile")
CUSTOM_PREFIX = "custom."
MAX_FIELDS = 10  # variables of one provider template (fields and replaced links)

_PLACEHOLDER = re.compile(
    r"\{\{\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)\s*"
    r"(?:\|\s*default\(\s*(?P<quote>['\"])(?P<default>[^'\"{}]{0,40})(?P=quote)\s*\)\s*)?\}\}"
)
_TEMPLATE_MARKS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
# A link ends at white space, at full-width punctuation and at characters no URL has
# unescaped; trailing ASCII punctuation is the sentence's, not the link's.
_LINK = re.compile(
    r"https?://[^\s\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u201c-\u201f\u2018-\u201b"
    r"<>\"'{}|\\^`\[\]]+",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)"
_RULE_UNSUBSCRIBE = f'text must contain the unsubscribe keyword "{UNSUBSCRIBE_KEYWORD}" (SMS-3)'
_ALLOWED_FIELDS = (
    "only the personalisation fields {{name}}, {{company}}, {{title}}, {{city}}, "
    "{{email}}, {{mobile}} and {{custom.<key>}} (optionally | default('…')) are allowed"
)


def sms_length(text: str) -> int:
    """Characters as the providers count them (one each, two outside the BMP)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def segment_count(length: int) -> int:
    """Messages a text of `length` characters is sent and billed as."""
    if length <= 0:
        return 0
    if length <= SINGLE_LIMIT:
        return 1
    return -(-length // PART_LIMIT)


def signed(signature: str, text: str) -> str:
    """The text as the recipient sees it: the signature in 【】 in front."""
    return f"【{signature}】{text}"


@dataclass(frozen=True)
class Link:
    start: int
    end: int
    url: str

    @property
    def long(self) -> bool:
        """Long enough to be replaced by a short link."""
        return len(self.url) > SHORT_LINK_AT


def find_links(text: str) -> list[Link]:
    """The http(s) links of `text`, in order."""
    links = []
    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if len(url) > len("https://"):
            links.append(Link(match.start(), match.start() + len(url), url))
    return links


@dataclass(frozen=True)
class Placeholder:
    start: int
    end: int
    field: str  # "name", "custom.level" …
    default: str | None
    source: str  # as written: "{{ name | default('客户') }}"

    @property
    def variable(self) -> str:
        """The provider template's variable name for the field (letters, digits, _)."""
        return self.field.replace(".", "_")


def find_placeholders(text: str, *, field: str = "text") -> list[Placeholder]:
    """The personalisation fields of `text`; anything else in template syntax, or an
    unknown field, is refused naming `field`."""
    found = []
    for match in _PLACEHOLDER.finditer(text):
        name = match.group("field")
        known = name in FIELDS or (
            name.startswith(CUSTOM_PREFIX) and not name[len(CUSTOM_PREFIX) :].startswith("_")
        )
        if not known:
            raise InvalidValue(
                f"{field}: unknown personalisation field {{{{{name}}}}}; {_ALLOWED_FIELDS}",
                field=field,
            )
        found.append(
            Placeholder(match.start(), match.end(), name, match.group("default"), match.group(0))
        )
    rest = _PLACEHOLDER.sub("", text)
    if _TEMPLATE_MARKS.search(rest):
        raise InvalidValue(f"{field}: {_ALLOWED_FIELDS}", field=field)
    return found


@dataclass(frozen=True)
class Piece:
    """One part of a text as a provider template has it: literal `text`, a personalisation
    `field` (`value` is its source, `variable` its name) or a long `link` (`value` the
    URL, replaced by the recipient's short link)."""

    kind: str  # "text", "field" or "link"
    value: str
    variable: str = ""


def template_pieces(text: str) -> tuple[Piece, ...]:
    """`text` cut into literal text, fields and long links (the variables of its provider
    template, named `name`, `custom_level`, `link1` …; one field used twice is one
    variable)."""
    marks: list[tuple[int, int, Piece]] = [
        (p.start, p.end, Piece("field", p.source, p.variable)) for p in find_placeholders(text)
    ]
    long_links = [link for link in find_links(text) if link.long]
    for number, link in enumerate(long_links, start=1):
        marks.append((link.start, link.end, Piece("link", link.url, f"link{number}")))
    marks.sort(key=lambda mark: mark[0])
    pieces: list[Piece] = []
    at = 0
    for start, end, piece in marks:
        if start > at:
            pieces.append(Piece("text", text[at:start]))
        pieces.append(piece)
        at = end
    if at < len(text):
        pieces.append(Piece("text", text[at:]))
    return tuple(pieces)


def checked_text(text: str, *, signature: str, field: str = "text") -> str:
    """The text of an SMS task, refused (422 naming `field` and the rule) unless it has
    the unsubscribe keyword, only personalisation fields, no field inside a link, and
    fits `MAX_LENGTH` with its signature."""
    value = text.strip()
    if not value:
        raise InvalidValue(f"{field} must not be empty", field=field)
    if UNSUBSCRIBE_KEYWORD not in value:
        raise InvalidValue(_RULE_UNSUBSCRIBE, field=field)
    placeholders = find_placeholders(value, field=field)
    starts = {p.start for p in placeholders}
    for link in find_links(value):
        if link.end in starts:
            raise InvalidValue(
                f"{field}: a personalisation field inside a link is not allowed "
                "(links are replaced by each recipient's short link)",
                field=field,
            )
    pieces = template_pieces(value)
    variables = {piece.variable for piece in pieces if piece.kind != "text"}
    if len(variables) > MAX_FIELDS:
        raise InvalidValue(
            f"{field}: at most {MAX_FIELDS} personalisation fields and long links", field=field
        )
    length = SmsContent(signature, value).length
    if length > MAX_LENGTH:
        raise InvalidValue(
            f"{field}: the message is {length} characters with its signature; at most "
            f"{MAX_LENGTH} (SMS-1)",
            field=field,
        )
    return value


@dataclass(frozen=True)
class SmsContent:
    """A task's message before the send: its signature (without brackets) and text."""

    signature: str
    text: str

    @property
    def estimated(self) -> str:
        """The message as sent, with long links at a short link's length."""
        pieces = []
        at = 0
        for link in find_links(self.text):
            pieces.append(self.text[at : link.start])
            pieces.append(link.url if not link.long else "x" * SHORT_LINK_LENGTH)
            at = link.end
        pieces.append(self.text[at:])
        return signed(self.signature, "".join(pieces))

    @property
    def length(self) -> int:
        """Characters with the signature (fields counted as written)."""
        return sms_length(self.estimated)

    @property
    def segments(self) -> int:
        return segment_count(self.length)

    @property
    def personalised(self) -> bool:
        """Whether the length differs per recipient (fields)."""
        return bool(_PLACEHOLDER.search(self.text))

    @property
    def long_links(self) -> list[str]:
        """The links replaced by short links when sent."""
        return [link.url for link in find_links(self.text) if link.long]

    @property
    def hash(self) -> str:
        """What a review approves: the signature and the text, exactly."""
        return content_hash(self.signature, self.text)


def content_hash(signature: str, text: str) -> str:
    digest = hashlib.sha256(f"{signature}\x00{text}".encode()).hexdigest()
    return f"sha256:{digest}"
