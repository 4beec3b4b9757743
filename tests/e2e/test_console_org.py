"""Console pages of the org context on both stores: departments (tree, establish, rename,
move, dissolve), employees (hire, edit, leave) and their console logins (grant, revoke),
with the API's permissions and tenant isolation."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session

INITIAL_PASSWORD = "Initial-pass-2026"


def _admin(api: Api) -> tuple[str, ConsoleSession]:
    """A new tenant, its admin's API key, and the admin signed in to the console."""
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, "tenant_admin", name="王管理")
    return token, open_session(api, email)


def _id_in(location: str, kind: str) -> str:
    found = re.search(rf"/console/{kind}/([0-9a-f-]{{36}})", location)
    assert found, location
    return found.group(1)


def _establish(session: ConsoleSession, name: str, parent_id: str = "") -> str:
    made = session.post("/console/departments/new", {"name": name, "parent_id": parent_id})
    assert made.status_code == 303, made.text
    return _id_in(made.headers["location"], "departments")


def _hire(session: ConsoleSession, **fields: Any) -> Any:
    return session.post("/console/employees/new", fields)


def _rows(html: str) -> str:
    """The table's body (the layout also shows the viewer's name)."""
    found = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return found.group(1) if found else ""


def _row(session: ConsoleSession, name: str) -> str:
    shown = _rows(session.client.get("/console/employees").text)
    found = re.search(rf"{name}.*?</tr>", shown, re.S)
    return found.group(0) if found else ""


