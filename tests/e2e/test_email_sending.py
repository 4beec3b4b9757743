"""Sending e-mail end to end on both backends (MAIL-1…5, LEAD-9): a task scheduled now
reaches the outbox once per contactable recipient, DKIM-signed for its verified domain,
with RFC 8058 unsubscribe headers, the open pixel and tracked links; a click is the
recipient's; whoever unsubscribed, bounced or withdrew consent gets nothing from any
later task."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import dkim

from tests.conftest import Api
from tests.e2e.mail_support import (
    headers_of,
    lead,
    outbox,
    raw_message,
    send_now,
    task,
    template,
    to_of,
    verified_domain,
    wait_until_sent,
)
from tests.integration.dns_server import LocalDns
from tests.settling import settle


def _dns_of(domain: dict[str, Any]) -> Any:
    dkim_record = next(r for r in domain["records"] if r["purpose"] == "dkim")

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        assert name.decode().rstrip(".") == dkim_record["host"]
        return str(dkim_record["value"]).encode()

    return lookup


def _messages_of(api: Api, token: str, task_id: str, lead_ids: list[str]) -> list[Any]:
    from application.messaging.sending import message_id_for

    ids = {message_id_for(uuid.UUID(task_id), uuid.UUID(lead_id)) for lead_id in lead_ids}
    return outbox(api, ids)


def test_a_task_reaches_each_contactable_recipient_once_signed_and_tracked(
    api: Api, public_dns: LocalDns
) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    domain = verified_domain(api, token, public_dns)
    template_id = template(api, token)
    alice = lead(api, token, "王小明", "alice@example.cn", company="星河科技")
    bob = lead(api, token, "李雷", "bob@example.cn")
    no = api.client.post(
        f"/api/v1/leads/{bob}/consent",
        json={"channel": "email", "state": "unsubscribed", "source": "电话里说的"},
        headers=headers_of(token),
    )
    assert no.status_code == 200, no.text
    made = task(api, token, domain["domain"], template_id, [alice, bob])
    send_now(api, token, made)
    done = wait_until_sent(api, token, made["id"])
    assert done["progress"] == {
        "recipients": 2, "queued": 0, "sent": 1, "skipped": 1, "failed": 0, "percent": 100,
    }  # fmt: skip

    [message] = _messages_of(api, token, made["id"], [alice, bob])
    assert to_of(message) == "alice@example.cn"
    raw = raw_message(api, message)
    assert dkim.verify(raw, dnsfunc=_dns_of(domain))
    assert not dkim.verify(
        raw.replace(b"Unsubscribe</a>", b"Unsubscribx</a>"), dnsfunc=_dns_of(domain)
    )
    assert str(message["Subject"]) == "王小明，双十一专属优惠"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.search(r"<https?://[^>]+/u/[^>]+>", str(message["List-Unsubscribe"]))
    assert message["Return-Path"] is None and str(message["X-Envelope-From"]).startswith("b-")
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "王小明，您好" in html and "星河科技" in html
    assert re.search(r'<img[^>]+src="[^"]+/o/[^"]+\.gif"', html)
    click = re.search(r'href="https?://[^/"]+(/c/[^"]+)"', html)
    assert click and "acme.cn/offer" not in click.group(0)  # the link is rewritten

    followed = api.client.get(
        click.group(1),
        headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"},
        follow_redirects=False,
    )
    assert followed.status_code in (302, 303, 307)
    assert followed.headers["location"] == "https://www.acme.cn/offer?x=1"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        timeline = api.client.get(f"/api/v1/leads/{alice}/timeline", headers=headers_of(token))
        clicks = [e for e in timeline.json()["items"] if e["kind"] == "tracking.LinkClicked"]
        if clicks:
            break
        time.sleep(0.1)
    assert clicks, timeline.text
    # The click is the recipient's, on their message of this task.
    assert (
        clicks[0]["details"]["properties"]["message"]
        == str(message["Message-ID"]).strip("<>").split("@")[0]
    )
    settle(api.runtime)  # the report is a read model: the send's events reach it after
    report = api.client.get(f"/api/v1/email-tasks/{made['id']}/report", headers=headers_of(token))
    assert report.status_code == 200, report.text
    assert report.json()["totals"]["sent"] == 1


def test_unsubscribed_bounced_and_withdrawn_leads_get_nothing_from_any_task(
    api: Api, public_dns: LocalDns
) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    domain = verified_domain(api, token, public_dns)["domain"]
    template_id = template(api, token)
    stays = lead(api, token, "留下", "stays@example.cn")
    clicks_out = lead(api, token, "退订", "clicks-out@example.cn")
    bounces = lead(api, token, "退信", "bounces@example.cn")
    first = task(api, token, domain, template_id, [stays, clicks_out, bounces])
    send_now(api, token, first)
    wait_until_sent(api, token, first["id"])
    messages = {
        to_of(m): m for m in _messages_of(api, token, first["id"], [stays, clicks_out, bounces])
    }
    assert sorted(messages) == ["bounces@example.cn", "clicks-out@example.cn", "stays@example.cn"]

    # One recipient uses the one-click unsubscribe (RFC 8058) of their message.
    url = re.search(
        r"<(https?://[^>]+/u/[^>]+)>", str(messages["clicks-out@example.cn"]["List-Unsubscribe"])
    )
    assert url
    path = "/" + url.group(1).split("/", 3)[3]
    unsubscribed = api.client.post(
        path, content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert unsubscribed.status_code == 200, unsubscribed.text
    # Another's relay reports a hard bounce (what the bounce receiver hands over).
    from application.messaging.sending import message_id_for

    bounced = message_id_for(uuid.UUID(first["id"]), uuid.UUID(bounces))
    assert api.runtime.container.delivery_outcomes().bounced(
        bounced, permanent=True, detail="5.1.1 user unknown"
    )
    withdrawn = lead(api, token, "撤回", "withdrawn@example.cn")
    said = api.client.post(
        f"/api/v1/leads/{withdrawn}/consent",
        json={"channel": "email", "state": "unsubscribed", "source": "客户来电"},
        headers=headers_of(token),
    )
    assert said.status_code == 200, said.text

    second = task(api, token, domain, template_id, [stays, clicks_out, bounces, withdrawn])
    send_now(api, token, second)
    done = wait_until_sent(api, token, second["id"])
    received = _messages_of(api, token, second["id"], [stays, clicks_out, bounces, withdrawn])
    assert [to_of(m) for m in received] == ["stays@example.cn"]
    assert done["progress"]["skipped"] == 3
    consent = api.client.get(f"/api/v1/leads/{bounces}/consent", headers=headers_of(token))
    assert consent.json()["channels"]["email"]["state"] == "suppressed"


def test_another_tenants_task_is_not_found(api: Api, public_dns: LocalDns) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    domain = verified_domain(api, token, public_dns)["domain"]
    made = task(api, token, domain, template(api, token), [lead(api, token, "甲", "a@example.cn")])
    _other, stranger = api.tenant_with_key("tenant_admin")
    for method, path in (
        ("GET", f"/api/v1/email-tasks/{made['id']}"),
        ("POST", f"/api/v1/email-tasks/{made['id']}/copy"),
        ("GET", f"/api/v1/email-tasks/{made['id']}/report"),
    ):
        answer = api.client.request(method, path, headers=headers_of(stranger))
        assert answer.status_code == 404, (path, answer.text)


def test_a_sender_off_the_verified_domains_cannot_be_scheduled(
    api: Api, public_dns: LocalDns
) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    made = task(
        api,
        token,
        "mail.not-verified.cn",
        template(api, token),
        [lead(api, token, "甲", "a@example.cn")],
    )
    refused = api.client.post(
        f"/api/v1/email-tasks/{made['id']}/schedule",
        json={"send_at": None},
        headers={**headers_of(token), "If-Match": f'"{made["version"]}"'},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "sender_address"
