"""Console pages of the WeCom SCRM core on both stores (WECOM-3, WECOM-8): binding the
corp (field errors named, keys never shown back) shows the callback URL; contacts
synced from the sandbox corp list members matched to employees by mobile, and a link
by hand wins; a customer added by callback is listed with a link to their lead, a
customer deleting the employee shows in churn and in the alerts; a salesperson sees
only the customers of their own WeCom account; unbinding asks for a reason."""

from __future__ import annotations

import secrets
import time

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.e2e.wecom_support import (
    AES_KEY,
    RYW,
    TOKEN,
    added_xml,
    bind_corp,
    contact_xml,
    post_callback,
    scrm_tenant,
)
from tests.settling import settle

CORP = "/console/wecom/corp"


def _signed_in(api: Api, token: str, *roles: str, name: str = "企业管理员") -> ConsoleSession:
    _employee, email = employee_login(api, token, *(roles or ("tenant_admin",)), name=name)
    return open_session(api, email)


def _bind_form(**fields: str) -> dict[str, str]:
    return {
        "name": "火客科技",
        "corpid": "ww" + secrets.token_hex(8),
        "agentid": "1000002",
        "app_secret": secrets.token_urlsafe(32)[:43],
        "callback_token": TOKEN,
        "encoding_aes_key": AES_KEY,
        **fields,
    }


def test_binding_shows_the_callback_url_and_never_the_keys(api: Api) -> None:
    _, token = scrm_tenant(api)
    session = _signed_in(api, token)
    try:
        empty = session.client.get(CORP)
        assert empty.status_code == 200 and 'action="/console/wecom/corp/new"' in empty.text

        refused = session.post(f"{CORP}/new", _bind_form(corpid="ww12", encoding_aes_key="x"))
        assert refused.status_code == 422
        assert 'id="e-corpid"' in refused.text and 'id="e-encoding_aes_key"' in refused.text
        form = _bind_form()
        made = session.post(f"{CORP}/new", form)
        assert made.status_code == 303, made.text

        shown = session.client.get(CORP)
        corp = api.client.get("/api/v1/wecom/corps", headers=api.key(token)).json()["items"][0]
        assert f'value="http://127.0.0.1:8000{corp["callback_path"]}"' in shown.text
        assert form["corpid"] in shown.text
        for secret in (form["app_secret"], TOKEN, AES_KEY):
            assert secret not in shown.text
    finally:
        session.close()


def test_contacts_members_matched_and_linked_by_hand(api: Api) -> None:
    _, token = scrm_tenant(api)
    headers = {**api.key(token), **RYW}
    hired = api.client.post(
        "/api/v1/employees",
        json={"name": "张伟", "roles": ["sales"], "mobile": "13800138003"},
        headers=headers,
    ).json()
    other = api.client.post(
        "/api/v1/employees", json={"name": "刘洋（火客）", "roles": ["sales"]}, headers=headers
    ).json()
    bind_corp(api, token)
    session = _signed_in(api, token)
    try:
        synced = session.post("/console/wecom/members/sync")
        assert synced.status_code == 303, synced.text
        settle(api.runtime)
        listed = session.client.get("/console/wecom/members")
        assert "已同步：5 位成员" in listed.text
        for name in ("李娜", "王芳", "张伟", "刘洋", "陈静"):
            assert name in listed.text
        sales = session.client.get("/console/wecom/members?department=2")
        assert "张伟" in sales.text and "王芳" not in sales.text
        zhang = session.client.get("/console/wecom/members/ZhangWei")
        assert "按手机号或邮箱匹配" in zhang.text

        linked = session.post("/console/wecom/members/LiuYang/link", {"employee_id": other["id"]})
        assert linked.status_code == 303, linked.text
        member = api.client.get("/api/v1/wecom/members/LiuYang", headers=api.key(token)).json()
        assert member["employee_id"] == other["id"] and member["linked_by_hand"] is True
        assert hired["id"] != other["id"]
    finally:
        session.close()


def test_customers_churn_and_alerts_and_a_salespersons_own_customers(api: Api) -> None:
    _, token = scrm_tenant(api)
    headers = {**api.key(token), **RYW}
    corp = bind_corp(api, token)
    zhang, zhang_email = employee_login(api, token, "sales", name="张伟")
    api.client.patch(
        f"/api/v1/employees/{zhang}", json={"mobile": "13800138003"},
        headers={**headers, "If-Match": '"1"'},
    )  # fmt: skip
    synced = api.client.post(f"/api/v1/wecom/corps/{corp['id']}/contacts/sync", headers=headers)
    assert synced.status_code == 200, synced.text
    settle(api.runtime)
    mine, theirs = ("wm" + secrets.token_hex(15) for _ in range(2))
    for added in (
        added_xml(corp["corpid"], mine, state="expo"),
        added_xml(corp["corpid"], theirs, userid="LiuYang"),
    ):
        assert post_callback(api, corp, added).status_code == 200
    lost = contact_xml(corp["corpid"], "del_follow_user", mine, at=int(time.time()) + 5)
    assert post_callback(api, corp, lost).status_code == 200
    settle(api.runtime)
    admin = _signed_in(api, token)
    salesperson = open_session(api, zhang_email)
    try:
        listed = admin.client.get("/console/wecom/customers")
        assert listed.status_code == 200
        assert f"/console/wecom/customers/{mine}" in listed.text
        assert f"/console/wecom/customers/{theirs}" in listed.text
        customer = admin.client.get(f"/console/wecom/customers/{mine}")
        assert customer.status_code == 200 and 'id="customer-lead"' in customer.text
        churn = admin.client.get("/console/wecom/churn")
        assert mine in churn.text and theirs not in churn.text
        alerts = admin.client.get("/console/wecom/churn-alerts")
        assert mine in alerts.text and "已通知员工" in alerts.text
        stats = admin.client.get("/console/wecom/customer-stats")
        assert stats.status_code == 200 and 'id="stats-customers"' in stats.text

        own = salesperson.client.get("/console/wecom/customers")
        assert mine in own.text and theirs not in own.text
        assert salesperson.client.get(f"/console/wecom/customers/{theirs}").status_code == 404
    finally:
        admin.close()
        salesperson.close()


def test_unbinding_asks_for_a_reason(api: Api) -> None:
    _, token = scrm_tenant(api)
    corp = bind_corp(api, token)
    session = _signed_in(api, token)
    try:
        asked = session.client.get(f"{CORP}/{corp['id']}/unbind")
        assert asked.status_code == 200
        without = session.post(f"{CORP}/{corp['id']}/unbind", {"version": str(corp["version"])})
        assert without.status_code == 422 and 'id="e-reason"' in without.text
        done = session.post(
            f"{CORP}/{corp['id']}/unbind", {"version": str(corp["version"]), "reason": "换企业"}
        )
        assert done.status_code == 303, done.text
        assert api.client.get("/api/v1/wecom/corps", headers=api.key(token)).json()["items"] == []
    finally:
        session.close()