def _eventually(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="e-{name}">([^<]*)</p>', html)
    return found.group(1) if found else ""


def test_departments_as_a_tree_with_counts_renamed_moved_and_dissolved(api: Api) -> None:
    _token, admin = _admin(api)
    try:
        sales = _establish(admin, "销售部")
        east = _establish(admin, "华东区", parent_id=sales)
        hired = _hire(admin, name="李雷", email="lilei@acme.cn", department_id=east, roles="sales")
        assert hired.status_code == 303, hired.text
        tree = admin.client.get("/console/departments")
        assert tree.status_code == 200
        # 华东区 is nested inside 销售部's item, with its member counted.
        nested = re.search(
            r"销售部.*?1 个下级部门.*?<ul[^>]*>.*?华东区.*?1 名成员", tree.text, re.S
        )
        assert nested, tree.text
        edit = admin.client.get(f"/console/departments/{east}/edit")
        version = re.search(r'name="version" value="(\d+)"', edit.text)
        assert version
        revised = admin.post(
            f"/console/departments/{east}/edit",
            {"name": "华东大区", "parent_id": "", "version": version.group(1)},
        )
        assert revised.status_code == 303, revised.text
        shown = admin.client.get(f"/console/departments/{east}")
        assert "华东大区" in shown.text and "（顶级部门）" in shown.text
        assert "部门更名" in shown.text and "部门调整" in shown.text  # its history
        # Not empty: the confirmation says so and the dissolve is refused.
        current = re.search(
            r'name="version" value="(\d+)"',
            admin.client.get(f"/console/departments/{east}/dissolve").text,
        )
        assert current
        refused = admin.post(f"/console/departments/{east}/dissolve", {"version": current.group(1)})
        assert refused.status_code == 409
        assert "只能撤销没有下级部门和在职成员的部门" in refused.text
        empty = admin.client.get(f"/console/departments/{sales}/dissolve")
        version = re.search(r'name="version" value="(\d+)"', empty.text)
        assert version
        dissolved = admin.post(
            f"/console/departments/{sales}/dissolve",
            {"version": version.group(1), "reason": "并入华东大区"},
        )
        assert dissolved.status_code == 303, dissolved.text
        assert "销售部" not in admin.client.get("/console/departments").text
        history = admin.client.get(f"/console/departments/{sales}").text
        assert "部门撤销" in history and "并入华东大区" in history
    finally:
        admin.close()


def test_hire_with_a_bad_email_shows_the_error_next_to_it_and_hires_no_one(api: Api) -> None:
    token, admin = _admin(api)
    try:
        refused = _hire(admin, name="韩梅梅", email="not-an-address", roles="sales")
        assert refused.status_code == 422
        assert _field_error(refused.text, "email"), refused.text
        assert 'id="f-email"' in refused.text and 'value="not-an-address"' in refused.text
        assert 'aria-invalid="true" aria-describedby="e-email"' in refused.text
        no_role = _hire(admin, name="韩梅梅", email="han@acme.cn")
        assert no_role.status_code == 422
        assert _field_error(no_role.text, "roles") == "请至少选择一个角色"
        listed = api.client.get("/api/v1/employees", headers=api.key(token)).json()
        assert [e["name"] for e in listed["items"]] == ["王管理"]
    finally:
        admin.close()


def test_edit_transfer_roles_and_leaving_with_the_include_left_filter(api: Api) -> None:
    token, admin = _admin(api)
    try:
        team = _establish(admin, "市场部")
        hired = _hire(admin, name="韩梅梅", email="han@acme.cn", roles=["sales", "marketer"])
        employee = _id_in(hired.headers["location"], "employees")
        edit = admin.client.get(f"/console/employees/{employee}/edit")
        assert re.search(r'value="marketer" checked', edit.text)
        version = re.search(r'name="version" value="(\d+)"', edit.text)
        assert version
        changed = admin.post(
            f"/console/employees/{employee}/edit",
            {
                "name": "韩梅梅",
                "email": "",
                "mobile": "13900139001",
                "department_id": team,
                "roles[]": ["marketer"],
                "version": version.group(1),
            },
        )
        assert changed.status_code == 303, changed.text
        got = api.client.get(f"/api/v1/employees/{employee}", headers=api.key(token)).json()
        assert (got["email"], got["mobile"], got["department_id"], got["roles"]) == (
            None,
            "13900139001",
            team,
            ["marketer"],
        )
        in_team = _rows(admin.client.get(f"/console/employees?department_id={team}").text)
        assert "韩梅梅" in in_team and "王管理" not in in_team
        assert re.search(r"<td >\s*市场\s*</td>", in_team)  # the roles in Chinese
        confirm = admin.client.get(f"/console/employees/{employee}/leave")
        version = re.search(r'name="version" value="(\d+)"', confirm.text)
        assert version
        left = admin.post(f"/console/employees/{employee}/leave", {"version": version.group(1)})
        assert left.status_code == 303
        assert "韩梅梅" not in _rows(admin.client.get("/console/employees").text)
        with_left = _rows(admin.client.get("/console/employees?include_left=1").text)
        assert "韩梅梅" in with_left and "已离职" in with_left
        # A stale form (the version it was shown with) is refused, not applied.
        stale = admin.post(
            f"/console/employees/{employee}/edit",
            {"name": "X", "roles[]": ["sales"], "version": version.group(1)},
        )
        assert stale.status_code == 409
    finally:
        admin.close()


def test_a_login_given_in_the_console_signs_in_and_ends_when_revoked(api: Api) -> None:
    _token, admin = _admin(api)
    email = f"li-{uuid.uuid4().hex[:6]}@acme.cn"
    try:
        hired = _hire(admin, name="李雷", email=email, roles="sales")
        employee = _id_in(hired.headers["location"], "employees")
        form = admin.client.get(f"/console/employees/{employee}/login")
        assert form.status_code == 200 and f'value="{email}"' in form.text  # prefilled
        mismatch = admin.post(
            f"/console/employees/{employee}/login",
            {"identifier": email, "password": INITIAL_PASSWORD, "password_confirmation": "x"},
        )
        assert mismatch.status_code == 422
        assert _field_error(mismatch.text, "password_confirmation")
        granted = admin.post(
            f"/console/employees/{employee}/login",
            {
                "identifier": email,
                "password": INITIAL_PASSWORD,
                "password_confirmation": INITIAL_PASSWORD,
            },
        )
        assert granted.status_code == 303, granted.text
        assert "未开通" not in _rows(admin.client.get("/console/employees").text)
        seller = open_session(api, email, INITIAL_PASSWORD)
        try:
            assert seller.client.get("/console").status_code == 200
            # Signing in updates the login list when its read model catches up.
            assert _eventually(lambda: "最近登录" in _row(admin, "李雷"))
            page = admin.client.get(f"/console/employees/{employee}").text
            assert email in page and "撤销登录" in page
            confirm = admin.client.get(f"/console/employees/{employee}/login/revoke")
            assert confirm.status_code == 200 and "立即退出所有会话" in confirm.text
            revoked = admin.post(f"/console/employees/{employee}/login/revoke", {"reason": "转岗"})
            assert revoked.status_code == 303, revoked.text
            ended = seller.client.get("/console", follow_redirects=False)
            assert ended.status_code == 303
            assert ended.headers["location"].startswith("/console/sign-in")
            assert "开通登录" in admin.client.get(f"/console/employees/{employee}").text
        finally:
            seller.close()
    finally:
        admin.close()


def test_a_marketer_reads_the_employees_but_may_not_hire_or_see_logins(api: Api) -> None:
    token, admin = _admin(api)
    admin.close()
    _id, email = employee_login(api, token, "marketer", name="市场小刘")
    marketer = open_session(api, email)
    try:
        listed = marketer.client.get("/console/employees")
        assert listed.status_code == 200 and "市场小刘" in listed.text
        assert "控制台登录" not in listed.text and "新增员工" not in listed.text
        form = marketer.client.get("/console/employees/new")
        assert form.status_code == 403 and "无权访问" in form.text
        assert (
            marketer.post("/console/employees/new", {"name": "x", "roles": "sales"}).status_code
            == 403
        )
        assert marketer.client.get("/console/departments/new").status_code == 403
        assert marketer.client.get(f"/console/employees/{_id}/login").status_code == 403
    finally:
        marketer.close()


def test_another_tenants_employee_and_department_answer_the_404_page(api: Api) -> None:
    other_token, other = _admin(api)
    try:
        department = _establish(other, "他家部门")
        hired = _hire(other, name="他家员工", email="x@other.cn", roles="sales")
        employee = _id_in(hired.headers["location"], "employees")
    finally:
        other.close()
    _token, admin = _admin(api)
    try:
        for path in (
            f"/console/departments/{department}",
            f"/console/departments/{department}/edit",
            f"/console/departments/{department}/dissolve",
            f"/console/employees/{employee}",
            f"/console/employees/{employee}/edit",
            f"/console/employees/{employee}/leave",
            f"/console/employees/{employee}/login",
            f"/console/employees/{employee}/login/revoke",
        ):
            shown = admin.client.get(path)
            assert shown.status_code == 404, path
            assert "页面不存在" in shown.text, path
        for path, form in (
            (f"/console/employees/{employee}/leave", {"version": "1"}),
            (f"/console/employees/{employee}/login", {"identifier": "x@other.cn"}),
            (f"/console/departments/{department}/dissolve", {"version": "1"}),
        ):
            assert admin.post(path, form).status_code == 404, path
        # Nor can a department of theirs be chosen for one of ours.
        refused = _hire(admin, name="张三", roles="sales", department_id=department)
        assert refused.status_code == 422 and _field_error(refused.text, "department_id")
        assert "他家员工" not in _rows(admin.client.get("/console/employees?include_left=1").text)
    finally:
        admin.close()
    del other_token


def test_a_login_without_a_password_sends_a_set_password_link(api: Api) -> None:
    _token, admin = _admin(api)
    mobile = f"139{uuid.uuid4().int % 10**8:08d}"
    try:
        hired = _hire(admin, name="韩梅梅", mobile=mobile, roles=["sales_manager"])
        employee = _id_in(hired.headers["location"], "employees")
        form = admin.client.get(f"/console/employees/{employee}/login")
        assert f'value="{mobile}"' in form.text  # no e-mail: the mobile is prefilled
        granted = admin.post(f"/console/employees/{employee}/login", {"identifier": mobile})
        assert granted.status_code == 303, granted.text
        shown = admin.client.get(granted.headers["location"]).text
        assert "设置密码的链接已发给员工" in shown and "尚未登录" in shown
        outbox = api.runtime.settings.var_dir / "outbox" / "messages.jsonl"
        sent = [json.loads(line) for line in outbox.read_text().splitlines()]
        assert any(
            m["to"].endswith(mobile) and "/console/password/reset" in m["link"] for m in sent
        )
        again = admin.client.get(f"/console/employees/{employee}/login", follow_redirects=False)
        assert again.status_code == 303  # one login per employee: back to their page
    finally:
        admin.close()
