"""Screening archived messages on ingestion (敏感词预警, 敏感行为预警; ARCH-3).

Ingestion hands a tenant's batch of messages to `Screening.alerts` and stores the alerts
it answers with the messages (one append). Words: one Aho–Corasick automaton per tenant
built from the words of its live lists, rebuilt when a list or the rules change (the
word-list directory's versions, asked once a batch). The batch is screened in one pass:
the texts are joined with a separator no word contains, folded once (NFKC, case) and
run through the automaton once; each hit is given back to its message by offset.
Behaviours (a mobile number, an e-mail address, a bank card number, a red packet, a
file, an external link) are looked for in employees' messages only: a customer sending
a file or their own number is no breach. An allow-listed employee's own messages are
not screened at all.

What an alert shows of a number or address is masked (138****5678): the alert board is
read by roles that may not read the messages themselves.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Protocol
from urllib.parse import urlsplit
from uuid import UUID

from application.archive.messages import ROBOT_PREFIX, Alert, ArchivedMessage, is_customer
from application.archive.word_list_directory import ScreeningVersions, WordListQueries
from domain.archive.screening_rules import SENSITIVE_BEHAVIOURS
from domain.archive.word_lists import fold

WORD = "word"  # an alert's rule when a word of a list was found
SEPARATOR = "\x00"  # between a batch's texts: no word holds a control character
CACHED_TENANTS = 256
RED_PACKETS = ("redpacket", "external_redpacket")
_KINDS = frozenset({*RED_PACKETS, "file", "link"})  # behaviours a message's type shows
# A run of at least 11 digits, single spaces or hyphens allowed between them: the
# candidates for mobile and bank card numbers, told apart in `_numbers`.
_DIGIT_RUN = re.compile(r"[0-9](?:[ -]?[0-9]){10,}")
_SEPARATORS = re.compile(r"[ -]")
_MOBILE = re.compile(r"(?:86)?(1[3-9][0-9]{9})")
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_URL = re.compile(r"https?://([^\s/?#\x00，。、；！？）》」\"'<>]+)")


class WordMatcher(Protocol):
    """An automaton over a tenant's words (the adapter builds it with pyahocorasick)."""

    def find(self, text: str) -> Iterator[tuple[int, str]]:
        """Every occurrence of a word in `text`: (index of its last character, word)."""
        ...


class MatcherBuilder(Protocol):
    def build(self, words: Iterable[str]) -> WordMatcher:
        """An automaton finding each of `words` (folded, non-empty) wherever it occurs."""
        ...


@dataclass(frozen=True)
class TenantScreen:
    """What one tenant's messages are screened with, as of `versions`."""

    versions: ScreeningVersions
    matcher: WordMatcher | None
    categories: Mapping[str, str]  # word -> its list's category
    watched: frozenset[str]
    allowed: frozenset[str]


class Screening:
    """The alerts a batch of a tenant's messages raises (`MessageScreen`)."""

    def __init__(
        self,
        directory: WordListQueries,
        matchers: MatcherBuilder,
        *,
        cached_tenants: int = CACHED_TENANTS,
    ) -> None:
        self.directory = directory
        self.matchers = matchers
        self.cached_tenants = cached_tenants
        self._lock = threading.Lock()
        self._screens: OrderedDict[UUID, TenantScreen] = OrderedDict()

    def alerts(self, tenant_id: UUID, messages: Sequence[ArchivedMessage]) -> list[Alert]:
        """Every word and watched behaviour in `messages`, one alert per message, rule
        and match, in the order of the messages."""
        if not messages:
            return []
        screen = self.screen_of(tenant_id)
        screened = [m for m in messages if m.action == "send" and m.sender not in screen.allowed]
        if not screened or (screen.matcher is None and not screen.watched):
            return []
        texts = _folded_texts(screened)
        found: dict[int, dict[tuple[str, str], str]] = {}  # message -> (rule, match) -> category
        if screen.matcher is not None:
            _find_words(screen, texts, found)
        if screen.watched:
            for index, rule, match in _behaviours(screened, texts, screen.watched):
                found.setdefault(index, {})[(rule, match)] = ""
        alerts: list[Alert] = []
        for index in sorted(found):
            message = screened[index]
            employee = message.employee
            for (rule, match), category in found[index].items():
                alerts.append(Alert(message.msgid, rule, match, category, employee, message.sender))
        return alerts

    def screen_of(self, tenant_id: UUID) -> TenantScreen:
        """The tenant's screen, rebuilt when its lists or rules have a new version."""
        versions = self.directory.versions(tenant_id)
        with self._lock:
            cached = self._screens.get(tenant_id)
            if cached is not None and cached.versions == versions:
                self._screens.move_to_end(tenant_id)
                return cached
        screen = self._build(tenant_id, versions)
        with self._lock:
            self._screens[tenant_id] = screen
            self._screens.move_to_end(tenant_id)
            while len(self._screens) > self.cached_tenants:
                self._screens.popitem(last=False)
        return screen

    def _build(self, tenant_id: UUID, versions: ScreeningVersions) -> TenantScreen:
        categories: dict[str, str] = {}
        for word, category in self.directory.words_to_screen(tenant_id):
            categories.setdefault(word, category)  # the oldest list's category
        rules = self.directory.screening_rules(tenant_id)
        watched = rules.behaviours if rules is not None else SENSITIVE_BEHAVIOURS
        allowed = rules.allowed if rules is not None else []
        return TenantScreen(
            versions=versions,
            matcher=self.matchers.build(categories) if categories else None,
            categories=categories,
            watched=frozenset(watched),
            allowed=frozenset(allowed),
        )


