"""WeCom mass sends on both stores (WECOM-2, WECOM-5): an all-staff task reaches only
the members inside the app's visible range and within the interface accounts bought,
and records who was left out and why; it is handed to WeCom one part per employee,
through the embedded sandbox and through the wechatpy client against the local WeCom
server; results are collected per employee and per customer (or group) as employees
send; the worker round submits a scheduled task when due and collects results; a
filter of customers by tag reaches only the tagged ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.wecom.client import ProcessTokens
from adapters.wecom.connector import WecomClientConnector
from adapters.wecom.interface_accounts import PlanAccounts
from adapters.wecom.sandbox import SandboxConnector
from application.shared.errors import NotFound
from application.wecom.contacts import ContactsSync
from application.wecom.corps import WecomCorps
from application.wecom.mass_audience import RelationAudience
from application.wecom.mass_send_commands import CancelMassSend, DraftWecomMassSend
from application.wecom.mass_send_members import SeatedMembers
from application.wecom.mass_sends import MassSendRounds, MassSends
from domain.shared.errors import StateConflict
from entrypoints.container import Runtime
from tests.conftest import Api
from tests.integration.wecom_server import EPOCH, WecomServer, serving
from tests.settling import settle
from tests.wecom_world import STANDARD_ACCOUNTS, bind, corpid, leave_range, scrm_tenant
from tests.wecom_world import take_profiles as take_customer_profiles

LINK = {"kind": "link", "title": "双十一", "url": "https://acme.cn/sale"}


def draft(sends: MassSends, tenant_id: UUID, *, target: str = "customers", **audience: Any) -> UUID:
    command = DraftWecomMassSend.model_validate(
        {
            "name": "双十一预热",
            "target": target,
            "content": {"text": "新品上市", "attachments": [LINK]},
            "audience": audience or {"scope": "all_staff"},
        }
    )
    return sends.draft(tenant_id, command).id


class Once:
    """A guard this process always holds (the tests run one worker)."""

    def acquire(self) -> bool:
        return True


# --- the embedded sandbox -------------------------------------------------------------------


@pytest.fixture
def sandbox_tenant(api: Api, runtime: Runtime) -> tuple[UUID, str]:
    tenant_id, _token = scrm_tenant(api)
    corp = corpid()
    tenant = UUID(tenant_id)
    bind(runtime.container.wecom_corps(), tenant, corp)
    runtime.container.wecom_contacts_sync().sync(tenant)
    return tenant, corp


def test_an_all_staff_send_reaches_the_visible_range_and_collects_each_employees_results(
    runtime: Runtime, sandbox_tenant: tuple[UUID, str]
) -> None:
    tenant_id, corp = sandbox_tenant
    leave_range(runtime, tenant_id, "WangFang")
    settle(runtime)
    sends: MassSends = runtime.container.wecom_mass_sends()
    task_id = draft(sends, tenant_id)

    planned = sends.plan(tenant_id, task_id)
    assert planned.plan is not None and planned.plan.accounts == STANDARD_ACCOUNTS
    # the sandbox's sync found its members in userid order: their seats
    assert planned.plan.reached == ["ChenJing", "LiNa", "LiuYang", "ZhangWei"]
    assert [(e.userid, e.name, e.reason) for e in planned.plan.left_out] == [
        ("WangFang", "王芳", "outside_visible_range")
    ]

    submitted = sends.submit(tenant_id, task_id)
    assert submitted.state == "submitted"
    assert submitted.parts.waiting == 4 and submitted.parts.left_out == 1
    sandbox = SandboxConnector(runtime.settings.var_dir / "outbox").api(corp)
    calls = [c for c in sandbox.sent("externalcontact/add_msg_template")]
    assert sorted(c["sender"] for c in calls) == ["ChenJing", "LiNa", "LiuYang", "ZhangWei"]
    assert calls[0]["attachments"] == [LINK]
    with pytest.raises(StateConflict):
        sends.cancel(tenant_id, task_id, CancelMassSend())  # WeCom has it

    zhangwei = next(c for c in calls if c["sender"] == "ZhangWei")
    sandbox.confirm_mass_send(zhangwei["msgid"], "ZhangWei")
    collected = sends.collect(tenant_id, task_id)
    assert collected.parts.sent == 1 and collected.parts.waiting == 3
    assert collected.customers == {"sent": len(sandbox.customers_of("ZhangWei"))}

    settle(runtime)
    parts = {p.userid: p for p in sends.parts(tenant_id, task_id, cursor=None, limit=20).items}
    assert parts["ZhangWei"].state == "sent" and parts["ZhangWei"].sent == 3
    assert parts["LiNa"].state == "submitted"
    assert parts["WangFang"].state == "left_out"
    assert parts["WangFang"].reason == "outside_visible_range"
    outcomes = sends.outcomes(tenant_id, task_id, userid="ZhangWei", cursor=None, limit=20)
    assert sorted(o.target_id for o in outcomes.items) == sorted(sandbox.customers_of("ZhangWei"))
    (listed,) = sends.tasks(tenant_id, cursor=None, limit=5).items
    assert (listed.state, listed.parts.sent, listed.parts.waiting) == ("submitted", 1, 3)


def test_without_interface_accounts_an_all_staff_send_reaches_nobody(
    api: Api, runtime: Runtime
) -> None:
    tenant_id, _token = scrm_tenant(api, accounts=False)
    tenant = UUID(tenant_id)
    bind(runtime.container.wecom_corps(), tenant, corpid())
    runtime.container.wecom_contacts_sync().sync(tenant)
    settle(runtime)
    sends: MassSends = runtime.container.wecom_mass_sends()
    task_id = draft(sends, tenant)
    planned = sends.plan(tenant, task_id)
    assert planned.plan is not None and planned.plan.accounts == 0
    assert planned.plan.left_out_by_reason == {"over_account_quota": 5}
    with pytest.raises(StateConflict) as refused:
        sends.submit(tenant, task_id)
    assert refused.value.field == "audience"
    # a task to listed employees is not held to the accounts (WECOM-5 is about all staff)
    listed = draft(sends, tenant, scope="employees", userids=["LiNa", "Nobody"])
    plan = sends.plan(tenant, listed).plan
    assert plan is not None and plan.reached == ["LiNa"]
    assert [(e.userid, e.reason) for e in plan.left_out] == [("Nobody", "unknown_member")]


def test_the_worker_submits_a_scheduled_send_when_due_and_collects_group_results(
    runtime: Runtime, sandbox_tenant: tuple[UUID, str]
) -> None:
    tenant_id, corp = sandbox_tenant
    settle(runtime)
    sends: MassSends = runtime.container.wecom_mass_sends()
    clock = runtime.container.clock()
    command = DraftWecomMassSend.model_validate(
        {
            "name": "群公告",
            "target": "groups",
            "content": {"text": "本周六门店活动"},
            "audience": {"scope": "employees", "userids": ["ZhangWei"]},
            "send_at": (clock.now() + timedelta(milliseconds=300)).isoformat(),
        }
    )
    task_id = sends.draft(tenant_id, command).id
    scheduled = sends.submit(tenant_id, task_id)
    assert scheduled.state == "scheduled"
    rounds = MassSendRounds(sends, runtime.container.wecom_mass_send_queries(), clock, Once(),
                            poll_seconds=0)  # fmt: skip
    for _ in range(200):  # until it is due (the clock is the real one)
        settle(runtime)
        rounds.run_once()
        if sends.task(tenant_id, task_id).state != "scheduled":
            break
    assert sends.task(tenant_id, task_id).state == "submitted"
    sandbox = SandboxConnector(runtime.settings.var_dir / "outbox").api(corp)
    (call,) = [c for c in sandbox.sent("externalcontact/add_msg_template") if c["chat_type"]]
    assert call["sender"] == "ZhangWei" and call["text"] == "本周六门店活动"
    sandbox.confirm_mass_send(call["msgid"], "ZhangWei")
    settle(runtime)
    report = rounds.run_once()
    assert report.changed >= 1
    finished = sends.task(tenant_id, task_id)
    assert finished.state == "finished" and finished.finish_reason == "all_sent"
    settle(runtime)
    (outcome,) = sends.outcomes(tenant_id, task_id, cursor=None, limit=5).items
    assert (outcome.target_id, outcome.result) == (sandbox.group_chat_id(), "sent")


def test_another_tenants_task_is_not_found(
    api: Api, runtime: Runtime, sandbox_tenant: tuple[UUID, str]
) -> None:
    tenant_id, _corp = sandbox_tenant
    sends: MassSends = runtime.container.wecom_mass_sends()
    task_id = draft(sends, tenant_id)
    other = UUID(api.new_tenant())
    for call in (sends.task, sends.plan, sends.submit, sends.collect):
        with pytest.raises(NotFound):
            call(other, task_id)


# --- the wechatpy client against the local WeCom server ---------------------------------------

USERIDS = [f"emp{i}" for i in range(8)]


def _corp(corp_id: str) -> WecomServer:
    corp = WecomServer(corp_id=corp_id, secret="s" * 32)
    corp.departments = [{"id": 1, "name": "总部", "parentid": 0, "order": 1}]
    corp.employees = [
        {"userid": u, "name": f"员工{i}", "department": [1], "status": 1}
        for i, u in enumerate(USERIDS)
    ]
    corp.tag_groups = [
        {"group_id": "etG", "group_name": "等级", "tag": [{"id": "etVip", "name": "重要"}]}
    ]
    vip = {"group_name": "等级", "tag_name": "重要", "tag_id": "etVip", "type": 1}
    for i, userid in enumerate(USERIDS):
        for n in range(2):  # each employee has a VIP customer and another one
            external = f"wm{userid}c{n}"
            corp.customers[external] = {
                "external_contact": {"external_userid": external, "name": f"客户{i}{n}", "type": 1},
                "follow_user": [{"userid": userid, "remark": "", "createtime": EPOCH + i,
                                 "tags": [vip] if n == 0 else [], "add_way": 1}],
            }  # fmt: skip
    return corp


@pytest.fixture
def wecom_server() -> Iterator[WecomServer]:
    with serving(_corp(corpid())) as server:
        yield server


def test_the_real_client_hands_each_reached_employee_their_tagged_customers(
    api: Api, runtime: Runtime, wecom_server: WecomServer
) -> None:
    tenant_id, _token = scrm_tenant(api)
    tenant = UUID(tenant_id)
    container = runtime.container
    wecom = container.wecom()
    corps = WecomCorps(
        wecom,
        WecomClientConnector(ProcessTokens(), base_url=wecom_server.url),
        container.billing().quotas,
    )
    bind(corps, tenant, wecom_server.corp_id)
    sync = ContactsSync(wecom, corps, container.wecom_members())
    sync.sync(tenant)
    settle(runtime)
    wecom_server.employees = [
        e for e in wecom_server.employees if e["userid"] not in ("emp1", "emp2")
    ]
    assert sync.sync(tenant).left_range == 2  # the visible range lost two of the corp
    take_customer_profiles(runtime, tenant, corps.api_of(tenant), wecom_server.corp_id)
    settle(runtime)
    queries = container.wecom_mass_send_queries()
    sends = MassSends(
        wecom,
        corps,
        SeatedMembers(container.wecom_members(), queries),
        PlanAccounts(container.billing().quotas),
        RelationAudience(container.wecom_customer_view()),
        queries,
        container.clock(),
    )
    task_id = draft(sends, tenant, scope="all_staff", tags=["重要"])
    submitted = sends.submit(tenant, task_id)
    assert submitted.plan is not None
    assert submitted.plan.reached == ["emp0", "emp3", "emp4", "emp5", "emp6"]
    assert {(e.userid, e.reason) for e in submitted.plan.left_out} == {
        ("emp1", "outside_visible_range"),
        ("emp2", "outside_visible_range"),
        ("emp7", "over_account_quota"),
    }
    calls = wecom_server.calls_to("externalcontact/add_msg_template")
    assert [(c.body["sender"], c.body["external_userid"]) for c in calls] == [
        (u, [f"wm{u}c0"]) for u in submitted.plan.reached
    ]
    assert calls[0].body["attachments"][0]["link"]["url"] == LINK["url"]

    msgid = next(m for m, senders in wecom_server.mass_sends.items() if "emp3" in senders)
    wecom_server.confirm_mass_send(msgid, "emp3")
    collected = sends.collect(tenant, task_id)
    assert (collected.parts.sent, collected.parts.waiting) == (1, 4)
    assert collected.customers == {"sent": 1}
    assert sends.collect(tenant, task_id).version == collected.version  # nothing new


def test_a_moments_post_is_one_job_for_every_reached_employee(
    api: Api, runtime: Runtime, sandbox_tenant: tuple[UUID, str]
) -> None:
    tenant_id, corp = sandbox_tenant
    settle(runtime)
    sends: MassSends = runtime.container.wecom_mass_sends()
    command = DraftWecomMassSend.model_validate(
        {
            "name": "朋友圈：新品",
            "target": "moments",
            "content": {"text": "新品上市", "attachments": [{"kind": "image", "media_id": "M1"}]},
            "audience": {"scope": "employees", "userids": ["LiNa", "ZhangWei"]},
        }
    )
    task_id = sends.draft(tenant_id, command).id
    submitted = sends.submit(tenant_id, task_id)
    assert submitted.state == "submitted" and submitted.parts.waiting == 2
    sandbox = SandboxConnector(runtime.settings.var_dir / "outbox").api(corp)
    (job,) = sandbox.sent("externalcontact/add_moment_task")
    assert job["user_list"] == ["LiNa", "ZhangWei"]
    sandbox.confirm_mass_send(job["moment_id"], "LiNa")
    collected = sends.collect(tenant_id, task_id)
    assert (collected.parts.sent, collected.parts.waiting) == (1, 1)
    assert collected.finish_reason == ""  # ZhangWei may still publish
