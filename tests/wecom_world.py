"""Set-ups the WeCom mass-send, follow-up and sidebar tests share: a tenant with an SCRM
plan (and, if asked, the interface accounts of the registration add-on), its corp bound
and its contacts synced, members a later sync no longer finds (out of the visible
range), and the customers' profile rows a customer sync records."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.wecom.callbacks import SOURCE, customer_key
from application.wecom.commands import BindCorp
from application.wecom.corps import WecomCorps
from application.wecom.customer_directory import PROFILE
from application.wecom.customer_profiles import profile_properties
from application.wecom.ports import WecomApi, whole_customer
from domain.wecom.member import WecomMember, member_id_for
from entrypoints.container import Runtime
from tests.conftest import Api

STANDARD_ACCOUNTS = 5  # scrm_wecom_registration_standard grants 5 interface accounts


def corpid() -> str:
    return "ww" + secrets.token_hex(8)  # 18 characters, as WeCom's corp ids


def order(api: Api, token: str, body: dict[str, Any]) -> None:
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    placed = api.client.post("/api/v1/orders", json=body, headers=headers)
    assert placed.status_code == 201, placed.text
    confirmed = api.client.post(
        f"/api/v1/admin/orders/{placed.json()['id']}/confirm-payment",
        headers={**api.staff(), "Prefer": "read-your-writes"},
    )
    assert confirmed.status_code == 200, confirmed.text


def scrm_tenant(api: Api, *, accounts: bool = True) -> tuple[str, str]:
    """(tenant id, admin token) of a tenant with 翼有群 SCRM, and the standard
    registration add-on (5 interface accounts) when `accounts`."""
    tenant_id, token = api.tenant_with_key("tenant_admin")
    order(api, token, {"kind": "new", "edition": "scrm_advanced"})
    if accounts:
        order(api, token, {"kind": "add_on", "add_on": "scrm_wecom_registration_standard"})
    return tenant_id, token


def bind(corps: WecomCorps, tenant_id: UUID, corp: str) -> None:
    corps.bind(
        tenant_id,
        BindCorp(
            name="火客科技",
            corpid=corp,
            agentid=1000002,
            app_secret="s" * 32,
            callback_token="token",
            encoding_aes_key="a" * 43,
        ),
    )


def leave_range(runtime: Runtime, tenant_id: UUID, *userids: str) -> None:
    """Record the members as a later contacts sync would that no longer finds them."""
    wecom = runtime.container.wecom()
    for userid in userids:
        member = wecom.load(member_id_for(tenant_id, userid), WecomMember, tenant_id=tenant_id)
        member.leave_range()
        wecom.commit(member)


def take_profiles(runtime: Runtime, tenant_id: UUID, api: WecomApi, corp: str) -> None:
    """The profile rows of every customer of the corp's members, as a customer sync
    records them (the customer directory's relations with remarks and tags)."""
    customers: set[str] = set()
    for department in api.departments():
        for employee in api.employees(department.id):
            customers.update(api.customers_of(employee.userid))
    now = datetime.now(UTC)
    rows = [
        Behaviour(
            tenant_id=tenant_id,
            kind=BehaviourKind.WECOM_CUSTOMER_EDITED.value,
            channel=Channel.WECOM.value,
            occurred_at=now,
            received_at=now,
            message_id=f"wecom:test-profile:{uuid.uuid4()}",
            name=PROFILE,
            properties=profile_properties(corp, whole_customer(api, external)),
            anonymous_id=customer_key(external),
            source_id=SOURCE,
        )
        for external in sorted(customers)
    ]
    runtime.container.ingestion().take(rows)
