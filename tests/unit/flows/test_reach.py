"""Scheduled reach campaigns (FLOW-7): a period, an audience, up to five branches each
with a send-time rule and content; scheduled only when every content is complete."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest

from domain.flows.graph import Channel
from domain.flows.reach import ReachCampaign
from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.filters import LeadFacts

SHANGHAI = timezone(timedelta(hours=8))
START = datetime(2027, 3, 1, 9, tzinfo=SHANGHAI)
LIVE = "2027-03-10T19:30:00+08:00"
VIP = {"field": "tags", "op": "equals", "value": "VIP"}
SMS = {"kind": "send_sms", "signature_id": "s-1", "text": "直播今晚开始，回T退订"}
WECHAT = {"kind": "send_wechat", "account_id": "a-1",
          "message": {"kind": "text", "text": "直播一小时后开始"}}  # fmt: skip


def planned(branches: list[dict[str, Any]], **overrides: Any) -> ReachCampaign:
    values: dict[str, Any] = {
        "campaign_id": uuid4(), "tenant_id": uuid4(), "name": "直播提醒",
        "starts_at": START.isoformat(), "ends_at": (START + timedelta(days=10)).isoformat(),
        "audience": {"all": []}, "branches": branches, "event_starts_at": LIVE,
    }  # fmt: skip
    values.update(overrides)
    return ReachCampaign.plan(**values)


def test_a_lead_takes_the_first_branch_it_matches_and_its_send_time() -> None:
    campaign = planned([
        {"name": "VIP", "filter": VIP, "send": {"rule": "before_start", "amount": 1,
                                                  "unit": "hours"}, "content": WECHAT},
        {"name": "其他", "send": {"rule": "after", "amount": 1, "unit": "days"},
         "content": SMS},
    ])  # fmt: skip
    vip = campaign.branch_for(LeadFacts({}, tags=frozenset({"VIP"})), now=START)
    other = campaign.branch_for(LeadFacts({}), now=START)
    assert vip is not None and other is not None
    assert vip.send_at(START, campaign.event_starts_at) == datetime(2027, 3, 10, 18, 30,
                                                                    tzinfo=SHANGHAI)  # fmt: skip
    assert other.send_at(START, campaign.event_starts_at) == START + timedelta(days=1)
    assert campaign.in_period(START) and not campaign.in_period(START + timedelta(days=10))


@pytest.mark.parametrize(
    ("branches", "overrides", "field"),
    [
        ([], {}, "branches"),
        ([{"name": str(n), "send": {"rule": "immediately"}, "content": SMS} for n in range(6)],
         {}, "branches"),
        ([{"name": "x", "send": {"rule": "someday"}, "content": SMS}], {},
         "branches[0].send.rule"),
        ([{"name": "x", "send": {"rule": "before_start", "amount": 1, "unit": "hours"},
           "content": SMS}], {"event_starts_at": None}, "branches[0].send.rule"),
        ([{"name": "x", "send": {"rule": "after", "amount": 0, "unit": "days"},
           "content": SMS}], {}, "branches[0].send.amount"),
        ([{"name": "x", "send": {"rule": "immediately"}, "content": {"kind": "add_tag"}}],
         {}, "branches[0].content.kind"),
        ([{"name": "x", "send": {"rule": "immediately"}, "content": SMS}],
         {"ends_at": START.isoformat()}, "ends_at"),
    ],
)  # fmt: skip
def test_a_bad_campaign_is_refused_by_field(
    branches: list[dict[str, Any]], overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        planned(branches, **overrides)
    assert refused.value.field == field, refused.value.message


def test_scheduling_names_content_still_to_choose_and_channels_not_set_up() -> None:
    unfinished = planned([{"name": "x", "send": {"rule": "immediately"},
                           "content": {"kind": "send_sms", "text": "回T退订"}}])  # fmt: skip
    with pytest.raises(InvalidValue) as refused:
        unfinished.schedule(channels=tuple(Channel), now=START)
    assert refused.value.field == "branches[0].content.signature_id"
    campaign = planned([{"name": "x", "send": {"rule": "immediately"}, "content": SMS}])
    with pytest.raises(InvalidValue) as refused:
        campaign.schedule(channels={Channel.EMAIL}, now=START)
    assert refused.value.field == "branches[0].content.kind"
    campaign.schedule(channels=tuple(Channel), now=START)
    with pytest.raises(StateConflict):
        campaign.schedule(channels=tuple(Channel), now=START)
    campaign.cancel(reason="直播改期")
    assert campaign.cancelled
