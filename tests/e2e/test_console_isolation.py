"""Tenant isolation on the console, as tests/e2e/test_isolation.py walks the API: every
/console route with path parameters, filled with another tenant's records, answers the
404 page to a tenant admin (GET and a POST with a valid CSRF token) and shows nothing
of that tenant; staff pages refuse tenants' employees and tenant pages refuse staff.

The routes come from the app itself, so a new page is walked as soon as it is
registered; a path parameter the record catalogue (Api.one_of_each) cannot fill fails
the walk until someone adds a record of that kind there."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session, staff_login

# Pages every signed-in person shares (the frame, sign-in, the dashboard): not a
# tenant's or the back office's own.
SHARED = re.compile(r"^/console(/|/sign-in|/sign-out|/language|/password(/.*)?|/static(/.*)?)?$")
ADMIN = "/console/admin"
# Routes whose path names an action, not a record: the records they act on come in the
# form; each is walked by a test of its own below, with another tenant's ids in the form.
FORM_CARRIED = {"POST /console/leads/bulk/{verb}": "test_bulk_actions_skip_another_tenants_leads"}
REFUSED = {403, 404}
_TOKEN = re.compile(r'name="_csrf" value="([^"]+)"')


@dataclass(frozen=True)
class ConsoleRoute:
    method: str
    path: str  # with {name} parameters

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)

    @property
    def is_admin(self) -> bool:
        return self.path.startswith(ADMIN)

    def unknown(self, records: dict[str, str]) -> str | None:
        """Why the walk cannot fill this route, if it cannot."""
        missing = [name for name in self.parameters if name not in records]
        if not missing:
            return None
        return (
            f"{self}: no record for path parameter(s) {missing}; add one of that kind to "
            "Api.one_of_each() in tests/conftest.py (named as the path parameter), so the "
            "isolation walk can fill it"
        )

    def url(self, records: dict[str, str]) -> str:
        return re.sub(r"{(\w+)(?::\w+)?}", lambda m: records[m.group(1)], self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def console_routes(app: Litestar) -> list[ConsoleRoute]:
    """Every GET and POST under /console that the app serves (static files aside)."""
    routes = [
        ConsoleRoute(method, route.path_format)
        for route in app.routes
        if route.path_format.startswith("/console")
        and not route.path_format.startswith("/console/static")
        for method in sorted(getattr(route, "methods", ()))
        if method in ("GET", "POST")
    ]
    assert len(routes) > 5, routes
    return routes


def _token(session: ConsoleSession) -> str:
    found = _TOKEN.search(session.client.get("/console").text)
    assert found
    return found.group(1)


def _call(session: ConsoleSession, route: ConsoleRoute, url: str, token: str) -> Any:
    if route.method == "GET":
        return session.client.get(url, follow_redirects=False)
    return session.client.post(url, data={"_csrf": token}, follow_redirects=False)


def _revealed(text: str, url: str, records: dict[str, str]) -> list[str]:
    """The other tenant's values a page shows (the ids in its own URL aside: the
    layout echoes the path, e.g. in the language switch)."""
    return [
        name
        for name, value in records.items()
        if name != "token" and len(value) > 8 and value not in url and value in text
    ]


@pytest.fixture
def other_tenant(api: Api) -> dict[str, str]:
    """Tenant B with one record of every kind, named as the path parameters are."""
    records = api.one_of_each()
    return {**records, "staff_id": records["tenant_id"]}


def test_every_console_route_hides_another_tenants_records(
    api: Api, other_tenant: dict[str, str]
) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _admin, email = employee_login(api, token, "tenant_admin")  # every permission, tenant A
    session = open_session(api, email)
    walked: list[str] = []
    leaks: list[str] = []
    unknown: list[str] = []
    try:
        csrf = _token(session)
        for route in console_routes(api.client.app):
            if not route.parameters or str(route) in FORM_CARRIED:
                continue
            if route.unknown(other_tenant):
                unknown.append(route.unknown(other_tenant) or "")
                continue
            url = route.url(other_tenant)
            answer = _call(session, route, url, csrf)
            walked.append(f"{route} -> {answer.status_code}")
            wanted = REFUSED if route.is_admin else {404}
            if answer.status_code not in wanted:
                leaks.append(f"{route}: {answer.status_code}")
            elif "text/html" not in answer.headers.get("content-type", ""):
                leaks.append(f"{route}: {answer.headers.get('content-type')} instead of a page")
            shown = _revealed(answer.text, url, other_tenant)
            if shown:
                leaks.append(f"{route}: shows {shown}")
    finally:
        session.close()
    print("\nconsole isolation walk:\n  " + "\n  ".join(walked))
    assert walked, "no console route with path parameters"
    problems = [*unknown, *(f"answers another tenant's record: {leak}" for leak in leaks)]
    assert not problems, "\n".join(problems)


def test_staff_pages_refuse_employees_and_tenant_pages_refuse_staff(
    api: Api, other_tenant: dict[str, str]
) -> None:
    # Tenant B's own admin asks for B's own records on the back office's pages, and a
    # staff admin asks for them on the tenant's pages: neither may, whatever the id.
    _employee, email = employee_login(api, other_tenant["token"], "tenant_admin")
    employee = open_session(api, email)
    staff = open_session(api, staff_login(api, "admin"))
    wrong: list[str] = []
    unknown: list[str] = []
    try:
        tokens = {"employee": _token(employee), "staff": _token(staff)}
        for route in console_routes(api.client.app):
            if SHARED.match(route.path) or str(route) in FORM_CARRIED:
                continue
            if route.unknown(other_tenant):
                unknown.append(route.unknown(other_tenant) or "")
                continue
            who, session = ("employee", employee) if route.is_admin else ("staff", staff)
            answer = _call(session, route, route.url(other_tenant), tokens[who])
            if answer.status_code not in REFUSED:
                wrong.append(f"{route} as {who}: {answer.status_code}")
    finally:
        employee.close()
        staff.close()
    problems = [*unknown, *(f"open to the wrong audience: {route}" for route in wrong)]
    assert not problems, "\n".join(problems)


def test_bulk_actions_skip_another_tenants_leads(api: Api) -> None:
    """Another tenant's lead ids ticked into a bulk form are not found, and unchanged."""
    _tenant_b, token_b = api.tenant_with_key("tenant_admin")
    b_headers = {**api.key(token_b), "Prefer": "read-your-writes"}
    lead = api.client.post(
        "/api/v1/leads", json={"name": "乙方客户", "mobile": "13912345678"}, headers=b_headers
    )
    assert lead.status_code == 201, lead.text
    created = lead.json()["lead"]
    _tenant_a, token_a = api.tenant_with_key("tenant_admin")
    _admin, email = employee_login(api, token_a, "tenant_admin")
    own = api.client.post(
        "/api/v1/leads",
        json={"name": "甲方客户", "mobile": "13912345679"},
        headers={**api.key(token_a), "Prefer": "read-your-writes"},
    ).json()["lead"]
    session = open_session(api, email)
    try:
        for verb in ("add_tags", "delete", "release"):
            answer = session.post(
                f"/console/leads/bulk/{verb}",
                {
                    "ids[]": [created["id"], own["id"]],
                    "step": "confirmed",
                    "tags": "泄露",
                    "reason": "x",
                },
            )
            assert answer.status_code in (200, 303, 422), (verb, answer.status_code)
            assert "乙方客户" not in answer.text
    finally:
        session.close()
    mine = api.client.get(f"/api/v1/leads/{own['id']}", headers=api.key(token_a))
    assert mine.json()["version"] > own["version"]  # the same form did act on tenant A's
    after = api.client.get(f"/api/v1/leads/{created['id']}", headers=b_headers)
    assert after.status_code == 200, after.text
    assert after.json()["version"] == created["version"]  # untouched: no tag, no release
