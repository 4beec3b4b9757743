"""SMS content rules (SMS-1, SMS-3): the unsubscribe keyword, personalisation fields
only, links found (long ones become short links), and the length and segment count as
the providers count them (signature included; 70 for one message, 67 per part)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.messaging.sms_content import (
    MAX_LENGTH,
    SHORT_LINK_LENGTH,
    SmsContent,
    checked_text,
    content_hash,
    find_links,
    find_placeholders,
    segment_count,
    signed,
    sms_length,
    template_pieces,
)
from domain.shared.errors import InvalidValue

SIGNATURE = "获客科技"
OK = "双十一会员5折，回T退订"


def _refused(text: str, signature: str = SIGNATURE) -> InvalidValue:
    with pytest.raises(InvalidValue) as refused:
        checked_text(text, signature=signature)
    return refused.value


def test_text_without_the_unsubscribe_keyword_is_refused_naming_field_and_rule() -> None:
    error = _refused("双十一会员5折，详询客服")
    assert error.field == "text"
    assert "退订" in error.message and "SMS-3" in error.message


def test_text_with_the_keyword_is_kept_stripped() -> None:
    assert checked_text(f"  {OK}  ", signature=SIGNATURE) == OK


@pytest.mark.parametrize(
    "text",
    [
        "{{ name }}您好，回T退订",
        "{{name|default('客户')}}您好，回T退订",
        '{{ custom.level | default("会员") }}专享，回T退订',
        "{{company}}{{title}}{{city}}{{email}}{{mobile}}，回T退订",
    ],
)
def test_personalisation_fields_are_allowed(text: str) -> None:
    assert checked_text(text, signature=SIGNATURE) == text


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{{ password }}，回T退订", "unknown personalisation field"),
        ("{{ custom._secret }}，回T退订", "unknown personalisation field"),
        ("{% for x in y %}回T退订{% endfor %}", "only the personalisation fields"),
        ("{{ ''.__class__ }}回T退订", "only the personalisation fields"),
        ("{{ name | upper }}回T退订", "only the personalisation fields"),
        ("{# note #}回T退订", "only the personalisation fields"),
        ("https://acme.cn/u/{{mobile}} 回T退订", "inside a link"),
    ],
)
def test_other_template_syntax_is_refused(text: str, said: str) -> None:
    error = _refused(text)
    assert error.field == "text" and said in error.message


def test_the_length_limit_counts_the_signature() -> None:
    room = MAX_LENGTH - len(signed(SIGNATURE, ""))
    assert checked_text("退订" + "好" * (room - 2), signature=SIGNATURE)
    error = _refused("退订" + "好" * (room - 1))
    assert "at most 500" in error.message and error.field == "text"


def test_providers_count_one_per_character_and_two_outside_the_bmp() -> None:
    assert sms_length("获客ab 1，") == 7
    assert sms_length("👍") == 2
    assert SmsContent("获客科技", "你好").length == len("【获客科技】你好")


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4), (500, 8)],
)
def test_segments_at_the_boundaries(length: int, segments: int) -> None:
    assert segment_count(length) == segments


@given(st.integers(min_value=1, max_value=2_000))
def test_segments_hold_the_text_and_no_part_is_wasted(length: int) -> None:
    parts = segment_count(length)
    if length <= 70:
        assert parts == 1
    else:
        assert (parts - 1) * 67 < length <= parts * 67


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_length_is_at_least_the_characters_and_at_most_twice(text: str) -> None:
    assert len(text) <= sms_length(text) <= 2 * len(text)


def test_links_are_found_and_long_ones_replaced_at_a_short_links_length() -> None:
    text = "详情 https://www.acme.cn/promotions/2026/double-eleven?from=sms。短 http://a.cn 回T退订"
    links = find_links(text)
    assert [link.url for link in links] == [
        "https://www.acme.cn/promotions/2026/double-eleven?from=sms",
        "http://a.cn",
    ]
    assert [link.long for link in links] == [True, False]
    content = SmsContent(SIGNATURE, text)
    assert content.long_links == [links[0].url]
    expected = len(signed(SIGNATURE, text)) - len(links[0].url) + SHORT_LINK_LENGTH
    assert content.length == expected


def test_trailing_sentence_punctuation_is_not_part_of_a_link() -> None:
    assert [link.url for link in find_links("see https://acme.cn/x. Or (https://acme.cn/y)")] == [
        "https://acme.cn/x",
        "https://acme.cn/y",
    ]


@given(
    st.lists(
        st.one_of(
            st.sampled_from(["您好", "，", " ", "回T退订", "5折", "\n"]),
            st.sampled_from(["{{name}}", "{{ custom.level }}", "{{city|default('本地')}}"]),
            st.sampled_from(["https://www.acme.cn/landing/page-one", "http://a.cn"]),
        ),
        max_size=12,
    )
)
def test_template_pieces_put_the_text_back_together(parts: list[str]) -> None:
    text = "".join(parts)
    pieces = template_pieces(text)
    assert "".join(piece.value for piece in pieces) == text
    assert {p.variable for p in pieces if p.kind == "field"} <= {"name", "custom_level", "city"}
    links = [p for p in pieces if p.kind == "link"]
    assert all(len(p.value) > 20 for p in links)
    assert [p.variable for p in links] == [f"link{n}" for n in range(1, len(links) + 1)]


def test_placeholders_report_field_default_and_variable() -> None:
    [first, second] = find_placeholders("{{ name | default('客户') }}，{{custom.vip_level}}")
    assert (first.field, first.default, first.variable) == ("name", "客户", "name")
    assert (second.field, second.default, second.variable) == (
        "custom.vip_level",
        None,
        "custom_vip_level",
    )


def test_personalised_content_and_its_hash() -> None:
    plain = SmsContent(SIGNATURE, OK)
    assert not plain.personalised and plain.segments == 1
    assert SmsContent(SIGNATURE, "{{name}}" + OK).personalised
    assert plain.hash == content_hash(SIGNATURE, OK)
    assert plain.hash != content_hash("火客科技", OK) != content_hash(SIGNATURE, OK + "。")
