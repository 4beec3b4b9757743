"""The sensitive-word automaton (ARCH-3) over pyahocorasick: one Aho–Corasick automaton
per tenant's words, built once and then only read (safe to share between threads)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import ahocorasick


class AhoCorasickMatcher:
    """Finds every word of a fixed set in a text in one pass over it."""

    def __init__(self, words: Iterable[str]) -> None:
        automaton = ahocorasick.Automaton()
        for word in words:
            automaton.add_word(word, word)
        automaton.make_automaton()
        self._automaton = automaton

    def find(self, text: str) -> Iterator[tuple[int, str]]:
        return self._automaton.iter(text)  # type: ignore[no-any-return]


class AhoCorasickBuilder:
    """Builds the automaton of a tenant's words (the `MatcherBuilder` port)."""

    def build(self, words: Iterable[str]) -> AhoCorasickMatcher:
        return AhoCorasickMatcher(words)
