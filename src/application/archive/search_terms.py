"""Chinese and Latin text as search tokens, written by us, so both stores index the same
words (ADR 0021).

Chinese has no spaces, so a "word" is a run of Han (or kana, hangul) characters: the
index keeps each run's overlapping two-character tokens (bigrams) and its last character
alone, so every character of a run begins a token. A two-character term is one token,
a longer term the phrase of its bigrams, a single character a prefix. Latin letters and
digits make words, matched as word prefixes. What a term matches is then checked against
the text itself (a case-insensitive substring), so tokens only narrow the candidates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_TERMS = 8
MAX_TERM_LENGTH = 50
MAX_WORD_LENGTH = 64  # longer Latin runs (hashes, base64) are cut: nobody types them

_CJK = (
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han, extension A, compatibility
    "\uac00-\ud7af"  # hangul
    "\U00020000-\U0002fa1f"  # Han extensions B…F
)
_RUNS = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_QUOTED = re.compile(r'"([^"]*)"|(\S+)')


def normalised(text: str) -> str:
    """Full-width forms folded (ＡＢＣ１２３ → abc123) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def tokens_of(text: str) -> str:
    """The text's tokens, space-separated, in order (what the index stores)."""
    found: list[str] = []
    for han, word in _RUNS.findall(normalised(text)):
        if han:
            found.extend(han[i : i + 2] for i in range(len(han) - 1))
            found.append(han[-1])
        else:
            found.append(word[:MAX_WORD_LENGTH])
    return " ".join(found)


@dataclass(frozen=True)
class Part:
    """One run of a term: Chinese (`tokens` a phrase of bigrams, or one character) or a
    Latin word (a prefix)."""

    tokens: tuple[str, ...]
    prefix: bool


@dataclass(frozen=True)
class Term:
    """What the searcher typed, one term: `text` must occur in the message."""

    text: str  # normalised, what the substring check looks for
    parts: tuple[Part, ...]


def terms_of(query: str) -> list[Term]:
    """The terms of a query: words separated by spaces, all required; "quoted words" one
    term (a phrase). Terms without a letter or digit are dropped."""
    terms: list[Term] = []
    for quoted, bare in _QUOTED.findall(query):
        text = normalised(quoted or bare).strip()[:MAX_TERM_LENGTH]
        parts = tuple(_parts(text))
        if parts and all(t.text != text for t in terms):
            terms.append(Term(text=text, parts=parts))
    return terms[:MAX_TERMS]


def _parts(text: str) -> list[Part]:
    parts = []
    for han, word in _RUNS.findall(text):
        if han and len(han) == 1:
            parts.append(Part((han,), prefix=True))
        elif han:
            parts.append(Part(tuple(han[i : i + 2] for i in range(len(han) - 1)), prefix=False))
        else:
            parts.append(Part((word[:MAX_WORD_LENGTH],), prefix=True))
    return parts


def fts5_query(terms: list[Term]) -> str:
    """SQLite FTS5's MATCH text: each part a phrase (`"a" + "b"`) or a prefix (`"a" *`)."""
    clauses = []
    for term in terms:
        for part in term.parts:
            phrase = " + ".join(f'"{token}"' for token in part.tokens)
            clauses.append(f"{phrase} *" if part.prefix else phrase)
    return " AND ".join(clauses)


def tsquery(terms: list[Term]) -> str:
    """PostgreSQL's to_tsquery('simple', …) text: phrases with `<->`, prefixes `:*`."""
    clauses = []
    for term in terms:
        for part in term.parts:
            phrase = " <-> ".join(part.tokens)
            clauses.append(f"{phrase}:*" if part.prefix else f"({phrase})")
    return " & ".join(clauses)
