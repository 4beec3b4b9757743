"""The rules of mass and template sends (WX-3, WX-4, WX-5) as a user meets them: who is
skipped by the monthly cap, which daily limits refuse a send (naming the rule), what a
draft may hold, and how a template message is personalised."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.shared.errors import InvalidValue, StateConflict
from domain.wechat.mass_send import (
    DailyLimitReached,
    MassSend,
    allot,
    mass_day,
    require_day_allowance,
)
from domain.wechat.template_send import (
    TemplateSend,
    TemplateUnusable,
    personalised,
    require_template_allowance,
)

AT = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 1 December 00:30 in Beijing
TEXT = {"kind": "text", "text": "会员日"}


def draft(**changes: object) -> MassSend:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "tenant_id": uuid.uuid4(),
        "account_id": uuid.uuid4(),
        "account_kind": "service",
        "name": "会员日",
        "mode": "normal",
        "audience": {},
        "message": TEXT,
        **changes,
    }
    return MassSend.draft(**values)  # type: ignore[arg-type]


def test_a_fan_with_four_this_month_is_skipped_and_one_with_three_is_not() -> None:
    granted, capped = allot({"a": 4, "b": 3, "c": 5}, ["a", "b", "c", "d"])
    assert (granted, capped) == (["b", "d"], ["a", "c"])


def test_a_send_counts_against_the_beijing_month_and_day_it_was_asked_for() -> None:
    send = draft()
    send.request_send(AT)
    assert (send.month, send.day, send.state) == ("2026-12", "2026-12-01", "sending")
    assert mass_day(AT) == "2026-12-01"
    with pytest.raises(StateConflict):
        send.request_send(AT)


def test_only_normal_sends_of_service_accounts_count_against_the_cap() -> None:
    assert draft().counted
    assert not draft(mode="unlimited").counted
    assert not draft(mode="targeted", audience={"openids": ["o1"]}).counted
    assert not draft(account_kind="subscription").counted


def test_daily_limits_refuse_naming_the_rule() -> None:
    require_day_allowance("normal", "subscription", 0)
    with pytest.raises(DailyLimitReached, match="once a day"):
        require_day_allowance("normal", "subscription", 1)
    require_day_allowance("normal", "service", 50)  # service accounts: the per-fan cap only
    require_day_allowance("targeted", "service", 99)
    with pytest.raises(DailyLimitReached, match="100 targeted sends"):
        require_day_allowance("targeted", "service", 100)


def test_a_draft_names_the_field_it_refuses() -> None:
    cases = [
        ({"mode": "targeted", "account_kind": "subscription", "audience": {"openids": ["o"]}},
         "mode"),
        ({"mode": "targeted"}, "audience.openids"),
        ({"audience": {"include": {"colour": ["red"]}}}, "audience.include.colour"),
        ({"audience": {"include": {"tag_ids": ["x"]}}}, "audience.include.tag_ids"),
        ({"audience": {"exclude": {"sex": 3}}}, "audience.exclude.sex"),
        ({"audience": {"include": {"followed_from": "2026-12-01"}}},
         "audience.include.followed_from"),
        ({"message": {"kind": "text", "text": " "}}, "message.text"),
        ({"message": {"kind": "image"}}, "message.media_id"),
        ({"message": {"kind": "gif"}}, "message.kind"),
    ]  # fmt: skip
    for changes, field in cases:
        with pytest.raises(InvalidValue) as refused:
            draft(**changes)
        assert refused.value.field == field, changes


def test_results_are_recorded_once_per_msg_id() -> None:
    send = draft()
    send.request_send(AT)
    report = {"msg_id": "1000", "status": "send success", "total": 2, "filtered": 2,
              "sent": 2, "errors": 0}  # fmt: skip
    assert send.report_results(**report)  # type: ignore[arg-type]
    assert not send.report_results(**report)  # type: ignore[arg-type]
    assert send.results["1000"]["sent"] == 2


def template(**changes: object) -> TemplateSend:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "tenant_id": uuid.uuid4(),
        "account_id": uuid.uuid4(),
        "account_kind": "service",
        "verified": True,
        "templates": {"TPL": {"title": "T", "fields": ["first", "keyword1"]}},
        "template_id": "TPL",
        "data": {"first": "{{nickname}}，您好", "keyword1": "周三"},
        "url": "https://acme.cn/l",
        "audience": {"openids": ["o1"]},
        "at": AT,
        **changes,
    }
    return TemplateSend.request(**values)  # type: ignore[arg-type]


def test_templates_only_on_verified_service_accounts_with_the_template_added() -> None:
    for changes, field in [
        ({"verified": False}, "account_id"),
        ({"account_kind": "subscription"}, "account_id"),
        ({"template_id": "OTHER"}, "template_id"),
    ]:
        with pytest.raises(TemplateUnusable) as refused:
            template(**changes)
        assert refused.value.field == field


def test_template_data_needs_every_key_and_only_fan_fields() -> None:
    for data, field in [
        ({"first": "您好"}, "data.keyword1"),
        ({"first": "您好", "keyword1": "x", "extra": "y"}, "data.extra"),
        ({"first": "{{mobile}}", "keyword1": "x"}, "data.first"),
    ]:
        with pytest.raises(InvalidValue) as refused:
            template(data=data)
        assert refused.value.field == field
    with pytest.raises(InvalidValue) as refused:
        template(url="ftp://acme.cn/")
    assert refused.value.field == "url"


def test_a_template_message_is_personalised_with_the_fans_fields() -> None:
    send = template()
    values = personalised(send.data, {"nickname": "小明", "city": "上海"})
    assert values == {"first": "小明，您好", "keyword1": "周三"}
    assert personalised({"first": "{{ city }}"}, {}) == {"first": ""}


def test_more_than_100000_template_messages_a_day_are_refused_naming_the_rule() -> None:
    require_template_allowance(99_000, 1_000)
    with pytest.raises(DailyLimitReached, match="100,000 template messages a day") as refused:
        require_template_allowance(99_000, 1_001)
    assert "1,000 left today" in refused.value.message
