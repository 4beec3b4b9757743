"""TRK-2 and TRK-5 over HTTP: promotion links redirect through `/s/{code}`, each click a
person makes is counted once (PV, UV per link, channel and employee), robots and
prefetches are sent on uncounted, a tampered code is 404 and counted nowhere; the
e-mail open pixel and click redirect record opens and clicks of the recipient lead."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.tracking.link_codes import LinkCodes
from entrypoints.public.links import PIXEL, VISITOR_COOKIE
from tests.conftest import Api

LINKS = "/api/v1/tracking/links"
BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40"
)
T = TypeVar("T")


def eventually(read: Callable[[], T], done: Callable[[T], bool], *, seconds: float = 10) -> T:
    """What `read` answers once `done` holds (followers of the log catch up shortly)."""
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = read()
    return value


@pytest.fixture
def tenant(api: Api) -> tuple[str, str]:
    return api.tenant_with_key("tenant_admin")


def make_link(api: Api, token: str, **body: Any) -> dict[str, Any]:
    answer = api.client.post(
        LINKS,
        json={"target_url": "https://www.acme.cn/spring?ref=x", "title": "春季发布会", **body},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def employee(api: Api, token: str, name: str = "韩梅梅") -> str:
    answer = api.client.post(
        "/api/v1/employees",
        json={"name": name, "roles": ["sales"]},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def visit(api: Api, path: str, *, user_agent: str = BROWSER, **headers: str) -> Any:
    api.client.cookies.clear()
    return api.client.get(
        path, headers={"User-Agent": user_agent, **headers}, follow_redirects=False
    )


def clicks_of(api: Api, tenant_id: str) -> list[Behaviour]:
    rows = api.runtime.container.behaviours().behaviours_of(UUID(tenant_id), limit=1000)
    return [row for row in rows if row.kind in (BehaviourKind.CLICK, BehaviourKind.OPEN)]


def stats(api: Api, token: str, link_id: str) -> dict[str, Any]:
    answer = api.client.get(f"{LINKS}/{link_id}/stats", headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["totals"])


def test_a_short_link_redirects_and_counts_each_click_once(api: Api, tenant: Any) -> None:
    tenant_id, token = tenant
    seller = employee(api, token)
    link = make_link(api, token, channel="朋友圈", employee_id=seller, utm_campaign="spring")
    assert link["short_url"].endswith(link["short_path"])

    first = visit(api, link["short_path"])

    assert first.status_code == 302
    target = urlsplit(first.headers["location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "www.acme.cn", "/spring")
    query = parse_qs(target.query)
    assert query["ref"] == ["x"] and query["hk_link"] == [link["code"]]
    assert query["utm_campaign"] == ["spring"]  # the target named no UTM of its own
    visitor = first.cookies[VISITOR_COOKIE]
    (click,) = clicks_of(api, tenant_id)
    assert click.channel == Channel.LINK and click.anonymous_id == visitor
    assert click.properties["link_id"] == link["id"]
    assert click.properties["channel_label"] == "朋友圈"
    assert click.properties["employee_id"] == seller
    assert click.properties["device"] == "mobile"
    assert click.context["campaign"] == {"name": "spring"}

    # The same visitor again (its cookie kept), then somebody else.
    again = api.client.get(
        link["short_path"],
        headers={"User-Agent": BROWSER},
        cookies={VISITOR_COOKIE: visitor},
        follow_redirects=False,
    )
    assert again.status_code == 302
    visit(api, link["short_path"])

    counted = eventually(lambda: stats(api, token, link["id"]), lambda s: s["clicks"] == 3)
    assert (counted["clicks"], counted["visitors"]) == (3, 2)
    assert len(clicks_of(api, tenant_id)) == 3
    channels = api.client.get("/api/v1/tracking/link-stats/channels", headers=api.key(token))
    assert [
        (g["key"], g["counts"]["clicks"], g["counts"]["visitors"]) for g in channels.json()
    ] == [("朋友圈", 3, 2)]
    employees = api.client.get("/api/v1/tracking/link-stats/employees", headers=api.key(token))
    assert [(g["key"], g["counts"]["clicks"]) for g in employees.json()] == [(seller, 3)]


@pytest.mark.parametrize(
    ("user_agent", "headers"),
    [
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", {}),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", {}),
        ("TelegramBot (like TwitterBot)", {}),
        ("WhatsApp/2.23.20.0 A", {}),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", {}),
        ("curl/8.5.0", {}),
        ("python-requests/2.32.3", {}),
        ("", {}),
        (BROWSER, {"Sec-Purpose": "prefetch"}),
        (BROWSER, {"Purpose": "prefetch"}),
        (BROWSER, {"X-Purpose": "preview"}),
    ],
)
def test_robots_and_prefetches_are_redirected_but_not_counted(
    api: Api, tenant: Any, user_agent: str, headers: dict[str, str]
) -> None:
    tenant_id, token = tenant
    link = make_link(api, token, channel="短信")

    answer = visit(api, link["short_path"], user_agent=user_agent, **headers)

    assert answer.status_code == 302 and "hk_link=" in answer.headers["location"]
    visit(api, link["short_path"])  # a person, so there is something to wait for
    counted = eventually(lambda: stats(api, token, link["id"]), lambda s: s["clicks"] >= 1)
    assert counted["clicks"] == 1
    assert len(clicks_of(api, tenant_id)) == 1


def test_a_head_request_is_redirected_but_not_counted(api: Api, tenant: Any) -> None:
    tenant_id, token = tenant
    link = make_link(api, token, channel="海报")
    answer = api.client.head(
        link["short_path"], headers={"User-Agent": BROWSER}, follow_redirects=False
    )
    assert answer.status_code == 302
    assert clicks_of(api, tenant_id) == []


def test_a_tampered_or_truncated_code_is_404_and_counted_nowhere(api: Api, tenant: Any) -> None:
    tenant_id, token = tenant
    link = make_link(api, token, channel="公众号")
    code = link["short_path"].removeprefix("/s/")
    swapped = code[:-1] + ("A" if code[-1] != "A" else "B")
    other_link = code[:3] + ("x" if code[3] != "x" else "y") + code[4:]
    for bad in (swapped, other_link, code[:-1], code + "0", "00000000000000", "%2e%2e"):
        answer = visit(api, f"/s/{bad}")
        assert answer.status_code == 404, (bad, answer.text)
        assert "location" not in answer.headers
    assert clicks_of(api, tenant_id) == []
    assert stats(api, token, link["id"])["clicks"] == 0


def test_an_archived_link_stops_redirecting(api: Api, tenant: Any) -> None:
    tenant_id, token = tenant
    link = make_link(api, token, channel="公众号")
    archived = api.client.post(
        f"{LINKS}/{link['id']}/archive",
        headers={**api.key(token), "If-Match": '"1"', "Prefer": "read-your-writes"},
    )
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert visit(api, link["short_path"]).status_code == 410
    assert clicks_of(api, tenant_id) == []
    listed = api.client.get(LINKS, headers=api.key(token)).json()["items"]
    assert link["id"] not in [item["id"] for item in listed]
    with_archived = api.client.get(
        LINKS, params={"include_archived": "true"}, headers=api.key(token)
    ).json()["items"]
    assert [item["id"] for item in with_archived] == [link["id"]]


def test_a_recipient_code_counts_the_click_as_the_leads_on_its_channel(
    api: Api, tenant: Any
) -> None:
    tenant_id, token = tenant
    link = make_link(api, token, channel="短信群发")
    lead_id = uuid.uuid4()
    codes: LinkCodes = api.runtime.container.link_codes()
    code = codes.for_recipient(link["code"], lead_id=lead_id, channel=Channel.SMS)

    assert visit(api, f"/s/{code}").status_code == 302
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert visit(api, f"/s/{tampered}").status_code in (302, 404)

    (click,) = [row for row in clicks_of(api, tenant_id) if row.lead_id == lead_id]
    assert click.channel == Channel.SMS and click.properties["link_id"] == link["id"]
    counted = eventually(lambda: stats(api, token, link["id"]), lambda s: s["clicks"] >= 1)
    assert counted["visitors"] == 1


def test_the_email_pixel_and_click_tokens_record_the_recipients_open_and_click(
    api: Api, tenant: Any
) -> None:
    tenant_id, _ = tenant
    lead_id = uuid.uuid4()
    codes: LinkCodes = api.runtime.container.link_codes()
    opened = codes.open_token(tenant_id=UUID(tenant_id), lead_id=lead_id, message_key="m-1")
    clicked = codes.click_token(
        tenant_id=UUID(tenant_id),
        lead_id=lead_id,
        message_key="m-1",
        url="https://www.acme.cn/offer?utm_campaign=双十一",
    )

    pixel = visit(api, f"/o/{opened}.gif")
    assert pixel.status_code == 200 and pixel.content == PIXEL
    assert pixel.headers["content-type"] == "image/gif"
    redirect = visit(api, f"/c/{clicked}")
    assert redirect.status_code == 302
    assert redirect.headers["location"] == (
        "https://www.acme.cn/offer?utm_campaign=%E5%8F%8C%E5%8D%81%E4%B8%80"
    )
    # Tampered tokens: the pixel still answers (mail clients show no error), nothing counted.
    other = "B" if opened.endswith("A") else "A"  # a changed last character, always
    assert visit(api, f"/o/{opened[:-1]}{other}.gif").content == PIXEL
    assert visit(api, f"/c/{clicked[:-2]}").status_code == 404

    rows = clicks_of(api, tenant_id)
    assert [(row.kind, row.channel, row.lead_id) for row in rows] == [
        (BehaviourKind.OPEN, Channel.EMAIL, lead_id),
        (BehaviourKind.CLICK, Channel.EMAIL, lead_id),
    ]
    assert rows[0].properties["message"] == "m-1"
    assert rows[1].properties["url"] == "https://www.acme.cn/offer?utm_campaign=双十一"
    assert rows[1].context["campaign"] == {"name": "双十一"}


def test_another_tenants_link_is_not_found_through_the_api(api: Api, tenant: Any) -> None:
    _, token = tenant
    link = make_link(api, token, channel="朋友圈")
    _, intruder = api.tenant_with_key("tenant_admin")
    for path in ("", "/stats", "/qr.png", "/qr.svg"):
        answer = api.client.get(f"{LINKS}/{link['id']}{path}", headers=api.key(intruder))
        assert answer.status_code == 404, (path, answer.text)
    archive = api.client.post(
        f"{LINKS}/{link['id']}/archive", headers={**api.key(intruder), "If-Match": '"1"'}
    )
    assert archive.status_code == 404
    listed = api.client.get(LINKS, headers=api.key(intruder)).json()["items"]
    assert listed == []


def test_qr_codes_of_a_link(api: Api, tenant: Any) -> None:
    _, token = tenant
    link = make_link(api, token, channel="海报")
    png = api.client.get(f"{LINKS}/{link['id']}/qr.png", headers=api.key(token))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = api.client.get(f"{LINKS}/{link['id']}/qr.svg", headers=api.key(token))
    assert svg.status_code == 200 and b"<svg" in svg.content
    assert svg.headers["content-type"].startswith("image/svg+xml")


def test_a_set_of_links_per_channel_and_employee(api: Api, tenant: Any) -> None:
    _, token = tenant
    sellers = [employee(api, token, "甲"), employee(api, token, "乙")]
    body = {
        "target_url": "https://www.acme.cn/form/1",
        "title": "报名表",
        "channels": ["朋友圈", "公众号"],
        "employee_ids": sellers,
    }
    headers = {**api.key(token), "Prefer": "read-your-writes", "Idempotency-Key": "set-1"}
    made = api.client.post(f"{LINKS}/batch", json=body, headers=headers)
    assert made.status_code == 201, made.text
    items = made.json()["items"]
    assert sorted((i["channel"], i["employee_id"]) for i in items) == sorted(
        (c, e) for c in ("朋友圈", "公众号") for e in sellers
    )
    assert len({item["code"] for item in items}) == 4
    again = api.client.post(f"{LINKS}/batch", json=body, headers=headers)
    assert again.status_code == 201
    assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in items]
    listed = api.client.get(LINKS, headers=api.key(token)).json()["items"]
    assert len(listed) == 4


def test_an_employee_of_another_tenant_is_refused(api: Api, tenant: Any) -> None:
    _, token = tenant
    _, other = api.tenant_with_key("tenant_admin")
    stranger = employee(api, other)
    answer = api.client.post(
        LINKS,
        json={
            "target_url": "https://www.acme.cn/",
            "title": "首页",
            "channel": "朋友圈",
            "employee_id": stranger,
        },
        headers=api.key(token),
    )
    assert answer.status_code == 422 and answer.json()["field"] == "employee_id"


@pytest.mark.parametrize(
    "target", ["javascript:alert(1)", "ftp://acme.cn/x", "https://", "/relative", "https://a b"]
)
def test_only_http_urls_are_targets(api: Api, tenant: Any, target: str) -> None:
    _, token = tenant
    answer = api.client.post(
        LINKS,
        json={"target_url": target, "title": "x", "channel": "朋友圈"},
        headers=api.key(token),
    )
    assert answer.status_code == 422 and answer.json()["field"] == "target_url"


def test_ad_campaigns_are_recorded_per_utm_campaign_once_switched_on(api: Api, tenant: Any) -> None:
    _, token = tenant
    settings = api.client.get("/api/v1/tracking/settings", headers=api.key(token))
    assert settings.json()["auto_ad_campaigns"] is False
    off = make_link(api, token, channel="百度", utm_campaign="before-switch")
    visit(api, off["short_path"])
    switched = api.client.put(
        "/api/v1/tracking/settings",
        json={"auto_ad_campaigns": True},
        headers={**api.key(token), "If-Match": settings.headers["etag"]},
    )
    assert switched.status_code == 200 and switched.json()["auto_ad_campaigns"] is True
    on = make_link(api, token, channel="百度", utm_source="baidu", utm_campaign="spring-sale")
    for _ in range(2):
        visit(api, on["short_path"])

    def campaigns() -> list[dict[str, Any]]:
        answer = api.client.get("/api/v1/tracking/ad-campaigns", headers=api.key(token))
        return list(answer.json()["items"])

    listed = eventually(campaigns, lambda c: bool(c) and c[0]["behaviours"] == 2)
    assert [(c["name"], c["source"], c["behaviours"]) for c in listed] == [
        ("spring-sale", "baidu", 2)
    ]
    stale = api.client.put(
        "/api/v1/tracking/settings",
        json={"auto_ad_campaigns": False},
        headers={**api.key(token), "If-Match": settings.headers["etag"]},
    )
    assert stale.status_code == 409
