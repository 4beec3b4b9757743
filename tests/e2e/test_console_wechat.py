"""Console pages of WeChat Official Accounts on both stores: the accounts with the bind
form (field errors, keys never shown back), an account's server configuration, name,
auto-replies, templates and unbinding after a confirmation; the fans with the 48-hour
window; a fan's conversation whose reply is sent within the window and refused, the
rule named on the form, outside it; the API's permissions (sales read and reply only)."""

from __future__ import annotations

import html
import re
import secrets
import time
from typing import Any

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.e2e.wechat_support import (
    AES_KEY,
    TOKEN,
    appid_for,
    bind,
    event_xml,
    push,
    sent_by,
    text_xml,
)
from tests.settling import settle

BASE = "/console/wechat/accounts"
HOUR = 3600


def _signed_in(api: Api, *roles: str) -> tuple[str, ConsoleSession]:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, *(roles or ("marketer",)), name="市场小王")
    return token, open_session(api, email)


def _person(api: Api, token: str, *roles: str) -> ConsoleSession:
    _employee, email = employee_login(api, token, *roles, name="销售小李")
    return open_session(api, email)


def _bind_form(n: int, **fields: str) -> dict[str, str]:
    return {
        "name": "华东服务号",
        "appid": appid_for(n),
        "app_secret": secrets.token_hex(16),
        "callback_token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "kind": "service",
        "verified": "1",
        **fields,
    }


