"""The audit pages on both stores: a record's history (tenant and staff) and the
operation log with the API's filters; read-only, permissions and isolation."""

from __future__ import annotations

import uuid

from tests.conftest import Api
from tests.e2e.console_support import employee_login, open_session, staff_login


def _department(api: Api, token: str, name: str = "审计部") -> str:
    created = api.client.post(
        "/api/v1/departments",
        json={"name": name},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _rename(api: Api, token: str, department_id: str, request_id: str) -> None:
    renamed = api.client.patch(
        f"/api/v1/departments/{department_id}",
        json={"name": "合规部"},
        headers={
            **api.key(token),
            "If-Match": '"1"',
            "X-Request-Id": request_id,
            "X-Reason": "%E5%90%88%E8%A7%84%E8%A6%81%E6%B1%82",  # 合规要求
            "Prefer": "read-your-writes",
        },
    )
    assert renamed.status_code == 200, renamed.text


def test_a_tenant_reads_a_records_history_with_actor_request_and_reason(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    department_id = _department(api, token)
    request_id = f"audit-{uuid.uuid4().hex[:8]}"
    _rename(api, token, department_id, request_id)
    _employee, email = employee_login(api, token, "auditor")
    session = open_session(api, email)
    try:
        shown = session.client.get(f"/console/history/{department_id}")
        assert shown.status_code == 200, shown.text
        assert "部门更名" in shown.text  # the manifest describes the event
        assert request_id in shown.text
        assert "合规要求" in shown.text
        assert "合规部" in shown.text  # the changed field
        assert "API 密钥" in shown.text  # the actor's kind in words
        english = session.client.get(
            f"/console/history/{department_id}", headers={"Accept-Language": "en"}
        )
        assert english.status_code == 200 and "department renamed" in english.text
        unknown = session.client.get(f"/console/history/{uuid.uuid4()}")
        assert unknown.status_code == 404 and "text/html" in unknown.headers["content-type"]
    finally:
        session.close()


def test_another_tenants_record_and_a_role_without_history_are_refused(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    department_id = _department(api, token)
    _other, intruder = api.tenant_with_key("tenant_admin")
    _admin, admin_email = employee_login(api, intruder, "tenant_admin")
    _data, analyst_email = employee_login(api, token, "data_analyst")
    _sales, sales_email = employee_login(api, token, "sales")
    admin = open_session(api, admin_email)
    sales = open_session(api, sales_email)
    try:
        assert admin.client.get(f"/console/history/{department_id}").status_code == 404
        # sales may read history, but only of records in their data scope: a department
        # is not screened by any context, so it shows; the log needs the audit resource.
        assert sales.client.get("/console/operation-log").status_code == 403
        assert sales.client.get(f"/console/admin/history/{department_id}").status_code == 403
        assert sales.client.get("/console/admin/operation-log").status_code == 403
    finally:
        admin.close()
        sales.close()
    analyst = open_session(api, analyst_email)
    try:
        assert analyst.client.get("/console/operation-log").status_code == 200
    finally:
        analyst.close()


def test_the_operation_log_filters_and_pages_like_the_api(api: Api) -> None:
    _tenant_id, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    keys = []
    for index in range(3):
        key = api.client.post(
            "/api/v1/api-keys", json={"name": f"k{index}", "roles": ["marketer"]}, headers=headers
        )
        assert key.status_code == 201, key.text
        keys.append(key.json()["id"])
    from_api = api.client.get("/api/v1/operation-log", headers=api.key(token)).json()["items"]
    assert len(from_api) >= 3
    _employee, email = employee_login(api, token, "tenant_admin")
    session = open_session(api, email)
    try:
        everything = session.client.get("/console/operation-log")
        assert everything.status_code == 200
        for key_id in keys:
            assert f'href="/console/history/{key_id}"' in everything.text
        one = session.client.get(f"/console/operation-log?record_id={keys[0]}")
        assert one.status_code == 200
        assert keys[0] in one.text and keys[1] not in one.text
        by_topic = session.client.get("/console/operation-log?topic=leads.LeadSettings")
        assert by_topic.status_code == 200 and keys[0] not in by_topic.text
        in_future = session.client.get("/console/operation-log?since=2999-01-01")
        assert in_future.status_code == 200 and keys[0] not in in_future.text
        today = session.client.get("/console/operation-log?until=2999-01-01")
        assert keys[0] in today.text
        bad = session.client.get("/console/operation-log?record_id=nope&since=yesterday")
        assert bad.status_code == 422
        assert "记录 ID 应为 UUID" in bad.text and "日期格式应为 YYYY-MM-DD" in bad.text
    finally:
        session.close()


def test_the_log_pages_with_a_cursor(api: Api) -> None:
    _tenant_id, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    keys = [  # one more than a page of the log
        api.client.post(
            "/api/v1/api-keys", json={"name": f"k{i}", "roles": ["marketer"]}, headers=headers
        ).json()["id"]
        for i in range(51)
    ]
    _employee, email = employee_login(api, token, "tenant_admin")
    session = open_session(api, email)
    try:
        first = session.client.get("/console/operation-log")
        assert 'rel="next"' in first.text
        next_href = first.text.split('rel="next" href="', 1)[1].split('"', 1)[0]
        second = session.client.get(next_href.replace("&amp;", "&"))
        assert second.status_code == 200
        shown_first = {k for k in keys if k in first.text}
        shown_second = {k for k in keys if k in second.text}
        assert shown_first and shown_second and not shown_first & shown_second
    finally:
        session.close()


def test_staff_read_any_records_history_and_the_platform_log(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    department_id = _department(api, token)
    auditor = open_session(api, staff_login(api, "auditor"))
    try:
        shown = auditor.client.get(f"/console/admin/history/{department_id}")
        assert shown.status_code == 200 and department_id in shown.text
        platform = auditor.client.get("/console/admin/operation-log")
        assert platform.status_code == 200
        tenants_log = auditor.client.get(f"/console/admin/operation-log?tenant_id={tenant_id}")
        assert tenants_log.status_code == 200
        # a tenant page is not for staff
        assert auditor.client.get(f"/console/history/{department_id}").status_code == 403
        assert auditor.client.get("/console/operation-log").status_code == 403
        # read-only: nothing here answers a POST
        posted = auditor.post(f"/console/admin/history/{department_id}")
        assert posted.status_code in (404, 405)
    finally:
        auditor.close()
