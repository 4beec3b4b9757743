"""The embedded WeCom (the sandbox `WecomApi`, WECOM-1…5): a small corp, the same every
time for a corp id (two departments, five employees with Chinese names, customers per
employee whose external_userids are the corp's own, a group, corp tags); every call,
reads included, one JSON line in var/outbox/wecom.jsonl; contact ways, welcome messages,
mass sends and transfers answered as WeCom would, WeCom's limits kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.wecom.sandbox import SandboxConnector, SandboxWecomApi
from application.wecom.ports import TooManyCustomers, whole_customer

CORP = "ww0a1b2c3d4e5f6a7b"


@pytest.fixture
def sandbox(tmp_path: Path) -> SandboxWecomApi:
    return SandboxConnector(tmp_path).api(CORP)


def test_the_corp_is_the_same_for_a_corp_id_and_its_customers_are_its_own(
    sandbox: SandboxWecomApi, tmp_path: Path
) -> None:
    departments = sandbox.departments()
    members = [e for d in departments for e in sandbox.employees(d.id)]
    assert [d.name for d in departments] == ["火客科技", "销售部"]
    assert {e.userid: e.name for e in members} == {
        "LiNa": "李娜", "WangFang": "王芳", "ZhangWei": "张伟", "LiuYang": "刘洋",
        "ChenJing": "陈静",
    }  # fmt: skip
    customers = sandbox.customers_of("ZhangWei")
    assert len(customers) == 3 and sandbox.customers_of("WangFang") == []
    [shared] = sandbox.customers_of("LiNa")  # LiNa's customer added ChenJing too
    first = whole_customer(sandbox, shared)
    assert first.name and {f.userid for f in first.follow_users} == {"LiNa", "ChenJing"}
    again = SandboxConnector(tmp_path).api(CORP)
    assert again.customers_of("ZhangWei") == customers
    other = SandboxConnector(tmp_path).api("wwffffffffffffffff")
    assert set(other.customers_of("ZhangWei")).isdisjoint(customers)
    unknown = sandbox.customer("wmSomeoneACallbackAdded")
    assert unknown.name and unknown.follow_users == ()
    [group] = sandbox.customer_groups().items
    assert (group.name, group.owner) == ("火客VIP客户群", "ZhangWei")
    assert {t.group_name for t in sandbox.corp_tags()} == {"客户等级", "来源"}


def test_every_call_is_recorded_and_answered_as_wecom_would(
    sandbox: SandboxWecomApi, tmp_path: Path
) -> None:
    customers = sandbox.customers_of("ZhangWei")
    way = sandbox.add_contact_way(["ZhangWei", "LiuYang"], "expo2026")
    sandbox.send_welcome("WELCOME-CODE", "您好，欢迎！")
    task = sandbox.mass_send("ZhangWei", [customers[0], "wmNotACustomer"], "新品上市")
    [part] = sandbox.mass_send_senders(task.msgid).items
    results = sandbox.mass_send_results(task.msgid, "ZhangWei").items
    moved = sandbox.transfer_customers("ZhangWei", "LiuYang", customers[:2], resigned=True)
    taken = sandbox.transfer_results("ZhangWei", "LiuYang", resigned=True).items

    assert way.config_id and way.qr_code.startswith("https://")
    assert task.failed == ("wmNotACustomer",)
    assert part.userid == "ZhangWei" and [r.external_userid for r in results] == [customers[0]]
    assert all(m.accepted for m in moved) and {t.external_userid for t in taken} == set(
        customers[:2]
    )
    with pytest.raises(TooManyCustomers):
        sandbox.transfer_customers("ZhangWei", "LiuYang", [f"wm{n}" for n in range(101)],
                                   resigned=False)  # fmt: skip
    lines = [json.loads(line) for line in (tmp_path / "wecom.jsonl").read_text().splitlines()]
    calls = [line["call"] for line in lines]
    assert calls[0] == "externalcontact/list" and "externalcontact/send_welcome_msg" in calls
    assert all(line["corp"] == CORP and line["at"] for line in lines)
    assert calls.count("externalcontact/resigned/transfer_customer") == 1  # the refused: none
    welcome = next(line for line in lines if line["call"] == "externalcontact/send_welcome_msg")
    assert welcome["welcome_code"] == "WELCOME-CODE" and welcome["text"] == "您好，欢迎！"
