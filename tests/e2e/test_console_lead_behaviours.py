"""The console's lead page shows the lead's behaviours on its timeline (LEAD-8): a page
view with its channel, URL and dwell time, in Chinese and in English, and never the
identities an identify gave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from application.shared.behaviours import Behaviour
from tests.conftest import Api
from tests.e2e.console_support import employee_login, open_session
from tests.settling import settle


def test_the_lead_page_shows_a_page_view_on_the_timeline(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    _, marketer = employee_login(api, token, "marketer", name="市场小王")
    lead_id = api.client.post(
        "/api/v1/leads",
        json={"mobile": "13800138000", "name": "张三"},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    ).json()["lead"]["id"]
    later = datetime.now(UTC) + timedelta(hours=1)
    rows = [
        ("page", "定价", {"url": "https://acme.cn/pricing?token=s3cret", "dwell_ms": 42_000}),
        ("identify", "", {"mobile": "13800138000", "plan": "pro"}),
    ]
    api.runtime.container.ingestion().take(
        [
            Behaviour(
                tenant_id=UUID(tenant_id),
                kind=kind,
                channel="web",
                occurred_at=later - timedelta(minutes=n),
                received_at=datetime.now(UTC),
                message_id=str(uuid4()),
                name=name,
                properties=properties,
                anonymous_id="console-visitor",
            )
            for n, (kind, name, properties) in enumerate(rows)
        ]
    )
    settle(api.runtime)
    session = open_session(api, marketer)
    try:
        page = session.client.get(f"/console/leads/{lead_id}")
        assert page.status_code == 200, page.text
        assert "浏览网页" in page.text and "识别身份" in page.text
        assert "网站 · 定价 · https://acme.cn/pricing · 停留 42 秒" in page.text
        assert "提供了：mobile, plan" in page.text
        assert "s3cret" not in page.text and "访客" in page.text

        session.client.cookies.set("huoke_lang", "en", path="/console")
        english = session.client.get(f"/console/leads/{lead_id}")
        assert "Page viewed" in english.text
        assert "Website · 定价 · https://acme.cn/pricing · 42 s on page" in english.text
    finally:
        session.close()
