"""Identity stitching (issue 15 item 5, LEAD-1/LEAD-4/LEAD-8): a visitor identified by
mobile, e-mail or member id is attached to the one lead of that identity, with what
they did before; a merge carries behaviour to the survivor; tenants never mix."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.persistence.infrastructure import close_view
from adapters.persistence.runners import rebuild
from application.leads.commands import CreateLead
from application.leads.queries import LeadFilter
from application.leads.scope import LeadScope
from application.shared.behaviours import BEHAVIOURS, Behaviour
from application.shared.context import RequestContext, acting
from application.shared.lead_behaviours import stitched_indexes, stitched_tables
from application.shared.tenant_rows import RecordTenants
from application.tracking.stitching import Stitching
from application.tracking.timeline import COLUMNS, BehaviourTimeline
from entrypoints.container import Runtime
from tests.settling import settle

EARLY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-stitching")):
        yield runtime


def seen(tenant_id: UUID, kind: str, minute: int, **fields: Any) -> Behaviour:
    """A behaviour `minute` minutes after EARLY, on the web unless told otherwise."""
    return Behaviour(
        tenant_id=tenant_id,
        kind=kind,
        channel=fields.pop("channel", "web"),
        occurred_at=EARLY + timedelta(minutes=minute),
        received_at=datetime.now(UTC),
        message_id=fields.pop("message_id", str(uuid4())),
        source_id="test",
        **fields,
    )


def take(runtime: Runtime, *rows: Behaviour) -> None:
    runtime.container.ingestion().take(list(rows))
    settle(runtime)


def leads_of(runtime: Runtime, tenant_id: UUID) -> list[UUID]:
    found = runtime.container.lead_queries().search(
        LeadScope.whole_company(tenant_id), LeadFilter(), limit=100
    )
    return [lead.id for lead in found.items]


def behaviours_on_timeline(runtime: Runtime, tenant_id: UUID, lead_id: UUID) -> list[Any]:
    page = runtime.container.lead_queries().timeline(
        LeadScope.whole_company(tenant_id), lead_id, cursor=None, limit=100
    )
    return [e for e in page.items if e.kind.startswith("tracking.")]


def counts(runtime: Runtime, tenant_id: UUID, lead_id: UUID) -> dict[tuple[str, str], int]:
    activity = runtime.container.behaviour_activity().activity_of(tenant_id, lead_id)
    return {(a.kind, a.name): a.count for a in activity}


def test_identify_by_mobile_makes_one_lead_with_the_visitors_earlier_page_views(
    system: Runtime,
) -> None:
    tenant_id = uuid4()
    take(
        system,
        seen(tenant_id, "page", 0, name="首页", anonymous_id="a-1",
             properties={"url": "https://acme.cn/?email=x@y.cn", "dwell_ms": 42_000}),
        seen(tenant_id, "page", 1, name="价格", anonymous_id="a-1",
             properties={"url": "https://acme.cn/pricing"}),
    )  # fmt: skip
    assert leads_of(system, tenant_id) == []  # an anonymous visitor is no lead

    take(
        system,
        seen(tenant_id, "identify", 2, anonymous_id="a-1",
             properties={"phone": "138 0013 8000", "name": "王芳", "plan": "pro"}),
        seen(tenant_id, "track", 3, name="下载白皮书", anonymous_id="a-1",
             properties={"format": "pdf", "email": "wang@acme.cn"}),
    )  # fmt: skip

    (lead_id,) = leads_of(system, tenant_id)
    lead = system.container.leads().lead(LeadScope.whole_company(tenant_id), lead_id)
    assert {"kind": "mobile", "value": "+8613800138000"} in lead.identities
    assert lead.profile["name"] == "王芳"
    assert lead.source["level1"] == "网站追踪" and lead.source["channel"] == "web"
    shown = behaviours_on_timeline(system, tenant_id, lead_id)
    assert [e.kind for e in shown] == [
        "tracking.EventTracked",
        "tracking.Identified",
        "tracking.PageViewed",
        "tracking.PageViewed",
    ]
    assert shown[3].details == {
        "channel": "web",
        "name": "首页",
        "url": "https://acme.cn/",  # the query (here an e-mail) is left out
        "dwell_seconds": 42,
    }
    # Which traits were given, never their values; no personal property either.
    assert shown[1].details["traits"] == ["name", "phone", "plan"]
    assert "138" not in str(shown) and "wang@acme.cn" not in str(shown)
    assert shown[0].details["properties"] == {"format": "pdf"}
    assert counts(system, tenant_id, lead_id) == {
        ("page", "首页"): 1,
        ("page", "价格"): 1,
        ("identify", ""): 1,
        ("track", "下载白皮书"): 1,
    }


def test_an_identify_by_email_matches_the_existing_lead_and_never_makes_a_second(
    system: Runtime,
) -> None:
    tenant_id = uuid4()
    company = LeadScope.whole_company(tenant_id)
    known = (
        system.container.leads()
        .create_lead(company, CreateLead(email="li.lei@acme.cn", name="李雷"))
        .lead.id
    )
    take(
        system,
        seen(tenant_id, "page", 0, anonymous_id="b-1", properties={"url": "https://acme.cn/a"}),
        seen(tenant_id, "identify", 1, anonymous_id="b-1", properties={"email": "Li.Lei@Acme.CN"}),
        seen(tenant_id, "identify", 2, anonymous_id="b-2",
             properties={"email": "li.lei@acme.cn", "mobile": "13900139000"}),
    )  # fmt: skip

    assert leads_of(system, tenant_id) == [known]
    lead = system.container.leads().lead(company, known)
    assert {"kind": "mobile", "value": "+8613900139000"} in lead.identities  # attached
    assert lead.profile["name"] == "李雷"
    assert [e.kind for e in behaviours_on_timeline(system, tenant_id, known)] == [
        "tracking.Identified",
        "tracking.Identified",
        "tracking.PageViewed",
    ]


def test_a_user_id_is_the_member_id_and_an_alias_carries_the_link(system: Runtime) -> None:
    tenant_id = uuid4()
    take(
        system,
        seen(tenant_id, "page", 0, anonymous_id="c-1"),
        seen(tenant_id, "track", 1, name="登录", anonymous_id="c-1", user_id="M-1001",
             channel="app"),
        seen(tenant_id, "screen", 2, name="订单", user_id="M-1001", channel="app"),
        seen(tenant_id, "page", 3, anonymous_id="c-9"),
        seen(tenant_id, "alias", 4, user_id="M-1001", properties={"previous_id": "c-9"}),
    )  # fmt: skip

    (lead_id,) = leads_of(system, tenant_id)
    lead = system.container.leads().lead(LeadScope.whole_company(tenant_id), lead_id)
    assert lead.identities == [{"kind": "member_id", "value": "M-1001"}]
    assert lead.source["channel"] == "app"
    assert counts(system, tenant_id, lead_id) == {
        ("page", ""): 2,  # c-1's before the login, and c-9's carried by the alias
        ("track", "登录"): 1,
        ("screen", "订单"): 1,
        ("alias", ""): 1,
    }
    activity = system.container.behaviour_activity()
    assert activity.last_seen(tenant_id, lead_id, "app") == EARLY + timedelta(minutes=2)
    assert activity.last_seen(tenant_id, lead_id) == EARLY + timedelta(minutes=4)
    assert activity.leads_with(tenant_id, "page", at_least=2) == {lead_id}
    assert activity.leads_with(tenant_id, "page", at_least=3) == set()
    assert activity.leads_with(tenant_id, "screen", "订单", channel="app") == {lead_id}
    assert activity.leads_with(tenant_id, "screen", channel="web") == set()
    assert activity.leads_with(tenant_id, "page", since=EARLY + timedelta(minutes=3)) == {lead_id}
    late = EARLY + timedelta(minutes=3, seconds=1)
    assert activity.leads_with(tenant_id, "page", since=late) == set()


def test_an_invalid_trait_is_left_out_and_the_others_still_identify(system: Runtime) -> None:
    tenant_id = uuid4()
    take(
        system,
        seen(tenant_id, "identify", 0, anonymous_id="d-1",
             properties={"mobile": "12345", "email": "not an address"}),
        seen(tenant_id, "identify", 1, anonymous_id="d-2",
             properties={"mobile": "not a phone", "email": "zhao@acme.cn"}),
        seen(tenant_id, "page", 2, anonymous_id="d-2"),
    )  # fmt: skip

    (lead_id,) = leads_of(system, tenant_id)  # nothing valid in the first: no lead
    lead = system.container.leads().lead(LeadScope.whole_company(tenant_id), lead_id)
    assert lead.identities == [{"kind": "email", "value": "zhao@acme.cn"}]
    assert counts(system, tenant_id, lead_id) == {("identify", ""): 1, ("page", ""): 1}


def test_the_same_behaviour_stitched_twice_changes_nothing(system: Runtime) -> None:
    tenant_id = uuid4()
    identify = seen(tenant_id, "identify", 0, anonymous_id="e-1", user_id="M-7",
                    properties={"email": "e@acme.cn"})  # fmt: skip
    take(system, identify, identify)  # the log keeps one of a repeated message id
    stored = system.container.behaviours().behaviours_of(tenant_id, limit=10)
    assert len(stored) == 1
    heads = {a.name: a.recorder.max_notification_id() for a in system.applications}

    infrastructure = system.container.infrastructure()
    provider = system.container.providers[Stitching.name]
    policy = provider(view=infrastructure.query_view(Stitching))
    policy.stitch(stored[0])  # as after a crash between the commands and the tracking row

    assert {a.name: a.recorder.max_notification_id() for a in system.applications} == heads
    assert len(leads_of(system, tenant_id)) == 1


def test_a_merge_carries_behaviour_to_the_survivor(system: Runtime) -> None:
    tenant_id = uuid4()
    company = LeadScope.whole_company(tenant_id)
    take(
        system,
        seen(tenant_id, "identify", 0, anonymous_id="f-1", properties={"mobile": "13700137001"}),
        seen(tenant_id, "page", 1, anonymous_id="f-1"),
        seen(tenant_id, "identify", 2, anonymous_id="f-2", properties={"email": "f@acme.cn"}),
        seen(tenant_id, "page", 3, anonymous_id="f-2"),
    )
    by_mobile, by_email = (
        system.container.lead_queries().search(company, LeadFilter(**found)).items[0].id
        for found in ({"mobile": "13700137001"}, {"email": "f@acme.cn"})
    )
    survivor = system.container.leads().merge(company, by_mobile, by_email, {}).id
    settle(system)
    # After the merge: the merged lead's visitor now lands on the survivor too.
    take(
        system,
        seen(tenant_id, "page", 4, anonymous_id="f-2"),
        seen(tenant_id, "click", 5, channel="email", lead_id=by_email,
             properties={"url": "https://acme.cn/offer"}),
    )  # fmt: skip

    assert survivor == by_mobile
    assert counts(system, tenant_id, survivor) == {
        ("identify", ""): 2,
        ("page", ""): 3,
        ("click", ""): 1,
    }
    assert counts(system, tenant_id, by_email) == {}
    assert behaviours_on_timeline(system, tenant_id, by_email) == []
    assert len(behaviours_on_timeline(system, tenant_id, survivor)) == 6
    # A later identify of the merged lead's e-mail re-identifies nothing new.
    take(
        system,
        seen(tenant_id, "identify", 6, anonymous_id="f-3", properties={"email": "f@acme.cn"}),
    )
    assert leads_of(system, tenant_id) == [survivor]


def test_another_tenants_rows_never_attach_to_this_tenants_lead(system: Runtime) -> None:
    ours, theirs = uuid4(), uuid4()
    person = {"mobile": "13600136000"}
    take(
        system,
        seen(ours, "identify", 0, anonymous_id="g-1", properties=person),
        seen(theirs, "page", 1, anonymous_id="g-1"),
        seen(theirs, "identify", 2, anonymous_id="g-1", properties=person),
        seen(theirs, "page", 3, anonymous_id="g-1", user_id="M-1"),
    )

    (our_lead,) = leads_of(system, ours)
    (their_lead,) = leads_of(system, theirs)
    assert our_lead != their_lead
    assert counts(system, ours, our_lead) == {("identify", ""): 1}
    assert counts(system, theirs, our_lead) == {}
    assert counts(system, theirs, their_lead) == {("page", ""): 2, ("identify", ""): 1}
    assert system.container.behaviour_activity().leads_with(ours, "page") == set()


def test_the_timeline_ends_the_same_whichever_upstream_comes_first(system: Runtime) -> None:
    tenant_id = uuid4()
    take(
        system,
        seen(tenant_id, "page", 0, anonymous_id="h-1"),
        seen(tenant_id, "identify", 1, anonymous_id="h-1", properties={"email": "h@acme.cn"}),
        seen(tenant_id, "page", 2, anonymous_id="h-2", user_id="M-h"),
        seen(tenant_id, "identify", 3, anonymous_id="h-3", properties={"mobile": "13500135000"}),
        seen(tenant_id, "page", 4, anonymous_id="h-3", user_id="M-h"),
    )
    company = LeadScope.whole_company(tenant_id)
    # The e-mail's, the member id's and the mobile's (whose browser then logs in as the
    # member: its anonymous id follows the member's lead).
    first, second, third = leads_of(system, tenant_id)
    system.container.leads().merge(company, first, second, {})
    take(system, seen(tenant_id, "page", 5, anonymous_id="h-1"))

    def replayed(follows: tuple[str, ...]) -> list[tuple[Any, ...]]:
        prefix = f"test_timeline_{'_'.join(name[:3] for name in follows)}"
        tenants = RecordTenants(f"{prefix}_record_tenants")
        model = type(
            "Replayed",
            (BehaviourTimeline,),
            {
                "name": prefix,
                "prefix": prefix,
                "follows": follows,
                "tenants": tenants,
                "tables": {**stitched_tables(prefix, COLUMNS), **tenants.definition},
                "indexes": stitched_indexes(prefix),
            },
        )
        infrastructure = system.container.infrastructure()
        view = infrastructure.open_view(model, create_table=True)
        try:
            upstreams = [system.container.providers[name]() for name in follows]
            rebuild(model(view=view), view, upstreams)
            return [
                tuple(row.values())
                for row in view.rows(
                    f"SELECT position, lead_id, linked_by, kind, details FROM {prefix}_behaviours "
                    "WHERE tenant_id = ? ORDER BY position",
                    (str(tenant_id),),
                )
            ]
        finally:
            close_view(view)

    behaviours_first = replayed((BEHAVIOURS, "tracking", "leads"))
    behaviours_last = replayed(("leads", "tracking", BEHAVIOURS))
    assert behaviours_first == behaviours_last
    assert len(behaviours_first) == 6
    assert str(second) not in {row[1] for row in behaviours_first}  # merged away
    live = system.container.behaviour_timeline()
    on_leads = [
        (entry.position, str(lead_id))
        for lead_id in (first, second, third)
        for entry in live.activity(tenant_id, lead_id, before=None, limit=10)
    ]
    assert sorted(on_leads) == [(row[0], row[1]) for row in behaviours_first]


def test_the_shared_base_recognises_the_visitor_events_by_their_topics() -> None:
    from eventsourcing.utils import get_topic

    from application.shared.lead_behaviours import VISITOR_EVENTS
    from domain.tracking.visitor import Visitor

    assert {get_topic(Visitor.Identified), get_topic(Visitor.Reidentified)} == VISITOR_EVENTS
