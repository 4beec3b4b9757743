"""Sensitive-word lists (敏感词库, ARCH-3): each tenant keeps several, each of one category
(辱骂, 违规承诺, 竞品, 敏感政治…); every archived message is screened against the words
of the tenant's live lists when it is ingested.

Words are kept folded (`fold`: NFKC, then case-folded, to a fixed point, and trimmed),
and messages are folded the same way before they are matched, so full-width letters and
digits, compatibility forms and letter case never hide a word. A list holds each word
once; adding what it has changes nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

MAX_WORDS = 10_000  # words in one list
MAX_WORD_LENGTH = 50  # characters of a folded word
MAX_NAME_LENGTH = 50
MAX_CATEGORY_LENGTH = 20
# The categories the console offers; a tenant may name others.
CATEGORIES = ("辱骂", "违规承诺", "竞品", "敏感政治", "其他")
_FOLD_ROUNDS = 4  # NFKC and case folding settle in one or two rounds; a bound all the same


def fold(text: str) -> str:
    """`text` as words and messages are compared: NFKC-normalised and case-folded until
    neither changes it (case folding can undo a normal form), so folding is idempotent."""
    folded = _nfkc(text)
    for _ in range(_FOLD_ROUNDS):
        again = unicodedata.normalize("NFKC", folded.casefold())
        if again == folded:
            break
        folded = again
    return folded


def _nfkc(text: str) -> str:
    """NFKC(text), quickly for Chinese text: its usual compatibility characters are the
    full-width punctuation marks (，！？：；（）) and the ideographic space, each replaced
    by what NFKC makes of it in one fast scan; only a text that still is not normal
    (full-width letters or digits, circled numbers…) is normalised character by character.
    The result is the same: a character and its compatibility mapping normalise alike."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    for char, plain in _COMMON_COMPATIBLE:
        if char in text:
            text = text.replace(char, plain)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


_COMMON_COMPATIBLE = tuple(
    (char, unicodedata.normalize("NFKC", char)) for char in "，！？：；（）\u3000"
)


def fold_word(word: str) -> str:
    """A word as a list keeps it: folded and trimmed ("" for a blank one)."""
    return fold(word).strip()


def fold_words(words: Iterable[str], *, field: str = "words") -> list[str]:
    """The distinct non-blank words of `words`, folded, in the order first given; a word
    longer than the limit or with a control character is refused naming its place."""
    kept: dict[str, None] = {}
    for index, word in enumerate(words):
        folded = fold_word(word)
        if not folded:
            continue
        if len(folded) > MAX_WORD_LENGTH:
            raise InvalidValue(
                f"{field}[{index}] must be at most {MAX_WORD_LENGTH} characters", field=field
            )
        if any(unicodedata.category(char) == "Cc" for char in folded):
            raise InvalidValue(f"{field}[{index}] has a control character", field=field)
        kept[folded] = None
    return list(kept)


class WordList(Aggregate):
    """One of a tenant's sensitive-word lists."""

    TOPIC = "archive.WordList"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Made: ClassVar[type[AggregateEvent]]
        Renamed: ClassVar[type[AggregateEvent]]
        WordsAdded: ClassVar[type[AggregateEvent]]
        WordsRemoved: ClassVar[type[AggregateEvent]]
        Archived: ClassVar[type[AggregateEvent]]

    @classmethod
    def make(
        cls, *, list_id: UUID, tenant_id: UUID, name: str, category: str, words: Iterable[str]
    ) -> WordList:
        """A new list, maybe with its first words (folded, each once)."""
        folded = fold_words(words)
        if len(folded) > MAX_WORDS:
            raise InvalidValue(f"a word list holds at most {MAX_WORDS} words", field="words")
        return cls(
            id=list_id,
            tenant_id=tenant_id,
            name=required_text(name, field="name", max_length=MAX_NAME_LENGTH),
            category=required_text(category, field="category", max_length=MAX_CATEGORY_LENGTH),
            words=folded,
        )

    @event("Made", topic="archive.WordList.Made")
    def __init__(
        self, id: UUID, tenant_id: UUID, name: str, category: str, words: list[str]
    ) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.category = category
        self.words: set[str] = set(words)
        self.archived = False

    def rename(self, *, name: str, category: str) -> None:
        """Change the list's name and category (alerts raised before keep their category)."""
        self._require_live()
        name = required_text(name, field="name", max_length=MAX_NAME_LENGTH)
        category = required_text(category, field="category", max_length=MAX_CATEGORY_LENGTH)
        if (name, category) != (self.name, self.category):
            self._renamed(name=name, category=category)

    @event("Renamed", topic="archive.WordList.Renamed")
    def _renamed(self, name: str, category: str) -> None:
        self.name, self.category = name, category

    def add(self, words: Iterable[str]) -> list[str]:
        """Add words in bulk; answers those the list did not have (none: no event)."""
        self._require_live()
        new = [word for word in fold_words(words) if word not in self.words]
        if len(self.words) + len(new) > MAX_WORDS:
            raise InvalidValue(
                f"a word list holds at most {MAX_WORDS} words "
                f"(it has {len(self.words)}, {len(new)} more were given)",
                field="words",
            )
        if new:
            self._words_added(words=new)
        return new

    @event("WordsAdded", topic="archive.WordList.WordsAdded")
    def _words_added(self, words: list[str]) -> None:
        self.words.update(words)

    def remove(self, words: Iterable[str]) -> list[str]:
        """Remove words in bulk; answers those the list had (none: no event)."""
        self._require_live()
        gone = [word for word in fold_words(words) if word in self.words]
        if gone:
            self._words_removed(words=gone)
        return gone

    @event("WordsRemoved", topic="archive.WordList.WordsRemoved")
    def _words_removed(self, words: list[str]) -> None:
        self.words.difference_update(words)

    def archive(self) -> None:
        """Stop screening with the list; its alerts and counts stay."""
        self._require_live()
        self._archived()

    @event("Archived", topic="archive.WordList.Archived")
    def _archived(self) -> None:
        self.archived = True

    def _require_live(self) -> None:
        if self.archived:
            raise StateConflict("the word list is archived")
