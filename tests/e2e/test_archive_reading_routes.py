"""The archive's reading routes over HTTP on both stores (ARCH-2, ARCH-5, ARCH-6): a
marketer key cannot read archives (403) and leaves no read behind; an auditor's search,
chat and message reads are answered and appear in the record of reads and in the
operation log (the audit trail) with the auditor's key; statistics; an edition without
the archive answers 403 subscription_inactive; times without an offset are the tenant's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from application.archive.messages import ArchivedMessage, behaviour_of
from tests.conftest import Api
from tests.settling import settle

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 2026-11-02 09:00 in Shanghai


def paid(api: Api, token: str, edition: str) -> None:
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    order = api.client.post(
        "/api/v1/orders", json={"kind": "new", "edition": edition}, headers=headers
    )
    assert order.status_code == 201, order.text
    confirmed = api.client.post(
        f"/api/v1/admin/orders/{order.json()['id']}/confirm-payment",
        headers={**api.staff(), "Prefer": "read-your-writes"},
    )
    assert confirmed.status_code == 200, confirmed.text


def key(api: Api, tenant_id: str, role: str) -> tuple[str, str]:
    """(key id, token) of a new key with `role`."""
    answer = api.client.post(
        f"/api/v1/admin/tenants/{tenant_id}/api-keys",
        json={"name": role, "roles": [role]},
        headers={**api.staff(), "Prefer": "read-your-writes"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"]), str(answer.json()["token"])


@pytest.fixture
def archive(api: Api) -> dict[str, Any]:
    tenant_id, admin = api.tenant_with_key("tenant_admin")
    paid(api, admin, "scrm_ten_seats")
    suffix = uuid.uuid4().hex[:8]
    employee, customer = f"emp{suffix}", f"wm{suffix}"
    said = ["你好，请问产品价格", "价格是3980元，明天下午开会再定", "好的，下午见", "收到"]
    messages = [
        ArchivedMessage(
            seq=n,
            msgid=f"{suffix}-{n}",
            action="send",
            sender=(customer, employee)[n % 2],
            tolist=((employee, customer)[n % 2],),
            roomid="",
            msgtime=T0 + timedelta(minutes=n),
            msgtype="text",
            content={"content": text},
        )
        for n, text in enumerate(said)
    ]
    api.runtime.container.ingestion().take(
        [behaviour_of(uuid.UUID(tenant_id), m, received_at=T0) for m in messages]
    )
    settle(api.runtime)
    return {
        "tenant_id": tenant_id,
        "admin": admin,
        "auditor": key(api, tenant_id, "auditor"),
        "marketer": key(api, tenant_id, "marketer"),
        "messages": messages,
        "conversation": messages[0].conversation,
    }


def test_a_marketer_key_cannot_read_archives(api: Api, archive: dict[str, Any]) -> None:
    _, marketer = archive["marketer"]
    chat = quote(archive["conversation"], safe=":")
    for url in (
        "/api/v1/archive/messages?q=价格",
        f"/api/v1/archive/messages/{archive['messages'][0].msgid}",
        f"/api/v1/archive/conversations/{chat}",
        "/api/v1/archive/reads",
        "/api/v1/archive/stats",
    ):
        answer = api.client.get(url, headers=api.key(marketer))
        assert answer.status_code == 403, (url, answer.text)
        assert answer.json()["code"] == "permission_denied"
    settle(api.runtime)
    reads = api.client.get("/api/v1/archive/reads", headers=api.key(archive["admin"]))
    assert reads.status_code == 200 and reads.json()["items"] == []


def test_an_auditor_read_appears_in_the_audit_trail(api: Api, archive: dict[str, Any]) -> None:
    auditor_id, auditor = archive["auditor"]
    headers = api.key(auditor)
    found = api.client.get(
        "/api/v1/archive/messages",
        params={"q": "价格", "since": "2026-11-02T09:00:00", "context": 1},
        headers=headers,
    )
    assert found.status_code == 200, found.text
    hits = found.json()["items"]
    assert [h["message"]["text"] for h in hits] == [
        "价格是3980元，明天下午开会再定",
        "你好，请问产品价格",
    ]
    assert [m["text"] for m in hits[0]["before"]] == ["你好，请问产品价格"]
    assert [m["text"] for m in hits[0]["after"]] == ["好的，下午见"]
    later = api.client.get(
        "/api/v1/archive/messages",
        params={"q": "价格", "since": "2026-11-02T09:01:30"},  # the tenant's 09:01:30
        headers=headers,
    )
    assert later.json()["items"] == []
    chat = api.client.get(
        f"/api/v1/archive/conversations/{quote(archive['conversation'], safe=':')}",
        headers=headers,
    )
    assert [m["text"] for m in chat.json()["items"]][-1] == "收到"
    one = api.client.get(
        f"/api/v1/archive/messages/{archive['messages'][2].msgid}", headers=headers
    )
    assert one.status_code == 200 and one.json()["message"]["text"] == "好的，下午见"
    missing = api.client.get("/api/v1/archive/messages/no-such-message", headers=headers)
    assert missing.status_code == 404
    settle(api.runtime)
    reads = api.client.get("/api/v1/archive/reads", headers=headers).json()["items"]
    assert [(r["kind"], r["actor_id"]) for r in reads] == [
        ("message", auditor_id), ("conversation", auditor_id), ("search", auditor_id),
        ("search", auditor_id),
    ]  # fmt: skip
    assert reads[-1]["terms"] == "价格" and reads[-1]["since"].startswith("2026-11-02T01:00")
    log = api.client.get(
        "/api/v1/operation-log",
        params={"topic": "archive.ArchiveRead", "actor_id": auditor_id},
        headers=headers,
    )
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    assert len(entries) == 4 and {e["summary"] for e in entries} == {"查阅会话存档 · archive read"}
    assert entries[-1]["changes"]["terms"] == "价格"


def test_statistics_over_http(api: Api, archive: dict[str, Any]) -> None:
    _, auditor = archive["auditor"]
    report = api.client.get(
        "/api/v1/archive/stats",
        params={"since": "2026-11-02", "until": "2026-11-02"},
        headers=api.key(auditor),
    )
    assert report.status_code == 200, report.text
    (day,) = report.json()["days"]
    assert (day["messages"], day["one_to_one_chats"], day["customers_contacted"]) == (4, 1, 1)
    employees = api.client.get(
        "/api/v1/archive/stats/employees",
        params={"since": "2026-11-02", "until": "2026-11-02"},
        headers=api.key(auditor),
    ).json()
    assert [(e["sent"], e["received"]) for e in employees] == [(2, 2)]


def test_an_edition_without_the_archive_is_refused(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    paid(api, admin, "scrm_advanced")
    answer = api.client.get("/api/v1/archive/messages?q=价格", headers=api.key(admin))
    assert answer.status_code == 403
    assert (answer.json()["code"], answer.json()["field"]) == (
        "subscription_inactive", "session_archive",
    )  # fmt: skip
    assert api.client.get("/api/v1/archive/reads", headers=api.key(admin)).status_code == 200


def test_the_scope_is_read_from_the_query(api: Api, archive: dict[str, Any]) -> None:
    _, auditor = archive["auditor"]
    customer = archive["messages"][0].sender
    mine = api.client.get(
        "/api/v1/archive/messages",
        params={"scope": "customer", "customer": customer, "q": "下午"},
        headers=api.key(auditor),
    )
    assert mine.status_code == 200, mine.text
    assert len(mine.json()["items"]) == 2
    other = api.client.get(
        "/api/v1/archive/messages",
        params={"scope": "customer", "customer": "wmSomeoneElse"},
        headers=api.key(auditor),
    )
    assert other.json()["items"] == []
    wrong = api.client.get(
        "/api/v1/archive/messages", params={"scope": "everyone"}, headers=api.key(auditor)
    )
    assert wrong.status_code == 422


def test_another_tenants_chats_and_messages_are_not_found(
    api: Api, archive: dict[str, Any]
) -> None:
    _, stranger = api.tenant_with_key("tenant_admin")
    paid(api, stranger, "scrm_ten_seats")  # the archive is theirs to read, not this one
    headers = api.key(stranger)
    chat = quote(archive["conversation"], safe=":")
    for url in (
        f"/api/v1/archive/conversations/{chat}",
        f"/api/v1/archive/messages/{archive['messages'][0].msgid}",
    ):
        answer = api.client.get(url, headers=headers)
        assert answer.status_code == 404, (url, answer.text)
    found = api.client.get("/api/v1/archive/messages", params={"q": "价格"}, headers=headers)
    assert found.status_code == 200 and found.json()["items"] == []
    day = {"since": "2026-11-02", "until": "2026-11-02"}  # the archived messages' day
    report = api.client.get("/api/v1/archive/stats", params=day, headers=headers).json()
    assert report["totals"]["messages"] == 0
