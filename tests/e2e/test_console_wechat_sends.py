"""Console pages of WeChat mass sends (群发; WX-3, WX-4) on both stores: a marketer drafts
a send to a tag, previews it to one fan, sends it after the confirmation step; a fan
who already had 4 mass messages this month is listed as skipped with the cap named, and
WeChat's pushed MASSSENDJOBFINISH shows as the results; a draft with mistakes names
each field and drafts nothing; a subscription account's second send of the day is
refused naming the rule; who may draft, read or nothing at all."""

from __future__ import annotations

import html
import re
import time
from typing import Any

from application.wechat.ports import FanProfile
from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.e2e.wechat_support import appid_for, bind, event_xml, push
from tests.settling import settle

SENDS = "/console/wechat/mass-sends"
MASS = "/api/v1/wechat/mass-sends"
TEXT = {"kind": "text", "text": "会员日全场五折"}


def _signed_in(api: Api, *roles: str) -> tuple[str, ConsoleSession]:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, *(roles or ("marketer",)), name="市场小王")
    return token, open_session(api, email)


def _person(api: Api, token: str, *roles: str) -> ConsoleSession:
    _employee, email = employee_login(api, token, *roles, name="销售经理")
    return open_session(api, email)


def _follow(api: Api, account: dict[str, Any], *openids: str) -> None:
    for openid in openids:
        assert push(api, account, event_xml(openid, "subscribe")).status_code == 200
    settle(api.runtime)


def _tag(api: Api, account: dict[str, Any], token: str, tags: dict[str, tuple[int, ...]]) -> None:
    """WeChat's profiles of the fans with their tags, pulled in by a fan sync."""
    sandbox = api.runtime.container.wechat_api()
    sandbox.seed_followers(account["appid"], sorted(tags))
    sandbox.seed_profiles(
        account["appid"],
        [FanProfile(openid, subscribed=True, tag_ids=ids) for openid, ids in tags.items()],
    )
    synced = api.client.post(
        f"/api/v1/wechat/accounts/{account['id']}/fans/sync", headers=api.key(token)
    )
    assert synced.status_code == 200, synced.text
    settle(api.runtime)


def _until_tagged(api: Api, token: str, account: dict[str, Any], openid: str, tag: int) -> None:
    """Until the fan list shows the synced fan's tag (the sync's profiles reach it
    through the behaviour log, a moment after the sync answers)."""
    where = f"/api/v1/wechat/accounts/{account['id']}/fans/{openid}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = api.client.get(where, headers=api.key(token))
        if answer.status_code == 200 and tag in answer.json()["tag_ids"]:
            return
        time.sleep(0.1)
        settle(api.runtime)
    raise AssertionError(f"{openid} never showed tag {tag}")


def _run_pipeline(api: Api) -> None:
    dispatch = api.runtime.container.wechat_dispatch()
    for _ in range(20):
        if not dispatch.run_once().busy:
            break
    settle(api.runtime)


def _api_send(api: Api, token: str, account: dict[str, Any], **body: Any) -> dict[str, Any]:
    made = api.client.post(
        MASS,
        json={"account_id": account["id"], "name": "早先的群发", "message": TEXT, **body},
        headers=api.key(token),
    )
    assert made.status_code == 201, made.text
    sent = api.client.post(f"{MASS}/{made.json()['id']}/send", headers=api.key(token))
    assert sent.status_code == 202, sent.text
    return dict(sent.json())


def _sends(api: Api, token: str) -> list[dict[str, Any]]:
    answer = api.client.get(MASS, headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _draft_form(account: dict[str, Any], **fields: str) -> dict[str, str]:
    return {
        "account_id": account["id"],
        "name": "十一月会员日",
        "mode": "normal",
        "include_tag_ids": "101",
        "kind": "text",
        "text": "会员日全场五折",
        **fields,
    }


def _flash(text: str) -> str:
    found = re.search(r'id="flash"[^>]*>(.*?)</', text, re.S)
    return found.group(1).strip() if found else "no flash"


def _finished(msg_id: str, total: int) -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_huoke]]></ToUserName>"
        "<FromUserName><![CDATA[oSystem]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>{msg_id}</MsgID>"
        f"<Status><![CDATA[send success]]></Status><TotalCount>{total}</TotalCount>"
        f"<FilterCount>{total}</FilterCount><SentCount>{total}</SentCount>"
        "<ErrorCount>0</ErrorCount></xml>"
    )


