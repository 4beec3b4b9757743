"""Promotion links, tracking settings and ad campaigns (TRK-2, TRK-4, TRK-5): what a
link may point at and be called, that it only ever archives once, that settings switch
without repeating themselves, and that one campaign name is one record."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.errors import InvalidValue, StateConflict
from domain.tracking.ad_campaign import AdCampaign
from domain.tracking.promotion import (
    MAX_CHANNEL_LENGTH,
    MAX_URL_LENGTH,
    PromotionLink,
    ShortCodeClaim,
    checked_url,
)
from domain.tracking.tracking_settings import TrackingSettings

TENANT = uuid4()


def make(**overrides):
    values = {
        "link_id": uuid4(),
        "tenant_id": TENANT,
        "code": "Ab3dE5gH",
        "target_url": "https://www.acme.cn/spring?from=poster",
        "title": "春季发布会",
        "channel": "朋友圈",
        "employee_id": None,
    }
    return PromotionLink.make(**{**values, **overrides})


def test_a_link_keeps_what_it_was_made_with() -> None:
    employee = uuid4()
    link = make(employee_id=employee, utm_campaign=" spring ", utm_source="")
    assert (link.code, link.channel, link.employee_id) == ("Ab3dE5gH", "朋友圈", employee)
    assert link.utm_campaign == "spring" and link.utm_source is None
    assert link.archived is False and link.tenant_id == TENANT
    assert [type(e).__name__ for e in link.collect_events()] == ["Made"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://acme.cn/a",
        "https://",
        "//acme.cn/a",
        "/relative/path",
        "https://acme.cn/a b",
        "https://acme.cn/\nx",
        "",
        "https://acme.cn/" + "a" * MAX_URL_LENGTH,
    ],
)
def test_only_absolute_http_urls_of_bounded_length_are_targets(url: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        make(target_url=url)
    assert refused.value.field == "target_url"


def test_http_and_https_with_any_path_query_and_fragment_are_targets() -> None:
    for url in ("http://acme.cn", "HTTPS://Acme.cn/路径?q=中文#part", "https://a.cn:8443/x"):
        assert checked_url(url) == url


@pytest.mark.parametrize(
    ("field", "value"),
    [("channel", ""), ("channel", "渠" * (MAX_CHANNEL_LENGTH + 1)), ("title", "  ")],
)
def test_channel_and_title_are_required_and_bounded(field: str, value: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        make(**{field: value})
    assert refused.value.field == field


@pytest.mark.parametrize("code", ["short", "Ab3dE5gH9", "Ab3dE5g-", "Ab3dE5g ", "Ab3dE5g中"])
def test_a_short_code_is_eight_base62_characters(code: str) -> None:
    with pytest.raises(InvalidValue):
        make(code=code)


def test_a_link_archives_once() -> None:
    link = make()
    link.archive()
    assert link.archived
    with pytest.raises(StateConflict):
        link.archive()


def test_a_code_claim_is_one_record_per_code() -> None:
    one = ShortCodeClaim.claim(code="Ab3dE5gH", tenant_id=TENANT, link_id=uuid4())
    two = ShortCodeClaim.claim(code="Ab3dE5gH", tenant_id=uuid4(), link_id=uuid4())
    assert one.id == two.id == ShortCodeClaim.create_id("Ab3dE5gH")
    assert ShortCodeClaim.create_id("Ab3dE5gh") != one.id


def test_settings_switch_only_when_changed() -> None:
    settings = TrackingSettings.start(TENANT)
    assert settings.id == TrackingSettings.create_id(TENANT)
    assert settings.auto_ad_campaigns is False
    settings.switch_auto_ad_campaigns(False)
    settings.switch_auto_ad_campaigns(True)
    settings.switch_auto_ad_campaigns(True)
    assert settings.auto_ad_campaigns is True
    assert [type(e).__name__ for e in settings.collect_events()] == [
        "Started",
        "AutoAdCampaignsSwitched",
    ]


@given(st.text(min_size=1, max_size=50).filter(lambda name: name.strip()))
def test_one_campaign_name_of_a_tenant_is_one_record(name: str) -> None:
    seen = datetime(2026, 11, 1, tzinfo=UTC)
    first = AdCampaign.record(
        tenant_id=TENANT, name=name, source="baidu", medium=None, first_seen_at=seen
    )
    again = AdCampaign.record(
        tenant_id=TENANT, name=name, source=None, medium=None, first_seen_at=seen
    )
    other = AdCampaign.record(
        tenant_id=uuid4(), name=name, source=None, medium=None, first_seen_at=seen
    )
    assert first.id == again.id == AdCampaign.create_id(TENANT, name.strip())
    assert other.id != first.id
