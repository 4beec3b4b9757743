"""The WeCom adapter (wechatpy's WeCom client) against a local server answering in
WeCom's documented JSON (issue 20, deliverable 1; WECOM-1…5): contacts sync, customers
with their follow users over several pages, customer groups, tags, welcome messages,
"contact me" codes (WECOM-1), mass-send tasks and their results (WECOM-2), transfers
of customers on the job and after resignation with per-customer answers and WeCom's
100-a-call limit refused before any call (WECOM-4); the access_token fetched once,
kept until it expires, shared through the token store and refreshed once when WeCom
calls it expired; 45009 backed off and then `WecomRateLimited`; other errcodes
`WecomRefused` naming WeCom's errcode and errmsg."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.wechat.access_tokens import sqlite_access_tokens
from adapters.wecom.client import ProcessTokens, WecomClient
from application.shared.errors import InvalidInput
from application.wecom.ports import (
    CorpTag,
    CustomerGroup,
    CustomerTransfer,
    MassSendSender,
    TooManyCustomers,
    WecomDepartment,
    WecomEmployee,
    WecomRateLimited,
    WecomRefused,
    whole_customer,
)
from tests.conftest import TEST_CIPHER_KEY
from tests.integration.wecom_server import EPOCH, WecomServer, serving

CORP_ID, SECRET = "ww1234567890abcdef", "contact-secret-of-the-corp"
FOLLOWERS = ["zhangsan", "lisi", "wangwu", "zhaoliu", "sunqi"]


def _follow(userid: str, n: int, *, tags: list[dict[str, object]] | None = None) -> dict:
    return {
        "userid": userid,
        "remark": f"{userid}的客户",
        "description": "",
        "createtime": EPOCH + n,
        "tags": tags or [],
        "add_way": 1,
        "state": "expo-2026" if n == 0 else "",
    }


def _corp() -> WecomServer:
    """A small corp: three departments, five employees (wangwu has left), customers."""
    corp = WecomServer(corp_id=CORP_ID, secret=SECRET)
    corp.departments = [
        {"id": 1, "name": "广州总部", "parentid": 0, "order": 100000000},
        {"id": 2, "name": "销售部", "parentid": 1, "order": 10},
        {"id": 3, "name": "客服部", "parentid": 1, "order": 5},
    ]
    corp.employees = [
        {"userid": "zhangsan", "name": "张三", "department": [1, 2], "status": 1,
         "mobile": "13800000001"},
        {"userid": "lisi", "name": "李四", "department": [2], "status": 1},
        {"userid": "wangwu", "name": "王五", "department": [3], "status": 5},
        {"userid": "zhaoliu", "name": "赵六", "department": [3], "status": 1},
        {"userid": "sunqi", "name": "孙七", "department": [3], "status": 4},
    ]  # fmt: skip
    corp.tag_groups = [
        {"group_id": "etG1", "group_name": "客户等级", "create_time": EPOCH, "order": 1,
         "tag": [{"id": "etA1", "name": "重要", "create_time": EPOCH, "order": 2},
                 {"id": "etA2", "name": "普通", "create_time": EPOCH, "order": 1}]},
        {"group_id": "etG2", "group_name": "来源", "create_time": EPOCH, "order": 0,
         "tag": [{"id": "etB1", "name": "展会", "create_time": EPOCH, "order": 1},
                 {"id": "etB2", "name": "旧渠道", "create_time": EPOCH, "order": 0,
                  "deleted": True}]},
    ]  # fmt: skip
    expo = {"group_name": "来源", "tag_name": "展会", "tag_id": "etB1", "type": 1}
    mine = {"group_name": "", "tag_name": "老朋友", "type": 2}  # a personal tag: no id
    corp.customers = {
        "wmLiNvShi": {
            "external_contact": {"external_userid": "wmLiNvShi", "name": "李女士", "type": 1,
                                 "gender": 2, "unionid": "ozynqsulJFCZ2z1aYeS8h-nuasdAAA"},
            "follow_user": [_follow("zhangsan", 0, tags=[expo, mine]), _follow("lisi", 1)],
        },
        "wmTencent": {
            "external_contact": {"external_userid": "wmTencent", "name": "王经理", "type": 2,
                                 "corp_name": "腾讯"},
            "follow_user": [_follow("zhangsan", 2)],
        },
        "wmPopular": {
            "external_contact": {"external_userid": "wmPopular", "name": "陈先生", "type": 1},
            "follow_user": [_follow(userid, 10 + i) for i, userid in enumerate(FOLLOWERS)],
        },
    }  # fmt: skip
    for i in range(3):  # customers of wangwu, who left
        external_userid = f"wmWangwu{i}"
        corp.customers[external_userid] = {
            "external_contact": {"external_userid": external_userid, "name": f"客户{i}", "type": 1},
            "follow_user": [_follow("wangwu", 20 + i)],
        }
    corp.group_chats = [
        {"chat_id": f"wrOgQhDgAAMYQiS5ol9G7gK9JVAA{i}", "name": name, "owner": owner,
         "create_time": EPOCH, "status": status,
         "member_list": [{"userid": owner, "type": 1, "join_time": EPOCH, "join_scene": 1}]
         + [{"userid": f"wm{i}{m}", "type": 2, "join_time": EPOCH, "join_scene": 3}
            for m in range(members)]}
        for i, (name, owner, status, members) in enumerate(
            [("展会客户群", "zhangsan", 0, 3), ("VIP 服务群", "lisi", 0, 1),
             ("王五的群", "wangwu", 1, 2)]
        )
    ]  # fmt: skip
    return corp


class Sleeps:
    """The adapter's sleep, recording the delays instead of waiting them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def corp() -> Iterator[WecomServer]:
    with serving(_corp()) as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def wecom(corp: WecomServer, sleeps: Sleeps) -> Iterator[WecomClient]:
    client = WecomClient(CORP_ID, SECRET, base_url=corp.url, timeout=5, sleep=sleeps)
    yield client
    client.close()