@dataclass(frozen=True)
class _Texts:
    """A batch's texts folded: joined (for the automaton) and apart (for behaviours)."""

    joined: str
    parts: list[str]
    starts: list[int]  # where each message's text starts in `joined`


def _folded_texts(messages: Sequence[ArchivedMessage]) -> _Texts:
    raw = [message.text for message in messages]
    joined = SEPARATOR.join(raw)
    if joined.count(SEPARATOR) != len(raw) - 1:  # a text held the separator itself
        joined = SEPARATOR.join(text.replace(SEPARATOR, " ") for text in raw)
    folded = fold(joined)
    parts = folded.split(SEPARATOR)
    starts = [0, *accumulate(len(part) + 1 for part in parts[:-1])]
    return _Texts(folded, parts, starts)


def _find_words(
    screen: TenantScreen, texts: _Texts, found: dict[int, dict[tuple[str, str], str]]
) -> None:
    assert screen.matcher is not None
    starts, categories = texts.starts, screen.categories
    for end, word in screen.matcher.find(texts.joined):
        index = bisect_right(starts, end) - 1
        found.setdefault(index, {})[(WORD, word)] = categories[word]


def _by_employee(message: ArchivedMessage) -> bool:
    return not is_customer(message.sender) and not message.sender.startswith(ROBOT_PREFIX)


def _behaviours(
    messages: Sequence[ArchivedMessage], texts: _Texts, watched: frozenset[str]
) -> Iterator[tuple[int, str, str]]:
    """(message, rule, masked match) of each watched behaviour in employees' messages.
    What the text shows (numbers, addresses, URLs) is looked for in the batch's folded
    text at once (a scan or a regex over all of it), then kept for employees' messages."""
    for index, message in enumerate(messages):
        kind = message.msgtype
        if kind in _KINDS and _by_employee(message):
            if kind in RED_PACKETS and "red_packet" in watched:
                yield index, "red_packet", _amount(message.content.get("totalamount"))
            elif kind == "file" and "file" in watched:
                extension = str(message.content.get("fileext") or "").lower().lstrip(".")
                yield index, "file", extension or "file"
            elif kind == "link" and "link" in watched:
                yield index, "link", _host(str(message.content.get("link_url") or ""))
    joined, parts, starts = texts.joined, texts.parts, texts.starts

    def by_employee(index: int) -> bool:
        return _by_employee(messages[index])

    if "link" in watched:
        for index in _holding(joined, "http", starts):
            if by_employee(index):
                for url in _URL.finditer(parts[index]):
                    yield index, "link", url.group(1)
    if "email" in watched:
        for index in _holding(joined, "@", starts):
            if by_employee(index):
                for address in _EMAIL.finditer(parts[index]):
                    yield index, "email", _masked_address(address.group(0))
    if "mobile" in watched or "bank_card" in watched:
        for run in _DIGIT_RUN.finditer(joined):
            index = bisect_right(starts, run.start()) - 1
            if by_employee(index):
                for rule, number in _numbers(run.group(0)):
                    if rule in watched:
                        yield index, rule, number


def _holding(joined: str, needle: str, starts: list[int]) -> Iterator[int]:
    """The messages whose text holds `needle`, each once, in order."""
    position = joined.find(needle)
    while position >= 0:
        index = bisect_right(starts, position) - 1
        yield index
        if index + 1 >= len(starts):
            return
        position = joined.find(needle, starts[index + 1])


def _numbers(run: str) -> Iterator[tuple[str, str]]:
    """Mobile and bank card numbers in a run of digits with single separators: the run
    as a whole if it is one, else each stretch of its groups that is one (a mobile is
    never part of a longer stretch of digits: 13812345678 inside 813812345678 is not)."""
    whole = _SEPARATORS.sub("", run)
    number = _number(whole)
    if number is not None:
        yield number
        return
    groups = _SEPARATORS.split(run)
    for first in range(len(groups)):
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last]
            if len(digits) > 19:
                break
            if (first, last) != (0, len(groups) - 1) and (number := _number(digits)):
                yield number


def _number(digits: str) -> tuple[str, str] | None:
    mobile = _MOBILE.fullmatch(digits)
    if mobile is not None:
        found = mobile.group(1)
        return "mobile", f"{found[:3]}****{found[-4:]}"
    if 16 <= len(digits) <= 19 and _luhn(digits):
        return "bank_card", f"{digits[:4]}****{digits[-4:]}"
    return None


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _amount(fen: object) -> str:
    try:
        return f"{int(str(fen)) / 100:.2f}"
    except ValueError:
        return "?"


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower() or "link"
    except ValueError:
        return "link"


def _masked_address(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
