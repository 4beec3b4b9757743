"""The company pages (企业设置) on both stores: profile, API keys, subscription and usage,
orders and refunds; who may read and change them, and other tenants' records."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session

COMPANY = "/console/company"
_TOKEN = re.compile(r'value="(hk_[^"]+)"')


def _admin(api: Api) -> tuple[str, str, ConsoleSession]:
    """A new tenant's admin employee signed in to the console: (their employee id, an
    admin API key of the tenant, the session)."""
    _tenant_id, token = api.tenant_with_key("tenant_admin")
    employee_id, email = employee_login(api, token, "tenant_admin", name="王管理")
    return employee_id, token, open_session(api, email)


def _delivered_order(api: Api, token: str) -> str:
    """A paid and delivered order of the key's tenant (the sandbox confirmed by staff)."""
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    order = api.client.post(
        "/api/v1/orders", json={"kind": "new", "edition": "qs_micro_entry"}, headers=headers
    )
    assert order.status_code == 201, order.text
    paid = api.client.post(
        f"/api/v1/admin/orders/{order.json()['id']}/confirm-payment",
        headers={**api.staff(), "Prefer": "read-your-writes"},
    )
    assert paid.status_code == 200 and paid.json()["status"] == "delivered", paid.text
    return str(order.json()["id"])


def _text(answer: Any) -> str:
    return html.unescape(answer.text)


def test_the_admin_edits_the_profile_and_an_empty_name_changes_nothing(api: Api) -> None:
    employee_id, token, session = _admin(api)
    try:
        shown = session.client.get(f"{COMPANY}/profile")
        assert shown.status_code == 200
        assert "Acme 科技" in shown.text and f"{COMPANY}/profile/edit" in shown.text
        before = api.client.get("/api/v1/tenant", headers=api.key(token)).json()
        form = session.client.get(f"{COMPANY}/profile/edit")
        assert form.status_code == 200
        version = re.search(r'name="version" value="(\d+)"', form.text)
        assert version is not None
        fields = {
            "name": "",
            "owner_name": "李雷",
            "owner_contact": "li@acme.cn",
            "timezone": "Asia/Shanghai",
            "version": version.group(1),
        }
        refused = session.post(f"{COMPANY}/profile/edit", fields)
        assert refused.status_code == 422
        assert re.search(r'id="e-name">必填<', refused.text), refused.text
        assert 'aria-invalid="true" aria-describedby="e-name"' in refused.text
        assert api.client.get("/api/v1/tenant", headers=api.key(token)).json() == before
        saved = session.post(
            f"{COMPANY}/profile/edit",
            {
                **fields,
                "name": "Acme 新名称",
                "timezone": "Asia/Tokyo",
                "new_setting_key": "crm.sync_enabled",
                "new_setting_value": "true",
            },
        )
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == f"{COMPANY}/profile"
        after = api.client.get("/api/v1/tenant", headers=api.key(token)).json()
        assert after["name"] == "Acme 新名称" and after["timezone"] == "Asia/Tokyo"
        assert after["settings"] == {"crm.sync_enabled": True}
        profile = session.client.get(f"{COMPANY}/profile")
        assert "已保存" in profile.text  # the flash
        assert 'title="tenancy.Tenant.Renamed"' in profile.text  # its history
        assert 'title="tenancy.Tenant.TimezoneChanged"' in profile.text
        assert f"员工 {employee_id}" in profile.text  # the one signed in acted, not a key
        # the same (now stale) version again: the record has changed since
        stale = session.post(f"{COMPANY}/profile/edit", {**fields, "name": "Another"})
        assert stale.status_code == 409
        emptied = session.post(
            f"{COMPANY}/profile/edit",
            {
                **fields,
                "name": "Acme 新名称",
                "version": str(after["version"]),
                "settings.crm.sync_enabled": "",
            },
        )
        assert emptied.status_code == 303, emptied.text
        now = api.client.get("/api/v1/tenant", headers=api.key(token)).json()
        assert now["settings"] == {}
        bad_key = session.post(
            f"{COMPANY}/profile/edit",
            {
                **fields,
                "name": "Acme",
                "version": str(now["version"]),
                "new_setting_key": "Bad Key",
                "new_setting_value": "1",
            },
        )
        assert bad_key.status_code == 422
        assert 'id="e-new_setting_key"' in bad_key.text
    finally:
        session.close()


