"""The console frame on both stores: sign-in, sessions, CSRF, language, error pages."""

from __future__ import annotations

from tests.conftest import Api
from tests.e2e.console_support import employee_login, open_session, staff_login


def test_pages_need_a_session_and_forms_need_their_token(api: Api) -> None:
    anonymous = api.client.get("/console", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/console/sign-in?next=%2Fconsole"
    session = open_session(api, staff_login(api, "admin"))
    try:
        assert session.client.get("/console").status_code == 200
        refused = session.client.post("/console/sign-out", data={}, follow_redirects=False)
        assert refused.status_code == 403
        assert "text/html" in refused.headers["content-type"]
        assert session.post("/console/sign-out").status_code == 303
        assert session.client.get("/console", follow_redirects=False).status_code == 303
    finally:
        session.close()


def test_an_employee_session_acts_as_the_employee_and_ends_when_they_leave(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    employee_id, email = employee_login(api, token, "sales")
    session = open_session(api, email)
    try:
        assert session.client.get("/console").status_code == 200
        left = api.client.post(
            f"/api/v1/employees/{employee_id}/leave",
            headers={**api.key(token), "If-Match": '"1"'},
        )
        assert left.status_code in (200, 201), left.text
        assert session.client.get("/console", follow_redirects=False).status_code == 303
    finally:
        session.close()


def test_the_sign_in_history_is_on_the_login_record(api: Api) -> None:
    email = staff_login(api, "support")
    session = open_session(api, email)
    session.close()
    from domain.logins.login import login_id_for

    history = api.client.get(
        f"/api/v1/admin/history/{login_id_for('email:' + email)}", headers=api.staff()
    )
    assert history.status_code == 200, history.text
    types = [item["type"] for item in history.json()]
    assert types[:2] == ["logins.Login.Granted", "logins.Login.SignedIn"]
