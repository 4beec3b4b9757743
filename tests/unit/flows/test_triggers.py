"""Start conditions (FLOW-2): an occurrence meets a trigger when every parameter given
matches; a date trigger is met by the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from uuid import uuid4

import pytest

from domain.flows.triggers import Occurrence, Trigger, TriggerKind
from domain.shared.errors import InvalidValue

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def happened(kind: str, **properties: Any) -> Occurrence:
    return Occurrence(TriggerKind(kind), uuid4(), NOW, properties)


@pytest.mark.parametrize(
    ("trigger", "occurrence", "met"),
    [
        ({"kind": "tag_added", "tag": "VIP"}, happened("tag_added", tag="VIP"), True),
        ({"kind": "tag_added", "tag": "VIP"}, happened("tag_added", tag="新客"), False),
        ({"kind": "tag_added", "tag": "VIP"}, happened("tag_removed", tag="VIP"), False),
        ({"kind": "wechat_followed"}, happened("wechat_followed", account_id="a"), True),
        ({"kind": "wechat_qr_scanned", "scene": "expo"},
         happened("wechat_qr_scanned", scene="expo", account_id="a"), True),
        ({"kind": "page_visited", "url": "https://acme.cn/price"},
         happened("page_visited", url="https://acme.cn/price/", dwell_seconds=3), True),
        ({"kind": "page_visited", "url": "price", "match": "fuzzy", "min_dwell_seconds": 30},
         happened("page_visited", url="https://acme.cn/Price?x=1", dwell_seconds=29), False),
        ({"kind": "page_visited", "url": "price", "match": "fuzzy", "min_dwell_seconds": 30},
         happened("page_visited", url="https://acme.cn/Price?x=1", dwell_seconds=30), True),
        ({"kind": "points_changed", "at_least": 100}, happened("points_changed", points=99), False),
        ({"kind": "custom_event", "name": "试用"}, happened("custom_event", name="试用"), True),
    ],
)  # fmt: skip
def test_an_occurrence_meets_a_trigger_when_every_given_parameter_matches(
    trigger: dict[str, Any], occurrence: Occurrence, met: bool
) -> None:
    assert Trigger.parse(trigger).matches(occurrence) is met


@pytest.mark.parametrize(
    ("tree", "field"),
    [({"kind": "rain"}, "trigger.kind"),
     ({"kind": "tag_added", "tag": "x", "url": "y"}, "trigger.url"),
     ({"kind": "date", "field": "birthday", "time": "25:00"}, "trigger.time"),
     ({"kind": "date", "field": "birthday", "time": "09:00", "offset_days": 400},
      "trigger.offset_days")],
)  # fmt: skip
def test_a_malformed_trigger_is_refused_by_its_field(tree: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Trigger.parse(tree)
    assert refused.value.field == field


def test_a_yearly_date_trigger_fires_on_the_day_with_its_offset_and_keeps_29_february() -> None:
    birthday = Trigger.parse({"kind": "date", "field": "birthday", "time": "09:30"})
    assert birthday.is_scheduled and birthday.fire_time() == time(9, 30)
    assert birthday.fires_on(date(2027, 5, 4), date(1990, 5, 4))
    assert not birthday.fires_on(date(2027, 5, 5), date(1990, 5, 4))
    assert birthday.fires_on(date(2027, 2, 28), date(2000, 2, 29))
    before = Trigger.parse(
        {"kind": "date", "field": "birthday", "time": "09:30", "offset_days": -3}
    )
    assert before.fires_on(date(2027, 5, 1), date(1990, 5, 4))
    exact = Trigger.parse({"kind": "date", "field": "custom.expo", "mode": "exact",
                           "time": "08:00", "offset_days": 1})  # fmt: skip
    assert exact.fires_on(date(2027, 3, 2), date(2027, 3, 1))
    assert not exact.fires_on(date(2028, 3, 2), date(2027, 3, 1))


def test_a_trigger_may_be_saved_incomplete_but_names_what_is_still_to_choose() -> None:
    trigger = Trigger.parse({"kind": "page_visited", "match": "fuzzy"})
    assert trigger.missing == ["url"]
    with pytest.raises(InvalidValue) as refused:
        trigger.require_complete()
    assert refused.value.field == "trigger.url"
