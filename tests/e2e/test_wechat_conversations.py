"""WX-3 over HTTP: a fan is answered from the platform by customer-service messages,
allowed only within 48 hours of their last interaction (a refusal names the rule and
how long ago the window closed); a reply is kept in the fan's conversation and the
sandbox records what WeChat would have been sent."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Api
from tests.e2e.wechat_support import ACCOUNTS, bind, push, sent_by, text_xml
from tests.settling import settle

HOUR = 3600


def reply(api: Api, token: str, account: dict[str, Any], openid: str, text: str) -> Any:
    return api.client.post(
        f"{ACCOUNTS}/{account['id']}/fans/{openid}/messages",
        json={"text": text},
        headers=api.key(token),
    )


def test_a_reply_49_hours_after_the_last_interaction_is_refused_naming_the_rule(
    api: Api,
) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = bind(api, admin, n=49)
    push(
        api,
        account,
        text_xml("oFan49", "还在吗", "6100000000004900", at=int(time.time()) - 49 * HOUR),
    )
    settle(api.runtime)

    answer = reply(api, admin, account, "oFan49", "在的，您好")

    assert answer.status_code == 409, answer.text
    problem = answer.json()
    assert problem["code"] == "outside_service_window"
    assert "48 hours" in problem["detail"] and "closed 1 h" in problem["detail"]
    sent = sent_by(api, account)
    assert not [s for s in sent if s.get("touser") == "oFan49"]
    messages = api.client.get(
        f"{ACCOUNTS}/{account['id']}/fans/oFan49/messages", headers=api.key(admin)
    ).json()["items"]
    assert [m["direction"] for m in messages] == ["in"]


def test_a_reply_within_the_window_is_sent_and_kept_in_the_conversation(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = bind(api, admin, n=47)
    push(
        api,
        account,
        text_xml("oFan47", "请联系我", "6100000000004700", at=int(time.time()) - 47 * HOUR),
    )
    settle(api.runtime)

    answer = reply(api, admin, account, "oFan47", "好的，稍后致电")

    assert answer.status_code == 201, answer.text
    left = answer.json()["window_left_seconds"]
    assert 0 < left <= HOUR
    sent = sent_by(api, account)
    assert [s for s in sent if s.get("touser") == "oFan47"]
    settle(api.runtime)
    messages = api.client.get(
        f"{ACCOUNTS}/{account['id']}/fans/oFan47/messages", headers=api.key(admin)
    ).json()["items"]
    assert [(m["direction"], m["text"]) for m in messages] == [
        ("out", "好的，稍后致电"),
        ("in", "请联系我"),
    ]


def test_another_tenants_account_and_fan_answer_404(api: Api) -> None:
    _, owner = api.tenant_with_key("tenant_admin")
    _, stranger = api.tenant_with_key("tenant_admin")
    account = bind(api, owner, n=404)
    push(api, account, text_xml("oFan404", "hi", "6100000000040400"))
    settle(api.runtime)
    base = f"{ACCOUNTS}/{account['id']}"

    for path in (base, f"{base}/fans", f"{base}/fans/oFan404", f"{base}/fans/oFan404/messages"):
        assert api.client.get(path, headers=api.key(stranger)).status_code == 404, path
    assert reply(api, stranger, account, "oFan404", "hi").status_code == 404
    assert api.client.get(f"{base}/fans/oFan404", headers=api.key(owner)).status_code == 200


def test_an_unbound_accounts_fans_are_not_answered(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = bind(api, admin, n=410)
    push(api, account, text_xml("oFan410", "在吗", "6100000000041000"))
    settle(api.runtime)
    unbound = api.client.post(
        f"{ACCOUNTS}/{account['id']}/unbind", headers={**api.key(admin), "If-Match": '"1"'}
    )
    assert unbound.status_code == 200, unbound.text

    answer = reply(api, admin, account, "oFan410", "您好")

    assert answer.status_code == 409 and "unbound" in answer.json()["detail"]
    sent = sent_by(api, account)
    assert not [s for s in sent if s.get("touser") == "oFan410"]
