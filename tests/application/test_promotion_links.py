"""TRK-2, TRK-4, TRK-5 use cases: promotion links for current employees only, made once
per request (also as sets), codes claimed uniquely, archiving that stops redirects; the
PV/UV read model counting clicks and landings; ad campaigns made once per name."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID, uuid4

import pytest

from application.org.commands import HireEmployee
from application.shared.behaviours import Behaviour, BehaviourKind
from application.shared.context import RequestContext, acting
from application.shared.errors import InvalidInput, VersionConflict
from application.tracking import links as links_module
from application.tracking.ad_campaigns import AutoAdCampaigns
from application.tracking.clicks import LinkFollowing, Visit
from application.tracking.link_commands import (
    ChangeTrackingSettings,
    Counts,
    CreateLink,
    CreateLinkSet,
)
from application.tracking.links import PromotionLinks
from application.tracking.promotion_stats import PromotionCounts
from domain.shared.errors import StateConflict
from domain.tracking.ad_campaign import AdCampaign
from entrypoints.container import Runtime

BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36"
T = TypeVar("T")


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-promotion-links", read_your_writes=True)):
        yield runtime


def links(runtime: Runtime) -> PromotionLinks:
    return runtime.container.promotion_links()


def hire(runtime: Runtime, tenant_id: UUID) -> UUID:
    org = runtime.container.org()
    return org.hire_employee(tenant_id, HireEmployee(name="李雷", roles=["sales"])).id


def link_command(**overrides: object) -> CreateLink:
    values: dict[str, object] = {
        "target_url": "https://www.acme.cn/a",
        "title": "文章",
        "channel": "公众号",
    }
    return CreateLink(**{**values, **overrides})


def eventually(read: Callable[[], T], done: Callable[[T], bool]) -> T:
    deadline = time.monotonic() + 10
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = read()
    return value


def person(anonymous_id: str) -> Visit:
    return Visit(anonymous_id=anonymous_id, user_agent=BROWSER, headers={})


def test_a_link_names_only_a_current_employee_of_the_tenant(system: Runtime) -> None:
    tenant_id, other = uuid4(), uuid4()
    seller, stranger = hire(system, tenant_id), hire(system, other)

    made = links(system).create(tenant_id, link_command(employee_id=seller))
    assert made.employee_id == seller and made.version == 1
    assert made.short_path.startswith("/s/") and made.short_url.endswith(made.short_path)

    with pytest.raises(InvalidInput) as refused:
        links(system).create(tenant_id, link_command(employee_id=stranger))
    assert refused.value.field == "employee_id"
    org = system.container.org()
    org.record_leaving(tenant_id, seller, expected_version=1)
    with pytest.raises(InvalidInput):
        links(system).create(tenant_id, link_command(employee_id=seller))
    with pytest.raises(InvalidInput) as in_a_set:
        links(system).create_set(
            tenant_id,
            CreateLinkSet(
                target_url="https://www.acme.cn/a", title="t", channels=["a"], employee_ids=[seller]
            ),
        )
    assert in_a_set.value.field == "employee_ids"


def test_a_repeated_request_makes_one_link_and_one_set(runtime: Runtime) -> None:
    tenant_id = uuid4()
    context = RequestContext(request_id="r", read_your_writes=True, idempotency_key="k-1")
    with acting(context):
        first = links(runtime).create(tenant_id, link_command())
        again = links(runtime).create(tenant_id, link_command())
        command = CreateLinkSet(
            target_url="https://www.acme.cn/b", title="表单", channels=["朋友圈", "海报", "朋友圈"]
        )
        made = links(runtime).create_set(tenant_id, command)
        repeated = links(runtime).create_set(tenant_id, command)
    assert (again.id, again.code) == (first.id, first.code)
    assert [link.channel for link in made.items] == ["朋友圈", "海报"]
    assert [link.id for link in repeated.items] == [link.id for link in made.items]
    listed = links(runtime).links(tenant_id, cursor=None, limit=10).items
    assert sorted(link.id for link in listed) == sorted(
        [first.id, *(link.id for link in made.items)]
    )


def test_a_taken_short_code_is_drawn_again(
    system: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id = uuid4()
    taken = links(system).create(tenant_id, link_command()).code
    draws = iter([taken, "Zz9Yy8Xx"])
    monkeypatch.setattr(links_module, "new_short_code", lambda: next(draws))

    made = links(system).create(uuid4(), link_command())

    assert made.code == "Zz9Yy8Xx"


def test_an_archived_link_stops_resolving_at_once(system: Runtime) -> None:
    tenant_id = uuid4()
    made = links(system).create(tenant_id, link_command())
    following: LinkFollowing = system.container.link_following()
    code = made.short_path.removeprefix("/s/")
    assert following.follow(code, person("a-1")).url is not None  # cached now

    with pytest.raises(VersionConflict):
        links(system).archive(tenant_id, made.id, expected_version=2)
    archived = links(system).archive(tenant_id, made.id, expected_version=1)

    assert archived.archived and archived.version == 2
    followed = following.follow(code, person("a-1"))
    assert followed.url is None and followed.gone
    with pytest.raises(StateConflict):
        links(system).archive(tenant_id, made.id, expected_version=2)


def test_clicks_and_landings_are_counted_per_link_channel_and_employee(system: Runtime) -> None:
    tenant_id = uuid4()
    seller = hire(system, tenant_id)
    set_of = links(system).create_set(
        tenant_id,
        CreateLinkSet(
            target_url="https://www.acme.cn/c",
            title="产品页",
            channels=["朋友圈", "短信"],
            employee_ids=[seller],
        ),
    )
    moments, sms = set_of.items
    following: LinkFollowing = system.container.link_following()
    for link, visitor in [(moments, "v-1"), (moments, "v-1"), (moments, "v-2"), (sms, "v-1")]:
        followed = following.follow(link.short_path.removeprefix("/s/"), person(visitor))
        assert followed.counted and followed.url and f"hk_link={link.code}" in followed.url
    now = datetime.now(UTC)
    system.container.ingestion().take(
        [
            Behaviour(
                tenant_id=tenant_id,
                kind=BehaviourKind.PAGE,
                channel="web",
                occurred_at=now,
                received_at=now,
                message_id=f"page-{uuid4()}",
                properties={"url": f"https://www.acme.cn/c?hk_link={moments.code}"},
                anonymous_id="site-visitor",
            )
        ]
    )
    counts: PromotionCounts = system.container.promotion_counts()

    found = eventually(
        lambda: counts.of_link(tenant_id, moments.id, moments.code),
        lambda c: c.clicks == 3 and c.landings == 1,
    )

    assert (found.clicks, found.visitors, found.landings) == (3, 2, 1)
    assert found.last_click_at is not None
    by_channel = {group.key: group.counts for group in counts.by_channel(tenant_id)}
    assert {key: (c.clicks, c.visitors, c.landings) for key, c in by_channel.items()} == {
        "朋友圈": (3, 2, 1),
        "短信": (1, 1, 0),
    }
    (employee,) = counts.by_employee(tenant_id)
    # v-1 clicked both channels' links of the same employee: one visitor of theirs.
    assert (employee.key, employee.counts.clicks, employee.counts.visitors) == (str(seller), 4, 2)
    assert counts.by_channel(uuid4()) == []
    assert counts.of_link(uuid4(), moments.id, moments.code) == Counts()


def test_an_ad_campaign_is_made_once_per_name_even_when_seen_again(system: Runtime) -> None:
    tenant_id = uuid4()
    book = system.container.tracking_settings()
    book.change(tenant_id, ChangeTrackingSettings(auto_ad_campaigns=True), expected_version=None)
    now = datetime.now(UTC) + timedelta(seconds=1)
    behaviour = Behaviour(
        tenant_id=tenant_id,
        kind=BehaviourKind.PAGE,
        channel="web",
        occurred_at=now,
        received_at=now,
        message_id="m-1",
        context={"campaign": {"name": "双十一", "source": "baidu", "medium": "cpc"}},
    )
    tracking = system.container.tracking()
    infrastructure = system.container.infrastructure()
    # Two policies as two processes would be (nothing remembered between them).
    for _ in range(2):
        policy = AutoAdCampaigns(
            infrastructure.query_view(AutoAdCampaigns), tracking=tracking, settings=book
        )
        policy.consider(behaviour)
        policy.consider(behaviour)
    campaign = tracking.load(
        AdCampaign.create_id(tenant_id, "双十一"), AdCampaign, tenant_id=tenant_id
    )
    assert (campaign.name, campaign.source, campaign.medium, campaign.version) == (
        "双十一",
        "baidu",
        "cpc",
        1,
    )
    earlier = Behaviour(
        **{**behaviour.__dict__, "received_at": now - timedelta(hours=1), "message_id": "m-0"}
    )
    before = dict(earlier.context)
    before["campaign"] = {"name": "老活动"}
    policy.consider(Behaviour(**{**earlier.__dict__, "context": before}))
    assert AdCampaign.create_id(tenant_id, "老活动") not in tracking.repository
