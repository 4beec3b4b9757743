"""Idempotency-Key as Stripe does it (ADR 0008): the first answer to a key is given again
to every repeat of the same request for 24 hours and nothing runs twice; another request
with the key is refused; a repeat while the first runs is told so."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.persistence.idempotency import build_idempotency_store
from adapters.persistence.storage import Storage
from adapters.shared.clock import SystemClock
from application.leads.imports import ImportOptions, LeadImports
from application.org.commands import EstablishDepartment
from application.shared.context import RequestContext, acting
from application.shared.idempotency import (
    CLAIM_LEASE,
    REPLAY_FOR,
    IdempotencyKeys,
    Outcome,
    StoredAnswer,
)
from entrypoints.http.app import create_app
from entrypoints.http.idempotency import caller_scope, record_key, request_fingerprint
from entrypoints.settings import Settings
from tests.conftest import TEST_CIPHER_KEY, Api
from tests.e2e.billing_support import FakeClock
from tests.e2e.routes import SAMPLE_BODIES, api_routes
from tests.e2e.test_lead_imports import crashing_after, csv_file
from tests.e2e.wechat_support import a_fan_wrote
from tests.settling import settle

RYW = {"Prefer": "read-your-writes"}
REUSED = "idempotency_key_reused"
IN_FLIGHT = "idempotency_key_in_flight"


# --- a tenant with whatever a route acts on ------------------------------------------------


@dataclass
class World:
    """A fresh tenant (admin key) and helpers that make the records a route acts on."""

    api: Api
    tenant_id: str
    token: str
    monkeypatch: pytest.MonkeyPatch | None = None

    @classmethod
    def new(cls, api: Api, monkeypatch: pytest.MonkeyPatch | None = None) -> World:
        tenant_id, token = api.tenant_with_key("tenant_admin")
        return cls(api, tenant_id, token, monkeypatch)

    def post(self, url: str, body: Any = None, *, staff: bool = False, **headers: str) -> Any:
        auth = self.api.staff() if staff else self.api.key(self.token)
        answer = self.api.client.post(url, json=body, headers={**auth, **RYW, **headers})
        assert answer.status_code < 300, (url, answer.text)
        return answer.json()

    def lead(self, mobile: str | None = None, **profile: Any) -> dict[str, Any]:
        mobile = mobile or f"139{uuid.uuid4().int % 10**8:08d}"
        return dict(self.post("/api/v1/leads", {"mobile": mobile, **profile})["lead"])

    def employee(self) -> dict[str, Any]:
        return dict(self.post("/api/v1/employees", {"name": "韩梅梅", "roles": ["sales"]}))

    def order(self) -> dict[str, Any]:
        return dict(self.post("/api/v1/orders", {"kind": "new", "edition": "qs_micro_entry"}))

    def delivered_order(self) -> dict[str, Any]:
        order = self.order()
        return dict(self.post(f"/api/v1/admin/orders/{order['id']}/confirm-payment", staff=True))

    def refund(self) -> dict[str, Any]:
        order = self.delivered_order()
        return dict(self.post("/api/v1/refunds", {"order_id": order["id"], "reason": "testing"}))

    def duplicate_case(self) -> dict[str, Any]:
        for mobile in ("13700137000", "13600136000"):
            self.lead(mobile, name="王五", company="火客科技有限公司")
        assert self.post("/api/v1/lead-duplicates/scan")["opened"] == 1
        cases = self.api.client.get("/api/v1/lead-duplicates", headers=self.api.key(self.token))
        case = cases.json()["items"][0]
        answer = self.api.client.get(
            f"/api/v1/lead-duplicates/{case['id']}", headers=self.api.key(self.token)
        )
        return dict(answer.json())

    def staff_member(self) -> dict[str, Any]:
        body = {
            "email": f"s-{uuid.uuid4().hex[:8]}@huoke.test",
            "display_name": "客服",
            "roles": ["support"],
        }
        return dict(self.post("/api/v1/admin/staff", body, staff=True))


@dataclass(frozen=True)
class Call:
    """One request a route answers with a success."""

    url: str
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)
    staff: bool = False


Prepare = Callable[["World"], Call]


def sample(path: str) -> dict[str, Any] | None:
    return SAMPLE_BODIES[("POST", path)]


def plain(path: str) -> Prepare:
    """The route's sample body works on a fresh tenant as it is."""
    return lambda _: Call(path, sample(path))


def on_lead(
    action: str, body: Callable[[World], dict[str, Any]] | None = None, *, owned: bool = False
) -> Prepare:
    path = f"/api/v1/leads/{{lead_id}}/{action}"

    def prepare(world: World) -> Call:
        owner = {"owner_id": world.employee()["id"]} if owned else {}
        lead = world.lead(name="张三", **owner)
        return Call(path.format(lead_id=lead["id"]), body(world) if body else sample(path))

    return prepare


def tagged_lead_untagged(world: World) -> Call:
    lead = world.lead()
    world.post(f"/api/v1/leads/{lead['id']}/tags", {"tags": ["vip"]})
    return Call(f"/api/v1/leads/{lead['id']}/tags/remove", {"tags": ["vip"]})


def merged_leads(world: World) -> Call:
    survivor, merged = world.lead(name="甲"), world.lead(name="乙")
    return Call(f"/api/v1/leads/{survivor['id']}/merge", {"merged_id": merged["id"]})


def handover(world: World) -> Call:
    employee = world.employee()
    lead = world.lead(owner_id=employee["id"])
    assert lead["owner_id"] == employee["id"]
    body = {"to_employee_id": None, "reason": "离职交接"}
    return Call(f"/api/v1/employees/{employee['id']}/lead-handover", body)


def bulk(world: World) -> Call:
    lead = world.lead()
    body = {"lead_ids": [lead["id"]], "action": "add_tags", "arguments": {"tags": ["vip"]}}
    return Call("/api/v1/leads/bulk", body)


def resumed_import(world: World) -> Call:
    """An import that died after its first batch, to be resumed with the same file."""
    content = csv_file("mobile", *(f"1381113{n:04d}" for n in range(6)))
    container = world.api.runtime.container
    crashing = LeadImports(
        container.leads(), container.lead_queries(), batch_rows=2, read=crashing_after(3)
    )
    started: list[str] = []
    with acting(RequestContext(read_your_writes=True)), pytest.raises(ConnectionError):
        crashing.start(
            UUID(world.tenant_id),
            "six.csv",
            content,
            ImportOptions(mapping={"mobile": "mobile"}),
            progress=lambda import_id, *_: started.append(str(import_id)),
        )
    body = {"content_base64": base64.b64encode(content).decode()}
    return Call(f"/api/v1/lead-imports/{started[0]}/resume", body)


def scan(world: World) -> Call:
    """Two leads the scan will find to be one person (legal forms are folded)."""
    world.lead("13700137001", name="赵六", company="火客科技")
    world.lead("13600136001", name="赵六", company="火客科技有限公司")
    return Call("/api/v1/lead-duplicates/scan", None)


def case_action(action: str, body: Callable[[dict[str, Any]], dict[str, Any]]) -> Prepare:
    def prepare(world: World) -> Call:
        case = world.duplicate_case()
        return Call(f"/api/v1/lead-duplicates/{case['id']}/{action}", body(case))

    return prepare


