"""WX-6 over HTTP: the material library synced from the account page by page, listed by
kind; an item WeChat no longer has leaves the library at the next sync."""

from __future__ import annotations

from datetime import UTC, datetime

from application.wechat.ports import Material
from tests.conftest import Api
from tests.e2e.wechat_support import ACCOUNTS, bind
from tests.settling import settle


def test_the_library_is_synced_by_kind_and_follows_deletions(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    account = bind(api, token, n=701)
    sandbox = api.runtime.container.wechat_api()
    at = datetime(2026, 11, 1, tzinfo=UTC)
    images = [
        Material(
            media_id=f"img-{i:02d}",
            kind="image",
            name=f"海报{i}.jpg",
            url=f"https://mmbiz.qpic.cn/{i}",
            updated_at=at,
        )
        for i in range(45)
    ]
    news = [
        Material(
            media_id="news-1",
            kind="news",
            updated_at=at,
            articles=({"title": "双十一活动", "url": "https://mp.weixin.qq.com/s/1"},),
        )
    ]
    sandbox.seed_materials(account["appid"], "image", images)
    sandbox.seed_materials(account["appid"], "news", news)
    url = f"{ACCOUNTS}/{account['id']}/materials"

    first = api.client.post(f"{url}/sync", headers=api.key(token))

    assert first.status_code == 200, first.text
    assert first.json()["counts"] == {"image": 45, "voice": 0, "video": 0, "news": 1}
    settle(api.runtime)
    listed = api.client.get(url, params={"kind": "image", "limit": 50}, headers=api.key(token))
    assert [m["media_id"] for m in listed.json()["items"]] == [m.media_id for m in images]
    [item] = api.client.get(url, params={"kind": "news"}, headers=api.key(token)).json()["items"]
    assert item["articles"][0]["title"] == "双十一活动"

    sandbox.seed_materials(account["appid"], "image", images[:40])
    api.client.post(f"{url}/sync", headers=api.key(token))
    settle(api.runtime)

    kept = api.client.get(url, params={"kind": "image", "limit": 50}, headers=api.key(token))
    assert len(kept.json()["items"]) == 40
    other = api.tenant_with_key("tenant_admin")[1]
    assert api.client.get(url, headers=api.key(other)).status_code == 404
    assert api.client.post(f"{url}/sync", headers=api.key(other)).status_code == 404
