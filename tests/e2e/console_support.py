"""Console pages through the test client (both stores): people who can sign in, a
signed-in client per person, and the CSRF token of the page last shown."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from litestar.testing import TestClient

from application.logins.commands import GrantEmployeeLogin, GrantStaffLogin
from application.shared.callers import TenantCaller
from application.shared.context import RequestContext, acting
from tests.conftest import Api

PASSWORD = "huoke-Console-2026"
_TOKEN = re.compile(r'name="_csrf" value="([^"]+)"')


@dataclass
class ConsoleSession:
    """A browser-like client signed in as one person (its own cookie jar)."""

    client: TestClient[Any]
    identifier: str

    def csrf(self, path: str = "/console") -> str:
        """The CSRF token a form on `path` carries."""
        shown = self.client.get(path)
        found = _TOKEN.search(shown.text)
        assert found, f"no CSRF token on {path} ({shown.status_code})"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form the way the page would, with the page's CSRF token."""
        form = {"_csrf": self.csrf(), **(data or {})}
        return self.client.post(path, data=form, follow_redirects=False, **kwargs)

    def close(self) -> None:
        """Forget the cookies (the client holds nothing else: it was never entered)."""
        self.client.cookies.clear()


def open_session(api: Api, identifier: str, password: str = PASSWORD) -> ConsoleSession:
    """A new client (its own cookies) signed in through the sign-in form.

    It sends to the app the session's API client already serves (started once for the
    session): building another app costs seconds (its ~900 routes), and a second client
    is all a browser of its own needs. It is not entered, so it neither starts the app
    again nor shuts it down (which would close the shared idempotency store)."""
    client: TestClient[Any] = TestClient(api.client.app)
    session = ConsoleSession(client, identifier)
    answer = client.post(
        "/console/sign-in",
        data={
            "_csrf": session.csrf("/console/sign-in"),
            "identifier": identifier,
            "password": password,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return session


def staff_login(api: Api, *roles: str) -> str:
    """A new staff member with a console login (PASSWORD); answers their e-mail."""
    email = f"staff-{uuid.uuid4().hex[:8]}@huoke.cn"
    answer = api.client.post(
        "/api/v1/admin/staff",
        json={"email": email, "display_name": "平台员工", "roles": list(roles)},
        headers=api.staff(),
    )
    assert answer.status_code == 201, answer.text
    with acting(RequestContext(request_id="console-setup")):
        api.runtime.container.logins().grant_staff_login(
            GrantStaffLogin(staff_id=answer.json()["id"], identifier=email, password=PASSWORD)
        )
    return email


def employee_login(api: Api, token: str, *roles: str, name: str = "员工") -> tuple[str, str]:
    """Hire an employee with `roles` through the API (key `token`) and give them a
    console login; answers (employee id, e-mail)."""
    email = f"e-{uuid.uuid4().hex[:8]}@acme.cn"
    hired = api.client.post(
        "/api/v1/employees",
        json={"name": name, "email": email, "roles": list(roles)},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert hired.status_code == 201, hired.text
    caller = api.runtime.container.tenancy().authenticate(token)
    assert isinstance(caller, TenantCaller)
    with acting(RequestContext(actor=caller.actor, request_id="console-setup")):
        api.runtime.container.logins().grant_employee_login(
            caller,
            GrantEmployeeLogin(employee_id=hired.json()["id"], identifier=email, password=PASSWORD),
        )
    return str(hired.json()["id"]), email
