"""The archive's reading pages through the test client on both stores (ARCH-2, ARCH-5,
ARCH-6): an auditor's search shows hits marked in their context and is recorded, the
chat page and the statistics render, the record of reads lists both reads; a date that
is no date is named on its field; a marketer gets the 403 page; another tenant's chat
is the 404 page."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from tests.conftest import Api
from tests.e2e.console_support import employee_login, open_session
from tests.e2e.test_archive_reading_routes import T0, paid
from tests.settling import settle


def test_an_auditor_reads_the_archive_in_the_console(api: Api) -> None:
    from application.archive.messages import ArchivedMessage, behaviour_of

    tenant_id, admin = api.tenant_with_key("tenant_admin")
    paid(api, admin, "scrm_ten_seats")
    _, auditor = employee_login(api, admin, "auditor", name="审计")
    _, marketer = employee_login(api, admin, "marketer", name="市场")
    suffix = uuid.uuid4().hex[:8]
    message = ArchivedMessage(
        seq=1, msgid=f"c-{suffix}", action="send", sender=f"wm{suffix}", tolist=(f"e{suffix}",),
        roomid="", msgtime=T0, msgtype="text", content={"content": "请问<b>价格</b>多少"},
    )  # fmt: skip
    api.runtime.container.ingestion().take(
        [behaviour_of(uuid.UUID(tenant_id), message, received_at=T0)]
    )
    settle(api.runtime)
    session = open_session(api, auditor)

    found = session.client.get("/console/archive/search", params={"scope": "global", "q": "价格"})
    assert found.status_code == 200, found.text
    assert "请问&lt;b&gt;<mark>价格</mark>&lt;/b&gt;多少" in found.text  # escaped, then marked
    chat = quote(message.conversation, safe=":")
    shown = session.client.get(f"/console/archive/conversations/{chat}?around={message.msgid}")
    assert shown.status_code == 200 and "多少" in shown.text
    stats = session.client.get("/console/archive/stats")
    assert stats.status_code == 200 and "存档统计" in stats.text
    wrong = session.client.get("/console/archive/stats", params={"since": "yesterday"})
    assert wrong.status_code == 422 and 'id="e-since"' in wrong.text
    settle(api.runtime)
    reads = session.client.get("/console/archive/reads")
    assert reads.status_code == 200
    assert "关键词：价格" in reads.text and reads.text.count("<tr") >= 3  # header + 2 reads

    refused = open_session(api, marketer)
    assert refused.client.get("/console/archive/search").status_code == 403
    assert refused.client.get("/console/archive/reads").status_code == 403
    _, stranger = api.tenant_with_key("tenant_admin")
    paid(api, stranger, "scrm_ten_seats")
    _, outsider = employee_login(api, stranger, "auditor")
    elsewhere = open_session(api, outsider).client.get(f"/console/archive/conversations/{chat}")
    assert elsewhere.status_code == 404
