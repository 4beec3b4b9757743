"""The WeCom adapter's inheritance calls against the local WeCom server (WECOM-4): a
departed owner's customer groups go to the new owner through groupchat/transfer, an
employed one's through groupchat/onjob_transfer, WeCom's refusals per group named; more
than 100 groups a call are refused before calling; a call whose connection WeCom drops
is `ProviderUnavailable` whether or not WeCom acted on it (the caller must look at the
transfer results before sending again: the server took the customers in the second
case), and a customer already being transferred is refused per customer (40100); the
embedded sandbox records group transfers too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.wecom.client import WecomClient
from adapters.wecom.sandbox import SandboxConnector
from application.shared.errors import InvalidInput, ProviderUnavailable
from application.wecom.ports import GroupTransferFailure
from tests.integration.wecom_server import EPOCH, IN_TRANSFER, WecomServer, serving

CORP_ID, SECRET = "ww00aa11bb22cc33dd", "transfer-secret-of-the-corp"
RESIGNED = "externalcontact/resigned/transfer_customer"


def _corp() -> WecomServer:
    corp = WecomServer(corp_id=CORP_ID, secret=SECRET)
    corp.employees = [
        {"userid": u, "name": u, "department": [1], "status": 1} for u in ("zhangsan", "lisi")
    ]
    for n in range(3):
        external = f"wmCustomer{n}"
        corp.customers[external] = {
            "external_contact": {"external_userid": external, "name": f"客户{n}", "type": 1},
            "follow_user": [{"userid": "zhangsan", "remark": "", "createtime": EPOCH,
                             "tags": [], "add_way": 1}],
        }  # fmt: skip
    corp.group_chats = [
        {"chat_id": "wrGroupA", "name": "A 群", "owner": "zhangsan", "status": 1,
         "member_list": []},
    ]  # fmt: skip
    return corp


@pytest.fixture
def corp() -> Iterator[WecomServer]:
    with serving(_corp()) as server:
        yield server


@pytest.fixture
def wecom(corp: WecomServer) -> Iterator[WecomClient]:
    client = WecomClient(CORP_ID, SECRET, base_url=corp.url, backoff=(), sleep=lambda s: None)
    yield client
    client.close()


def test_groups_go_to_the_new_owner_by_the_endpoint_of_the_kind(
    wecom: WecomClient, corp: WecomServer
) -> None:
    failed = wecom.transfer_groups(["wrGroupA", "wrUnknown"], "lisi", resigned=True)
    assert failed == [GroupTransferFailure("wrUnknown", 40050, "invalid chat_id")]
    (call,) = corp.calls_to("externalcontact/groupchat/transfer")
    assert call.body == {"chat_id_list": ["wrGroupA", "wrUnknown"], "new_owner": "lisi"}
    assert corp.group_transfers == [("wrGroupA", "lisi")]
    assert wecom.transfer_groups(["wrGroupA"], "zhangsan", resigned=False) == []
    assert len(corp.calls_to("externalcontact/groupchat/onjob_transfer")) == 1
    with pytest.raises(InvalidInput) as refused:
        wecom.transfer_groups([f"wr{n}" for n in range(101)], "lisi", resigned=True)
    assert refused.value.field == "chat_ids"
    assert wecom.transfer_groups([], "lisi", resigned=True) == []
    assert len(corp.calls_to("externalcontact/groupchat/transfer")) == 1  # neither called


@pytest.mark.parametrize("drop", ["before", "after"])
def test_a_dropped_connection_is_unavailable_whether_or_not_wecom_acted(
    wecom: WecomClient, corp: WecomServer, drop: str
) -> None:
    corp.drops[RESIGNED] = [drop]
    with pytest.raises(ProviderUnavailable):
        wecom.transfer_customers("zhangsan", "lisi", ["wmCustomer0"], resigned=True)
    assert [c.dropped for c in corp.calls_to(RESIGNED)] == [drop]
    results = wecom.transfer_results("zhangsan", "lisi", resigned=True).items
    if drop == "before":
        assert corp.accepted == [] and results == ()
        answers = wecom.transfer_customers("zhangsan", "lisi", ["wmCustomer0"], resigned=True)
        assert [a.errcode for a in answers] == [0]
    else:  # WeCom took the customer: its results say so, and it is not taken twice
        assert corp.accepted == [("zhangsan", "lisi", "wmCustomer0")]
        assert [(r.external_userid, r.status) for r in results] == [("wmCustomer0", 2)]
        again = wecom.transfer_customers("zhangsan", "lisi", ["wmCustomer0"], resigned=True)
        assert [a.errcode for a in again] == [IN_TRANSFER]
        assert corp.renamed == ["wmCustomer0"] and len(corp.accepted) == 1


def test_the_sandbox_records_group_transfers(tmp_path: Path) -> None:
    sandbox = SandboxConnector(tmp_path).api("wwSandboxCorp00001")
    assert sandbox.transfer_groups(["wrA"], "LiNa", resigned=True) == []
    assert sandbox.transfer_groups(["wrB"], "LiNa", resigned=False) == []
    (resigned,) = sandbox.sent("externalcontact/groupchat/transfer")
    assert resigned["chat_id_list"] == ["wrA"] and resigned["new_owner"] == "LiNa"
    assert len(sandbox.sent("externalcontact/groupchat/onjob_transfer")) == 1
    with pytest.raises(InvalidInput):
        sandbox.transfer_groups([f"wr{n}" for n in range(101)], "LiNa", resigned=True)
