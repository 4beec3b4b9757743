"""Shared fixtures: a running huoke on SQLite and on real PostgreSQL, and an HTTP client."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from litestar.testing import TestClient

from application.shared.behaviours import Behaviour
from entrypoints.container import Runtime
from entrypoints.http.app import create_app
from entrypoints.settings import ArchiveSourceSettings, MessagingSettings, Settings
from tests import prompt_waits
from tests.integration.dns_server import LocalDns

# No wall-clock limits on examples: the suite runs in parallel workers on a shared
# machine, and a test never asserts how long something took (bench/ measures that).
hypothesis_settings.register_profile("huoke", deadline=None)
hypothesis_settings.load_profile("huoke")
# Read-your-writes waits look again after 2 ms, not 100 ms (tests/prompt_waits.py).
prompt_waits.install()

PG_URL = os.environ.get("HUOKE_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("HUOKE_REQUIRE_POSTGRES", "") not in ("", "0")
BACKENDS = ["sqlite", "postgres"]
TEST_CIPHER_KEY = base64.b64encode(b"huoke-test-key-0123456789abcdef!").decode()


@pytest.fixture(scope="session")
def postgres_url(_running: dict[str, Any]) -> Iterator[str]:
    """A fresh database on the test server for this session, dropped afterwards: after
    the session's PostgreSQL runtime is closed (a runtime closed on a dropped database
    waits out its pool's timeout, 20 s, reconnecting)."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("HUOKE_TEST_DATABASE_URL is not set but PostgreSQL is required")
        pytest.skip("HUOKE_TEST_DATABASE_URL not set (scripts/test starts a server)")
    name = f"huoke_t_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(PG_URL)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    _close(_running, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def public_dns() -> Iterator[LocalDns]:
    """The DNS the test runtimes look sending domains up in: tests publish records here."""
    with LocalDns() as server:
        yield server