# --- contacts, customers, groups -----------------------------------------------------------


def test_departments_and_employees_are_synced_with_one_token(
    wecom: WecomClient, corp: WecomServer
) -> None:
    assert wecom.departments() == [
        WecomDepartment(1, "广州总部", 0, 100000000),
        WecomDepartment(2, "销售部", 1, 10),
        WecomDepartment(3, "客服部", 1, 5),
    ]
    assert wecom.employees(2) == [
        WecomEmployee("zhangsan", "张三", (1, 2), 1, "13800000001"),
        WecomEmployee("lisi", "李四", (2,), 1),
    ]
    assert [(e.userid, e.status) for e in wecom.employees(3)] == [
        ("wangwu", 5),
        ("zhaoliu", 1),
        ("sunqi", 4),
    ]
    assert [c.query["department_id"] for c in corp.calls_to("user/list")] == ["2", "3"]
    assert corp.token_requests == 1  # kept for every later call


def test_customers_come_with_all_their_follow_users_over_several_pages(
    wecom: WecomClient, corp: WecomServer
) -> None:
    corp.page_size = 2
    assert wecom.customers_of("zhangsan") == ["wmLiNvShi", "wmTencent", "wmPopular"]
    assert wecom.customers_of("zhaoliu") == ["wmPopular"]

    first = wecom.customer("wmPopular")
    assert [f.userid for f in first.follow_users] == FOLLOWERS[:2]
    assert first.next_cursor

    popular = whole_customer(wecom, "wmPopular")
    assert (popular.name, popular.type, popular.next_cursor) == ("陈先生", 1, "")
    assert [f.userid for f in popular.follow_users] == FOLLOWERS
    assert popular.follow_users[-1].createtime == datetime.fromtimestamp(EPOCH + 14, UTC)
    cursors = [c.query.get("cursor", "") for c in corp.calls_to("externalcontact/get")]
    assert cursors[1:] == ["", "CURSOR000002", "CURSOR000004"]  # the walk: 3 pages

    tencent = whole_customer(wecom, "wmTencent")
    assert (tencent.name, tencent.type, tencent.corp_name) == ("王经理", 2, "腾讯")
    li = whole_customer(wecom, "wmLiNvShi")
    assert li.unionid == "ozynqsulJFCZ2z1aYeS8h-nuasdAAA"
    zhangsan = li.follow_users[0]
    assert (zhangsan.remark, zhangsan.add_way, zhangsan.state) == ("zhangsan的客户", 1, "expo-2026")
    assert zhangsan.tags == (CorpTag("etB1", "展会", "来源"), CorpTag("", "老朋友", ""))


