"""Console pages of WeChat template messages (模板消息; WX-5) on both stores: a marketer
chooses a template of the account, fills each of its fields, the landing page and the
fans, and the send's page shows each fan's result, WeChat's TEMPLATESENDJOBFINISH
included; a missing field is named and nothing is sent; an unverified account is
refused naming the rule; sales may not send, sales managers only read."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.e2e.wechat_support import ACCOUNTS, bind, event_xml, push, sent_by
from tests.settling import settle

SENDS = "/console/wechat/template-sends"
TEMPLATES = "/api/v1/wechat/template-sends"


def _signed_in(api: Api, *roles: str) -> tuple[str, ConsoleSession]:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, *(roles or ("marketer",)), name="市场小王")
    return token, open_session(api, email)


def _account(api: Api, token: str, n: int, *, verified: bool = True) -> dict[str, Any]:
    account = bind(api, token, n=n, verified=verified)
    if not verified:  # WeChat lets only verified service accounts add templates
        return account
    added = api.client.post(
        f"{ACCOUNTS}/{account['id']}/templates",
        json={"template_id": "TPL-1", "title": "预约成功", "fields": ["first", "keyword1"]},
        headers={**api.key(token), "If-Match": f'"{account["version"]}"'},
    )
    assert added.status_code == 200, added.text
    return account


def _sends(api: Api, token: str) -> list[dict[str, Any]]:
    answer = api.client.get(TEMPLATES, headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _form(account: dict[str, Any], **fields: str) -> dict[str, str]:
    return {"account_id": account["id"], "template_id": "TPL-1", "data_first": "{{openid}}，您好",
            "data_keyword1": "周三 14:00", "url": "https://acme.cn/l/42", "openids": "oBooked",
            **fields}  # fmt: skip


def _run_pipeline(api: Api) -> None:
    dispatch = api.runtime.container.wechat_dispatch()
    for _ in range(20):
        if not dispatch.run_once().busy:
            break
    settle(api.runtime)


def test_choose_a_template_fill_it_send_it_and_see_each_fans_result(api: Api) -> None:
    token, session = _signed_in(api)
    account = _account(api, token, 801)
    push(api, account, event_xml("oBooked", "subscribe"))
    settle(api.runtime)
    try:
        account_page = session.client.get(f"/console/wechat/accounts/{account['id']}")
        assert f'href="{SENDS}?account={account["id"]}"' in account_page.text
        listed = session.client.get(f"{SENDS}?account={account['id']}")
        assert listed.status_code == 200 and "还没有发送过模板消息" in listed.text
        assert '<option value="TPL-1"' in listed.text
        form = session.client.get(f"{SENDS}/new?account={account['id']}&template=TPL-1")
        assert form.status_code == 200
        assert 'id="f-data_first"' in form.text and 'id="f-data_keyword1"' in form.text

        sent = session.post(f"{SENDS}/new", _form(account))

        assert sent.status_code == 303, sent.text
        where = sent.headers["location"]
        page = session.client.get(where)
        flash = re.search(r'class="flash[^"]*">([^<]*)', page.text)
        assert "发给 1 位粉丝，0 位跳过" in page.text, flash.group(1) if flash else "no flash"
        assert "预约成功" in page.text
        _run_pipeline(api)
        page = session.client.get(where)
        assert "已发送" in page.text and "oBooked" in page.text
        assert "https://acme.cn/l/42" in page.text
        [message] = sent_by(api, account, "template", to="oBooked")
        assert message["data"]["first"] == "oBooked，您好"
        report = (
            "<xml><ToUserName><![CDATA[gh_huoke]]></ToUserName>"
            "<FromUserName><![CDATA[oBooked]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>"
            f"<MsgID>{message['msgid']}</MsgID><Status><![CDATA[failed:user block]]></Status>"
            "</xml>"
        )
        assert push(api, account, report).status_code == 200
        settle(api.runtime)
        assert "failed:user block" in session.client.get(where).text
        assert "预约成功" in session.client.get(f"{SENDS}?account={account['id']}").text
    finally:
        session.close()


def test_a_missing_field_is_named_and_an_unverified_account_refused(api: Api) -> None:
    token, session = _signed_in(api)
    account = _account(api, token, 802)
    unverified = _account(api, token, 803, verified=False)
    try:
        missing = session.post(f"{SENDS}/new", _form(account, data_keyword1=""))
        assert missing.status_code == 422 and 'id="e-data_keyword1"' in missing.text
        assert "{{openid}}，您好" in missing.text  # what was typed stays
        bad_tag = session.post(f"{SENDS}/new", _form(account, openids="", include_tag_ids="x"))
        assert bad_tag.status_code == 422 and 'id="e-include_tag_ids"' in bad_tag.text
        refused = session.post(f"{SENDS}/new", _form(unverified))
        assert refused.status_code == 409 and 'role="alert"' in refused.text
        form = session.client.get(f"{SENDS}/new?account={unverified['id']}&template=TPL-1")
        assert "仅已认证的服务号可用" in form.text
        assert _sends(api, token) == []
    finally:
        session.close()


def test_sales_may_not_send_and_sales_managers_only_read(api: Api) -> None:
    token, marketer = _signed_in(api)
    _e, sales_email = employee_login(api, token, "sales", name="销售小李")
    _m, manager_email = employee_login(api, token, "sales_manager", name="销售经理")
    sales, manager = open_session(api, sales_email), open_session(api, manager_email)
    account = _account(api, token, 804)
    try:
        where = marketer.post(f"{SENDS}/new", _form(account)).headers["location"]

        assert manager.client.get(where).status_code == 200
        listed = manager.client.get(f"{SENDS}?account={account['id']}")
        assert listed.status_code == 200 and f'action="{SENDS}/new"' not in listed.text
        assert manager.client.get(f"{SENDS}/new?account={account['id']}").status_code == 403
        assert manager.post(f"{SENDS}/new", _form(account)).status_code == 403
        for path in (SENDS, where):
            assert sales.client.get(path).status_code == 403, path
        assert sales.post(f"{SENDS}/new", _form(account)).status_code == 403
        assert len(_sends(api, token)) == 1
    finally:
        for session in (marketer, sales, manager):
            session.close()
