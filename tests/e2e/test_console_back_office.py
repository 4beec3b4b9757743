"""The back office in the console (/console/admin, staff only) on both stores: the same
permissions as /api/v1/admin, each action through its confirmation step, its event on
the record's history, errors next to their fields, 404 pages for unknown ids."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.conftest import Api
from tests.e2e.console_support import (
    PASSWORD,
    ConsoleSession,
    employee_login,
    open_session,
    staff_login,
)

RYW = {"Prefer": "read-your-writes"}
ADMIN = "/console/admin"


def paid_order_with_refund(api: Api, token: str) -> dict[str, Any]:
    """A tenant's order paid through the sandbox (confirmed by staff) and the refund
    ticket the tenant opened for it: {"order": ..., "refund": ...} as the API answers."""
    headers = {**api.key(token), **RYW}
    order = api.client.post(
        "/api/v1/orders", json={"kind": "new", "edition": "qs_micro_entry"}, headers=headers
    )
    assert order.status_code == 201, order.text
    paid = api.client.post(
        f"/api/v1/admin/orders/{order.json()['id']}/confirm-payment",
        headers={**api.staff(), **RYW},
    )
    assert paid.status_code == 200 and paid.json()["status"] == "delivered", paid.text
    refund = api.client.post(
        "/api/v1/refunds",
        json={"order_id": order.json()["id"], "reason": "用不上了"},
        headers=headers,
    )
    assert refund.status_code == 201, refund.text
    return {"order": paid.json(), "refund": refund.json()}


def refund_of(api: Api, refund_id: str) -> dict[str, Any]:
    answer = api.client.get(f"/api/v1/admin/refunds/{refund_id}", headers=api.staff())
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def history_types(api: Api, aggregate_id: str) -> list[str]:
    answer = api.client.get(f"/api/v1/admin/history/{aggregate_id}", headers=api.staff())
    assert answer.status_code == 200, answer.text
    return [entry["type"] for entry in answer.json()]


def field_error(html: str, name: str) -> str:
    """The error shown next to the field `name` (empty when there is none)."""
    found = re.search(rf'<p class="field-error" id="e-{re.escape(name)}">([^<]*)</p>', html)
    return found.group(1) if found else ""


def signed_in(api: Api, *roles: str) -> ConsoleSession:
    return open_session(api, staff_login(api, *roles))


def test_billing_staff_approve_the_proposal_through_its_confirmation(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    records = paid_order_with_refund(api, token)
    refund = records["refund"]
    session = signed_in(api, "billing")
    try:
        listed = session.client.get(f"{ADMIN}/refunds", params={"status": "requested"})
        assert listed.status_code == 200
        assert f'href="{ADMIN}/refunds/{refund["id"]}"' in listed.text
        shown = session.client.get(f"{ADMIN}/refunds/{refund['id']}")
        assert shown.status_code == 200
        assert f'href="{ADMIN}/refunds/{refund["id"]}/approve"' in shown.text
        confirm = session.client.get(f"{ADMIN}/refunds/{refund['id']}/approve")
        assert confirm.status_code == 200
        assert "确认批准" in confirm.text
        assert refund_of(api, refund["id"])["status"] == "requested"  # the GET changed nothing
        approved = session.post(f"{ADMIN}/refunds/{refund['id']}/approve", {"amount": ""})
        assert approved.status_code == 303, approved.text
        assert approved.headers["location"] == f"{ADMIN}/refunds/{refund['id']}"
        after = refund_of(api, refund["id"])
        assert after["status"] == "refunded"
        assert after["amount_fen"] == refund["proposed_fen"]
        page = session.client.get(approved.headers["location"])
        assert "已批准退款" in page.text  # the flash
        assert 'data-event="tenancy.Refund.Approved"' in page.text
        assert 'data-event="tenancy.Refund.Completed"' in page.text
        assert "tenancy.Refund.Approved" in history_types(api, refund["id"])
    finally:
        session.close()


def test_an_override_needs_its_reason_next_to_the_field_and_records_it(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    refund = paid_order_with_refund(api, token)["refund"]
    other = refund["proposed_fen"] - 100
    amount = f"{other // 100}.{other % 100:02d}"
    session = signed_in(api, "admin")
    try:
        path = f"{ADMIN}/refunds/{refund['id']}/approve"
        refused = session.post(path, {"amount": amount, "override_reason": ""})
        assert refused.status_code == 422
        assert field_error(refused.text, "override_reason")
        assert f'value="{amount}"' in refused.text  # what was typed is kept
        too_much = session.post(path, {"amount": "999999", "override_reason": "多退"})
        assert too_much.status_code == 422 and field_error(too_much.text, "amount")
        not_money = session.post(path, {"amount": "12.345"})
        assert not_money.status_code == 422 and field_error(not_money.text, "amount")
        assert refund_of(api, refund["id"])["status"] == "requested"
        approved = session.post(path, {"amount": amount, "override_reason": "客户只用了几天"})
        assert approved.status_code == 303, approved.text
        assert refund_of(api, refund["id"])["amount_fen"] == other
        history = api.client.get(f"/api/v1/admin/history/{refund['id']}", headers=api.staff())
        approval = next(e for e in history.json() if e["type"] == "tenancy.Refund.Approved")
        assert approval["reason"] == "客户只用了几天"
        assert approval["actor"]["kind"] == "staff"
    finally:
        session.close()


def test_reject_needs_a_reason_and_shows_it_on_the_history(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    refund = paid_order_with_refund(api, token)["refund"]
    session = signed_in(api, "billing")
    try:
        path = f"{ADMIN}/refunds/{refund['id']}/reject"
        assert session.client.get(path).status_code == 200
        refused = session.post(path, {"reason": " "})
        assert refused.status_code == 422 and field_error(refused.text, "reason")
        rejected = session.post(path, {"reason": "服务已使用过半"})
        assert rejected.status_code == 303
        assert refund_of(api, refund["id"])["status"] == "rejected"
        page = session.client.get(f"{ADMIN}/refunds/{refund['id']}")
        assert "已驳回退款申请" in page.text and "服务已使用过半" in page.text
        assert 'data-event="tenancy.Refund.Rejected"' in page.text
        # decided: neither approve nor retry is offered, and a second decision is refused
        assert f"{ADMIN}/refunds/{refund['id']}/approve" not in page.text
        assert session.post(f"{ADMIN}/refunds/{refund['id']}/approve").status_code == 409
        assert session.post(f"{ADMIN}/refunds/{refund['id']}/retry").status_code == 409
    finally:
        session.close()


def test_an_auditor_reads_every_page_but_may_not_act(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    records = paid_order_with_refund(api, token)
    refund, order = records["refund"], records["order"]
    subscriptions = api.client.get(
        "/api/v1/admin/subscriptions", params={"tenant_id": tenant_id}, headers=api.staff()
    ).json()["items"]
    staff_id = (
        subscriptions
        and api.client.get("/api/v1/admin/staff", headers=api.staff()).json()["items"][0]["id"]
    )
    session = signed_in(api, "auditor")
    try:
        for path in (
            f"{ADMIN}/tenants",
            f"{ADMIN}/tenants?q=Acme&status=active",
            f"{ADMIN}/tenants/{tenant_id}",
            f"{ADMIN}/subscriptions?tenant_id={tenant_id}",
            f"{ADMIN}/subscriptions/{subscriptions[0]['id']}",
            f"{ADMIN}/orders?number={order['number']}",
            f"{ADMIN}/orders/{order['id']}",
            f"{ADMIN}/refunds",
            f"{ADMIN}/refunds/{refund['id']}",
            f"{ADMIN}/security-incidents",
            f"{ADMIN}/staff",
            f"{ADMIN}/staff/{staff_id}",
        ):
            shown = session.client.get(path)
            assert shown.status_code == 200, (path, shown.status_code)
        detail = session.client.get(f"{ADMIN}/refunds/{refund['id']}").text
        assert "/approve" not in detail and "/reject" not in detail  # nothing offered
        for path in (
            f"{ADMIN}/refunds/{refund['id']}/approve",
            f"{ADMIN}/refunds/{refund['id']}/reject",
            f"{ADMIN}/subscriptions/{subscriptions[0]['id']}/extend",
            f"{ADMIN}/orders/{order['id']}/confirm-payment",
            f"{ADMIN}/staff/new",
            f"{ADMIN}/staff/{staff_id}/disable",
        ):
            assert session.client.get(path).status_code == 403, path
        refused = session.post(f"{ADMIN}/refunds/{refund['id']}/approve", {"amount": ""})
        assert refused.status_code == 403
        assert "text/html" in refused.headers["content-type"]
        assert "无权访问" in refused.text
        assert refund_of(api, refund["id"])["status"] == "requested"
    finally:
        session.close()


def test_support_sees_billing_but_not_staff_and_its_navigation_says_so(api: Api) -> None:
    session = signed_in(api, "support")
    try:
        home = session.client.get("/console").text
        assert f'href="{ADMIN}/refunds"' in home and f'href="{ADMIN}/tenants"' in home
        assert f'href="{ADMIN}/staff"' not in home
        assert session.client.get(f"{ADMIN}/refunds").status_code == 200
        assert session.client.get(f"{ADMIN}/staff").status_code == 403
    finally:
        session.close()


def test_a_tenant_employee_is_refused_the_back_office(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    refund = paid_order_with_refund(api, token)["refund"]
    _employee, email = employee_login(api, token, "tenant_admin")
    session = open_session(api, email)
    try:
        home = session.client.get("/console").text
        assert ADMIN not in home  # no back-office navigation
        for path in (
            f"{ADMIN}/tenants",
            f"{ADMIN}/tenants/{tenant_id}",
            f"{ADMIN}/refunds",
            f"{ADMIN}/refunds/{refund['id']}",
            f"{ADMIN}/staff",
            f"{ADMIN}/security-incidents",
        ):
            answer = session.client.get(path)
            assert answer.status_code in (403, 404), (path, answer.status_code)
            assert "text/html" in answer.headers["content-type"]
        refused = session.post(f"{ADMIN}/refunds/{refund['id']}/approve", {"amount": ""})
        assert refused.status_code in (403, 404)
        assert refund_of(api, refund["id"])["status"] == "requested"
    finally:
        session.close()


def test_unknown_ids_answer_the_404_page(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    refund = paid_order_with_refund(api, token)["refund"]
    session = signed_in(api, "admin")
    unknown = uuid.uuid4()
    try:
        for path in (
            f"{ADMIN}/tenants/{unknown}",
            f"{ADMIN}/subscriptions/{unknown}",
            f"{ADMIN}/subscriptions/{unknown}/extend",
            f"{ADMIN}/orders/{unknown}",
            f"{ADMIN}/orders/{unknown}/confirm-payment",
            f"{ADMIN}/refunds/{unknown}",
            f"{ADMIN}/refunds/{unknown}/approve",
            f"{ADMIN}/security-incidents/{unknown}",
            f"{ADMIN}/security-incidents/{refund['id']}",  # a record, but not an incident
            f"{ADMIN}/staff/{unknown}",
            f"{ADMIN}/staff/{unknown}/login",
        ):
            answer = session.client.get(path)
            assert answer.status_code == 404, (path, answer.status_code)
            assert "页面不存在" in answer.text
        assert session.post(f"{ADMIN}/refunds/{unknown}/approve").status_code == 404
    finally:
        session.close()


def test_extend_a_subscription_with_a_reason(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    paid_order_with_refund(api, token)
    subscription = api.client.get(
        "/api/v1/admin/subscriptions", params={"tenant_id": tenant_id}, headers=api.staff()
    ).json()["items"][0]
    session = signed_in(api, "billing")
    try:
        path = f"{ADMIN}/subscriptions/{subscription['id']}/extend"
        assert session.client.get(path).status_code == 200
        refused = session.post(path, {"days": "0", "reason": ""})
        assert refused.status_code == 422
        assert field_error(refused.text, "days") and field_error(refused.text, "reason")
        extended = session.post(path, {"days": "7", "reason": "系统故障补偿"})
        assert extended.status_code == 303, extended.text
        details = api.client.get(
            f"/api/v1/admin/subscriptions/{subscription['id']}", headers=api.staff()
        ).json()
        assert details["ends_on"] > subscription["ends_on"]
        page = session.client.get(extended.headers["location"]).text
        assert 'data-event="tenancy.Subscription.Extended"' in page and "系统故障补偿" in page
    finally:
        session.close()


def test_confirm_a_sandbox_payment(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    placed = api.client.post(
        "/api/v1/orders",
        json={"kind": "new", "edition": "qs_micro_entry"},
        headers={**api.key(token), **RYW},
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    session = signed_in(api, "billing")
    try:
        listed = session.client.get(f"{ADMIN}/orders", params={"number": order["number"]})
        assert f'href="{ADMIN}/orders/{order["id"]}"' in listed.text
        shown = session.client.get(f"{ADMIN}/orders/{order['id']}").text
        assert f"{ADMIN}/orders/{order['id']}/confirm-payment" in shown
        assert "¥" in shown  # money in yuan
        confirmed = session.post(f"{ADMIN}/orders/{order['id']}/confirm-payment")
        assert confirmed.status_code == 303, confirmed.text
        page = session.client.get(confirmed.headers["location"]).text
        assert 'data-event="tenancy.Order.Paid"' in page
        answer = api.client.get(f"/api/v1/admin/orders/{order['id']}", headers=api.staff())
        assert answer.json()["status"] == "delivered"
        assert f"{ADMIN}/orders/{order['id']}/confirm-payment" not in page  # paid: not offered
        session.post(f"{ADMIN}/orders/{order['id']}/confirm-payment")  # a repeat changes nothing
        assert history_types(api, order["id"]).count("tenancy.Order.Paid") == 1
    finally:
        session.close()


def test_enrol_a_staff_member_give_them_a_login_and_disable_them(api: Api) -> None:
    session = signed_in(api, "admin")
    email = f"new-{uuid.uuid4().hex[:8]}@huoke.cn"
    try:
        refused = session.post(
            f"{ADMIN}/staff/new", {"display_name": "", "email": "not-an-address"}
        )
        assert refused.status_code == 422
        assert field_error(refused.text, "display_name") and field_error(refused.text, "roles")
        enrolled = session.post(
            f"{ADMIN}/staff/new",
            {"display_name": "赵财务", "email": email, "roles[]": ["billing"]},
        )
        assert enrolled.status_code == 200, enrolled.text
        token = re.search(r"<code data-token>([^<]+)</code>", enrolled.text)
        assert token, "the token is shown once"
        me = api.client.get("/api/v1/admin/staff", headers=api.staff(token.group(1)))
        assert me.status_code == 403  # a working token, and billing may not read staff
        staff_id = re.search(rf"{ADMIN}/staff/([0-9a-f-]{{36}})/login", enrolled.text)
        assert staff_id
        member = f"{ADMIN}/staff/{staff_id.group(1)}"
        assert "无" in session.client.get(member).text  # no login yet
        mismatch = session.post(
            f"{member}/login",
            {"identifier": email, "password": PASSWORD, "password_confirmation": "other"},
        )
        assert mismatch.status_code == 422
        assert field_error(mismatch.text, "password_confirmation")
        granted = session.post(
            f"{member}/login",
            {"identifier": email, "password": PASSWORD, "password_confirmation": PASSWORD},
        )
        assert granted.status_code == 303, granted.text
        again = session.post(
            f"{member}/login",
            {"identifier": email, "password": PASSWORD, "password_confirmation": PASSWORD},
        )
        assert again.status_code == 422 and field_error(again.text, "identifier")
        listed = session.client.get(f"{ADMIN}/staff").text
        assert email in listed
        page = session.client.get(member).text
        assert 'data-event="logins.Login.Granted"' in page
        newcomer = open_session(api, email)
        assert newcomer.client.get(f"{ADMIN}/refunds").status_code == 200
        assert newcomer.client.get(f"{ADMIN}/staff").status_code == 403
        newcomer.close()
        assert session.client.get(f"{member}/disable").status_code == 200
        disabled = session.post(f"{member}/disable", {"version": "1", "reason": "离职"})
        assert disabled.status_code == 303, disabled.text
        page = session.client.get(member).text
        assert 'data-event="tenancy.StaffAccount.Disabled"' in page and "离职" in page
        assert f"{member}/disable" not in page
        assert (
            api.client.get("/api/v1/admin/staff", headers=api.staff(token.group(1))).status_code
            == 401
        )
    finally:
        session.close()


def test_a_failed_refund_is_retried_under_its_confirmation(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    refund = paid_order_with_refund(api, token)["refund"]
    # The sandbox provider cannot write its ledger (a directory stands in its place):
    # a real failure of the provider, which staff retry once it is back.
    ledger = api.runtime.container.gateways()["sandbox"].ledger
    kept = ledger.with_suffix(".kept")
    if ledger.exists():
        ledger.rename(kept)
    ledger.mkdir()
    session = signed_in(api, "billing")
    try:
        approved = session.post(f"{ADMIN}/refunds/{refund['id']}/approve", {"amount": ""})
        assert approved.status_code == 303
        assert refund_of(api, refund["id"])["status"] == "failed"
        page = session.client.get(approved.headers["location"]).text
        assert "支付渠道未能退款" in page  # the flash says so
        assert 'data-event="tenancy.Refund.Failed"' in page
        assert f"{ADMIN}/refunds/{refund['id']}/retry" in page
    finally:
        ledger.rmdir()
        if kept.exists():
            kept.rename(ledger)
    try:
        path = f"{ADMIN}/refunds/{refund['id']}/retry"
        assert session.client.get(path).status_code == 200
        retried = session.post(path)
        assert retried.status_code == 303
        assert refund_of(api, refund["id"])["status"] == "refunded"
        page = session.client.get(retried.headers["location"]).text
        assert "退款已完成" in page
        assert 'data-event="tenancy.Refund.Retried"' in page
        assert 'data-event="tenancy.Refund.Completed"' in page
    finally:
        session.close()


def test_a_forged_notification_is_a_security_incident_with_its_page(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    placed = api.client.post(
        "/api/v1/orders",
        json={"kind": "new", "edition": "qs_micro_entry"},
        headers={**api.key(token), **RYW},
    ).json()
    body = f'{{"order_number": "{placed["number"]}", "transaction_id": "T-{uuid.uuid4().hex}"}}'
    forged = {"Content-Type": "application/json", "X-Sandbox-Signature": "0" * 64, **RYW}
    refused = api.client.post("/callbacks/payments/sandbox", content=body, headers=forged)
    assert refused.status_code == 401
    session = signed_in(api, "support")
    try:
        listed = session.client.get(f"{ADMIN}/security-incidents")
        assert listed.status_code == 200
        found = re.search(rf'href="{ADMIN}/security-incidents/([0-9a-f-]{{36}})"', listed.text)
        assert found and "伪造的支付通知" in listed.text
        shown = session.client.get(f"{ADMIN}/security-incidents/{found.group(1)}")
        assert shown.status_code == 200
        assert "sandbox" in shown.text
        assert 'data-event="tenancy.SecurityIncident.Recorded"' in shown.text
    finally:
        session.close()


def test_the_back_office_speaks_english_when_asked(api: Api) -> None:
    session = signed_in(api, "billing")
    try:
        session.client.cookies.set("huoke_lang", "en", path="/console")
        listed = session.client.get(f"{ADMIN}/refunds").text
        assert "Refund tickets" in listed and "Awaiting approval" in listed
        assert "退款工单" not in listed
    finally:
        session.close()
