"""A live huoke on a local port, Debian's Chromium driven by Playwright, and helpers to
make people who can sign in, sign them in, keep screenshots and check accessibility.

Screenshots of every page a journey visits are kept under `test-artifacts/screenshots/`
(HUOKE_ARTIFACTS_DIR), at 1440 px and 390 px wide.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from application.logins.commands import GrantEmployeeLogin, GrantStaffLogin
from application.shared.callers import TenantCaller
from application.shared.context import RequestContext, acting
from entrypoints.container import Runtime
from entrypoints.http.app import create_app
from tests.conftest import Api, make_settings

CHROMIUM = os.environ.get("HUOKE_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("HUOKE_REQUIRE_BROWSER", "") not in ("", "0")
ARTIFACTS = Path(os.environ.get("HUOKE_ARTIFACTS_DIR", "test-artifacts")) / "screenshots"
WIDTHS = (1440, 390)
PASSWORD = "huoke-Console-2026"
# Without these, Chromium keeps trying hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveConsole:
    """huoke served on a real port, with the API client and the people it made."""

    url: str
    runtime: Runtime
    api: Api

    def staff_login(self, *roles: str, email: str | None = None) -> str:
        """A new staff member with a console login; answers their e-mail (PASSWORD)."""
        email = email or f"staff-{uuid.uuid4().hex[:8]}@huoke.cn"
        answer = self.api.client.post(
            "/api/v1/admin/staff",
            json={"email": email, "display_name": "平台 " + email[:6], "roles": list(roles)},
            headers=self.api.staff(),
        )
        assert answer.status_code == 201, answer.text
        with acting(RequestContext(request_id="browser-setup")):
            self.runtime.container.logins().grant_staff_login(
                GrantStaffLogin(staff_id=answer.json()["id"], identifier=email, password=PASSWORD)
            )
        return email

    def tenant_admin(self, name: str = "浏览器测试科技") -> tuple[str, str, str]:
        """A new tenant and its admin employee with a console login:
        (tenant id, the admin's e-mail, an admin API key)."""
        tenant_id, token = self.api.tenant_with_key("tenant_admin")
        email = f"admin-{uuid.uuid4().hex[:8]}@acme.cn"
        self.employee_login(token, "王管理", email, ["tenant_admin"])
        return tenant_id, email, token

    def employee_login(self, token: str, name: str, email: str, roles: list[str]) -> str:
        """Hire an employee through the API and give them a login; answers their id."""
        hired = self.api.client.post(
            "/api/v1/employees",
            json={"name": name, "email": email, "roles": roles},
            headers={**self.api.key(token), "Prefer": "read-your-writes"},
        )
        assert hired.status_code == 201, hired.text
        caller = self.runtime.container.tenancy().authenticate(token)
        assert isinstance(caller, TenantCaller)
        with acting(RequestContext(actor=caller.actor, request_id="browser-setup")):
            self.runtime.container.logins().grant_employee_login(
                caller,
                GrantEmployeeLogin(
                    employee_id=hired.json()["id"], identifier=email, password=PASSWORD
                ),
            )
        return str(hired.json()["id"])


@pytest.fixture(scope="session")
def live_console(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveConsole]:
    # Every journey signs in from 127.0.0.1: make_settings lifts the address throttle,
    # which tests/e2e/test_console_throttle.py tests on its own.
    settings = make_settings("sqlite", tmp_path_factory.mktemp("browser-var"), request)
    runtime = Runtime(settings).start()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime, close_runtime_on_shutdown=False),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the live server did not start"
    url = f"http://127.0.0.1:{port}"
    with acting(RequestContext(request_id="browser-bootstrap")):
        enrolled = runtime.container.tenancy().enrol_first_admin("root@huoke.cn")
    assert enrolled is not None and enrolled.token
    with httpx.Client(base_url=url, timeout=30) as client:
        yield LiveConsole(url, runtime, Api(client, runtime, enrolled.token))  # type: ignore[arg-type]
    server.should_exit = True
    thread.join(timeout=10)
    runtime.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"Chromium is required but {CHROMIUM} does not exist")
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/test installs Debian's chromium)")
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait for the page a click led to (a loaded CI machine is slow).
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, live_console: LiveConsole) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_console.url, viewport={"width": 1440, "height": 900}, locale="zh-CN"
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Any, identifier: str, password: str = PASSWORD) -> None:
    """Sign in through the form and land on the page after it."""
    page.goto("/console/sign-in")
    page.get_by_label("邮箱或手机号").fill(identifier)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def snapshot(page: Any, name: str) -> list[Path]:
    """Screenshots of the page as it is, at 1440 px and 390 px wide."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
    original = page.viewport_size
    taken = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        path = ARTIFACTS / f"{safe}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
    page.set_viewport_size(original)
    return taken


def assert_accessible(page: Any) -> None:
    """axe-core (packaged) finds no serious or critical violation on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [
        violation
        for violation in results.response["violations"]
        if violation.get("impact") in ("serious", "critical")
    ]
    assert not serious, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in serious
    )
