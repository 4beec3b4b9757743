"""UTM parameters parsed from landing URLs (TRK-4)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from application.tracking.utm import utm_of


def test_the_five_parameters_by_segments_campaign_names() -> None:
    url = (
        "https://acme.cn/landing?utm_source=baidu&utm_medium=cpc&utm_campaign=double11"
        "&utm_term=%E8%90%A5%E9%94%80&utm_content=banner-a&other=1"
    )
    assert utm_of(url) == {
        "source": "baidu",
        "medium": "cpc",
        "name": "double11",
        "term": "营销",
        "content": "banner-a",
    }


def test_blank_repeated_and_missing_parameters() -> None:
    assert utm_of("https://acme.cn/?utm_source=&utm_medium=sms&utm_medium=email") == {
        "medium": "sms"
    }
    assert utm_of("https://acme.cn/") == {}
    assert utm_of("not a url at all") == {}
    assert utm_of("http://[::1/") == {}


@given(st.text(max_size=300))
def test_any_text_gives_at_most_the_five_keys(text: str) -> None:
    found = utm_of(f"https://acme.cn/?utm_campaign={text}&{text}")
    assert set(found) <= {"source", "medium", "name", "term", "content"}
    assert all(0 < len(value) <= 200 for value in found.values())
