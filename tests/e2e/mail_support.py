"""Set-ups for e-mail tests: a verified sending domain (its records published in the
test DNS), a template, leads, and reading the sandbox outbox."""

from __future__ import annotations

import email
import email.policy
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.conftest import Api
from tests.integration.dns_server import LocalDns

TEMPLATE_HTML = (
    "<html><body><h1>{{ name }}，您好</h1><p>{{ company }} 的专属优惠。</p>"
    '<p><a href="https://www.acme.cn/offer?x=1">立即查看</a></p></body></html>'
)


def headers_of(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Prefer": "read-your-writes"}


def publish(dns: LocalDns, domain: dict[str, Any]) -> None:
    """Put the records the domain's answer lists into the test DNS."""
    for record in domain["records"]:
        if record["type"] == "TXT":
            dns.add_txt(record["host"], record["value"])
        elif record["type"] == "MX":
            dns.add_mx(record["host"], record["value"])
        else:
            dns.add_cname(record["host"], record["value"])


def verified_domain(api: Api, token: str, dns: LocalDns) -> dict[str, Any]:
    name = f"mail{uuid.uuid4().hex[:8]}.acme.cn"
    added = api.client.post(
        "/api/v1/sending-domains", json={"domain": name}, headers=headers_of(token)
    )
    assert added.status_code == 201, added.text
    publish(dns, added.json())
    checked = api.client.post(
        f"/api/v1/sending-domains/{added.json()['id']}/verify", headers=headers_of(token)
    )
    assert checked.status_code == 200 and checked.json()["state"] == "verified", checked.text
    return dict(checked.json())


def template(api: Api, token: str, html: str = TEMPLATE_HTML) -> str:
    made = api.client.post(
        "/api/v1/email-templates",
        json={"name": "优惠", "subject": "{{ name }}，专属优惠", "html": html,
              "defaults": {"name": "客户", "company": "贵公司"}},
        headers=headers_of(token),
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def lead(api: Api, token: str, name: str, address: str, **fields: Any) -> str:
    made = api.client.post(
        "/api/v1/leads",
        json={"name": name, "email": address, **fields},
        headers=headers_of(token),
    )
    assert made.status_code == 201, made.text
    return str(made.json()["lead"]["id"])


def task(
    api: Api, token: str, domain: str, template_id: str, lead_ids: list[str]
) -> dict[str, Any]:
    made = api.client.post(
        "/api/v1/email-tasks",
        json={
            "name": "双十一",
            "subject": "{{ name }}，双十一专属优惠",
            "sender_name": "获客科技",
            "sender_address": f"news@{domain}",
            "template_id": template_id,
            "audience": {"kind": "leads", "lead_ids": lead_ids},
        },
        headers=headers_of(token),
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


def send_now(api: Api, token: str, task: dict[str, Any]) -> dict[str, Any]:
    scheduled = api.client.post(
        f"/api/v1/email-tasks/{task['id']}/schedule",
        json={"send_at": None},
        headers={**headers_of(token), "If-Match": f'"{task["version"]}"'},
    )
    assert scheduled.status_code == 200, scheduled.text
    return dict(scheduled.json())


def wait_until_sent(api: Api, token: str, task_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = api.client.get(f"/api/v1/email-tasks/{task_id}", headers=headers_of(token))
        assert found.status_code == 200, found.text
        if found.json()["state"] == "sent":
            return dict(found.json())
        time.sleep(0.1)
    raise AssertionError(f"the task did not finish: {found.json()}")


def outbox(api: Api, message_ids: set[str] | None = None) -> list[EmailMessage]:
    """The sandbox's messages (optionally only those of the given message ids)."""
    folder = Path(api.runtime.settings.var_dir) / "outbox"
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        if message_ids is None or path.stem in message_ids:
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            found.append(parsed)  # type: ignore[arg-type]
    return found  # type: ignore[return-value]


def raw_message(api: Api, message: EmailMessage) -> bytes:
    """The message as the relay got it: the outbox file without its envelope lines."""
    folder = Path(api.runtime.settings.var_dir) / "outbox"
    for path in folder.glob("*.eml"):
        data = path.read_bytes()
        if str(message["Message-ID"]).encode() in data.split(b"\r\n\r\n", 1)[0]:
            return data.split(b"\r\n", 2)[2]
    raise AssertionError("no such message in the outbox")


def to_of(message: EmailMessage) -> str:
    return str(message["X-Envelope-To"])