def case_lead(case: dict[str, Any]) -> str:
    return str(case["leads"][0]["id"])


def with_key(world: World) -> Call:
    key = world.post("/api/v1/api-keys", {"name": "sync", "roles": ["marketer"]})
    return Call(f"/api/v1/api-keys/{key['id']}/revoke", None)


def on_source(action: str) -> Prepare:
    def prepare(world: World) -> Call:
        source = world.post("/api/v1/tracking/sources", {"name": "官网", "kind": "website"})
        return Call(f"/api/v1/tracking/sources/{source['id']}/{action}", None)

    return prepare


def on_link(world: World) -> Call:
    link = world.post("/api/v1/tracking/links", sample("/api/v1/tracking/links"))
    return Call(
        f"/api/v1/tracking/links/{link['id']}/archive", None, {"If-Match": f'"{link["version"]}"'}
    )


def leaving(world: World) -> Call:
    employee = world.employee()
    headers = {"If-Match": f'"{employee["version"]}"'}
    return Call(f"/api/v1/employees/{employee['id']}/leave", None, headers)


def suspending(world: World) -> Call:
    body = sample("/api/v1/admin/tenants/{tenant_id}/suspend")
    return Call(
        f"/api/v1/admin/tenants/{world.tenant_id}/suspend", body, {"If-Match": '"1"'}, staff=True
    )


def reactivating(world: World) -> Call:
    suspended = world.post(
        f"/api/v1/admin/tenants/{world.tenant_id}/suspend",
        {"reason": "unpaid"},
        staff=True,
        **{"If-Match": '"1"'},
    )
    headers = {"If-Match": f'"{suspended["version"]}"'}
    return Call(f"/api/v1/admin/tenants/{world.tenant_id}/reactivate", None, headers, staff=True)


def staff_call(path: str, body: Callable[[World], dict[str, Any] | None]) -> Prepare:
    return lambda world: Call(path, body(world), staff=True)


def disabling(world: World) -> Call:
    member = world.staff_member()
    headers = {"If-Match": f'"{member["version"]}"'}
    return Call(f"/api/v1/admin/staff/{member['id']}/disable", None, headers, staff=True)


def on_order(action: str, body: dict[str, Any] | None, *, staff: bool = False) -> Prepare:
    def prepare(world: World) -> Call:
        order = world.order()
        prefix = "/api/v1/admin/orders" if staff else "/api/v1/orders"
        return Call(f"{prefix}/{order['id']}/{action}", body, staff=staff)

    return prepare


def refund_request(world: World) -> Call:
    order = world.delivered_order()
    return Call("/api/v1/refunds", {"order_id": order["id"], "reason": "no longer needed"})


def on_refund(action: str, body: dict[str, Any] | None) -> Prepare:
    def prepare(world: World) -> Call:
        refund = world.refund()
        return Call(f"/api/v1/admin/refunds/{refund['id']}/{action}", body, staff=True)

    return prepare


def failed_refund(world: World) -> Call:
    """A refund the provider could not take (its gateway away at approval), then back."""
    refund = world.refund()
    gateways = world.api.runtime.container.billing().gateways
    assert world.monkeypatch is not None
    with world.monkeypatch.context() as patched:
        patched.delitem(gateways, "sandbox")
        failed = world.post(f"/api/v1/admin/refunds/{refund['id']}/approve", {}, staff=True)
    assert failed["status"] == "failed", failed
    return Call(f"/api/v1/admin/refunds/{refund['id']}/retry", None, staff=True)


def extending(world: World) -> Call:
    trial = world.post("/api/v1/subscription/trials", {"edition": "qs_micro_basic"})
    body = sample("/api/v1/admin/subscriptions/{subscription_id}/extend")
    return Call(f"/api/v1/admin/subscriptions/{trial['id']}/extend", body, staff=True)


def admin_key(world: World) -> Call:
    body = sample("/api/v1/admin/tenants/{tenant_id}/api-keys")
    return Call(f"/api/v1/admin/tenants/{world.tenant_id}/api-keys", body, staff=True)


def new_staff(world: World) -> Call:
    body = {
        "email": f"n-{uuid.uuid4().hex[:8]}@huoke.test",
        "display_name": "新",
        "roles": ["support"],
    }
    return Call("/api/v1/admin/staff", body, staff=True)


def renaming_a_tag(world: World) -> Call:
    lead = world.lead()
    world.post(f"/api/v1/leads/{lead['id']}/tags", {"tags": ["展会"]})
    settings = world.api.client.get("/api/v1/lead-settings", headers=world.api.key(world.token))
    body = sample("/api/v1/lead-settings/tags/{tag}/rename")
    return Call(
        "/api/v1/lead-settings/tags/展会/rename", body, {"If-Match": settings.headers["ETag"]}
    )


def merging_groups(world: World) -> Call:
    source, target = (world.post("/api/v1/groups", {"name": n}) for n in ("甲", "乙"))
    return Call("/api/v1/groups/merge", {"source_ids": [source["id"]], "target_id": target["id"]})


def on_group(action: str, body: dict[str, Any] | None = None) -> Prepare:
    """A static group with one member, and a call on its members (`lead_ids`: that lead)."""

    def prepare(world: World) -> Call:
        group = world.post("/api/v1/groups", {"name": "展会名单"})
        lead = world.lead()
        members = f"/api/v1/groups/{group['id']}/members"
        world.post(members, {"lead_ids": [lead["id"]]})
        return Call(f"{members}{action}", body or {"lead_ids": [lead["id"]]})

    return prepare


# Every POST route of the catalogue, with what makes it succeed on a fresh tenant.
# --- messaging ----------------------------------------------------------------------------

_DNS: list[Any] = []  # the session's test DNS, where verified domains publish their records


@pytest.fixture(autouse=True)
def _public_dns(public_dns: Any) -> None:
    _DNS[:] = [public_dns]


def _later() -> str:
    """A send time a month ahead (tasks may be scheduled at most a year ahead)."""
    return (datetime.now(UTC) + timedelta(days=30)).isoformat()