def test_an_api_key_is_shown_once_works_and_is_revoked_with_a_reason(api: Api) -> None:
    _employee_id, _token, session = _admin(api)
    try:
        assert session.client.get(f"{COMPANY}/api-keys/new").status_code == 200
        missing = session.post(f"{COMPANY}/api-keys/new", {"name": "CRM 同步"})
        assert missing.status_code == 422 and 'id="e-roles"' in missing.text
        issued = session.post(
            f"{COMPANY}/api-keys/new", {"name": "CRM 同步", "roles[]": ["marketer", "sales"]}
        )
        assert issued.status_code == 201, issued.text
        assert issued.headers["cache-control"] == "no-store"
        found = _TOKEN.search(issued.text)
        assert found is not None, issued.text
        secret = found.group(1)
        key_id = re.search(r"/console/company/api-keys/([0-9a-f-]{36})", issued.text)
        assert key_id is not None
        key_page = session.client.get(f"{COMPANY}/api-keys/{key_id.group(1)}")
        assert key_page.status_code == 200
        assert "CRM 同步" in key_page.text and secret not in key_page.text
        assert "hk_" not in key_page.text
        listed = session.client.get(f"{COMPANY}/api-keys")
        assert "CRM 同步" in listed.text and secret not in listed.text
        works = api.client.get("/api/v1/tenant", headers=api.key(secret))
        assert works.status_code == 200, works.text
        confirm = session.client.get(f"{COMPANY}/api-keys/{key_id.group(1)}/revoke")
        assert confirm.status_code == 200 and 'name="reason"' in confirm.text
        revoked = session.post(
            f"{COMPANY}/api-keys/{key_id.group(1)}/revoke", {"reason": "集成已下线"}
        )
        assert revoked.status_code == 303
        assert api.client.get("/api/v1/tenant", headers=api.key(secret)).status_code == 401
        after = session.client.get(f"{COMPANY}/api-keys/{key_id.group(1)}")
        assert "已吊销" in after.text and "集成已下线" in after.text  # the reason, in history
        assert 'title="tenancy.ApiKey.Revoked"' in after.text
        assert f"{key_id.group(1)}/revoke" not in after.text  # nothing left to revoke
    finally:
        session.close()


def test_subscription_usage_orders_and_a_refund_request(api: Api) -> None:
    _employee_id, token, session = _admin(api)
    try:
        empty = session.client.get(f"{COMPANY}/subscription")
        assert empty.status_code == 200 and "尚未开通任何套餐" in empty.text
        order_id = _delivered_order(api, token)
        plan = _text(session.client.get(f"{COMPANY}/subscription"))
        assert "天翼云快销（小微入门版）" in plan
        assert "<progress" in plan and "0 / 10" in plan  # card seats: none used of 10
        english = session.client.get(f"{COMPANY}/subscription", headers={"Accept-Language": "en"})
        assert "Plan and usage" in english.text and "Business card seats" in english.text
        orders = session.client.get(f"{COMPANY}/orders")
        assert orders.status_code == 200
        assert f"{COMPANY}/orders/{order_id}" in orders.text and "已开通" in orders.text
        assert "¥" in orders.text
        filtered = session.client.get(f"{COMPANY}/orders?status=cancelled")
        assert f"{COMPANY}/orders/{order_id}" not in filtered.text
        order = session.client.get(f"{COMPANY}/orders/{order_id}")
        assert order.status_code == 200
        assert 'title="tenancy.Order.Delivered"' in order.text  # its history
        assert f"{order_id}/refund" in order.text
        no_reason = session.post(f"{COMPANY}/orders/{order_id}/refund", {"reason": ""})
        assert no_reason.status_code == 422 and 'id="e-reason">必填<' in no_reason.text
        asked = session.post(f"{COMPANY}/orders/{order_id}/refund", {"reason": "不再需要"})
        assert asked.status_code == 303, asked.text
        refund_path = asked.headers["location"]
        assert refund_path.startswith(f"{COMPANY}/refunds/")
        refund = session.client.get(refund_path)
        assert refund.status_code == 200
        assert "不再需要" in refund.text and "待审核" in refund.text
        assert 'title="tenancy.Refund.Requested"' in refund.text  # its history
        listed = session.client.get(f"{COMPANY}/refunds")
        assert refund_path in listed.text
        again = session.post(f"{COMPANY}/orders/{order_id}/refund", {"reason": "再来一次"})
        assert again.status_code == 409  # the order is refunding already
        assert f'{order_id}/refund"' not in session.client.get(f"{COMPANY}/orders/{order_id}").text
    finally:
        session.close()


