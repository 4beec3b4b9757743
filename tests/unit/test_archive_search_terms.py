"""Chinese search tokens (ARCH-2, ADR 0021): any run of characters typed as a term finds
every text it occurs in and no text it does not, through SQLite's FTS5 over the tokens
exactly as the search index writes them (a hypothesis property); a single character, a
Latin word's beginning and full-width letters; what the index's queries look like."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from application.archive.search_terms import fts5_query, terms_of, tokens_of, tsquery

HAN = st.sampled_from("价格合同发票下午开会退款流程明天我们的一是不了人在有")
TEXTS = st.lists(
    st.one_of(HAN, st.sampled_from(["，", " ", "ab", "15", "！"])), min_size=1, max_size=30
).map("".join)


def found(texts: list[str], query: str) -> list[int]:
    database = sqlite3.connect(":memory:")
    database.execute("CREATE VIRTUAL TABLE words USING fts5(tokens, content='')")
    for rowid, text in enumerate(texts, start=1):
        database.execute(
            "INSERT INTO words (rowid, tokens) VALUES (?, ?)", (rowid, tokens_of(text))
        )
    match = fts5_query(terms_of(query))
    return [
        row[0]
        for row in database.execute(
            "SELECT rowid FROM words WHERE words MATCH ? ORDER BY rowid", (match,)
        )
    ]


@given(
    texts=st.lists(TEXTS, min_size=1, max_size=8),
    term=st.lists(HAN, min_size=2, max_size=5).map("".join),
)
def test_a_chinese_term_finds_exactly_the_texts_it_occurs_in(texts: list[str], term: str) -> None:
    expected = [n for n, text in enumerate(texts, start=1) if term in text]
    assert found(texts, term) == expected


@given(texts=st.lists(TEXTS, min_size=1, max_size=8), char=HAN)
def test_one_character_finds_every_text_with_it(texts: list[str], char: str) -> None:
    assert found(texts, char) == [n for n, text in enumerate(texts, start=1) if char in text]


def test_latin_words_are_prefixes_and_full_width_is_folded() -> None:
    texts = ["我想买 iPhone15", "ＰＨＯＮＥ 壳", "电话 13800138000"]
    assert found(texts, "iphone") == [1]
    assert found(texts, "phone") == [2]  # full-width ＰＨＯＮＥ, a word of its own
    assert found(texts, "138001") == [3]
    assert found(texts, "0013") == []  # not the middle of a number


def test_the_tokens_and_the_queries() -> None:
    assert tokens_of("明天下午，开会！OK") == "明天 天下 下午 午 开会 会 ok"
    terms = terms_of('下午开会 茶 "a b"  ！！')
    assert [t.text for t in terms] == ["下午开会", "茶", "a b"]
    assert fts5_query(terms) == '"下午" + "午开" + "开会" AND "茶" * AND "a" * AND "b" *'
    assert tsquery(terms) == "(下午 <-> 午开 <-> 开会) & 茶:* & a:* & b:*"
    assert terms_of("，。！") == []