def _if_match(record: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"{record["version"]}"'}


def _verified_domain(world: World) -> str:
    from tests.e2e.mail_support import publish

    name = f"mail{uuid.uuid4().hex[:8]}.acme.cn"
    domain = world.post("/api/v1/sending-domains", {"domain": name})
    publish(_DNS[0], domain)
    world.post(f"/api/v1/sending-domains/{domain['id']}/verify")
    return name


def _email_task(world: World, *, verified: bool = False) -> dict[str, Any]:
    template = world.post("/api/v1/email-templates", sample("/api/v1/email-templates"))
    domain = _verified_domain(world) if verified else "mail.acme.cn"
    body = {
        **(sample("/api/v1/email-tasks") or {}),
        "template_id": template["id"],
        "sender_address": f"news@{domain}",
    }
    return dict(world.post("/api/v1/email-tasks", body))


def drafting_an_email_task(world: World) -> Call:
    template = world.post("/api/v1/email-templates", sample("/api/v1/email-templates"))
    return Call(
        "/api/v1/email-tasks",
        {**(sample("/api/v1/email-tasks") or {}), "template_id": template["id"]},
    )


def _not_now(body: Any) -> Any:
    """A task scheduled "now" starts sending on the worker between the calls, which would
    move the positions the test compares; later, the replay is the only thing that runs."""
    if isinstance(body, dict) and "send_at" in body and body["send_at"] is None:
        return {**body, "send_at": _later()}
    return body


def on_email_task(action: str, *, verified: bool = False, scheduled_later: bool = False) -> Prepare:
    def prepare(world: World) -> Call:
        task = _email_task(world, verified=verified)
        if scheduled_later:
            later = {"send_at": _later()}
            task = world.post(
                f"/api/v1/email-tasks/{task['id']}/schedule", later, **_if_match(task)
            )
        body = _not_now(SAMPLE_BODIES[("POST", f"/api/v1/email-tasks/{{email_task_id}}/{action}")])
        return Call(f"/api/v1/email-tasks/{task['id']}/{action}", body, _if_match(task))

    return prepare


def previewing(world: World) -> Call:
    template = world.post("/api/v1/email-templates", sample("/api/v1/email-templates"))
    lead = world.lead(name="王小明")
    return Call(f"/api/v1/email-templates/{template['id']}/preview", {"lead_id": lead["id"]})


def on_domain(world: World) -> Call:
    domain = world.post("/api/v1/sending-domains", {"domain": "mail.acme.cn"})
    return Call(f"/api/v1/sending-domains/{domain['id']}/verify", None)


def on_signature(action: str) -> Prepare:
    def prepare(world: World) -> Call:
        signature = world.post("/api/v1/sms/signatures", {"text": "获客科技"})
        body = SAMPLE_BODIES[("POST", f"/api/v1/sms/signatures/{{sms_signature_id}}/{action}")]
        return Call(
            f"/api/v1/sms/signatures/{signature['id']}/{action}", body, _if_match(signature)
        )

    return prepare


def _sms_task(world: World, *, state: str = "draft") -> dict[str, Any]:
    signature = world.post("/api/v1/sms/signatures", {"text": "获客科技"})
    world.post(f"/api/v1/sms/signatures/{signature['id']}/approve", **_if_match(signature))
    body = {**(sample("/api/v1/sms/tasks") or {}), "signature_id": signature["id"]}
    task = dict(world.post("/api/v1/sms/tasks", body))
    if state in ("pending_review", "scheduled"):
        later = {"send_at": _later()}
        task = world.post(f"/api/v1/sms/tasks/{task['id']}/submit", later, **_if_match(task))
    if state == "scheduled":
        task = world.post(f"/api/v1/sms/tasks/{task['id']}/approve", **_if_match(task))
    return task


def drafting_an_sms_task(world: World) -> Call:
    task = _sms_task(world)
    body = {**(sample("/api/v1/sms/tasks") or {}), "signature_id": task["signature_id"]}
    return Call("/api/v1/sms/tasks", body)


def on_sms_task(action: str, state: str = "draft") -> Prepare:
    def prepare(world: World) -> Call:
        task = _sms_task(world, state=state)
        body = _not_now(SAMPLE_BODIES[("POST", f"/api/v1/sms/tasks/{{sms_task_id}}/{action}")])
        return Call(f"/api/v1/sms/tasks/{task['id']}/{action}", body, _if_match(task))

    return prepare


MESSAGING: dict[str, Prepare] = {
    "/api/v1/sending-domains": plain("/api/v1/sending-domains"),
    "/api/v1/sending-domains/{sending_domain_id}/verify": on_domain,
    "/api/v1/email-templates": plain("/api/v1/email-templates"),
    "/api/v1/email-templates/{email_template_id}/preview": previewing,
    "/api/v1/email-tasks": drafting_an_email_task,
    "/api/v1/email-tasks/{email_task_id}/schedule": on_email_task("schedule", verified=True),
    "/api/v1/email-tasks/{email_task_id}/unschedule": on_email_task(
        "unschedule", verified=True, scheduled_later=True
    ),
    "/api/v1/email-tasks/{email_task_id}/cancel": on_email_task(
        "cancel", verified=True, scheduled_later=True
    ),
    "/api/v1/email-tasks/{email_task_id}/copy": on_email_task("copy"),
    "/api/v1/email-tasks/{email_task_id}/test-send": on_email_task("test-send", verified=True),
    "/api/v1/sms/signatures": plain("/api/v1/sms/signatures"),
    "/api/v1/sms/signatures/{sms_signature_id}/approve": on_signature("approve"),
    "/api/v1/sms/signatures/{sms_signature_id}/reject": on_signature("reject"),
    "/api/v1/sms/tasks": drafting_an_sms_task,
    "/api/v1/sms/tasks/{sms_task_id}/submit": on_sms_task("submit"),
    "/api/v1/sms/tasks/{sms_task_id}/approve": on_sms_task("approve", "pending_review"),
    "/api/v1/sms/tasks/{sms_task_id}/reject": on_sms_task("reject", "pending_review"),
    "/api/v1/sms/tasks/{sms_task_id}/schedule": on_sms_task("schedule"),
    "/api/v1/sms/tasks/{sms_task_id}/unschedule": on_sms_task("unschedule", "scheduled"),
    "/api/v1/sms/tasks/{sms_task_id}/cancel": on_sms_task("cancel", "scheduled"),
    "/api/v1/sms/tasks/{sms_task_id}/copy": on_sms_task("copy"),
}


# --- WeChat (an account of the world's tenant; fans written in as the callbacks do) -------

WECHAT = "/api/v1/wechat"


def _account(world: World, *, verified: bool = True) -> dict[str, Any]:
    body = {**(sample(f"{WECHAT}/accounts") or {}), "verified": verified}
    return dict(world.post(f"{WECHAT}/accounts", body))


def _fan(world: World, account: dict[str, Any]) -> str:
    openid = a_fan_wrote(world.api, world.tenant_id, account["id"])
    settle(world.api.runtime)
    return openid


def binding(world: World) -> Call:
    return Call(f"{WECHAT}/accounts", sample(f"{WECHAT}/accounts"))


def on_account(action: str, body: Callable[[World, dict[str, Any]], Any] | None = None) -> Prepare:
    path = f"{WECHAT}/accounts/{{account_id}}/{action}"

    def prepare(world: World) -> Call:
        account = _account(world)
        given = body(world, account) if body else sample(path)
        return Call(path.format(account_id=account["id"]), given, _if_match(account))

    return prepare


def publishing_a_menu(world: World) -> Call:
    account = _account(world)
    menu = sample(f"{WECHAT}/accounts/{{account_id}}/menu")
    drafted = world.post(f"{WECHAT}/accounts/{account['id']}/menu", menu, **_if_match(account))
    return Call(f"{WECHAT}/accounts/{account['id']}/menu/publish", None, _if_match(drafted))


def replying(world: World) -> Call:
    account = _account(world)
    openid = _fan(world, account)
    return Call(f"{WECHAT}/accounts/{account['id']}/fans/{openid}/messages", {"text": "您好"})


def tagging(world: World) -> Call:
    account = _account(world)
    body = {"tag_id": 2, "openids": [_fan(world, account)]}
    return Call(f"{WECHAT}/accounts/{account['id']}/fans/tag", body)


def on_qr_code(world: World) -> Call:
    account = _account(world)
    code = world.post(f"{WECHAT}/accounts/{account['id']}/qr-codes", {"name": "Q", "scene": "s1"})
    return Call(f"{WECHAT}/qr-codes/{code['id']}/archive", None, _if_match(code))


def _mass_send(world: World, account: dict[str, Any]) -> dict[str, Any]:
    body = {
        "account_id": account["id"],
        "name": "会员日",
        "message": {"kind": "text", "text": "会员日全场五折"},
    }
    return dict(world.post(f"{WECHAT}/mass-sends", body))


def drafting_a_mass_send(world: World) -> Call:
    account = _account(world)
    body = {**(sample(f"{WECHAT}/mass-sends") or {}), "account_id": account["id"]}
    return Call(f"{WECHAT}/mass-sends", body)


def on_mass_send(action: str) -> Prepare:
    def prepare(world: World) -> Call:
        account = _account(world)
        send = _mass_send(world, account)  # an account with no fans: nothing to send later
        path = f"{WECHAT}/mass-sends/{{mass_send_id}}/{action}"
        headers = _if_match(send) if action == "send" else {}
        return Call(path.format(mass_send_id=send["id"]), sample(path), headers)

    return prepare


def sending_a_template(world: World) -> Call:
    account = _account(world)
    added = world.post(
        f"{WECHAT}/accounts/{account['id']}/templates",
        {"template_id": "TPL-1", "title": "通知", "fields": ["first", "remark"]},
        **_if_match(account),
    )
    del added
    body = {
        **(sample(f"{WECHAT}/template-sends") or {}),
        "account_id": account["id"],
        "audience": {"openids": [_fan(world, account)]},
    }
    return Call(f"{WECHAT}/template-sends", body)


# --- the session archive's screening (ARCH-3) ----------------------------------------------
WORD_LISTS = "/api/v1/archive/word-lists"


def on_word_list(action: str, body: dict[str, Any] | None, *, if_match: bool = False) -> Prepare:
    def prepare(world: World) -> Call:
        made = world.post(WORD_LISTS, {"name": "承诺", "category": "违规承诺", "words": ["保本"]})
        headers = _if_match(made) if if_match else {}
        return Call(f"{WORD_LISTS}/{made['id']}/{action}", body, headers)

    return prepare


ARCHIVE_SCREENING_ROUTES: dict[str, Prepare] = {
    WORD_LISTS: plain(WORD_LISTS),
    f"{WORD_LISTS}/{{word_list_id}}/words": on_word_list("words", {"words": ["加微信"]}),
    f"{WORD_LISTS}/{{word_list_id}}/words/remove": on_word_list(
        "words/remove", {"words": ["保本"]}, if_match=True
    ),
    f"{WORD_LISTS}/{{word_list_id}}/archive": on_word_list("archive", None, if_match=True),
}


# --- WeCom SCRM core (WECOM-1…5) -----------------------------------------------------------
WECOM = "/api/v1/wecom"


def on_corp(action: str, *, if_match: bool = False, scrm: bool = False) -> Prepare:
    """The world's corp bound (its SCRM plan ordered first when the route calls WeCom)."""

    def prepare(world: World) -> Call:
        from tests.e2e.wecom_support import subscribe_scrm

        if scrm:
            subscribe_scrm(world.api, world.token)
        corp = world.post(f"{WECOM}/corps", sample(f"{WECOM}/corps"))
        return Call(
            f"{WECOM}/corps/{corp['id']}/{action}", None, _if_match(corp) if if_match else {}
        )

    return prepare


def linking_a_member(world: World) -> Call:
    from tests.e2e.wecom_support import a_member

    userid = a_member(world.api, world.tenant_id)
    return Call(f"{WECOM}/members/{userid}/link", {"employee_id": world.employee()["id"]})


WECOM_ROUTES: dict[str, Prepare] = {
    f"{WECOM}/corps": plain(f"{WECOM}/corps"),
    f"{WECOM}/corps/{{corp_id}}/unbind": on_corp("unbind", if_match=True),
    f"{WECOM}/corps/{{corp_id}}/contacts/sync": on_corp("contacts/sync", scrm=True),
    f"{WECOM}/corps/{{corp_id}}/groups/sync": on_corp("groups/sync", scrm=True),
    f"{WECOM}/members/{{userid}}/link": linking_a_member,
}


# --- WeCom live codes (WECOM-1) -------------------------------------------------------------
LIVE_CODES = f"{WECOM}/live-codes"


def _with_contacts(world: World) -> None:
    """The world's SCRM plan and corp, its contacts synced (the employees of a code)."""
    from tests.e2e.wecom_support import ensure_scrm

    ensure_scrm(world.api, world.token)
    corp = world.post(f"{WECOM}/corps", sample(f"{WECOM}/corps"))
    world.post(f"{WECOM}/corps/{corp['id']}/contacts/sync")


def making_a_live_code(world: World) -> Call:
    _with_contacts(world)
    return Call(LIVE_CODES, sample(LIVE_CODES))


def archiving_a_live_code(world: World) -> Call:
    _with_contacts(world)
    code = world.post(LIVE_CODES, sample(LIVE_CODES))
    return Call(f"{LIVE_CODES}/{code['id']}/archive", None, _if_match(code))


WECOM_LIVE_CODE_ROUTES: dict[str, Prepare] = {
    LIVE_CODES: making_a_live_code,
    f"{LIVE_CODES}/{{live_code_id}}/archive": archiving_a_live_code,
}


# --- WeCom customer inheritance (WECOM-4, ORG-3) ------------------------------------------
TRANSFERS = f"{WECOM}/transfers"


def starting_a_transfer(world: World) -> Call:
    from tests.e2e.wecom_transfer_support import start_body, transfer_ready

    _with_contacts(world)
    handover, takeover = transfer_ready(world.api, world.token, world.tenant_id)
    return Call(TRANSFERS, start_body(handover, takeover))


WECOM_TRANSFER_ROUTES: dict[str, Prepare] = {TRANSFERS: starting_a_transfer}


# --- WeCom mass sends, follow-ups and sidebar materials (WECOM-2, WECOM-5) -----------------
WECOM_SENDS = f"{WECOM}/mass-sends"
FOLLOW_UPS = f"{WECOM}/follow-ups"
MATERIALS = f"{WECOM}/sidebar-materials"


def on_wecom_send(action: str, *, contacts: bool = False) -> Prepare:
    """A draft to ZhangWei (the sandbox corp bound and synced first, when the route
    hands it to WeCom)."""

    def prepare(world: World) -> Call:
        if contacts:
            _with_contacts(world)
        made = world.post(WECOM_SENDS, sample(WECOM_SENDS))
        body = sample(f"{WECOM_SENDS}/{{wecom_mass_send_id}}/{action}")
        return Call(f"{WECOM_SENDS}/{made['id']}/{action}", body, _if_match(made))

    return prepare


def on_follow_up(action: str) -> Prepare:
    def prepare(world: World) -> Call:
        made = world.post(FOLLOW_UPS, sample(FOLLOW_UPS))
        body = sample(f"{FOLLOW_UPS}/{{follow_up_id}}/{action}")
        return Call(f"{FOLLOW_UPS}/{made['id']}/{action}", body, _if_match(made))

    return prepare


def switching_a_material(world: World) -> Call:
    made = world.post(MATERIALS, sample(MATERIALS))
    return Call(f"{MATERIALS}/{made['id']}/switch", {"enabled": False}, _if_match(made))


WECOM_TASK_ROUTES: dict[str, Prepare] = {
    WECOM_SENDS: plain(WECOM_SENDS),
    f"{WECOM_SENDS}/{{wecom_mass_send_id}}/plan": on_wecom_send("plan"),
    f"{WECOM_SENDS}/{{wecom_mass_send_id}}/submit": on_wecom_send("submit", contacts=True),
    f"{WECOM_SENDS}/{{wecom_mass_send_id}}/cancel": on_wecom_send("cancel"),
    f"{WECOM_SENDS}/{{wecom_mass_send_id}}/collect": on_wecom_send("collect"),
    FOLLOW_UPS: plain(FOLLOW_UPS),
    f"{FOLLOW_UPS}/{{follow_up_id}}/done": on_follow_up("done"),
    f"{FOLLOW_UPS}/{{follow_up_id}}/reopen": on_follow_up("reopen"),
    f"{FOLLOW_UPS}/{{follow_up_id}}/reschedule": on_follow_up("reschedule"),
    f"{FOLLOW_UPS}/{{follow_up_id}}/cancel": on_follow_up("cancel"),
    MATERIALS: plain(MATERIALS),
    f"{MATERIALS}/{{material_id}}/switch": switching_a_material,
}


WECHAT_ROUTES: dict[str, Prepare] = {
    f"{WECHAT}/accounts": binding,
    f"{WECHAT}/accounts/{{account_id}}/auto-replies": on_account("auto-replies"),
    f"{WECHAT}/accounts/{{account_id}}/templates": on_account("templates"),
    f"{WECHAT}/accounts/{{account_id}}/unbind": on_account("unbind"),
    f"{WECHAT}/accounts/{{account_id}}/menu": on_account("menu"),
    f"{WECHAT}/accounts/{{account_id}}/menu/publish": publishing_a_menu,
    f"{WECHAT}/accounts/{{account_id}}/fans/{{openid}}/messages": replying,
    f"{WECHAT}/accounts/{{account_id}}/fans/sync": on_account("fans/sync"),
    f"{WECHAT}/accounts/{{account_id}}/fans/tag": tagging,
    f"{WECHAT}/accounts/{{account_id}}/materials/sync": on_account("materials/sync"),
    f"{WECHAT}/accounts/{{account_id}}/qr-codes": on_account("qr-codes"),
    f"{WECHAT}/accounts/{{account_id}}/lead-qr-codes": on_account(
        "lead-qr-codes", lambda world, _: {"lead_id": world.lead()["id"]}
    ),
    f"{WECHAT}/qr-codes/{{qr_code_id}}/archive": on_qr_code,
    f"{WECHAT}/mass-sends": drafting_a_mass_send,
    f"{WECHAT}/mass-sends/{{mass_send_id}}/preview": on_mass_send("preview"),
    f"{WECHAT}/mass-sends/{{mass_send_id}}/send": on_mass_send("send"),
    f"{WECHAT}/template-sends": sending_a_template,
}


# --- the session archive's setup and ingestion (ARCH-1) -----------------------------------
ARCHIVE_SETTINGS = "/api/v1/archive/settings"


def on_archive(path: str, *, enabled: bool = False) -> Prepare:
    """The route's sample on a tenant with the archive's edition (and, `enabled`, a key
    and the archive switched on: a pull then stores the sandbox's messages)."""

    def prepare(world: World) -> Call:
        from tests.e2e.wecom_support import ensure_scrm

        ensure_scrm(world.api, world.token)
        if enabled:
            world.post(f"{ARCHIVE_SETTINGS}/keys", {"publickey_ver": 5})
            on = {**(SAMPLE_BODIES[("PUT", ARCHIVE_SETTINGS)] or {}), "enabled": True}
            answer = world.api.client.put(
                ARCHIVE_SETTINGS, json=on, headers={**world.api.key(world.token), **RYW}
            )
            assert answer.status_code == 200, answer.text
        return Call(path, sample(path))

    return prepare


ARCHIVE_INGESTION_ROUTES: dict[str, Prepare] = {
    f"{ARCHIVE_SETTINGS}/keys": on_archive(f"{ARCHIVE_SETTINGS}/keys"),
    f"{ARCHIVE_SETTINGS}/keys/import": on_archive(f"{ARCHIVE_SETTINGS}/keys/import"),
    "/api/v1/archive/ingestion/pull": on_archive("/api/v1/archive/ingestion/pull", enabled=True),
}


# --- flows --------------------------------------------------------------------------------
FLOWS = "/api/v1/flows"


def _flow(world: World, *steps: str) -> dict[str, Any]:
    """A drafted flow, then `steps` (enable, disable) done on it."""
    flow = world.post(FLOWS, sample(FLOWS))
    for step in steps:
        body = {"mode": "drain"} if step == "disable" else None
        flow = world.post(f"{FLOWS}/{flow['flow_id']}/{step}", body, **_flow_match(flow))
    return dict(flow)


def _flow_match(flow: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"{flow["version"]}"'}


def on_flow(action: str, *before: str) -> Prepare:
    path = f"{FLOWS}/{{flow_id}}/{action}"

    def prepare(world: World) -> Call:
        flow = _flow(world, *before)
        body = sample(path)
        if action == "dry-run":
            body = {"lead_id": world.lead()["id"]}
        return Call(path.format(flow_id=flow["flow_id"]), body, _flow_match(flow))

    return prepare


FLOW_ROUTES: dict[str, Prepare] = {
    FLOWS: plain(FLOWS),
    f"{FLOWS}/scenarios/copy": plain(f"{FLOWS}/scenarios/copy"),
    f"{FLOWS}/{{flow_id}}/enable": on_flow("enable"),
    f"{FLOWS}/{{flow_id}}/disable": on_flow("disable", "enable"),
    f"{FLOWS}/{{flow_id}}/archive": on_flow("archive"),
    f"{FLOWS}/{{flow_id}}/dry-run": on_flow("dry-run"),
}


# --- reach campaigns ----------------------------------------------------------------------
REACH = "/api/v1/reach-campaigns"


def on_reach(action: str) -> Prepare:
    """A planned campaign whose SMS content has an approved signature, then `action`."""
    path = f"{REACH}/{{campaign_id}}/{action}"

    def prepare(world: World) -> Call:
        signature = world.post("/api/v1/sms/signatures", {"text": "获客科技"})
        world.post(f"/api/v1/sms/signatures/{signature['id']}/approve", **_if_match(signature))
        body = json.loads(json.dumps(sample(REACH)))
        body["branches"][0]["content"]["signature_id"] = signature["id"]
        campaign = world.post(REACH, body)
        url = path.format(campaign_id=campaign["campaign_id"])
        return Call(url, sample(path), _if_match(campaign))

    return prepare


REACH_ROUTES: dict[str, Prepare] = {
    REACH: plain(REACH),
    f"{REACH}/{{campaign_id}}/schedule": on_reach("schedule"),
    f"{REACH}/{{campaign_id}}/cancel": on_reach("cancel"),
}


PREPARE: dict[str, Prepare] = {
    "/api/v1/api-keys": plain("/api/v1/api-keys"),
    "/api/v1/api-keys/{key_id}/revoke": with_key,
    "/api/v1/departments": plain("/api/v1/departments"),
    "/api/v1/employees": plain("/api/v1/employees"),
    "/api/v1/employees/{employee_id}/leave": leaving,
    "/api/v1/admin/tenants": staff_call(
        "/api/v1/admin/tenants", lambda _: sample("/api/v1/admin/tenants")
    ),
    "/api/v1/admin/tenants/{tenant_id}/suspend": suspending,
    "/api/v1/admin/tenants/{tenant_id}/reactivate": reactivating,
    "/api/v1/admin/tenants/{tenant_id}/api-keys": admin_key,
    "/api/v1/admin/staff": new_staff,
    "/api/v1/admin/staff/{staff_id}/disable": disabling,
    "/api/v1/subscription/trials": plain("/api/v1/subscription/trials"),
    "/api/v1/orders": plain("/api/v1/orders"),
    "/api/v1/orders/{order_id}/pay": on_order("pay", {"provider": "sandbox"}),
    "/api/v1/orders/{order_id}/cancel": on_order("cancel", {"reason": "changed my mind"}),
    "/api/v1/refunds": refund_request,
    "/api/v1/branches": plain("/api/v1/branches"),
    "/api/v1/admin/subscriptions/{subscription_id}/extend": extending,
    "/api/v1/admin/orders/{order_id}/confirm-payment": on_order(
        "confirm-payment", None, staff=True
    ),
    "/api/v1/admin/refunds/{refund_id}/approve": on_refund("approve", {}),
    "/api/v1/admin/refunds/{refund_id}/reject": on_refund("reject", {"reason": "used in full"}),
    "/api/v1/admin/refunds/{refund_id}/retry": failed_refund,
    "/api/v1/leads": plain("/api/v1/leads"),
    "/api/v1/leads/{lead_id}/identities": on_lead("identities"),
    "/api/v1/leads/{lead_id}/assign": on_lead(
        "assign", lambda world: {"owner_id": world.employee()["id"]}
    ),
    "/api/v1/leads/{lead_id}/release": on_lead("release", owned=True),
    "/api/v1/leads/{lead_id}/follow-ups": on_lead("follow-ups", owned=True),
    "/api/v1/leads/{lead_id}/close": on_lead("close"),
    "/api/v1/leads/{lead_id}/status": on_lead("status"),
    "/api/v1/leads/{lead_id}/tags": on_lead("tags"),
    "/api/v1/leads/{lead_id}/tags/remove": tagged_lead_untagged,
    "/api/v1/leads/{lead_id}/consent": on_lead("consent"),
    "/api/v1/leads/{lead_id}/merge": merged_leads,
    "/api/v1/leads/{lead_id}/delete": on_lead("delete"),
    "/api/v1/leads/paste": plain("/api/v1/leads/paste"),
    "/api/v1/lead-imports": plain("/api/v1/lead-imports"),
    "/api/v1/lead-imports/{import_id}/resume": resumed_import,
    "/api/v1/lead-duplicates/scan": scan,
    "/api/v1/lead-duplicates/{case_id}/merge": case_action(
        "merge", lambda case: {"survivor_id": case_lead(case)}
    ),
    "/api/v1/lead-duplicates/{case_id}/dismiss": case_action(
        "dismiss", lambda _: {"reason": "different people"}
    ),
    "/api/v1/lead-duplicates/{case_id}/delete": case_action(
        "delete", lambda case: {"lead_id": case_lead(case), "reason": "test data"}
    ),
    "/api/v1/employees/{employee_id}/lead-handover": handover,
    "/api/v1/leads/bulk": bulk,
    "/api/v1/lead-settings/custom-fields": plain("/api/v1/lead-settings/custom-fields"),
    "/api/v1/lead-settings/sources": plain("/api/v1/lead-settings/sources"),
    "/api/v1/lead-settings/statuses": plain("/api/v1/lead-settings/statuses"),
    "/api/v1/lead-settings/tag-groups": plain("/api/v1/lead-settings/tag-groups"),
    "/api/v1/lead-settings/tags": plain("/api/v1/lead-settings/tags"),
    "/api/v1/lead-settings/tags/{tag}/rename": renaming_a_tag,
    "/api/v1/lead-settings/user-types": plain("/api/v1/lead-settings/user-types"),
    "/api/v1/tracking/sources": plain("/api/v1/tracking/sources"),
    "/api/v1/tracking/sources/{source_id}/rotate-key": on_source("rotate-key"),
    "/api/v1/tracking/sources/{source_id}/revoke": on_source("revoke"),
    "/api/v1/tracking/links": plain("/api/v1/tracking/links"),
    "/api/v1/saved-searches": plain("/api/v1/saved-searches"),
    "/api/v1/tracking/links/batch": plain("/api/v1/tracking/links/batch"),
    "/api/v1/tracking/links/{link_id}/archive": on_link,
    "/api/v1/groups": plain("/api/v1/groups"),
    "/api/v1/groups/merge": merging_groups,
    "/api/v1/groups/{lead_group_id}/members": on_group(""),
    "/api/v1/groups/{lead_group_id}/members/remove": on_group("/remove"),
    "/api/v1/groups/{lead_group_id}/members/actions": on_group(
        "/actions", {"action": "add_tags", "tags": ["展会"]}
    ),
    "/api/v1/scoring/rules": plain("/api/v1/scoring/rules"),
    "/api/v1/leads/{lead_id}/score/adjustments": on_lead("score/adjustments"),
    **MESSAGING,
    **WECHAT_ROUTES,
    **FLOW_ROUTES,
    **REACH_ROUTES,
    **WECOM_ROUTES,
    **WECOM_LIVE_CODE_ROUTES,
    **WECOM_TRANSFER_ROUTES,
    **WECOM_TASK_ROUTES,
    **ARCHIVE_SCREENING_ROUTES,
    **ARCHIVE_INGESTION_ROUTES,
}
# What a careless client sends under the same key next (the rest: an extra field).
OTHER_BODY: dict[str, dict[str, Any]] = {
    "/api/v1/leads": {"mobile": "13900139999", "name": "张三"},  # another person
    "/api/v1/departments": {"name": "华南区"},
    "/api/v1/leads/paste": {"text": "13900139001\n13900139002"},
}


def send(world: World, call: Call, key: str, body: Any = ...) -> Any:
    auth = world.api.staff() if call.staff else world.api.key(world.token)
    return world.api.client.post(
        call.url,
        json=call.body if body is ... else body,
        headers={**auth, **call.headers, "Idempotency-Key": key},
    )


def other_body(call: Call, path: str) -> dict[str, Any]:
    return OTHER_BODY.get(path) or {**(call.body or {}), "another": "request"}


# Secrets shown once (an API key's token, a tracking source's write key) are not replayed.
SECRET_FIELDS = ("token", "write_key")


def without_secret(answer: Any) -> Any:
    body = answer.json()
    if not isinstance(body, dict):
        return body
    return {**body, **{name: None for name in SECRET_FIELDS if name in body}}


# --- every creating route ------------------------------------------------------------------


def test_every_post_route_of_the_catalogue_is_covered(api: Api) -> None:
    posts = {route.path for route in api_routes(api.client.app) if route.method == "POST"}
    assert posts == set(PREPARE), "add the new POST route to PREPARE in this file"


@pytest.mark.parametrize("path", sorted(PREPARE))
def test_a_repeat_gets_the_first_answer_and_changes_nothing(
    api: Api, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World.new(api, monkeypatch)
    call = PREPARE[path](world)
    key = f"first-{uuid.uuid4()}"
    first = send(world, call, key)
    assert 200 <= first.status_code < 300, first.text
    positions = api.event_positions()

    again = send(world, call, key)

    assert again.status_code == first.status_code
    assert again.json() == without_secret(first)  # a secret is shown once, never kept
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    for header in ("content-type", "etag", "location"):
        assert again.headers.get(header) == first.headers.get(header), header
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert api.event_positions() == positions  # nothing ran

    reused = send(world, call, key, other_body(call, path))

    assert reused.status_code == 422, reused.text
    assert reused.json()["code"] == REUSED and reused.json()["field"] == "Idempotency-Key"
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert api.event_positions() == positions


# --- what the reported cases now answer ----------------------------------------------------


def test_another_mobile_or_an_added_company_under_one_key_is_refused(api: Api) -> None:
    world = World.new(api)
    headers = {**api.key(world.token), "Idempotency-Key": "lead-1", **RYW}
    first = api.client.post("/api/v1/leads", json={"mobile": "13900139000"}, headers=headers)
    assert first.status_code == 201 and first.json()["outcome"] == "created", first.text
    positions = api.event_positions()

    for body in ({"mobile": "13900139001"}, {"mobile": "13900139000", "company": "火客"}):
        answer = api.client.post("/api/v1/leads", json=body, headers=headers)
        assert answer.status_code == 422 and answer.json()["code"] == REUSED, answer.text
    same = api.client.post("/api/v1/leads", json={"mobile": "13900139000"}, headers=headers)

    assert (same.status_code, same.json()) == (201, first.json())  # not 200 `matched`
    assert api.event_positions() == positions
    shown = api.client.get(f"/api/v1/leads/{first.json()['lead']['id']}", headers=headers)
    assert shown.json()["profile"].get("company") is None


def test_json_is_compared_by_value_not_by_spelling(api: Api) -> None:
    world = World.new(api)
    headers = {
        **api.key(world.token),
        "Idempotency-Key": "spelling",
        "Content-Type": "application/json",
    }
    first = api.client.post(
        "/api/v1/employees", content='{"name": "甲", "roles": ["sales"]}', headers=headers
    )
    again = api.client.post(
        "/api/v1/employees",
        content='{ "roles" : [ "sales" ] ,\n "name":"\\u7532" }',
        headers=headers,
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"


def test_the_same_key_on_another_route_is_refused(api: Api) -> None:
    world = World.new(api)
    headers = {**api.key(world.token), "Idempotency-Key": "one-key"}
    made = api.client.post("/api/v1/departments", json={"name": "华北区"}, headers=headers)
    assert made.status_code == 201
    other = api.client.post(
        "/api/v1/lead-settings/tag-groups", json={"name": "华北区"}, headers=headers
    )
    assert other.status_code == 422 and other.json()["code"] == REUSED


def test_keys_belong_to_one_tenant_and_one_credential(api: Api) -> None:
    first, second = World.new(api), World.new(api)
    body = {"name": "同名部门"}
    made = [
        api.client.post(
            "/api/v1/departments", json=body, headers={**api.key(w.token), "Idempotency-Key": "k"}
        )
        for w in (first, second)
    ]
    assert [answer.status_code for answer in made] == [201, 201]
    assert made[0].json()["id"] != made[1].json()["id"]  # another tenant's key is its own
    assert "idempotent-replayed" not in made[1].headers

    # Another API key of the same tenant is another caller: it may not see the answer
    # the first key got (its roles may differ), so the key counts as reused.
    colleague = api.new_key(first.tenant_id, "tenant_admin")
    shared = api.client.post(
        "/api/v1/departments", json=body, headers={**api.key(colleague), "Idempotency-Key": "k"}
    )
    assert shared.status_code == 422 and shared.json()["code"] == REUSED


def test_an_error_is_not_kept_so_a_corrected_retry_runs(api: Api) -> None:
    world = World.new(api)
    headers = {**api.key(world.token), "Idempotency-Key": "fix-and-retry", **RYW}
    bad = api.client.post("/api/v1/leads", json={"mobile": "not a number"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] != REUSED, bad.text
    refused_again = api.client.post(
        "/api/v1/leads", json={"mobile": "not a number"}, headers=headers
    )
    assert "idempotent-replayed" not in refused_again.headers  # ran again, was not replayed

    fixed = api.client.post("/api/v1/leads", json={"mobile": "13900139000"}, headers=headers)

    assert fixed.status_code == 201, fixed.text
    assert (
        api.client.post("/api/v1/leads", json={"mobile": "13900139000"}, headers=headers).headers[
            "idempotent-replayed"
        ]
        == "true"
    )


def test_an_api_key_secret_is_not_kept_and_a_replay_shows_it_as_null(api: Api) -> None:
    world = World.new(api)
    headers = {**api.key(world.token), "Idempotency-Key": "issue-sync-key"}
    body = {"name": "sync", "roles": ["marketer"]}
    issued = api.client.post("/api/v1/api-keys", json=body, headers=headers)
    replayed = api.client.post("/api/v1/api-keys", json=body, headers=headers)
    assert issued.json()["token"] and replayed.json()["token"] is None
    assert replayed.json() == {**issued.json(), "token": None}


def test_kept_answers_hold_personal_data_encrypted(api: Api) -> None:
    world = World.new(api)
    mobile = f"135{uuid.uuid4().int % 10**8:08d}"
    headers = {**api.key(world.token), "Idempotency-Key": "encrypted-at-rest"}
    made = api.client.post("/api/v1/leads", json={"mobile": mobile}, headers=headers)
    assert made.status_code == 201 and mobile in made.text
    assert (
        api.client.post("/api/v1/leads", json={"mobile": mobile}, headers=headers).text == made.text
    )
    assert mobile.encode() not in _stored_bytes(api)


# --- running, abandoned and expired keys -----------------------------------------------------


@pytest.fixture
def keys(api: Api) -> Iterator[IdempotencyKeys]:
    """A second handle on the server's key store (the same file or table), real clock."""
    opened = IdempotencyKeys(
        build_idempotency_store(api.runtime.container.storage()), SystemClock()
    )
    yield opened
    opened.close()


def department_request(api: Api, world: World, name: str) -> tuple[str, str, bytes]:
    caller = api.runtime.container.tenancy().authenticate(world.token)
    raw = json.dumps({"name": name}).encode()
    fingerprint = request_fingerprint(caller, "POST", "/api/v1/departments", raw)
    return caller_scope(caller), fingerprint, raw


def test_a_repeat_while_the_first_still_runs_is_told_so_and_changes_nothing(
    api: Api, keys: IdempotencyKeys
) -> None:
    world = World.new(api)
    scope, fingerprint, _ = department_request(api, world, "华东区")
    running = keys.begin(scope, "busy", fingerprint)  # the first request, still running
    assert running.outcome is Outcome.RUN
    headers = {**api.key(world.token), "Idempotency-Key": "busy"}
    positions = api.event_positions()

    repeat = api.client.post("/api/v1/departments", json={"name": "华东区"}, headers=headers)

    assert repeat.status_code == 409, repeat.text
    assert repeat.json()["code"] == IN_FLIGHT and repeat.json()["field"] == "Idempotency-Key"
    assert "still being processed" in repeat.json()["detail"]
    assert repeat.headers["retry-after"] == "1"
    other = api.client.post("/api/v1/departments", json={"name": "华南区"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == REUSED
    assert api.event_positions() == positions

    kept = StoredAnswer(201, (("content-type", "application/json"),), b'{"first":true}')
    assert keys.finish(running, kept)
    finished = api.client.post("/api/v1/departments", json={"name": "华东区"}, headers=headers)
    assert (finished.status_code, finished.json()) == (201, {"first": True})
    assert api.event_positions() == positions


def test_concurrent_claims_of_one_key_let_exactly_one_run(keys: IdempotencyKeys) -> None:
    scope = f"tenant:{uuid.uuid4()}"
    died = FakeClock(datetime.now(UTC) - CLAIM_LEASE - timedelta(seconds=1))
    assert IdempotencyKeys(keys.store, died).begin(scope, "dead", "fp").outcome is Outcome.RUN
    # The same race on a new key, and on a key whose first attempt died.
    for key in ("new", "dead"):
        outcomes = race(keys, scope, key, clients=8)
        assert sorted(outcomes) == sorted([Outcome.RUN] + [Outcome.IN_FLIGHT] * 7), key


def race(keys: IdempotencyKeys, scope: str, key: str, *, clients: int) -> list[Outcome]:
    start = threading.Barrier(clients)
    outcomes: list[Outcome] = []

    def claim() -> None:
        start.wait()
        outcomes.append(keys.begin(scope, key, "fp").outcome)

    threads = [threading.Thread(target=claim) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_claim_whose_request_died_lets_the_retry_run_without_duplicating(
    api: Api, keys: IdempotencyKeys
) -> None:
    world = World.new(api)
    scope, fingerprint, _ = department_request(api, world, "西北区")
    # The first attempt committed its department, then its process died before the answer
    # was kept: a claim nobody renews, and the record made with the key-derived id.
    died = FakeClock(datetime.now(UTC) - CLAIM_LEASE - timedelta(seconds=1))
    assert (
        IdempotencyKeys(keys.store, died).begin(scope, "crash", fingerprint).outcome is Outcome.RUN
    )
    caller = api.runtime.container.tenancy().authenticate(world.token)
    context = RequestContext(
        actor=caller.actor,
        idempotency_key=record_key("crash", fingerprint),
        read_your_writes=True,
    )
    with acting(context):
        first = api.runtime.container.org().establish_department(
            caller.tenant_id, EstablishDepartment(name="西北区")
        )
    headers = {**api.key(world.token), "Idempotency-Key": "crash", **RYW}

    retry = api.client.post("/api/v1/departments", json={"name": "西北区"}, headers=headers)

    assert retry.status_code == 201 and retry.json()["id"] == str(first.id), retry.text
    listed = api.client.get("/api/v1/departments", headers=api.key(world.token)).json()["items"]
    assert [d["name"] for d in listed] == ["西北区"]  # one department, not two
    assert (
        api.client.post("/api/v1/departments", json={"name": "西北区"}, headers=headers).headers[
            "idempotent-replayed"
        ]
        == "true"
    )


@pytest.fixture
def clocked(api: Api) -> Iterator[tuple[TestClient[Any], FakeClock]]:
    """The API on the same stores, with a clock the test moves."""
    clock = FakeClock(datetime.now(UTC))
    with api.runtime.container.clock.override(providers.Object(clock)):
        app = create_app(api.runtime, close_runtime_on_shutdown=False)
    with TestClient(app) as client:
        yield client, clock


def test_a_key_is_replayed_for_24_hours_and_then_is_new(
    api: Api, clocked: tuple[TestClient[Any], FakeClock]
) -> None:
    client, clock = clocked
    world = World.new(api)
    headers = {**api.key(world.token), "Idempotency-Key": "daily-sync", **RYW}
    first = client.post("/api/v1/departments", json={"name": "第一天"}, headers=headers)
    assert first.status_code == 201

    clock.move(seconds=REPLAY_FOR.total_seconds() - 60)
    assert (
        client.post("/api/v1/departments", json={"name": "第一天"}, headers=headers).json()
        == first.json()
    )
    assert (
        client.post("/api/v1/departments", json={"name": "第二天"}, headers=headers).json()["code"]
        == REUSED
    )

    clock.move(seconds=61)
    later = client.post("/api/v1/departments", json={"name": "第二天"}, headers=headers)

    assert later.status_code == 201 and "idempotent-replayed" not in later.headers
    assert later.json()["id"] != first.json()["id"]  # a new request, a new department
    listed = api.client.get("/api/v1/departments", headers=api.key(world.token)).json()["items"]
    assert sorted(d["name"] for d in listed) == ["第一天", "第二天"]


# --- the store itself ------------------------------------------------------------------------


def test_expired_keys_are_purged_and_only_those(fresh_settings: Settings) -> None:
    storage = Storage(
        var_dir=fresh_settings.var_dir,
        cipher_key=TEST_CIPHER_KEY,
        database_url=fresh_settings.database_url,
    )
    store = build_idempotency_store(storage)
    try:
        now = datetime.now(UTC)
        old = IdempotencyKeys(store, FakeClock(now - REPLAY_FOR - timedelta(seconds=1)))
        recent = IdempotencyKeys(store, FakeClock(now - timedelta(hours=1)))
        answer = StoredAnswer(200, (("content-type", "application/json"),), b"{}")
        for keys, name in ((old, "old"), (recent, "recent")):
            claim = keys.begin("tenant:t", name, "fp")
            assert keys.finish(claim, answer)

        assert store.purge(now) == 1
        assert store.purge(now) == 0
        replay = recent.begin("tenant:t", "recent", "fp")
        assert replay.outcome is Outcome.REPLAY and replay.answer == answer
    finally:
        store.close()


def _stored_bytes(api: Api) -> bytes:
    """Every byte the key store holds (its file and journal, or its table's rows)."""
    storage = api.runtime.container.storage()
    if storage.database_url is None:
        files = storage.var_dir.glob("idempotency.sqlite*")
        return b"".join(path.read_bytes() for path in files)
    import psycopg

    with psycopg.connect(storage.database_url) as connection:
        rows = connection.execute("SELECT headers::text, body FROM idempotency_keys").fetchall()
    return b"".join(str(headers).encode() + bytes(body or b"") for headers, body in rows)