def make_settings(backend: str, tmp: Path, request: pytest.FixtureRequest, **overrides: Any):
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    dns: LocalDns = request.getfixturevalue("public_dns")
    values: dict[str, Any] = {
        "database_url": url,
        "var_dir": tmp,
        "fast_hashing": True,
        "auto_migrate": True,
        "in_process_projections": True,
        "rate_limit_per_minute": 100_000,
        "sign_in_limit": 100_000,  # every console test signs in from one address
        "pool_size": 8,
        "cipher_key": TEST_CIPHER_KEY,
        # Sends go to the .eml outbox under var_dir; the sender looks again every 50 ms.
        "messaging": MessagingSettings(dns_nameserver=dns.address, send_interval_seconds=0.05),
        # The archive's background round pulls once an hour: tests pull through the API.
        "archive": ArchiveSourceSettings(pull_interval_seconds=3600.0),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def _running() -> Iterator[dict[str, Any]]:
    """The session's runtimes and admin tokens by backend, closed at its end. A parallel
    worker runs whole files, so it switches between the backends many times: each switch
    must find the same runtime (and its store's one bootstrap admin) again."""
    running: dict[str, Any] = {}
    yield running
    for backend in BACKENDS:
        _close(running, backend)


def _close(running: dict[str, Any], backend: str) -> None:
    """Stop a backend's HTTP client (its app's shutdown hooks), then its runtime."""
    client = running.pop(f"client:{backend}", None)
    if client is not None:
        client.__exit__(None, None, None)
    if backend in running:
        running.pop(backend).close()


@pytest.fixture(scope="session", params=BACKENDS)
def runtime(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _running: dict[str, Any],
) -> Runtime:
    """One running huoke per backend for the session; tests keep apart by tenant."""
    if request.param not in _running:
        settings = make_settings(request.param, tmp_path_factory.mktemp("var"), request)
        _running[request.param] = Runtime(settings).start()
    return _running[request.param]  # type: ignore[no-any-return]


@dataclass
class Api:
    """An HTTP client plus the platform admin's token and helpers for common set-ups."""

    client: TestClient[Any]
    runtime: Runtime
    staff_token: str
    made: list[str] = field(default_factory=list)

    def staff(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.staff_token}"}

    @staticmethod
    def key(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def new_tenant(self, name: str = "Acme 科技") -> str:
        answer = self.client.post(
            "/api/v1/admin/tenants",
            json={"name": name, "owner_name": "李雷", "owner_contact": "li@acme.cn"},
            headers={**self.staff(), "Prefer": "read-your-writes"},
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def new_key(self, tenant_id: str, *roles: str, employee_id: str | None = None) -> str:
        answer = self.client.post(
            f"/api/v1/admin/tenants/{tenant_id}/api-keys",
            json={
                "name": "test key",
                "roles": list(roles or ["tenant_admin"]),
                "employee_id": employee_id,
            },
            headers={**self.staff(), "Prefer": "read-your-writes"},
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])

    def tenant_with_key(self, *roles: str) -> tuple[str, str]:
        tenant_id = self.new_tenant()
        return tenant_id, self.new_key(tenant_id, *roles)

    def one_of_each(self) -> dict[str, str]:
        """A new tenant (with an admin key) holding one record of every kind, by the names
        the route catalogue's path parameters use."""
        tenant_id, token = self.tenant_with_key("tenant_admin")
        headers = {**self.key(token), "Prefer": "read-your-writes"}
        department = self.client.post("/api/v1/departments", json={"name": "D"}, headers=headers)
        employee = self.client.post(
            "/api/v1/employees", json={"name": "E", "roles": ["sales"]}, headers=headers
        )
        key = self.client.post(
            "/api/v1/api-keys", json={"name": "K", "roles": ["marketer"]}, headers=headers
        )
        source = self.client.post(
            "/api/v1/tracking/sources", json={"name": "S", "kind": "website"}, headers=headers
        )
        link = self.client.post(
            "/api/v1/tracking/links",
            json={"target_url": "https://acme.cn/", "title": "L", "channel": "C"},
            headers=headers,
        )
        group = self.client.post("/api/v1/groups", json={"name": "G"}, headers=headers)
        search = self.client.post(
            "/api/v1/saved-searches",
            json={"name": "S", "filter": {"field": "city", "op": "equals", "value": "北京"}},
            headers=headers,
        )
        rule = self.client.post(
            "/api/v1/scoring/rules",
            json={"title": "R", "category": "website", "points": 1, "behaviour": {"kind": "page"}},
            headers=headers,
        )
        messaging = self.messaging_records(headers, str(uuid.uuid4()))
        flow = self.client.post(
            "/api/v1/flows",
            json={"name": "F", "trigger": {"kind": "registered"}, "graph": {"nodes": []}},
            headers=headers,
        )
        assert flow.status_code == 201, flow.text
        reach = self.client.post(
            "/api/v1/reach-campaigns",
            json={
                "name": "R",
                "starts_at": "2027-03-01T09:00:00+08:00",
                "ends_at": "2027-03-02T09:00:00+08:00",
                "audience": {"all": []},
                "branches": [
                    {
                        "name": "B",
                        "send": {"rule": "immediately"},
                        "content": {"kind": "send_sms", "text": "T"},
                    }
                ],
            },
            headers=headers,
        )
        assert reach.status_code == 201, reach.text
        return {
            **messaging,
            **self.wechat_records(headers, tenant_id),
            **self.archive_records(tenant_id),
            "token": token,
            "tenant_id": tenant_id,
            "department_id": department.json()["id"],
            "employee_id": employee.json()["id"],
            "key_id": key.json()["id"],
            "source_id": source.json()["id"],
            "link_id": link.json()["id"],
            "lead_group_id": group.json()["id"],
            "saved_search_id": search.json()["id"],
            "rule_id": rule.json()["id"],
            "flow_id": flow.json()["flow_id"],
            "word_list_id": self.word_list_id(headers),
            "campaign_id": reach.json()["campaign_id"],
            "aggregate_id": department.json()["id"],
            **self.billing_records(token),
            **self.wecom_records(token, tenant_id),
            **self.archive_key_records(token),
            **self.wecom_live_code_records(token),
            **self.wecom_task_records(token),
            **self.wecom_transfer_records(token, tenant_id),
        }

    def messaging_records(self, headers: dict[str, str], lead_hint: str) -> dict[str, str]:
        """A sending domain, an e-mail template and task, an approved SMS signature and an
        SMS task of the key's tenant."""
        post = self.client.post
        domain = post("/api/v1/sending-domains", json={"domain": "mail.acme.cn"}, headers=headers)
        assert domain.status_code == 201, domain.text
        template = post(
            "/api/v1/email-templates",
            json={"name": "T", "subject": "{{name}}", "html": "<p>{{name}}</p>"},
            headers=headers,
        )
        assert template.status_code == 201, template.text
        audience = {"kind": "leads", "lead_ids": [lead_hint]}
        task = post(
            "/api/v1/email-tasks",
            json={"name": "E", "subject": "S", "sender_name": "N",
                  "sender_address": "news@mail.acme.cn",
                  "template_id": template.json()["id"], "audience": audience},
            headers=headers,
        )  # fmt: skip
        assert task.status_code == 201, task.text
        signature = post("/api/v1/sms/signatures", json={"text": "获客科技"}, headers=headers)
        assert signature.status_code == 201, signature.text
        approved = post(
            f"/api/v1/sms/signatures/{signature.json()['id']}/approve",
            headers={**headers, "If-Match": f'"{signature.json()["version"]}"'},
        )
        assert approved.status_code == 200, approved.text
        sms = post(
            "/api/v1/sms/tasks",
            json={"name": "S", "signature_id": signature.json()["id"],
                  "text": "会员日全场5折，回T退订", "audience": audience},
            headers=headers,
        )  # fmt: skip
        assert sms.status_code == 201, sms.text
        return {
            "sending_domain_id": domain.json()["id"],
            "email_template_id": template.json()["id"],
            "email_task_id": task.json()["id"],
            "sms_signature_id": signature.json()["id"],
            "sms_task_id": sms.json()["id"],
        }

    def word_list_id(self, headers: dict[str, str]) -> str:
        """A sensitive-word list of the key's tenant (ARCH-3)."""
        made = self.client.post(
            "/api/v1/archive/word-lists",
            json={"name": "W", "category": "辱骂", "words": ["傻X"]},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def wechat_records(self, headers: dict[str, str], tenant_id: str) -> dict[str, str]:
        """An Official Account of the key's tenant with one fan who wrote to it."""
        account = self.client.post(
            "/api/v1/wechat/accounts",
            json={"name": "W", "appid": "wx000000000000000a", "kind": "service",
                  "app_secret": "0" * 32, "callback_token": "token", "encoding_aes_key": "k" * 43},
            headers=headers,
        )  # fmt: skip
        assert account.status_code == 201, account.text
        openid = f"oFan{uuid.uuid4().hex[:12]}"
        now = datetime.now(UTC)
        self.runtime.container.ingestion().take(
            [
                Behaviour(
                    tenant_id=uuid.UUID(tenant_id), kind="wechat_message", channel="wechat",
                    occurred_at=now, received_at=now, message_id=f"wechat-sample-{openid}",
                    anonymous_id=f"wechat:{openid}", source_id="wechat",
                    properties={"account": account.json()["id"], "openid": openid,
                                "msg_type": "text", "text": "你好"},
                )
            ]
        )  # fmt: skip
        code = self.client.post(
            f"/api/v1/wechat/accounts/{account.json()['id']}/qr-codes",
            json={"name": "Q", "scene": "sample"},
            headers=headers,
        )
        assert code.status_code == 201, code.text
        return {
            "account_id": account.json()["id"],
            "openid": openid,
            "qr_code_id": code.json()["id"],
            **self.wechat_send_records(headers, account.json()["id"], openid),
        }

    def archive_records(self, tenant_id: str) -> dict[str, str]:
        """An archived message of the tenant (its msgid and chat), as ingestion appends it."""
        from application.archive.messages import ArchivedMessage, behaviour_of

        suffix = uuid.uuid4().hex[:12]
        message = ArchivedMessage(
            seq=1, msgid=f"msg{suffix}", action="send", sender=f"emp{suffix}",
            tolist=(f"wm{suffix}",), roomid="", msgtime=datetime.now(UTC), msgtype="text",
            content={"content": "你好"},
        )  # fmt: skip
        row = behaviour_of(uuid.UUID(tenant_id), message, received_at=message.msgtime)
        self.runtime.container.ingestion().take([row])
        return {"msgid": message.msgid, "conversation": message.conversation}

    def archive_key_records(self, token: str) -> dict[str, str]:
        """Two archive key versions of the key's tenant (after `wecom_records`: its SCRM
        plan includes the archive); the older one, not in use, by a number no test uses."""
        headers = {**self.key(token), "Prefer": "read-your-writes"}
        for version in (734219, 734220):
            made = self.client.post(
                "/api/v1/archive/settings/keys", json={"publickey_ver": version}, headers=headers
            )
            assert made.status_code == 201, made.text
        return {"publickey_ver": "734219"}

    def wecom_records(self, token: str, tenant_id: str) -> dict[str, str]:
        """The tenant's bound WeCom corp (its SCRM plan ordered first), a member of its
        contacts and a customer that member added (ids no other tenant has)."""
        from tests.e2e.wecom_support import a_customer_added, a_member, bind_corp, ensure_scrm
        from tests.settling import settle

        ensure_scrm(self, token)
        corp = bind_corp(self, token)
        userid = a_member(self, tenant_id)
        external = a_customer_added(self, tenant_id, corp["corpid"], userid)
        settle(self.runtime)  # the customer's profile and lead are made before tests look
        return {"corp_id": corp["id"], "userid": userid, "external_userid": external}

    def wechat_send_records(
        self, headers: dict[str, str], account_id: str, openid: str
    ) -> dict[str, str]:
        """A drafted mass send and a template send (the account verified, with a
        template) of the key's tenant."""
        post = self.client.post
        mass = post(
            "/api/v1/wechat/mass-sends",
            json={"account_id": account_id, "name": "M",
                  "message": {"kind": "text", "text": "你好"}},
            headers=headers,
        )  # fmt: skip
        assert mass.status_code == 201, mass.text
        url = f"/api/v1/wechat/accounts/{account_id}"
        version = self.client.get(url, headers=headers).json()["version"]
        verified = self.client.patch(
            url, json={"verified": True}, headers={**headers, "If-Match": f'"{version}"'}
        )
        assert verified.status_code == 200, verified.text
        added = post(
            f"{url}/templates",
            json={"template_id": "TPL-S", "title": "T", "fields": ["first"]},
            headers={**headers, "If-Match": f'"{verified.json()["version"]}"'},
        )
        assert added.status_code == 200, added.text
        template = post(
            "/api/v1/wechat/template-sends",
            json={"account_id": account_id, "template_id": "TPL-S", "data": {"first": "你好"},
                  "audience": {"openids": [openid]}},
            headers=headers,
        )  # fmt: skip
        assert template.status_code == 202, template.text
        return {"mass_send_id": mass.json()["id"], "template_send_id": template.json()["id"]}

    def wecom_live_code_records(self, token: str) -> dict[str, str]:
        """A WeCom live code of the key's tenant and a WeCom department with a welcome
        message (after `wecom_records`: the SCRM plan and the bound corp, whose contacts
        are synced here)."""
        headers = {**self.key(token), "Prefer": "read-your-writes"}
        corps = self.client.get("/api/v1/wecom/corps", headers=headers).json()["items"]
        synced = self.client.post(
            f"/api/v1/wecom/corps/{corps[0]['id']}/contacts/sync", headers=headers
        )
        assert synced.status_code == 200, synced.text
        code = self.client.post(
            "/api/v1/wecom/live-codes",
            json={"name": "L", "employees": [{"userid": "ZhangWei", "daily_cap": 5}]},
            headers=headers,
        )
        assert code.status_code == 201, code.text
        welcome = self.client.put(
            "/api/v1/wecom/welcome-messages/1", json={"welcome": {"text": "欢迎"}}, headers=headers
        )
        assert welcome.status_code == 200, welcome.text
        # WeCom's department ids are small numbers every corp has (1 is the root): the
        # suites look for ids in answers, so the one they are given is one nobody has.
        return {"live_code_id": code.json()["id"], "wecom_department_id": "770001"}

    def wecom_transfer_records(self, token: str, tenant_id: str) -> dict[str, str]:
        """A WeCom customer transfer of the key's tenant (after `wecom_live_code_records`:
        its contacts synced)."""
        from tests.e2e.wecom_transfer_support import a_transfer

        return {"transfer_id": a_transfer(self, token, tenant_id)}

    def wecom_task_records(self, token: str) -> dict[str, str]:
        """A WeCom mass-send draft, a follow-up task and a sidebar material of the key's
        tenant (after `wecom_live_code_records`: its contacts synced)."""
        headers = {**self.key(token), "Prefer": "read-your-writes"}
        send = self.client.post(
            "/api/v1/wecom/mass-sends",
            json={"name": "M", "content": {"text": "你好"},
                  "audience": {"scope": "employees", "userids": ["ZhangWei"]}},
            headers=headers,
        )  # fmt: skip
        assert send.status_code == 201, send.text
        task = self.client.post(
            "/api/v1/wecom/follow-ups",
            json={"title": "T", "assignees": ["ZhangWei"]},
            headers=headers,
        )
        assert task.status_code == 201, task.text
        material = self.client.post(
            "/api/v1/wecom/sidebar-materials",
            json={"title": "S", "fields": {"text": "您好"}},
            headers=headers,
        )
        assert material.status_code == 201, material.text
        return {
            "wecom_mass_send_id": send.json()["id"],
            "follow_up_id": task.json()["id"],
            "material_id": material.json()["id"],
        }

    def billing_records(self, token: str) -> dict[str, str]:
        """A paid, delivered order with an open refund ticket, its subscription, and a
        branch tenant: one of each billing record of the key's tenant."""
        headers = {**self.key(token), "Prefer": "read-your-writes"}
        order = self.client.post(
            "/api/v1/orders", json={"kind": "new", "edition": "qs_micro_entry"}, headers=headers
        )
        assert order.status_code == 201, order.text
        order_id = order.json()["id"]
        paid = self.client.post(
            f"/api/v1/admin/orders/{order_id}/confirm-payment",
            headers={**self.staff(), "Prefer": "read-your-writes"},
        )
        assert paid.status_code == 200 and paid.json()["status"] == "delivered", paid.text
        refund = self.client.post(
            "/api/v1/refunds", json={"order_id": order_id, "reason": "testing"}, headers=headers
        )
        assert refund.status_code == 201, refund.text
        branch = self.client.post(
            "/api/v1/branches",
            json={"name": "分公司", "owner_name": "王", "owner_contact": "wang@acme.cn"},
            headers=headers,
        )
        assert branch.status_code == 201, branch.text
        subscription = self.client.get("/api/v1/subscription", headers=headers)
        lead = self.client.post(
            "/api/v1/leads",
            json={"mobile": "13800138000", "email": "lead@acme.cn", "name": "线索"},
            headers=headers,
        )
        assert lead.status_code == 201, lead.text
        for mobile in ("13700137000", "13600136000"):  # one person twice: a duplicate case
            twin = {"mobile": mobile, "name": "王五", "company": "火客科技有限公司"}
            answer = self.client.post("/api/v1/leads", json=twin, headers=headers)
            assert answer.status_code == 201, answer.text
        scan = self.client.post("/api/v1/lead-duplicates/scan", headers=headers)
        assert scan.status_code == 200 and scan.json()["opened"] == 1, scan.text
        cases = self.client.get("/api/v1/lead-duplicates", headers=headers).json()["items"]
        lead_import = self.client.post(
            "/api/v1/lead-imports",
            json={
                "file_name": "one.csv",
                "content_base64": base64.b64encode(b"mobile\n13500135000\n").decode(),
                "mapping": {"mobile": "mobile"},
            },
            headers=headers,
        )
        assert lead_import.status_code == 201, lead_import.text
        return {
            "lead_id": lead.json()["lead"]["id"],
            "case_id": cases[0]["id"],
            "import_id": lead_import.json()["id"],
            "order_id": order_id,
            "refund_id": refund.json()["id"],
            "branch_id": branch.json()["id"],
            "subscription_id": subscription.json()["subscriptions"][0]["id"],
            **self.lead_settings_records(token),
        }

    def lead_settings_records(self, token: str) -> dict[str, str]:
        """One of each lead-settings entry of the key's tenant (keys no other test uses,
        so another tenant's answers never contain them by chance)."""
        headers = {**self.key(token), "Prefer": "read-your-writes"}
        employee = self.client.post(
            "/api/v1/employees", json={"name": "渠道负责人", "roles": ["sales"]}, headers=headers
        )
        assert employee.status_code == 201, employee.text
        group = self.client.post(
            "/api/v1/lead-settings/tag-groups", json={"name": "isolated"}, headers=headers
        )
        assert group.status_code == 201, group.text
        group_id = next(g["id"] for g in group.json()["tag_groups"] if g["name"] == "isolated")
        ids = {
            "field_key": "kf_isolated",
            "level1": "src-isolated",
            "level2": "sub-isolated",
            "channel": "ch-isolated",
            "status_key": "st_isolated",
            "group_id": group_id,
            "tag": "tag-isolated",
            "user_type": "ut_isolated",
        }
        for url, body in [
            ("custom-fields", {"key": ids["field_key"], "name": "字段", "type": "text"}),
            ("sources", {"level1": ids["level1"], "level2": ids["level2"]}),
            ("statuses", {"key": ids["status_key"], "name": "状态"}),
            ("tags", {"name": ids["tag"], "group_id": group_id}),
            ("user-types", {"key": ids["user_type"], "name": "类型"}),
        ]:
            answer = self.client.post(f"/api/v1/lead-settings/{url}", json=body, headers=headers)
            assert answer.status_code == 201, answer.text
        version = answer.json()["version"]
        owner = self.client.put(
            f"/api/v1/lead-settings/owner-rules/{ids['channel']}",
            json={"employee_id": employee.json()["id"]},
            headers={**headers, "If-Match": f'"{version}"'},
        )
        assert owner.status_code == 200, owner.text
        return ids

    def event_positions(self) -> dict[str, int]:
        """The head of every event store: a command that changed nothing leaves it alone."""
        return {
            app.name: app.recorder.max_notification_id() or 0 for app in self.runtime.applications
        }


@pytest.fixture(scope="session")
def admin_token(runtime: Runtime, _running: dict[str, Any]) -> str:
    from application.shared.context import RequestContext, acting

    key = f"admin_token:{id(runtime)}"  # one bootstrap per store, however often asked
    if key not in _running:
        with acting(RequestContext(request_id="test-bootstrap")):
            enrolled = runtime.container.tenancy().enrol_first_admin("root@huoke.test")
        assert enrolled is not None and enrolled.token
        _running[key] = enrolled.token
    return str(_running[key])


@pytest.fixture(scope="session")
def session_client(runtime: Runtime, _running: dict[str, Any]) -> TestClient[Any]:
    """One HTTP client per backend for the session, kept across backend switches like the
    runtime (a parallel worker switches at every file; building the app takes seconds)."""
    backend = next(name for name in BACKENDS if _running.get(name) is runtime)
    key = f"client:{backend}"
    if key not in _running:
        client = TestClient(create_app(runtime, close_runtime_on_shutdown=False))
        client.__enter__()
        _running[key] = client
    return _running[key]  # type: ignore[no-any-return]


@pytest.fixture
def api(session_client: TestClient[Any], runtime: Runtime, admin_token: str) -> Api:
    return Api(session_client, runtime, admin_token)


@pytest.fixture(params=BACKENDS)
def fresh_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for an empty store of its own (new SQLite dir / new PostgreSQL database)."""
    if request.param == "sqlite":
        yield make_settings("sqlite", tmp_path, request)
        return
    base = request.getfixturevalue("postgres_url")
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_{uuid.uuid4().hex[:6]}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield make_settings(
        "postgres", tmp_path, request, database_url=urlunsplit(parts._replace(path=f"/{name}"))
    )
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def operator_shell(fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """HUOKE_* pointing at an empty store, as an operator's shell would have them (for
    CLI tests); the settings `huoke` will read from them."""
    monkeypatch.setenv("HUOKE_VAR_DIR", str(fresh_settings.var_dir))
    monkeypatch.setenv("HUOKE_FAST_HASHING", "y")
    monkeypatch.setenv("HUOKE_AUTO_MIGRATE", "y")
    monkeypatch.setenv("HUOKE_CIPHER_KEY", TEST_CIPHER_KEY)
    if fresh_settings.database_url:
        monkeypatch.setenv("HUOKE_DATABASE_URL", fresh_settings.database_url)
        monkeypatch.setenv("HUOKE_POOL_SIZE", "2")
    else:
        monkeypatch.delenv("HUOKE_DATABASE_URL", raising=False)
    return Settings.from_environment()
