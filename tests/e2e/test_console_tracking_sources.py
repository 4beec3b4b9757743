"""Console pages of tracking sources on both stores: the list, create with the write key
shown once, the detail with stats and history, settings, rotate and revoke after a
confirmation (reason recorded), the install page; the API's permissions and isolation."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from uuid import UUID, uuid4

from application.shared.behaviours import BEHAVIOURS, Behaviour
from application.tracking.source_stats import SourceStats
from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session

BASE = "/console/tracking/sources"


def _signed_in(api: Api, *roles: str) -> tuple[str, str, ConsoleSession]:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, *(roles or ("marketer",)), name="市场小王")
    return tenant_id, token, open_session(api, email)


def _key_on(page: str) -> str:
    found = re.search(r'id="write-key"[^>]*value="(hk_[^"]+)"', page)
    assert found, page
    return found.group(1)


def _create(session: ConsoleSession, **fields: str) -> tuple[str, str]:
    made = session.post(
        f"{BASE}/new", {"name": "官网", "kind": "website", "honour_do_not_track": "1", **fields}
    )
    assert made.status_code == 201, made.text
    key = _key_on(made.text)
    found = re.search(rf'href="{BASE}/([0-9a-f-]{{36}})"', made.text)
    assert found, made.text
    return found.group(1), key


def test_creating_a_source_shows_its_key_once_with_the_install_code(api: Api) -> None:
    tenant_id, _token, session = _signed_in(api)
    try:
        form = session.client.get(f"{BASE}/new")
        assert form.status_code == 200 and 'name="kind"' in form.text

        made = session.post(f"{BASE}/new", {"name": "官网", "kind": "website"})

        assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
        key = _key_on(made.text)
        assert "只显示这一次" in made.text
        page = html.unescape(made.text)
        assert f'<script async src="http://127.0.0.1:8000/t.js" data-key="{key}">' in page
        assert "window.huoke=window.huoke||function(){(huoke.q=huoke.q||[]).push(arguments)};" in (
            page
        )
        source_id = re.search(rf'href="{BASE}/([0-9a-f-]{{36}})"', made.text).group(1)  # type: ignore[union-attr]
        found = api.runtime.container.write_keys().source_for_key(key)
        assert found is not None and found.tenant_id == UUID(tenant_id)
        assert found.honour_do_not_track is False  # the box was left unticked

        listed = session.client.get(BASE)
        detail = session.client.get(f"{BASE}/{source_id}")
        install = session.client.get(f"{BASE}/{source_id}/install")
        for shown in (listed, detail, install):
            assert shown.status_code == 200 and key not in shown.text
        assert "官网" in listed.text and "使用中" in listed.text
        assert "尚未收到" in detail.text and "新建追踪来源" in detail.text  # its history
        guide = html.unescape(install.text)
        assert 'src="http://127.0.0.1:8000/t.js" data-key="YOUR_WRITE_KEY">' in guide
        assert "huoke('identify', 'member-42', {mobile: '13800138000'" in guide
        assert "huoke('track', '下单', {total_fen: 12800})" in guide
        assert "analytics.host = 'http://127.0.0.1:8000'" in guide
        assert "apiHost: '127.0.0.1:8000/v1', protocol: 'http'" in guide
        assert "rudderanalytics.load('YOUR_WRITE_KEY', 'http://127.0.0.1:8000')" in guide
        assert "POST http://127.0.0.1:8000/v1/batch" in guide
    finally:
        session.close()


def test_a_form_with_errors_is_shown_again_naming_the_field(api: Api) -> None:
    _tenant, _token, session = _signed_in(api)
    try:
        empty = session.post(f"{BASE}/new", {"name": "", "kind": "website"})
        long = session.post(f"{BASE}/new", {"name": "长" * 61, "kind": "fax"})

        assert empty.status_code == 422 and 'aria-describedby="e-name"' in empty.text
        assert long.status_code == 422 and "e-kind" in long.text and "e-name" in long.text
        assert "长" * 61 in long.text  # what was typed
        assert "还没有追踪来源" in session.client.get(BASE).text  # nothing was made
    finally:
        session.close()


def test_settings_rotate_and_revoke_with_a_reason(api: Api) -> None:
    _tenant, token, session = _signed_in(api)
    try:
        source_id, first_key = _create(session)
        keys = api.runtime.container.write_keys()

        edit = session.client.get(f"{BASE}/{source_id}/edit")
        assert edit.status_code == 200 and 'name="version" value="1"' in edit.text
        saved = session.post(f"{BASE}/{source_id}/edit", {"name": "新官网", "version": "1"})
        assert saved.status_code == 303, saved.text
        stale = session.post(f"{BASE}/{source_id}/edit", {"name": "旧", "version": "1"})
        assert stale.status_code == 409 and "新官网" in session.client.get(BASE).text
        assert keys.source_for_key(first_key).honour_do_not_track is False  # type: ignore[union-attr]

        confirm = session.client.get(f"{BASE}/{source_id}/rotate-key")
        assert confirm.status_code == 200 and "立即失效" in confirm.text
        rotated = session.post(
            f"{BASE}/{source_id}/rotate-key", {"version": "3", "reason": "密钥泄露"}
        )
        assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
        new_key = _key_on(rotated.text)
        assert new_key != first_key
        assert keys.source_for_key(first_key) is None and keys.source_for_key(new_key)

        no_reason = session.post(f"{BASE}/{source_id}/revoke", {"version": "4", "reason": ""})
        assert no_reason.status_code == 422 and "请填写原因" in no_reason.text
        assert keys.source_for_key(new_key) is not None
        revoked = session.post(f"{BASE}/{source_id}/revoke", {"version": "4", "reason": "官网改版"})
        assert revoked.status_code == 303, revoked.text
        assert keys.source_for_key(new_key) is None

        detail = session.client.get(f"{BASE}/{source_id}")
        assert "已停用" in detail.text and "官网改版" in detail.text and "密钥泄露" in detail.text
        assert f"{BASE}/{source_id}/revoke" not in detail.text  # no revoke button any more
        again = session.post(f"{BASE}/{source_id}/revoke", {"version": "5", "reason": "再停用"})
        assert again.status_code == 409
        history = api.client.get(f"/api/v1/history/{source_id}", headers=api.key(token)).json()
        assert [e["reason"] for e in history][-2:] == ["密钥泄露", "官网改版"]
    finally:
        session.close()


def test_the_source_page_shows_its_ingestion_stats(api: Api) -> None:
    tenant_id, _token, session = _signed_in(api)
    try:
        source_id, _key = _create(session)
        now = datetime.now(UTC)
        rows = [
            Behaviour(
                tenant_id=UUID(tenant_id),
                kind=kind,
                channel="web",
                occurred_at=now,
                received_at=now,
                message_id=str(uuid4()),
                source_id=source_id,
            )
            for kind in ("page", "page", "track")
        ]
        position = max(api.runtime.container.behaviours().append(rows))
        view = api.runtime.container.infrastructure().query_view(SourceStats)
        view.wait(BEHAVIOURS, position, timeout=10)

        detail = session.client.get(f"{BASE}/{source_id}")

        day = re.search(rf'<tr data-day="{now.date()}">(.*?)</tr>', detail.text, re.S)
        assert day, detail.text
        assert re.findall(r'class="numeric"[^>]*>(\d+)<', day.group(1)) == ["3", "2", "1"]
        assert "共 3 条行为数据" in detail.text
    finally:
        session.close()


def test_sales_read_sources_but_cannot_change_them(api: Api) -> None:
    _tenant, token, session = _signed_in(api, "sales")
    admin_email = employee_login(api, token, "marketer", name="市场")[1]
    marketer = open_session(api, admin_email)
    try:
        source_id, key = _create(marketer)

        assert session.client.get(BASE).status_code == 200
        detail = session.client.get(f"{BASE}/{source_id}")
        assert detail.status_code == 200 and f"{BASE}/{source_id}/revoke" not in detail.text
        assert session.client.get(f"{BASE}/{source_id}/install").status_code == 200
        for path in ("new", f"{source_id}/edit", f"{source_id}/rotate-key", f"{source_id}/revoke"):
            assert session.client.get(f"{BASE}/{path}").status_code == 403, path
        refused = session.post(f"{BASE}/{source_id}/revoke", {"version": "1", "reason": "x"})
        assert refused.status_code == 403
        assert api.runtime.container.write_keys().source_for_key(key) is not None
        nav = session.client.get("/console").text
        assert f'href="{BASE}"' in nav and "追踪来源" in nav
    finally:
        session.close()
        marketer.close()


def test_another_tenants_source_is_404_on_every_page(api: Api) -> None:
    _tenant, _token, owner = _signed_in(api)
    _other_tenant, _other_token, other = _signed_in(api, "tenant_admin")
    try:
        source_id, key = _create(owner)
        for path in ("", "/install", "/edit", "/rotate-key", "/revoke"):
            assert other.client.get(f"{BASE}/{source_id}{path}").status_code == 404, path
        for path in ("/edit", "/rotate-key", "/revoke"):
            answer = other.post(f"{BASE}/{source_id}{path}", {"version": "1", "reason": "x"})
            assert answer.status_code == 404, path
        assert source_id not in other.client.get(BASE).text
        assert api.runtime.container.write_keys().source_for_key(key) is not None
    finally:
        owner.close()
        other.close()