def test_an_employee_without_customers_has_none_rather_than_an_error(
    wecom: WecomClient, corp: WecomServer
) -> None:
    corp.customers = {}  # WeCom answers 84061 to their list
    assert wecom.customers_of("lisi") == []


def test_customer_groups_are_listed_by_page_with_name_owner_and_members(
    wecom: WecomClient,
) -> None:
    first = wecom.customer_groups(limit=2)
    assert first.items == (
        CustomerGroup("wrOgQhDgAAMYQiS5ol9G7gK9JVAA0", "展会客户群", "zhangsan", 4, 0),
        CustomerGroup("wrOgQhDgAAMYQiS5ol9G7gK9JVAA1", "VIP 服务群", "lisi", 2, 0),
    )
    last = wecom.customer_groups(first.next_cursor, limit=2)
    assert last.items == (
        CustomerGroup("wrOgQhDgAAMYQiS5ol9G7gK9JVAA2", "王五的群", "wangwu", 3, 1),
    )
    assert last.next_cursor == ""


# --- tags, welcome messages, contact ways ----------------------------------------------------


def test_corp_tags_are_listed_and_marked_on_a_customer(
    wecom: WecomClient, corp: WecomServer
) -> None:
    assert wecom.corp_tags() == [
        CorpTag("etA1", "重要", "客户等级"),
        CorpTag("etA2", "普通", "客户等级"),
        CorpTag("etB1", "展会", "来源"),  # etB2 is deleted
    ]
    wecom.mark_tags("zhangsan", "wmLiNvShi", add=["etA1"], remove=["etB1"])

    (call,) = corp.calls_to("externalcontact/mark_tag")
    assert call.body == {
        "userid": "zhangsan",
        "external_userid": "wmLiNvShi",
        "add_tag": ["etA1"],
        "remove_tag": ["etB1"],
    }
    tags = whole_customer(wecom, "wmLiNvShi").follow_users[0].tags
    assert tags == (CorpTag("", "老朋友", ""), CorpTag("etA1", "重要", "客户等级"))


def test_a_welcome_message_uses_its_code_once(wecom: WecomClient, corp: WecomServer) -> None:
    corp.welcome_codes = {"CALLBACK_CODE"}
    wecom.send_welcome("CALLBACK_CODE", "您好，我是张三，很高兴为您服务")
    assert corp.welcomes == [
        {"welcome_code": "CALLBACK_CODE", "text": {"content": "您好，我是张三，很高兴为您服务"}}
    ]
    with pytest.raises(WecomRefused) as refused:
        wecom.send_welcome("CALLBACK_CODE", "again")
    assert refused.value.errcode == 41051
    assert len(corp.welcomes) == 1


def test_contact_me_codes_for_one_employee_and_for_several(
    wecom: WecomClient, corp: WecomServer
) -> None:
    single = wecom.add_contact_way(["zhangsan"], "expo-2026", remark="展会")
    several = wecom.add_contact_way(["zhangsan", "lisi"], "site", skip_verify=False)
    assert single.config_id != several.config_id
    assert single.qr_code.startswith("https://wework.qpic.cn/")
    assert corp.contact_ways[single.config_id] == {
        "type": 1,
        "scene": 2,
        "remark": "展会",
        "skip_verify": True,
        "state": "expo-2026",
        "user": ["zhangsan"],
    }
    assert corp.contact_ways[several.config_id]["type"] == 2
    assert corp.contact_ways[several.config_id]["skip_verify"] is False
    with pytest.raises(InvalidInput):
        wecom.add_contact_way([])


# --- mass sends ------------------------------------------------------------------------------


def test_a_mass_send_task_and_its_results_per_employee_and_customer(
    wecom: WecomClient, corp: WecomServer
) -> None:
    task = wecom.mass_send(None, ["wmLiNvShi", "wmTencent", "wmWangwu0", "wmNobody"], "新品上市")
    assert task.failed == ("wmNobody",)
    (call,) = corp.calls_to("externalcontact/add_msg_template")
    assert call.body == {
        "chat_type": "single",
        "text": {"content": "新品上市"},
        "external_userid": ["wmLiNvShi", "wmTencent", "wmWangwu0", "wmNobody"],
    }
    senders = wecom.mass_send_senders(task.msgid)
    assert senders.items == (MassSendSender("zhangsan", 0), MassSendSender("wangwu", 0))

    corp.confirm_mass_send(task.msgid, "zhangsan")
    zhangsan = wecom.mass_send_senders(task.msgid).items[0]
    assert zhangsan.status == 2 and zhangsan.send_time is not None
    results = wecom.mass_send_results(task.msgid, "zhangsan")
    assert [(r.external_userid, r.status) for r in results.items] == [
        ("wmLiNvShi", 1),
        ("wmTencent", 1),
    ]
    assert all(r.send_time == zhangsan.send_time for r in results.items)
    assert [r.status for r in wecom.mass_send_results(task.msgid, "wangwu").items] == [0]