def _accounts(api: Api, token: str) -> list[dict[str, Any]]:
    answer = api.client.get("/api/v1/wechat/accounts", headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _account(api: Api, token: str, account_id: str) -> dict[str, Any]:
    answer = api.client.get(f"/api/v1/wechat/accounts/{account_id}", headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_binding_shows_the_server_configuration_and_never_the_keys(api: Api) -> None:
    token, session = _signed_in(api)
    try:
        empty = session.client.get(BASE)
        assert empty.status_code == 200 and "还没有绑定公众号" in empty.text
        assert 'action="/console/wechat/accounts/new"' in empty.text

        form = _bind_form(101)
        made = session.post(f"{BASE}/new", form)

        assert made.status_code == 303, made.text
        where = made.headers["location"]
        account_id = where.rsplit("/", 1)[1]
        page = session.client.get(where)
        assert page.status_code == 200 and "公众号已绑定" in page.text
        assert f'value="http://127.0.0.1:8000/callbacks/wechat/{account_id}"' in page.text
        assert "安全模式" in page.text and "EncodingAESKey" in page.text
        listed = session.client.get(BASE)
        assert appid_for(101) in listed.text and "服务号" in listed.text
        for shown in (page, listed):
            for secret in (form["app_secret"], TOKEN, AES_KEY):
                assert secret not in shown.text
        assert [a["id"] for a in _accounts(api, token)] == [account_id]

        again = session.post(f"{BASE}/new", _bind_form(101, name="重复"))
        assert again.status_code == 422 and 'id="e-appid"' in again.text
        assert len(_accounts(api, token)) == 1
    finally:
        session.close()


def test_a_bind_form_with_errors_names_the_field_and_binds_nothing(api: Api) -> None:
    token, session = _signed_in(api)
    try:
        form = _bind_form(102, appid="wx12", app_secret="short", kind="fax")
        refused = session.post(f"{BASE}/new", form)

        assert refused.status_code == 422
        for name in ("appid", "app_secret", "kind"):
            assert f'id="e-{name}"' in refused.text, name
        assert 'aria-describedby="e-appid"' in refused.text
        assert 'value="华东服务号"' in refused.text  # what was typed, the keys aside
        assert "short" not in refused.text and AES_KEY not in refused.text
        assert _accounts(api, token) == []
    finally:
        session.close()


def test_settings_auto_replies_templates_and_unbinding(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=103, verified=False)
    where = f"{BASE}/{account['id']}"
    try:
        saved = session.post(
            f"{where}/settings", {"name": "华东服务号 2026", "verified": "1", "version": "1"}
        )
        assert saved.status_code == 303, saved.text
        stale = session.post(f"{where}/settings", {"name": "旧名", "version": "1"})
        assert stale.status_code == 409 and "记录刚被其他人修改" in stale.text
        details = _account(api, token, account["id"])
        assert (details["name"], details["verified"]) == ("华东服务号 2026", True)
        version = str(details["version"])

        typed = "价格|contains|看价目表\n没有竖线"
        bad = session.post(
            f"{where}/auto-replies",
            {"follow_reply": "欢迎", "keyword_replies": typed, "version": version},
        )
        assert bad.status_code == 422 and 'id="e-keyword_replies"' in bad.text
        assert "第 2 行" in bad.text and "没有竖线" in bad.text  # what was typed
        too_long = session.post(
            f"{where}/auto-replies",
            {"keyword_replies": "\n" + "长" * 31 + "|回复", "version": version},
        )
        assert too_long.status_code == 422 and "第 2 行：关键词" in too_long.text
        assert _account(api, token, account["id"])["follow_reply"] == ""

        rules = "价格|contains|回复「套餐」看价目表\n你好|您好！"
        replies = session.post(
            f"{where}/auto-replies",
            {"follow_reply": "欢迎关注！", "keyword_replies": rules, "version": version},
        )
        assert replies.status_code == 303, replies.text
        details = _account(api, token, account["id"])
        assert details["follow_reply"] == "欢迎关注！"
        assert details["keyword_replies"] == [
            {"keyword": "价格", "match": "contains", "reply": "回复「套餐」看价目表"},
            {"keyword": "你好", "match": "exact", "reply": "您好！"},
        ]
        page = html.unescape(session.client.get(where).text)
        assert "价格|contains|回复「套餐」看价目表\n你好|exact|您好！" in page

        version = str(details["version"])
        no_fields = session.post(
            f"{where}/templates", {"template_id": "T1", "title": "预约成功", "version": version}
        )
        assert no_fields.status_code == 422 and 'id="e-fields"' in no_fields.text
        added = session.post(
            f"{where}/templates",
            {"template_id": "T1", "title": "预约成功", "fields": "first, keyword1，remark",
             "version": version},
        )  # fmt: skip
        assert added.status_code == 303, added.text
        details = _account(api, token, account["id"])
        assert details["templates"] == [
            {"template_id": "T1", "title": "预约成功", "fields": ["first", "keyword1", "remark"]}
        ]
        listed = session.client.get(BASE)
        assert re.search(r'<td class="numeric">\s*1\s*</td>', listed.text)
        removed = session.post(
            f"{where}/templates/remove", {"template_id": "T1", "version": str(details["version"])}
        )
        assert removed.status_code == 303 and _account(api, token, account["id"])["templates"] == []

        version = str(_account(api, token, account["id"])["version"])
        confirm = session.client.get(f"{where}/unbind")
        assert confirm.status_code == 200 and "回调地址答复 404" in confirm.text
        no_reason = session.post(f"{where}/unbind", {"version": version, "reason": ""})
        assert no_reason.status_code == 422 and "请填写原因" in no_reason.text
        assert _account(api, token, account["id"])["unbound"] is False
        unbound = session.post(f"{where}/unbind", {"version": version, "reason": "账号迁移"})
        assert unbound.status_code == 303, unbound.text
        assert _account(api, token, account["id"])["unbound"] is True
        after = session.client.get(where)
        assert "已解绑" in after.text and "账号迁移" in after.text  # its history
        assert f"{where}/unbind" not in after.text and f"{where}/settings" not in after.text
        assert appid_for(103) not in session.client.get(BASE).text
        assert appid_for(103) in session.client.get(f"{BASE}?unbound=1").text
    finally:
        session.close()


def test_sales_read_fans_and_reply_but_may_not_bind(api: Api) -> None:
    token, marketer = _signed_in(api)
    sales = _person(api, token, "sales")
    analyst = _person(api, token, "data_analyst")
    account = bind(api, token, n=104)
    push(api, account, event_xml("oFanSales", "subscribe"))
    push(api, account, text_xml("oFanSales", "想了解价格", "6100000000010400"))
    settle(api.runtime)
    where = f"{BASE}/{account['id']}"
    fan = f"{where}/fans/oFanSales"
    try:
        nav = sales.client.get("/console")
        assert 'href="/console/wechat/accounts"' in nav.text
        listed = sales.client.get(BASE)
        assert listed.status_code == 200 and appid_for(104) in listed.text
        assert f"{BASE}/new" not in listed.text  # no bind form
        refused = sales.post(f"{BASE}/new", _bind_form(105))
        assert refused.status_code == 403 and "无权访问" in refused.text
        assert len(_accounts(api, token)) == 1
        page = sales.client.get(where)
        assert f"{where}/settings" not in page.text and f"{where}/unbind" not in page.text
        assert sales.post(f"{where}/unbind", {"version": "1", "reason": "x"}).status_code == 403

        fans = sales.client.get(f"{where}/fans")
        assert fans.status_code == 200 and "oFanSales" in fans.text
        assert "关注" in fans.text and re.search(r"剩余 4[78] 小时", fans.text)
        conversation = sales.client.get(fan)
        assert "想了解价格" in conversation.text and f'action="{fan}/reply"' in conversation.text

        replied = sales.post(f"{fan}/reply", {"text": "您好，价目表发您"})
        assert replied.status_code == 303, replied.text
        shown = sales.client.get(replied.headers["location"].split("#")[0])
        assert "已发送" in shown.text and "您好，价目表发您" in shown.text
        assert [s["message"]["text"] for s in sent_by(api, account, to="oFanSales")] == [
            "您好，价目表发您"
        ]

        assert 'action="/console/wechat' not in analyst.client.get(fan).text  # reads only
        assert analyst.post(f"{fan}/reply", {"text": "x"}).status_code == 403
        assert len(sent_by(api, account, to="oFanSales")) == 1
        assert marketer.client.get(fan).status_code == 200
    finally:
        for session in (marketer, sales, analyst):
            session.close()


def test_a_reply_outside_the_48_hour_window_is_refused_naming_the_rule(api: Api) -> None:
    token, session = _signed_in(api, "sales")
    account = bind(api, token, n=106)
    late = int(time.time()) - 49 * HOUR
    push(api, account, text_xml("oFanLate", "还在吗", "6100000000010600", at=late))
    settle(api.runtime)
    fan = f"{BASE}/{account['id']}/fans/oFanLate"
    try:
        fans = session.client.get(f"{BASE}/{account['id']}/fans")
        assert "oFanLate" in fans.text and "已过期" in fans.text

        refused = session.post(f"{fan}/reply", {"text": "在的，您好"})

        assert refused.status_code == 409
        assert 'role="alert"' in refused.text
        assert "48 小时内发送（WX-3）" in refused.text and "1 小时" in refused.text
        assert "在的，您好" in refused.text  # what was typed stays in the form
        assert sent_by(api, account, to="oFanLate") == []
        settle(api.runtime)
        assert "在的，您好" not in session.client.get(fan).text
        empty = session.post(f"{fan}/reply", {"text": ""})
        assert empty.status_code == 422 and 'id="e-text"' in empty.text
    finally:
        session.close()


def test_the_fans_filter_follows_and_leavers(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=107)
    push(api, account, event_xml("oFanStays", "subscribe"))
    push(api, account, event_xml("oFanLeaves", "subscribe"))
    push(api, account, event_xml("oFanLeaves", "unsubscribe"))
    settle(api.runtime)
    fans = f"{BASE}/{account['id']}/fans"
    try:
        following = session.client.get(f"{fans}?status=following").text
        left = session.client.get(f"{fans}?status=left").text
        assert "oFanStays" in following and "oFanLeaves" not in following
        assert "oFanLeaves" in left and "oFanStays" not in left and "已取关" in left
        assert session.client.get(f"{fans}/oFanNobody").status_code == 404
    finally:
        session.close()


def test_the_pages_speak_english_when_asked(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=108)
    late = int(time.time()) - 50 * HOUR
    push(api, account, text_xml("oFanEnglish", "hello", "6100000000010800", at=late))
    settle(api.runtime)
    where = f"{BASE}/{account['id']}"
    session.client.cookies.set("huoke_lang", "en")
    try:
        assert "Bind an Official Account" in session.client.get(BASE).text
        assert "Server configuration" in session.client.get(where).text
        assert "Expired" in session.client.get(f"{where}/fans").text
        refused = session.post(f"{where}/fans/oFanEnglish/reply", {"text": "hi"})
        assert refused.status_code == 409
        assert "allowed only within 48 hours" in html.unescape(refused.text)
    finally:
        session.close()
