"""Unsubscribe links over HTTP (MAIL-4, LEAD-9, RFC 8058): the page asks and never
unsubscribes by itself; a one-click POST (no cookie, no CSRF token) or the page's button
opts the lead out of that channel at once, as the lead's consent then says; a repeat is
absorbed; a tampered link is 404 and changes nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from application.shared.behaviours import BehaviourKind
from tests.conftest import Api

WRITE = {"Prefer": "read-your-writes"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _lead(api: Api) -> tuple[str, str, str]:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    answer = api.client.post(
        "/api/v1/leads",
        json={"name": "王芳", "mobile": "13800138000", "email": "wang@acme.cn"},
        headers={**api.key(token), **WRITE},
    )
    assert answer.status_code == 201, answer.text
    return tenant_id, token, answer.json()["lead"]["id"]


def _link(api: Api, tenant_id: str, lead_id: str, message_id: str, channel: str = "email") -> str:
    url = api.runtime.container.unsubscribe_links().url_for(
        UUID(tenant_id), UUID(lead_id), message_id, channel
    )
    path = "/u/" + url.rpartition("/u/")[2]
    assert url.endswith(path)
    return path


def _consent(api: Api, token: str, lead_id: str) -> dict[str, Any]:
    answer = api.client.get(f"/api/v1/leads/{lead_id}/consent", headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["channels"])


def _unsubscribed_rows(api: Api, tenant_id: str, lead_id: str) -> list[Any]:
    rows = api.runtime.container.behaviours().behaviours_of(UUID(tenant_id), limit=100)
    return [
        row
        for row in rows
        if row.kind == BehaviourKind.UNSUBSCRIBED and row.lead_id == UUID(lead_id)
    ]


def test_one_click_unsubscribes_and_the_lead_s_consent_says_so(api: Api) -> None:
    tenant_id, token, lead_id = _lead(api)
    message_id = str(uuid4())
    path = _link(api, tenant_id, lead_id, message_id)

    page = api.client.get(path)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "确认退订" in page.text and "Unsubscribe" in page.text
    assert f"action='{path}'" in page.text and "method=post" in page.text
    assert page.headers["Cache-Control"].startswith("no-store")
    assert _consent(api, token, lead_id)["email"]["may_contact"] is True  # a GET changes nothing

    # What a mailbox provider sends for RFC 8058: a bare form POST, no cookie, no token.
    done = api.client.post(path, content=b"List-Unsubscribe=One-Click", headers=FORM)
    assert done.status_code == 200, done.text
    assert "您已退订" in done.text and "unsubscribed" in done.text

    consent = _consent(api, token, lead_id)
    assert consent["email"]["state"] == "unsubscribed"
    assert consent["email"]["source"] == "one-click"
    assert consent["email"]["may_contact"] is False
    assert consent["sms"]["may_contact"] is True  # only the link's channel
    contactable = api.runtime.container.consent_queries().contactable
    assert contactable(UUID(tenant_id), [UUID(lead_id)], "email") == set()

    again = api.client.post(path, content=b"List-Unsubscribe=One-Click", headers=FORM)
    assert again.status_code == 200
    (row,) = _unsubscribed_rows(api, tenant_id, lead_id)  # the repeat is absorbed
    assert row.channel == "email" and row.source_id == "messaging"
    assert row.properties["message"] == message_id and row.properties["via"] == "one-click"


def test_the_page_s_button_unsubscribes_from_its_channel(api: Api) -> None:
    tenant_id, token, lead_id = _lead(api)
    path = _link(api, tenant_id, lead_id, "sms-message-1", channel="sms")
    page = api.client.get(path)
    assert page.status_code == 200 and "退订短信" in page.text
    done = api.client.post(path, content=b"confirm=yes", headers=FORM)
    assert done.status_code == 200, done.text
    consent = _consent(api, token, lead_id)
    assert (consent["sms"]["state"], consent["sms"]["source"]) == (
        "unsubscribed",
        "unsubscribe link",
    )
    assert consent["email"]["may_contact"] is True


def test_a_multipart_one_click_counts_as_one_click(api: Api) -> None:
    tenant_id, token, lead_id = _lead(api)
    path = _link(api, tenant_id, lead_id, str(uuid4()))
    done = api.client.post(path, files={"List-Unsubscribe": (None, "One-Click")})
    assert done.status_code == 200, done.text
    assert _consent(api, token, lead_id)["email"]["source"] == "one-click"


def test_a_tampered_link_is_404_and_changes_nothing(api: Api) -> None:
    tenant_id, token, lead_id = _lead(api)
    path = _link(api, tenant_id, lead_id, str(uuid4()))
    last = path[-1]
    tampered = path[:-1] + ("A" if last != "A" else "B")
    for bad in (tampered, "/u/nothing-huoke-made", path[:-4]):
        assert api.client.get(bad).status_code == 404
        refused = api.client.post(bad, content=b"List-Unsubscribe=One-Click", headers=FORM)
        assert refused.status_code == 404 and "链接不存在" in refused.text
    assert _consent(api, token, lead_id)["email"]["state"] is None
    assert _unsubscribed_rows(api, tenant_id, lead_id) == []