def test_a_mass_send_from_one_employee_to_all_their_customers(
    wecom: WecomClient, corp: WecomServer
) -> None:
    task = wecom.mass_send("lisi", None, "周末活动")
    (call,) = corp.calls_to("externalcontact/add_msg_template")
    assert call.body == {"chat_type": "single", "text": {"content": "周末活动"}, "sender": "lisi"}
    assert corp.mass_sends[task.msgid] == {"lisi": ["wmLiNvShi", "wmPopular"]}
    with pytest.raises(InvalidInput):
        wecom.mass_send(None, None, "to no one")
    assert len(corp.calls_to("externalcontact/add_msg_template")) == 1


# --- transfers -------------------------------------------------------------------------------


def test_customers_transferred_on_the_job_answer_per_customer(
    wecom: WecomClient, corp: WecomServer
) -> None:
    answers = wecom.transfer_customers(
        "zhangsan", "lisi", ["wmTencent", "wmWangwu0"], resigned=False
    )
    assert answers == [CustomerTransfer("wmTencent", 0), CustomerTransfer("wmWangwu0", 84061)]
    assert [a.accepted for a in answers] == [True, False]
    (call,) = corp.calls_to("externalcontact/transfer_customer")
    assert call.body == {
        "handover_userid": "zhangsan",
        "takeover_userid": "lisi",
        "external_userid": ["wmTencent", "wmWangwu0"],
    }

    waiting = wecom.transfer_results("zhangsan", "lisi", resigned=False)
    assert [(r.external_userid, r.status, r.takeover_time) for r in waiting.items] == [
        ("wmTencent", 2, None)
    ]
    corp.take_over("wmTencent")
    (done,) = wecom.transfer_results("zhangsan", "lisi", resigned=False).items
    assert done.status == 1 and done.takeover_time is not None
    assert corp.calls_to("externalcontact/resigned/transfer_result") == []


def test_customers_of_an_employee_who_left_are_inherited_by_page(
    wecom: WecomClient, corp: WecomServer
) -> None:
    corp.page_size = 2
    wangwus = ["wmWangwu0", "wmWangwu1", "wmWangwu2"]
    answers = wecom.transfer_customers("wangwu", "zhaoliu", wangwus, resigned=True)
    assert [a.errcode for a in answers] == [0, 0, 0]
    assert len(corp.calls_to("externalcontact/resigned/transfer_customer")) == 1
    assert corp.calls_to("externalcontact/transfer_customer") == []

    first = wecom.transfer_results("wangwu", "zhaoliu", resigned=True)
    last = wecom.transfer_results("wangwu", "zhaoliu", first.next_cursor, resigned=True)
    assert [r.external_userid for r in first.items + last.items] == wangwus
    assert last.next_cursor == ""
    # The on-job ledger knows nothing of it.
    assert wecom.transfer_results("wangwu", "zhaoliu", resigned=False).items == ()


def test_more_than_100_customers_a_call_are_refused_before_calling(
    wecom: WecomClient, corp: WecomServer
) -> None:
    many = [f"wmMany{i:03d}" for i in range(101)]
    with pytest.raises(TooManyCustomers) as refused:
        wecom.transfer_customers("zhangsan", "lisi", many, resigned=False)
    assert refused.value.count == 101
    assert "100" in str(refused.value)
    with pytest.raises(TooManyCustomers):
        wecom.transfer_customers("wangwu", "lisi", many, resigned=True)
    assert corp.calls == [] and corp.token_requests == 0  # WeCom never asked

    hundred = wecom.transfer_customers("zhangsan", "lisi", many[:100], resigned=False)
    assert [a.errcode for a in hundred] == [40096] * 100  # taken, and unknown to WeCom


