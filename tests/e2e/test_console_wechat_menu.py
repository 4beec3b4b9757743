"""Console pages of the custom menu (自定义菜单; WX-6) on both stores: three fixed rows with
five sub rows each, saved as a draft (blank rows left out), a refusal naming the button
by what was typed next to its field and nothing saved, the draft beside what fans see,
publishing after a confirmation step (WeChat's menu/create recorded); sales read the
menu but may neither save nor publish."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.e2e.wechat_support import ACCOUNTS, bind

BASE = "/console/wechat/accounts"


def _signed_in(api: Api, *roles: str) -> tuple[str, ConsoleSession]:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, *(roles or ("marketer",)), name="市场小王")
    return token, open_session(api, email)


def _account(api: Api, token: str, account_id: str) -> dict[str, Any]:
    answer = api.client.get(f"{ACCOUNTS}/{account_id}", headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _menu(version: int, **rows: str) -> dict[str, str]:
    # A browser sends every row's type select, blank rows too.
    types = {f"b{i}{sub}_type": "click" for i in range(3)
             for sub in ("", *(f"_s{j}" for j in range(5)))}  # fmt: skip
    return {**types, "version": str(version), "b0_name": "官网", "b0_type": "view",
            "b0_value": "https://acme.cn/", "b1_name": "课程", "b1_s0_name": "体验课",
            "b1_s0_type": "click", "b1_s0_value": "TRIAL", "b1_s1_name": "价目表",
            "b1_s1_type": "view", "b1_s1_value": "https://acme.cn/price", **rows}  # fmt: skip


def test_save_a_draft_see_it_beside_the_live_menu_and_publish_it(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=901)
    where = f"{BASE}/{account['id']}/menu"
    try:
        editor = session.client.get(where)
        assert editor.status_code == 200 and 'name="b2_s4_value"' in editor.text
        assert f'href="{where}"' in session.client.get(f"{BASE}/{account['id']}").text

        saved = session.post(where, _menu(account["version"]))

        assert saved.status_code == 303, saved.text
        details = _account(api, token, account["id"])
        assert details["menu"] == [
            {"type": "view", "name": "官网", "url": "https://acme.cn/"},
            {"name": "课程", "sub_button": [
                {"type": "click", "name": "体验课", "key": "TRIAL"},
                {"type": "view", "name": "价目表", "url": "https://acme.cn/price"}]},
        ]  # fmt: skip
        assert details["published_menu"] == []
        page = session.client.get(where).text
        assert "菜单草稿已保存" in page and "草稿未发布" in page
        assert 'value="TRIAL"' in page and f'href="{where}/publish"' in page

        confirm = session.client.get(f"{where}/publish")
        assert confirm.status_code == 200 and "替换粉丝现在看到的菜单" in confirm.text
        published = session.post(f"{where}/publish", {"version": str(details["version"])})
        assert published.status_code == 303, published.text
        assert _account(api, token, account["id"])["published_menu"] == details["menu"]
        menus = [
            s for s in api.runtime.container.wechat_api().sent()
            if s["call"] == "menu" and s["account_id"] == account["id"]
        ]  # fmt: skip
        assert [m["button"] for m in menus] == [details["menu"]]
        after = session.client.get(where).text
        assert "草稿已发布" in after and f'href="{where}/publish"' not in after
    finally:
        session.close()


def test_a_refused_menu_names_the_button_and_saves_nothing(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=902)
    where = f"{BASE}/{account['id']}/menu"
    try:
        bad_url = session.post(where, _menu(account["version"], b1_s1_value="acme.cn/price"))
        assert bad_url.status_code == 422
        assert 'id="e-b1_s1_value"' in bad_url.text and "「价目表」" in bad_url.text
        assert "http:// 或 https://" in bad_url.text
        assert 'value="acme.cn/price"' in bad_url.text  # what was typed stays
        long_name = session.post(where, _menu(account["version"], b0_name="官方网站首页"))
        assert long_name.status_code == 422 and 'id="e-b0_name"' in long_name.text
        assert "16 个字节" in long_name.text
        no_key = session.post(where, _menu(account["version"], b1_s0_value=""))
        assert no_key.status_code == 422 and 'id="e-b1_s0_value"' in no_key.text
        empty = session.post(where, {"version": str(account["version"])})
        assert empty.status_code == 422 and 'role="alert"' in empty.text
        assert _account(api, token, account["id"])["menu"] == []
        nothing = session.post(f"{where}/publish", {"version": str(account["version"])})
        assert nothing.status_code == 409 and 'role="alert"' in nothing.text
    finally:
        session.close()


def test_sales_read_the_menu_but_may_not_save_or_publish(api: Api) -> None:
    token, marketer = _signed_in(api)
    _employee, email = employee_login(api, token, "sales", name="销售小李")
    sales = open_session(api, email)
    account = bind(api, token, n=903)
    where = f"{BASE}/{account['id']}/menu"
    try:
        assert marketer.post(where, _menu(account["version"])).status_code == 303
        page = sales.client.get(where)
        assert page.status_code == 200 and "体验课" in page.text
        assert f'action="{where}"' not in page.text and f"{where}/publish" not in page.text
        version = str(_account(api, token, account["id"])["version"])
        assert sales.post(where, _menu(int(version), b0_name="改")).status_code == 403
        assert sales.client.get(f"{where}/publish").status_code == 403
        assert sales.post(f"{where}/publish", {"version": version}).status_code == 403
        assert _account(api, token, account["id"])["published_menu"] == []
    finally:
        for session in (marketer, sales):
            session.close()
