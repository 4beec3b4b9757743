"""WX-6 over HTTP: a custom menu saved under WeChat's limits (the refusal names the
button), published to WeChat (the sandbox records `menu/create`'s body), and a click on
it arrives as the fan's behaviour that opens the 48-hour window."""

from __future__ import annotations

from tests.conftest import Api
from tests.e2e.wechat_support import ACCOUNTS, bind, event_xml, push
from tests.settling import settle

MENU = {
    "buttons": [
        {"name": "产品", "sub_button": [
            {"name": "价格", "type": "click", "key": "PRICE"},
            {"name": "官网", "type": "view", "url": "https://acme.cn/"},
        ]},
        {"name": "联系我们", "type": "click", "key": "CONTACT"},
    ]
}  # fmt: skip


def test_a_menu_is_saved_published_and_its_clicks_open_the_window(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    account = bind(api, token, n=601)
    url = f"{ACCOUNTS}/{account['id']}"

    unsaved = api.client.post(f"{url}/menu/publish", headers=api.key(token))
    saved = api.client.post(f"{url}/menu", json=MENU, headers={**api.key(token), "If-Match": '"1"'})
    published = api.client.post(f"{url}/menu/publish", headers=api.key(token))

    assert unsaved.status_code == 409 and "no menu" in unsaved.json()["detail"]
    assert saved.status_code == 200, saved.text
    assert saved.json()["published_menu"] == []
    assert (
        published.status_code == 200 and published.json()["published_menu"] == saved.json()["menu"]
    )
    [call] = [s for s in api.runtime.container.wechat_api().sent()
              if s["appid"] == account["appid"] and s["call"] == "menu"]  # fmt: skip
    assert call["button"][0]["sub_button"][0] == {"type": "click", "name": "价格", "key": "PRICE"}
    push(api, account, event_xml("oMenu1", "CLICK", key="PRICE"))
    push(api, account, event_xml("oMenu2", "VIEW", key="https://acme.cn/"))
    settle(api.runtime)
    clicked = api.client.get(f"{url}/fans/oMenu1", headers=api.key(token)).json()
    viewed = api.client.get(f"{url}/fans/oMenu2", headers=api.key(token)).json()
    assert clicked["last_interaction_at"] is not None  # a CLICK opens the window
    assert viewed["last_interaction_at"] is None  # a VIEW only opens a page


def test_a_menu_beyond_wechats_limits_is_refused_naming_the_button(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    account = bind(api, token, n=602)
    headers = {**api.key(token), "If-Match": '"1"'}
    too_many = {"buttons": [{"name": "一", "sub_button": [
        {"name": f"子{i}", "type": "click", "key": f"K{i}"} for i in range(6)]}]}  # fmt: skip
    long_name = {"buttons": [{"name": "这是一个很长的菜单名字", "type": "click", "key": "K"}]}

    url = f"{ACCOUNTS}/{account['id']}/menu"

    many = api.client.post(url, json=too_many, headers=headers)
    long = api.client.post(url, json=long_name, headers=headers)

    assert many.status_code == 422 and many.json()["field"] == "buttons.0.sub_button"
    assert long.status_code == 422 and long.json()["field"] == "buttons"
    assert "buttons[0].name must be 1 to 16 bytes" in long.json()["detail"]
    account_now = api.client.get(f"{ACCOUNTS}/{account['id']}", headers=api.key(token)).json()
    assert account_now["menu"] == [] and account_now["version"] == 1