# --- tokens, rate limits, refusals -----------------------------------------------------------


def test_an_expired_token_is_refreshed_once_and_the_call_succeeds(
    wecom: WecomClient, corp: WecomServer
) -> None:
    wecom.departments()
    (first,) = corp.issued()
    corp.expire_tokens()  # WeCom now answers 42001 to it

    assert [e.userid for e in wecom.employees(2)] == ["zhangsan", "lisi"]
    assert corp.token_requests == 2
    (call,) = corp.calls_to("user/list")
    assert call.query["access_token"] != first
    wecom.corp_tags()
    assert corp.token_requests == 2  # the new token is kept


def test_a_token_refused_again_after_its_refresh_is_a_refusal(
    wecom: WecomClient, corp: WecomServer
) -> None:
    corp.failures["department/list"] = (42001, "access_token expired")
    with pytest.raises(WecomRefused) as refused:
        wecom.departments()
    assert refused.value.errcode == 42001
    assert corp.token_requests == 2  # one refresh, not a loop


def test_a_token_is_fetched_again_when_its_lifetime_ends(corp: WecomServer) -> None:
    now = [1000.0]
    tokens = ProcessTokens(clock=lambda: now[0])
    wecom = WecomClient(CORP_ID, SECRET, tokens=tokens, base_url=corp.url, timeout=5)
    corp.expires_in = 7200
    wecom.departments()
    now[0] += 7200 - 301  # five minutes before WeCom's expiry it is still used
    wecom.departments()
    assert corp.token_requests == 1
    now[0] += 2
    wecom.departments()
    assert corp.token_requests == 2
    assert corp.calls == corp.calls_to("department/list")  # never refused on the way
    wecom.close()


def test_the_token_store_is_shared_by_clients_of_several_processes(
    corp: WecomServer, tmp_path: Path
) -> None:
    # The Official Account's database-backed cache, one per "process" on one file.
    caches = [sqlite_access_tokens(tmp_path, TEST_CIPHER_KEY) for _ in range(2)]
    key = uuid.uuid4()
    clients = [
        WecomClient(CORP_ID, SECRET, tokens=cache, token_key=key, base_url=corp.url, timeout=5)
        for cache in caches
    ]
    for client in clients:
        client.departments()
    assert corp.token_requests == 1

    corp.expire_tokens()
    for client in clients:
        client.departments()
    assert corp.token_requests == 2  # the second client took the first one's refresh
    for client, cache in zip(clients, caches, strict=True):
        client.close()
        cache.close()


def test_rate_limit_is_backed_off_exponentially_and_the_call_succeeds(
    wecom: WecomClient, corp: WecomServer, sleeps: Sleeps
) -> None:
    wecom.departments()
    corp.busy = 2
    assert len(wecom.corp_tags()) == 3
    assert sleeps.delays == [1.0, 2.0]


def test_rate_limit_that_does_not_end_is_reported_as_such(
    wecom: WecomClient, corp: WecomServer, sleeps: Sleeps
) -> None:
    corp.busy = 1000
    with pytest.raises(WecomRateLimited) as limited:
        wecom.customers_of("zhangsan")
    assert limited.value.errcode == 45009
    assert limited.value.retry_after >= 1
    assert sleeps.delays == [1.0, 2.0, 4.0]  # bounded: four tries in all
    assert corp.busy == 1000 - 4


def test_another_errcode_is_a_refusal_naming_errcode_and_errmsg(
    wecom: WecomClient, corp: WecomServer, sleeps: Sleeps
) -> None:
    with pytest.raises(WecomRefused) as refused:
        wecom.customers_of("nobody")
    assert not isinstance(refused.value, WecomRateLimited)
    assert (refused.value.errcode, refused.value.errmsg) == (60111, "userid not found: nobody")
    assert "60111" in str(refused.value) and "nobody" in str(refused.value)
    assert sleeps.delays == [] and len(corp.calls_to("externalcontact/list")) == 1


def test_a_wrong_secret_is_refused_by_gettoken(corp: WecomServer) -> None:
    wecom = WecomClient(CORP_ID, "not-the-secret", base_url=corp.url, timeout=5)
    with pytest.raises(WecomRefused) as refused:
        wecom.departments()
    assert refused.value.errcode == 40001
    assert corp.calls == []
    wecom.close()
