"""The WeCom port's mass sends with attachments, group sends and Moments (WECOM-2), in
the wechatpy adapter against the local server speaking WeCom's JSON and in the
embedded sandbox: what each call sends, the results per employee and per group, a
Moments job with its invalid senders and who published; what WeCom would refuse is
refused before any call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.wecom.client import WecomClient
from adapters.wecom.sandbox import SandboxWecomApi
from application.shared.errors import InvalidInput
from application.wecom.ports import MomentPublisher, WelcomeAttachment
from tests.integration.wecom_server import EPOCH, WecomServer, serving

CORP_ID, SECRET = "ww00mass0000send0", "mass-send-secret"
LINK = WelcomeAttachment(kind="link", title="双十一", url="https://acme.cn/sale")
IMAGE = WelcomeAttachment(kind="image", media_id="MEDIA_1")


def _corp() -> WecomServer:
    corp = WecomServer(corp_id=CORP_ID, secret=SECRET)
    corp.departments = [{"id": 1, "name": "总部", "parentid": 0, "order": 1}]
    corp.employees = [
        {"userid": "zhangsan", "name": "张三", "department": [1], "status": 1},
        {"userid": "lisi", "name": "李四", "department": [1], "status": 1},
    ]
    follow = {"remark": "", "createtime": EPOCH, "tags": [], "add_way": 1}
    corp.customers = {
        "wmA": {
            "external_contact": {"external_userid": "wmA", "name": "甲", "type": 1},
            "follow_user": [{"userid": "zhangsan", **follow}],
        }
    }
    corp.group_chats = [
        {"chat_id": f"wrGroup{i}", "name": f"群{i}", "owner": owner, "create_time": EPOCH,
         "status": 0, "member_list": []}
        for i, owner in enumerate(["zhangsan", "zhangsan", "lisi"])
    ]  # fmt: skip
    return corp


@pytest.fixture
def corp() -> Iterator[WecomServer]:
    with serving(_corp()) as server:
        yield server


@pytest.fixture
def wecom(corp: WecomServer) -> Iterator[WecomClient]:
    client = WecomClient(CORP_ID, SECRET, base_url=corp.url, timeout=5, sleep=lambda s: None)
    yield client
    client.close()


def test_a_customer_send_carries_its_attachments_in_wecoms_fields(
    wecom: WecomClient, corp: WecomServer
) -> None:
    wecom.mass_send("zhangsan", ["wmA"], "", attachments=[LINK, IMAGE])
    (call,) = corp.calls_to("externalcontact/add_msg_template")
    assert call.body == {
        "chat_type": "single",
        "attachments": [
            {"msgtype": "link", "link": {"title": "双十一", "url": "https://acme.cn/sale"}},
            {"msgtype": "image", "image": {"media_id": "MEDIA_1"}},
        ],
        "sender": "zhangsan",
        "external_userid": ["wmA"],
    }


def test_a_group_send_goes_to_the_groups_the_sender_owns_with_results_per_group(
    wecom: WecomClient, corp: WecomServer
) -> None:
    task = wecom.mass_send("zhangsan", None, "群公告：周末活动", chat_type="group")
    (call,) = corp.calls_to("externalcontact/add_msg_template")
    assert call.body == {
        "chat_type": "group",
        "text": {"content": "群公告：周末活动"},
        "sender": "zhangsan",
    }
    before = wecom.mass_send_results(task.msgid, "zhangsan").items
    assert [(r.chat_id, r.status) for r in before] == [("wrGroup0", 0), ("wrGroup1", 0)]
    corp.confirm_mass_send(task.msgid, "zhangsan")
    after = wecom.mass_send_results(task.msgid, "zhangsan").items
    assert [(r.chat_id, r.status, r.external_userid) for r in after] == [
        ("wrGroup0", 1, ""),
        ("wrGroup1", 1, ""),
    ]


def test_what_wecom_would_refuse_is_refused_before_any_call(
    wecom: WecomClient, corp: WecomServer
) -> None:
    with pytest.raises(InvalidInput):
        wecom.mass_send(None, None, "x", chat_type="group")
    with pytest.raises(InvalidInput):
        wecom.mass_send("zhangsan", None, "")
    with pytest.raises(InvalidInput):
        wecom.mass_send("zhangsan", None, "x", attachments=[IMAGE] * 10)
    with pytest.raises(InvalidInput):
        wecom.add_moment_task("x", [IMAGE, LINK], userids=["zhangsan"])
    with pytest.raises(InvalidInput):
        wecom.add_moment_task("x", userids=[])
    assert corp.calls == []


def test_a_moments_post_is_one_job_with_its_invalid_senders_and_who_published(
    wecom: WecomClient, corp: WecomServer
) -> None:
    jobid = wecom.add_moment_task(
        "新品上市", [IMAGE], userids=["zhangsan", "lisi", "ghost"], tag_ids=["etVip"]
    )
    (call,) = corp.calls_to("externalcontact/add_moment_task")
    assert call.body == {
        "visible_range": {
            "sender_list": {"user_list": ["zhangsan", "lisi", "ghost"]},
            "external_contact_list": {"tag_list": ["etVip"]},
        },
        "text": {"content": "新品上市"},
        "attachments": [{"msgtype": "image", "image": {"media_id": "MEDIA_1"}}],
    }
    result = wecom.moment_task_result(jobid)
    assert result.done and result.moment_id and result.invalid_userids == ("ghost",)
    corp.publish_moment(result.moment_id, "lisi")
    assert wecom.moment_publishers(result.moment_id).items == (
        MomentPublisher("zhangsan", False),
        MomentPublisher("lisi", True),
    )


def test_the_sandbox_answers_as_wecom_does_and_its_employees_can_confirm(tmp_path: Path) -> None:
    sandbox = SandboxWecomApi(tmp_path, "wwSandboxCorp")
    customers = sandbox.customers_of("ZhangWei")
    task = sandbox.mass_send("ZhangWei", None, "新品", attachments=[LINK])
    assert [s.status for s in sandbox.mass_send_senders(task.msgid).items] == [0]
    sandbox.confirm_mass_send(task.msgid, "ZhangWei")
    (sender,) = sandbox.mass_send_senders(task.msgid).items
    assert sender.status == 2 and sender.send_time is not None
    results = sandbox.mass_send_results(task.msgid, "ZhangWei").items
    assert sorted(r.external_userid for r in results) == sorted(customers)
    assert {r.status for r in results} == {1}

    group = sandbox.mass_send("ZhangWei", None, "群发", chat_type="group")
    assert [r.chat_id for r in sandbox.mass_send_results(group.msgid, "ZhangWei").items] == [
        sandbox.group_chat_id()
    ]
    jobid = sandbox.add_moment_task("朋友圈", [IMAGE], userids=["LiNa", "Nobody"])
    moment = sandbox.moment_task_result(jobid)
    assert moment.done and moment.invalid_userids == ("Nobody",)
    sandbox.confirm_mass_send(moment.moment_id, "LiNa")
    assert sandbox.moment_publishers(moment.moment_id).items == (MomentPublisher("LiNa", True),)
