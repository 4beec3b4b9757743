"""Kill the sender mid-task and restart it: the relay has each recipient exactly once
(issue 17, "Tests that must exist"), on both backends.

A real `huoke serve` sends a task to 120 leads through a slow SMTP server (aiosmtpd); it
is killed with SIGKILL while messages are in flight, started again on the same store,
and finishes the task. Messages staged but not committed when it died were discarded by
the relay (no final dot) and sent again; committed ones were not sent twice.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import dkim
import httpx

from entrypoints.settings import Settings
from tests.integration.dns_server import LocalDns
from tests.integration.serve_process import Server, serving
from tests.integration.smtp_sink import SmtpSink

RECIPIENTS = 120


def _api(server: Server) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=server.url, timeout=30)
    staff = {"Authorization": f"Bearer {server.staff_token}"}
    tenant = client.post(
        "/api/v1/admin/tenants",
        json={"name": "断电发信", "owner_name": "王", "owner_contact": "send@acme.cn"},
        headers=staff,
    )
    assert tenant.status_code == 201, tenant.text
    key = client.post(
        f"/api/v1/admin/tenants/{tenant.json()['id']}/api-keys",
        json={"name": "admin", "roles": ["tenant_admin"]},
        headers=staff,
    )
    assert key.status_code == 201, key.text
    return client, {"Authorization": f"Bearer {key.json()['token']}", "Prefer": "read-your-writes"}


def _task(client: httpx.Client, headers: dict[str, str], dns: LocalDns) -> dict[str, Any]:
    domain = client.post(
        "/api/v1/sending-domains", json={"domain": "mail.crash.acme.cn"}, headers=headers
    )
    assert domain.status_code == 201, domain.text
    for record in domain.json()["records"]:
        {"TXT": dns.add_txt, "MX": dns.add_mx, "CNAME": dns.add_cname}[record["type"]](
            record["host"], record["value"]
        )
    verified = client.post(f"/api/v1/sending-domains/{domain.json()['id']}/verify", headers=headers)
    assert verified.json()["state"] == "verified", verified.text
    template = client.post(
        "/api/v1/email-templates",
        json={"name": "T", "subject": "{{ name }}，您好", "html": "<p>{{ name }}</p>"},
        headers=headers,
    )
    assert template.status_code == 201, template.text
    leads = []
    for number in range(RECIPIENTS):
        made = client.post(
            "/api/v1/leads",
            json={"name": f"客户{number}", "email": f"p{number}@example.cn"},
            headers={"Authorization": headers["Authorization"]},  # the sender waits for them
        )
        assert made.status_code == 201, made.text
        leads.append(made.json()["lead"]["id"])
    task = client.post(
        "/api/v1/email-tasks",
        json={
            "name": "断电",
            "subject": "{{ name }}，您好",
            "sender_name": "获客",
            "sender_address": "news@mail.crash.acme.cn",
            "template_id": template.json()["id"],
            "audience": {"kind": "leads", "lead_ids": leads},
        },
        headers=headers,
    )
    assert task.status_code == 201, task.text
    return {**task.json(), "dkim": domain.json()["records"][1]}


def test_a_killed_sender_sends_each_recipient_exactly_once_after_a_restart(
    fresh_settings: Settings, tmp_path: Path, public_dns: LocalDns
) -> None:
    with SmtpSink(delay=0.01) as sink:
        env = {
            "HUOKE_SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
            "HUOKE_SMTP_CONNECTIONS": "5",
            "HUOKE_SEND_BATCH": "10",
            "HUOKE_SEND_INTERVAL_SECONDS": "0.05",
            "HUOKE_DNS_NAMESERVER": public_dns.address,
        }
        with serving(fresh_settings, tmp_path, env) as server:
            client, headers = _api(server)
            task = _task(client, headers, public_dns)
            scheduled = client.post(
                f"/api/v1/email-tasks/{task['id']}/schedule",
                json={"send_at": None},
                headers={**headers, "If-Match": f'"{task["version"]}"'},
            )
            assert scheduled.status_code == 200, scheduled.text
            deadline = time.monotonic() + 60
            while len(sink.received) < RECIPIENTS // 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            server.kill()
            at_kill = len(sink.received)
            assert 0 < at_kill < RECIPIENTS, at_kill  # killed in the middle of the task
            server.start()
            deadline = time.monotonic() + 120
            state = ""
            while time.monotonic() < deadline:
                state = client.get(f"/api/v1/email-tasks/{task['id']}", headers=headers).json()[
                    "state"
                ]
                if state == "sent":
                    break
                time.sleep(0.2)
            assert state == "sent"
        received = sink.received
    per_recipient = Counter(rcpt for message in received for rcpt in message.recipients)
    expected = {f"p{number}@example.cn" for number in range(RECIPIENTS)}
    assert set(per_recipient) == expected  # nobody skipped
    assert max(per_recipient.values()) == 1, per_recipient.most_common(3)  # nobody twice
    record = task["dkim"]
    assert dkim.verify(
        received[-1].data, dnsfunc=lambda name, timeout=5: str(record["value"]).encode()
    )
