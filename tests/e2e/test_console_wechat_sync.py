"""Console pages that pull from WeChat on both stores: the material library (素材库) by
kind after "sync from WeChat", and the fans page's "sync fans" button listing the
followers WeChat holds; a role that may only read sees no button and is refused."""

from __future__ import annotations

from datetime import UTC, datetime

from application.wechat.ports import FanProfile, Material
from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.e2e.wechat_support import bind

BASE = "/console/wechat/accounts"


def _signed_in(api: Api, *roles: str) -> tuple[str, ConsoleSession]:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, *(roles or ("marketer",)), name="市场小王")
    return token, open_session(api, email)


def test_sync_the_material_library_and_the_fans(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=951)
    sandbox = api.runtime.container.wechat_api()
    updated = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    sandbox.seed_materials(
        account["appid"], "image", [Material("MEDIA-IMG-1", "image", "海报.png", "", updated)]
    )
    sandbox.seed_materials(
        account["appid"],
        "news",
        [Material("MEDIA-NEWS-1", "news", "", "", updated, ({"title": "双十一攻略"},))],
    )
    sandbox.seed_followers(account["appid"], ["oSyncA", "oSyncB"])
    sandbox.seed_profiles(
        account["appid"], [FanProfile("oSyncA", subscribed=True, nickname="小A", tag_ids=(101,))]
    )
    where = f"{BASE}/{account['id']}/materials"
    try:
        assert f'href="{where}"' in session.client.get(f"{BASE}/{account['id']}").text
        empty = session.client.get(where)
        assert empty.status_code == 200 and "还没有素材" in empty.text

        synced = session.post(f"{where}/sync", {})

        assert synced.status_code == 303, synced.text
        page = session.client.get(where).text
        assert "已从微信同步素材：图片 1，语音 0，视频 0，图文 1" in page
        assert "MEDIA-IMG-1" in page and "海报.png" in page and "双十一攻略" in page
        images = session.client.get(f"{where}?kind=image").text
        assert "MEDIA-IMG-1" in images and "MEDIA-NEWS-1" not in images

        fans = f"{BASE}/{account['id']}/fans"
        assert f'action="{fans}/sync"' in session.client.get(fans).text
        pulled = session.post(f"{fans}/sync", {})
        assert pulled.status_code == 303, pulled.text
        listed = session.client.get(fans).text
        assert "关注 2 人，更新资料 2 人" in listed
        assert "oSyncA" in listed and "oSyncB" in listed and "小A" in listed
    finally:
        session.close()


def test_a_reader_sees_no_sync_button_and_is_refused(api: Api) -> None:
    token, _marketer = _signed_in(api)
    _marketer.close()
    _employee, email = employee_login(api, token, "data_analyst", name="分析师")
    analyst = open_session(api, email)
    account = bind(api, token, n=952)
    where = f"{BASE}/{account['id']}/materials"
    fans = f"{BASE}/{account['id']}/fans"
    try:
        page = analyst.client.get(where)
        assert page.status_code == 200 and f"{where}/sync" not in page.text
        assert analyst.post(f"{where}/sync", {}).status_code == 403
        assert f"{fans}/sync" not in analyst.client.get(fans).text
        assert analyst.post(f"{fans}/sync", {}).status_code == 403
        calls = [s for s in api.runtime.container.wechat_api().sent()
                 if s["account_id"] == account["id"]]  # fmt: skip
        assert calls == []
    finally:
        analyst.close()


def test_the_new_pages_speak_english_when_asked(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=953)
    where = f"{BASE}/{account['id']}"
    session.client.cookies.set("huoke_lang", "en")
    try:
        assert (
            "New mass send"
            in session.client.get(f"/console/wechat/mass-sends?account={account['id']}").text
        )
        assert "Template messages" in session.client.get("/console/wechat/template-sends").text
        assert "Make a QR code" in session.client.get(f"{where}/qr-codes").text
        assert "Edit the menu" in session.client.get(f"{where}/menu").text
        assert "Sync material from WeChat" in session.client.get(f"{where}/materials").text
        assert "Sync fans from WeChat" in session.client.get(f"{where}/fans").text
        assert "Account sections" in session.client.get(where).text
    finally:
        session.close()
