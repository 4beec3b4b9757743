"""Sensitive-word lists and screening rules (ARCH-3): words are folded (NFKC, case) and
kept once, a list holds at most 10,000 words of 1–50 characters, an archived list takes
no change; the screening rules keep known behaviours and WeCom userids only. Hypothesis:
folding is idempotent and a list replayed from its events equals the list."""

from __future__ import annotations

import unicodedata
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.archive.screening_rules import SENSITIVE_BEHAVIOURS, ScreeningRules
from domain.archive.word_lists import MAX_WORDS, WordList, fold, fold_word
from domain.shared.errors import InvalidValue, StateConflict
from tests.unit.events import replay, topics


def a_list(words: list[str] | None = None) -> WordList:
    return WordList.make(
        list_id=uuid4(), tenant_id=uuid4(), name="辱骂词", category="辱骂", words=words or []
    )


def test_words_are_folded_trimmed_and_kept_once() -> None:
    word_list = a_list(["  傻Ｘ ", "傻x", "ＡＢＣ", "abc", "", "   "])
    assert word_list.words == {"傻x", "abc"}
    assert word_list.add(["ABC", "加微信"]) == ["加微信"]
    assert word_list.add(["加微信"]) == []
    assert topics(word_list.collect_events()) == [
        "archive.WordList.Made",
        "archive.WordList.WordsAdded",
    ]


def test_a_word_longer_than_fifty_characters_is_refused_naming_its_place() -> None:
    word_list = a_list(["好"])
    with pytest.raises(InvalidValue) as refused:
        word_list.add(["可以", "字" * 51])
    assert refused.value.field == "words"
    assert "words[1]" in str(refused.value)
    assert word_list.words == {"好"}  # nothing of the refused batch was added
    word_list.add(["字" * 50])
    assert "字" * 50 in word_list.words


def test_a_list_holds_at_most_ten_thousand_words() -> None:
    word_list = a_list([f"词{n}" for n in range(MAX_WORDS - 1)])
    with pytest.raises(InvalidValue):
        word_list.add(["新词一", "新词二"])
    assert word_list.add(["新词一", f"词{1}"]) == ["新词一"]  # the one it had is no new word
    assert len(word_list.words) == MAX_WORDS
    with pytest.raises(InvalidValue):
        a_list([f"词{n}" for n in range(MAX_WORDS + 1)])


def test_removing_answers_the_words_the_list_had() -> None:
    word_list = a_list(["返现", "保本"])
    assert word_list.remove(["保本", "不存在", "返现 "]) == ["保本", "返现"]
    assert word_list.words == set()
    assert word_list.remove(["保本"]) == []


def test_an_archived_list_takes_no_change() -> None:
    word_list = a_list(["返现"])
    word_list.archive()
    for change in (
        lambda: word_list.add(["新"]),
        lambda: word_list.remove(["返现"]),
        lambda: word_list.rename(name="新名", category="竞品"),
        word_list.archive,
    ):
        with pytest.raises(StateConflict):
            change()


def test_rename_needs_a_name_and_a_category() -> None:
    word_list = a_list()
    with pytest.raises(InvalidValue) as refused:
        word_list.rename(name="  ", category="竞品")
    assert refused.value.field == "name"
    word_list.rename(name="竞品词", category="竞品")
    word_list.rename(name="竞品词", category="竞品")  # the same again: no event
    assert topics(word_list.collect_events()) == [
        "archive.WordList.Made",
        "archive.WordList.Renamed",
    ]


CHINESE_TEXT = st.text(alphabet="你好，！？：；（）\u3000。、Ａ１ａAß\u0301\u0308ﬁ①", max_size=30)


@given(st.one_of(st.text(max_size=30), CHINESE_TEXT))
def test_folding_is_nfkc_and_case_folding_to_a_fixed_point(text: str) -> None:
    """The fast path for Chinese punctuation gives what plain NFKC would."""
    expected = unicodedata.normalize("NFKC", text)
    while (again := unicodedata.normalize("NFKC", expected.casefold())) != expected:
        expected = again
    assert fold(text) == expected


@given(st.one_of(st.text(max_size=40), CHINESE_TEXT))
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert fold_word(fold_word(text)) == fold_word(text)


ASCII_AND_HAN = st.text(alphabet="abcXYZ019返现加微信", max_size=20)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(ASCII_AND_HAN)
def test_case_and_width_never_hide_a_word(word: str) -> None:
    """What screening relies on: a word typed in another case or in full-width letters
    folds to the same text, and folding a message folds the words inside it alone."""
    assert fold(word.upper()) == fold(word.lower()) == fold(full_width(word))
    assert fold(f"你好{full_width(word)}再见") == f"你好{fold(word)}再见"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["add", "remove"]),
            st.lists(st.text(alphabet="返现保本加微信ABab ", max_size=4), max_size=6),
        ),
        max_size=12,
    )
)
def test_a_list_replayed_from_its_events_is_the_list(
    changes: list[tuple[str, list[str]]],
) -> None:
    word_list = a_list(["返现"])
    events = list(word_list.collect_events())
    expected = {"返现"}
    for kind, words in changes:
        if kind == "add":
            expected |= set(word_list.add(words))
        else:
            expected -= set(word_list.remove(words))
        events += word_list.collect_events()
    assert word_list.words == expected
    assert replay(events, WordList).words == expected


def test_screening_rules_start_watching_every_behaviour() -> None:
    rules = ScreeningRules.start(tenant_id := uuid4())
    assert rules.id == ScreeningRules.create_id(tenant_id)
    assert rules.behaviours == list(SENSITIVE_BEHAVIOURS)
    assert rules.allowed == []
    rules.change(behaviours=["link", "mobile", "mobile"], allowed=[" zhangsan ", "li.si@x"])
    assert rules.behaviours == ["mobile", "link"]  # known ones, once, in the usual order
    assert rules.allowed == ["li.si@x", "zhangsan"]
    rules.change(behaviours=["mobile", "link"], allowed=["zhangsan", "li.si@x"])
    assert topics(rules.collect_events()) == [
        "archive.ScreeningRules.Started",
        "archive.ScreeningRules.Changed",
    ]


def test_screening_rules_refuse_unknown_behaviours_and_malformed_userids() -> None:
    rules = ScreeningRules.start(uuid4())
    with pytest.raises(InvalidValue) as unknown:
        rules.change(behaviours=["voice"], allowed=[])
    assert unknown.value.field == "behaviours"
    with pytest.raises(InvalidValue) as malformed:
        rules.change(behaviours=[], allowed=["ok", "张三"])
    assert malformed.value.field == "allowed_employees"
    assert "allowed_employees[1]" in str(malformed.value)
    assert rules.behaviours == list(SENSITIVE_BEHAVIOURS)