def test_draft_preview_send_a_fifth_skipped_with_the_cap_named_and_the_results(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=601)
    _tag(api, account, token, {"oCapped": (101,)})
    for _ in range(4):  # oCapped has 4 this month; oFresh and oOther follow after them
        _api_send(api, token, account)
    _run_pipeline(api)
    _tag(api, account, token, {"oCapped": (101,), "oFresh": (101,), "oOther": (202,)})
    _until_tagged(api, token, account, "oFresh", 101)
    try:
        listed = session.client.get(f"{SENDS}?account={account['id']}")
        assert listed.status_code == 200 and "早先的群发" in listed.text
        assert f'action="{SENDS}/new"' in listed.text
        account_page = session.client.get(f"/console/wechat/accounts/{account['id']}")
        assert f'href="{SENDS}?account={account["id"]}"' in account_page.text

        made = session.post(f"{SENDS}/new", _draft_form(account))

        assert made.status_code == 303, made.text
        where = made.headers["location"]
        draft = session.client.get(where)
        assert draft.status_code == 200 and "群发草稿已保存" in draft.text
        assert "草稿" in draft.text and "包含 · 标签：101" in draft.text
        assert f'action="{where}/preview"' in draft.text and f'href="{where}/send"' in draft.text

        previewed = session.post(f"{where}/preview", {"openid": "oMe"})
        assert previewed.status_code == 303, previewed.text
        assert "预览已发送给 oMe" in session.client.get(previewed.headers["location"]).text
        previews = [
            s for s in api.runtime.container.wechat_api().sent()
            if s["call"] == "mass_preview" and s["account_id"] == account["id"]
        ]  # fmt: skip
        assert [p["touser"] for p in previews] == ["oMe"]

        confirm = session.client.get(f"{where}/send")
        assert confirm.status_code == 200 and "每位粉丝每月最多收到 4 条群发" in confirm.text
        assert 'name="version" value="1"' in confirm.text
        sent = session.post(f"{where}/send", {"version": "1"})

        assert sent.status_code == 303, sent.text
        shown = session.client.get(where)
        assert "发给 1 位粉丝，1 位跳过" in shown.text, _flash(shown.text)
        assert "本月已收到 4 条群发（服务号粉丝每月最多 4 条，WX-4）：1 位" in shown.text
        skipped = session.client.get(f"{where}?state=skipped").text
        assert "oCapped" in skipped and "oFresh" not in skipped and "oOther" not in skipped
        assert "本月已收到 4 条群发" in skipped
        again = session.post(f"{where}/send", {"version": "2"})
        assert again.status_code == 409  # sent already: nothing sent twice

        _run_pipeline(api)
        send_id = where.rsplit("/", 1)[1]
        msg_id = api.client.get(f"{MASS}/{send_id}", headers=api.key(token)).json()["msg_ids"][0]
        assert push(api, account, _finished(msg_id, 1)).status_code == 200
        settle(api.runtime)
        results = session.client.get(where).text
        assert msg_id in results and "send success" in results and "已发送" in results
        assert f'href="{where}/send"' not in results  # a sent send is not sent again
    finally:
        session.close()


def test_a_draft_with_mistakes_names_each_field_and_drafts_nothing(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=602)
    try:
        refused = session.post(
            f"{SENDS}/new",
            _draft_form(account, name="", include_tag_ids="会员", text="", followed_from="昨天"),
        )

        assert refused.status_code == 422
        for name in ("include_tag_ids", "followed_from"):
            assert f'id="e-{name}"' in refused.text, name
        assert 'value="会员"' in refused.text  # what was typed stays
        no_text = session.post(f"{SENDS}/new", _draft_form(account, text=""))
        assert no_text.status_code == 422 and 'id="e-text"' in no_text.text
        no_name = session.post(f"{SENDS}/new", _draft_form(account, name=""))
        assert no_name.status_code == 422 and 'id="e-name"' in no_name.text
        no_openids = session.post(f"{SENDS}/new", _draft_form(account, mode="targeted"))
        assert no_openids.status_code == 422 and 'id="e-openids"' in no_openids.text
        no_account = session.post(f"{SENDS}/new", _draft_form(account, account_id=""))
        assert no_account.status_code == 422 and 'id="e-account_id"' in no_account.text
        assert _sends(api, token) == []
    finally:
        session.close()


def test_a_subscription_accounts_second_send_of_the_day_is_refused_naming_the_rule(
    api: Api,
) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=603, kind="subscription")
    _follow(api, account, "oReader")
    _api_send(api, token, account)
    try:
        made = session.post(f"{SENDS}/new", _draft_form(account, include_tag_ids=""))
        assert made.status_code == 303, made.text
        where = made.headers["location"]

        refused = session.post(f"{where}/send", {"version": "1"})

        assert refused.status_code == 409 and 'role="alert"' in refused.text
        assert "once a day" in refused.text or "每天" in html.unescape(refused.text)
        assert "失败" in session.client.get(where).text
    finally:
        session.close()


def test_who_may_draft_read_or_nothing(api: Api) -> None:
    token, marketer = _signed_in(api)
    manager = _person(api, token, "sales_manager")
    sales = _person(api, token, "sales")
    account = bind(api, token, n=604)
    try:
        made = marketer.post(f"{SENDS}/new", _draft_form(account))
        where = made.headers["location"]

        read = manager.client.get(where)
        assert read.status_code == 200 and "十一月会员日" in read.text
        assert f"{where}/send" not in read.text and f"{where}/preview" not in read.text
        assert f'action="{SENDS}/new"' not in manager.client.get(SENDS).text
        assert manager.post(f"{SENDS}/new", _draft_form(account)).status_code == 403
        assert manager.post(f"{where}/send", {"version": "1"}).status_code == 403
        assert manager.post(f"{where}/preview", {"openid": "oMe"}).status_code == 403

        assert 'href="/console/wechat/mass-sends"' not in sales.client.get("/console").text
        for path in (SENDS, where, f"{where}/send"):
            refused = sales.client.get(path)
            assert refused.status_code == 403 and "无权访问" in refused.text, path
        assert sales.post(f"{SENDS}/new", _draft_form(account)).status_code == 403
        assert [s["state"] for s in _sends(api, token)] == ["draft"]
        assert appid_for(604)  # the account stays bound and untouched
    finally:
        for session in (marketer, manager, sales):
            session.close()
