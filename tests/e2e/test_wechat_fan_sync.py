"""Issue 18 item 3: the followers list and profiles synced from the account (user/get,
user/info/batchget) into the fan list; a sync makes no leads; the CLI shows progress."""

from __future__ import annotations

from datetime import UTC, datetime

from application.wechat.ports import FanProfile, FanTag
from tests.conftest import Api
from tests.e2e.wechat_support import ACCOUNTS, a_fan_wrote, bind
from tests.settling import settle


def account_tenant(api: Api, token: str) -> str:
    return str(api.client.get("/api/v1/tenant", headers=api.key(token)).json()["id"])


def test_synced_followers_show_with_their_profiles(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    account = bind(api, token, n=501)
    sandbox = api.runtime.container.wechat_api()
    openids = [f"oSync{i:03d}" for i in range(250)]
    sandbox.seed_followers(account["appid"], openids)
    followed_at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    sandbox.seed_profiles(
        account["appid"],
        [
            FanProfile(openid=o, subscribed=True, unionid=f"u-{o}", nickname=f"粉丝{o[-3:]}",
                       sex=2 if i % 2 else 1, province="广东", city="深圳" if i < 100 else "广州",
                       subscribed_at=followed_at, tag_ids=(101,) if i < 10 else ())
            for i, o in enumerate(openids)
        ],
    )  # fmt: skip

    answer = api.client.post(f"{ACCOUNTS}/{account['id']}/fans/sync", headers=api.key(token))

    assert answer.status_code == 200, answer.text
    assert answer.json()["followers"] == 250 and answer.json()["synced"] == 250
    settle(api.runtime)
    fan = api.client.get(f"{ACCOUNTS}/{account['id']}/fans/oSync005", headers=api.key(token))
    assert fan.status_code == 200, fan.text
    details = fan.json()
    assert details["subscribed"] is True and details["unionid"] == "u-oSync005"
    assert (details["province"], details["city"], details["sex"]) == ("广东", "深圳", 2)
    assert details["tag_ids"] == [101]
    assert details["subscribed_at"].startswith("2026-03-01T08:00")
    pages, cursor = 0, None
    seen: set[str] = set()
    while True:
        page = api.client.get(
            f"{ACCOUNTS}/{account['id']}/fans",
            params={"limit": 100, **({"cursor": cursor} if cursor else {})},
            headers=api.key(token),
        ).json()
        seen |= {f["openid"] for f in page["items"]}
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == set(openids) and pages == 3
    leads = api.client.get("/api/v1/leads", headers=api.key(token)).json()["items"]
    assert leads == []  # a sync makes no leads


def test_fans_tagged_from_huoke_are_tagged_at_wechat_and_show_it(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    account = bind(api, token, n=502)
    sandbox = api.runtime.container.wechat_api()
    sandbox.seed_tags(account["appid"], [FanTag(tag_id=101, name="展会客户", count=0)])
    openids = [a_fan_wrote(api, account_tenant(api, token), account["id"]) for _ in range(60)]
    settle(api.runtime)

    tags = api.client.get(f"{ACCOUNTS}/{account['id']}/tags", headers=api.key(token))
    tagged = api.client.post(
        f"{ACCOUNTS}/{account['id']}/fans/tag",
        json={"tag_id": 101, "openids": openids + openids[:5]},
        headers=api.key(token),
    )

    assert tags.json() == [{"tag_id": 101, "name": "展会客户", "count": 0}]
    assert tagged.status_code == 200 and tagged.json() == {"tag_id": 101, "tagged": 60}
    calls = [
        s for s in sandbox.sent() if s["appid"] == account["appid"] and s["call"] == "tag_fans"
    ]
    assert [len(c["openid_list"]) for c in calls] == [50, 10]
    settle(api.runtime)
    fan = api.client.get(f"{ACCOUNTS}/{account['id']}/fans/{openids[0]}", headers=api.key(token))
    assert fan.json()["tag_ids"] == [101]
