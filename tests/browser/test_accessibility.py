"""Every console page a tenant admin's and a staff admin's navigation shows passes the
axe-core check in Chromium and leaves its screenshots, so no page escapes the check
even if its author forgot it (pages with path parameters are their journeys' to check)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot

pytestmark = pytest.mark.browser


def _navigation(page: Any) -> list[str]:
    """The pages the sidebar offers, in its order (the dashboard first)."""
    links = page.get_by_role("navigation", name="主导航").locator("a")
    paths = ["/console"]
    for href in links.evaluate_all("links => links.map(link => link.getAttribute('href'))"):
        if href and href.startswith("/console") and "{" not in href and href not in paths:
            paths.append(href)
    return paths


def _check_every_page(page: Any, who: str) -> list[str]:
    visited = _navigation(page)
    refused = []
    for path in visited:
        answer = page.goto(path)
        assert answer is not None
        page.wait_for_load_state()
        name = f"a11y-{who}-" + (re.sub(r"[^a-z0-9]+", "-", path[len("/console") :]) or "home")
        snapshot(page, name.rstrip("-"))
        if answer.status >= 400:
            refused.append(f"{path}: answered {answer.status}")
            continue
        try:
            assert_accessible(page)
        except AssertionError as violations:
            refused.append(f"{path}: {violations}")
    assert len(visited) > 1, f"{who}'s navigation offers no page"
    return refused


def test_every_page_in_a_tenant_admins_navigation_is_accessible(
    page: Any, live_console: LiveConsole
) -> None:
    _tenant, email, token = live_console.tenant_admin("无障碍检查科技")
    lead = live_console.api.client.post(
        "/api/v1/leads",
        json={"mobile": "13822220001", "name": "无障碍线索"},
        headers={**live_console.api.key(token), "Prefer": "read-your-writes"},
    )
    assert lead.status_code == 201, lead.text
    sign_in(page, email)
    problems = _check_every_page(page, "tenant")
    assert not problems, "\n".join(problems)


def test_every_page_in_a_staff_admins_navigation_is_accessible(
    page: Any, live_console: LiveConsole
) -> None:
    sign_in(page, live_console.staff_login("admin"))
    problems = _check_every_page(page, "staff")
    assert not problems, "\n".join(problems)