def test_a_marketer_reads_what_marketers_may_and_is_refused_the_rest(api: Api) -> None:
    _tenant_id, token = api.tenant_with_key("tenant_admin")
    order_id = _delivered_order(api, token)
    _employee, email = employee_login(api, token, "marketer", name="市场小李")
    session = open_session(api, email)
    try:
        home = session.client.get("/console")
        assert f"{COMPANY}/profile" in home.text and f"{COMPANY}/orders" in home.text
        assert f"{COMPANY}/api-keys" not in home.text  # marketers have no access to keys
        profile = session.client.get(f"{COMPANY}/profile")
        assert profile.status_code == 200 and f"{COMPANY}/profile/edit" not in profile.text
        assert session.client.get(f"{COMPANY}/subscription").status_code == 200
        assert session.client.get(f"{COMPANY}/orders").status_code == 200
        assert session.client.get(f"{COMPANY}/refunds").status_code == 200
        order = session.client.get(f"{COMPANY}/orders/{order_id}")
        assert order.status_code == 200 and f"{order_id}/refund" not in order.text
        for path in (
            f"{COMPANY}/profile/edit",
            f"{COMPANY}/orders/{order_id}/refund",
            f"{COMPANY}/api-keys",
            f"{COMPANY}/api-keys/new",
        ):
            refused = session.client.get(path)
            assert refused.status_code == 403, path
            assert "无权访问" in refused.text and "text/html" in refused.headers["content-type"]
        for path, form in (
            (f"{COMPANY}/profile/edit", {"name": "Hijacked"}),
            (f"{COMPANY}/orders/{order_id}/refund", {"reason": "x"}),
            (f"{COMPANY}/api-keys/new", {"name": "k", "roles[]": ["tenant_admin"]}),
        ):
            assert session.post(path, form).status_code == 403, path
        tenant = api.client.get("/api/v1/tenant", headers=api.key(token)).json()
        assert tenant["name"] == "Acme 科技"
        refunds = api.client.get("/api/v1/refunds", headers=api.key(token)).json()
        assert refunds["items"] == []
    finally:
        session.close()


def test_another_tenants_orders_refunds_and_keys_are_not_found(api: Api) -> None:
    _other_id, other_token = api.tenant_with_key("tenant_admin")
    other_order = _delivered_order(api, other_token)
    headers = {**api.key(other_token), "Prefer": "read-your-writes"}
    refund = api.client.post(
        "/api/v1/refunds", json={"order_id": other_order, "reason": "r"}, headers=headers
    )
    assert refund.status_code == 201, refund.text
    key = api.client.post(
        "/api/v1/api-keys", json={"name": "K", "roles": ["marketer"]}, headers=headers
    )
    assert key.status_code == 201, key.text
    other = {"order": other_order, "refund": refund.json()["id"], "key": key.json()["id"]}
    _employee_id, _token, session = _admin(api)
    try:
        for path in (
            f"{COMPANY}/orders/{other['order']}",
            f"{COMPANY}/orders/{other['order']}/refund",
            f"{COMPANY}/refunds/{other['refund']}",
            f"{COMPANY}/api-keys/{other['key']}",
            f"{COMPANY}/api-keys/{other['key']}/revoke",
        ):
            answer = session.client.get(path)
            assert answer.status_code == 404, path
            assert "页面不存在" in answer.text
        for path, form in (
            (f"{COMPANY}/api-keys/{other['key']}/revoke", {"reason": "x"}),
            (f"{COMPANY}/orders/{other['order']}/refund", {"reason": "x"}),
        ):
            assert session.post(path, form).status_code == 404, path
        assert api.client.get("/api/v1/tenant", headers=api.key(key.json()["token"])).is_success
        for listing in ("orders", "refunds", "api-keys"):
            shown = session.client.get(f"{COMPANY}/{listing}").text
            assert all(record not in shown for record in other.values()), listing
    finally:
        session.close()
