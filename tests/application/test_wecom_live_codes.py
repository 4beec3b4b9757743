"""Live codes and welcome messages on both stores (WECOM-1), through the embedded WeCom
sandbox: a code is made at WeCom with its state; a customer added through it (the
callback's behaviour row, appended here as the callback endpoint appends it) is
welcomed with the code's message and tagged with its tags, and one outcome row records
it with the attribution to the code; the same row appended twice changes nothing; an
employee at their daily cap leaves the code's user list and the backup takes over when
everyone is capped; "load" hands the next customer to the fewest-added employee; a
department message is used when the code says so, the most specific department's
first and the code's own message over any department's; editing and archiving reach
WeCom; a group code's join way and joins are counted."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.shared.behaviours import Behaviour, BehaviourKind
from application.shared.context import RequestContext, acting
from application.shared.errors import NotFound
from application.wecom.live_code_commands import (
    MakeLiveCode,
    ReviseLiveCode,
    SetDepartmentWelcome,
)
from application.wecom.welcoming import welcome_message_id
from tests.conftest import Api
from tests.e2e.wecom_support import RYW, bind_corp, scrm_tenant
from tests.settling import settle

EMPLOYEE_CODE = {
    "name": "门店海报",
    "employees": [{"userid": "LiNa", "daily_cap": 1}, {"userid": "ZhangWei", "daily_cap": 2}],
    "backup": "WangFang",
    "tags": ["etLevelVip", "etSourceExpo"],
    "welcome_mode": "own",
    "welcome": {"text": "您好，我是您的专属顾问",
                "attachment": {"kind": "link", "title": "新客礼包", "url": "https://acme.cn/gift"}},
}  # fmt: skip


@pytest.fixture
def corp(api: Api) -> dict[str, Any]:
    """A tenant with an SCRM plan, its corp bound (the sandbox) and its contacts synced."""
    tenant_id, token = scrm_tenant(api)
    corp = bind_corp(api, token)
    synced = api.client.post(
        f"/api/v1/wecom/corps/{corp['id']}/contacts/sync", headers={**api.key(token), **RYW}
    )
    assert synced.status_code == 200, synced.text
    settle(api.runtime)
    return {**corp, "tenant_id": UUID(tenant_id), "token": token}


def services(api: Api) -> Any:
    return api.runtime.container


def make(api: Api, corp: dict[str, Any], **fields: Any) -> Any:
    with acting(RequestContext(request_id=f"test-{secrets.token_hex(4)}", read_your_writes=True)):
        return (
            services(api)
            .wecom_live_codes()
            .make(corp["tenant_id"], MakeLiveCode.model_validate({**EMPLOYEE_CODE, **fields}))
        )


def sent(api: Api, corp: dict[str, Any], call: str) -> list[dict[str, Any]]:
    return list(services(api).wecom_connector().api(corp["corpid"]).sent(call))


def added(
    corp: dict[str, Any], state: str, userid: str, *, external_userid: str = "", code: str = "W"
) -> Behaviour:
    """The row the callback endpoint appends for a customer added (its row contract)."""
    external_userid = external_userid or "wm" + secrets.token_hex(15)
    now = datetime.now(UTC)
    return Behaviour(
        tenant_id=corp["tenant_id"],
        kind=BehaviourKind.WECOM_CUSTOMER_ADDED.value,
        channel="wecom",
        occurred_at=now - timedelta(seconds=1),
        received_at=now,
        message_id=f"{corp['corpid']}:change_external_contact:add_external_contact:"
        f"{external_userid}:{userid}:{int(now.timestamp())}",
        name="add_external_contact",
        properties={"corp": corp["corpid"], "employee": userid,
                    "external_userid": external_userid, "state": state,
                    "welcome_code": f"{code}{secrets.token_hex(6)}", "awaiting_employee": False},
        context={"traits": {"wecom_external_userid": external_userid}},
        anonymous_id=f"wecom:{external_userid}",
        source_id="wecom",
    )  # fmt: skip


def take(api: Api, *rows: Behaviour) -> None:
    services(api).ingestion().take(list(rows))
    settle(api.runtime)


def outcomes(api: Api, corp: dict[str, Any]) -> list[Behaviour]:
    rows = services(api).behaviours().behaviours_of(corp["tenant_id"], limit=1000)
    return [r for r in rows if r.kind == BehaviourKind.WECOM_WELCOME_SENT]


def test_a_customer_added_through_a_code_is_welcomed_tagged_and_attributed_once(
    api: Api, corp: dict[str, Any]
) -> None:
    code = make(api, corp)
    [way] = sent(api, corp, "externalcontact/add_contact_way")
    assert (way["state"], way["user"], way["type"]) == (code.state, ["LiNa", "ZhangWei"], 2)
    assert len(code.state) <= 30 and code.qr_code == way["qr_code"]
    assert code.serving == ["LiNa", "ZhangWei"]

    row = added(corp, code.state, "LiNa")
    take(api, row, row)  # WeCom's retry: the same callback, the same row
    take(api, row)

    [welcome] = sent(api, corp, "externalcontact/send_welcome_msg")
    assert welcome["welcome_code"] == row.properties["welcome_code"]
    assert welcome["text"] == "您好，我是您的专属顾问"
    assert welcome["attachments"] == [
        {"kind": "link", "title": "新客礼包", "url": "https://acme.cn/gift"}
    ]
    [tagged] = sent(api, corp, "externalcontact/mark_tag")
    assert (tagged["userid"], tagged["external_userid"]) == (
        "LiNa",
        row.properties["external_userid"],
    )
    assert tagged["add_tag"] == ["etLevelVip", "etSourceExpo"]
    [outcome] = outcomes(api, corp)
    assert outcome.message_id == welcome_message_id(row)
    assert outcome.anonymous_id == row.anonymous_id
    assert outcome.properties["outcome"] == "ok" and outcome.properties["tags"] == "ok"
    assert outcome.properties["live_code"] == str(code.id)
    assert outcome.properties["live_code_name"] == "门店海报"
    assert outcome.properties["welcome_source"] == "code"
    # How long the welcome took after the callback's row was stored (WeCom allows 20 s),
    # by the rows' own times: measured and shown, never held to a wall-clock limit.
    delay_ms = outcome.properties["delay_ms"]
    assert isinstance(delay_ms, int) and outcome.occurred_at >= row.received_at
    print(f"\nwelcome sent {delay_ms} ms after the added row was stored")

    stats = services(api).wecom_live_codes().stats(corp["tenant_id"], code.id)
    assert (stats.added, stats.added_today, stats.customers, stats.welcomed) == (1, 1, 1, 1)
    queries = services(api).wecom_live_code_queries()
    assert queries.name_of_state(corp["tenant_id"], code.state) == "门店海报"
    assert queries.first_code_of(corp["tenant_id"], row.properties["external_userid"]) == code.id
    assert stats.per_day[-1].added == 1 and stats.per_day[-1].welcomed == 1
    # Another tenant's code state in this tenant's row is nobody's code here.
    other_tenant, other_token = scrm_tenant(api)
    other = {**bind_corp(api, other_token), "tenant_id": UUID(other_tenant)}
    take(api, added(other, code.state, "LiNa"))
    assert outcomes(api, other) == []
    assert queries.name_of_state(other["tenant_id"], code.state) is None


def test_an_employee_at_the_cap_leaves_the_list_and_the_backup_takes_over(
    api: Api, corp: dict[str, Any]
) -> None:
    code = make(api, corp, welcome_mode="none", welcome=None, tags=[])
    take(api, added(corp, code.state, "LiNa"))
    assert services(api).wecom_live_codes().code(corp["tenant_id"], code.id).serving == ["ZhangWei"]
    take(api, added(corp, code.state, "ZhangWei"))
    assert services(api).wecom_live_codes().code(corp["tenant_id"], code.id).serving == [
        "ZhangWei"
    ]  # one of two: still room
    take(api, added(corp, code.state, "ZhangWei"))
    now = services(api).wecom_live_codes().code(corp["tenant_id"], code.id)
    assert now.serving == ["WangFang"]  # everyone capped: the backup alone
    updates = [c["user"] for c in sent(api, corp, "externalcontact/update_contact_way")]
    assert updates == [["ZhangWei"], ["WangFang"]]
    stats = services(api).wecom_live_codes().stats(corp["tenant_id"], code.id)
    by = {e.userid: e for e in stats.per_employee}
    assert stats.full and by["LiNa"].capped and by["ZhangWei"].capped
    assert (by["LiNa"].added_today, by["ZhangWei"].added_today) == (1, 2)
    assert by["WangFang"].backup and by["WangFang"].serving
    # The backup's own customers change nothing more.
    take(api, added(corp, code.state, "WangFang"))
    assert len(sent(api, corp, "externalcontact/update_contact_way")) == 2
    [welcome] = [o.properties for o in outcomes(api, corp)][:1]
    assert welcome["outcome"] == "none" and welcome["reason"] == "no_message"


def test_by_load_the_list_holds_the_employee_with_fewest_customers_today(
    api: Api, corp: dict[str, Any]
) -> None:
    code = make(
        api, corp, rotation="load", backup=None, welcome_mode="none", welcome=None, tags=[],
        employees=[{"userid": "LiNa"}, {"userid": "ZhangWei"}, {"userid": "LiuYang"}],
    )  # fmt: skip
    assert code.serving == ["LiNa"]  # made for all three, then narrowed to the first
    [way] = sent(api, corp, "externalcontact/add_contact_way")
    assert way["user"] == ["LiNa", "ZhangWei", "LiuYang"]
    take(api, added(corp, code.state, "LiNa"))
    take(api, added(corp, code.state, "ZhangWei"))
    assert services(api).wecom_live_codes().code(corp["tenant_id"], code.id).serving == ["LiuYang"]


def test_a_department_message_the_most_specific_first_and_the_codes_own_over_it(
    api: Api, corp: dict[str, Any]
) -> None:
    welcomes = services(api).wecom_department_welcomes()
    listed = welcomes.welcomes(corp["tenant_id"])
    assert [(d.department_id, d.parent_id) for d in listed.departments] == [(1, 0), (2, 1)]
    with acting(RequestContext(request_id="test-welcome", read_your_writes=True)):
        welcomes.set_welcome(
            corp["tenant_id"],
            1,
            SetDepartmentWelcome.model_validate({"welcome": {"text": "公司欢迎您"}}),
        )
    assert welcomes.welcomes(corp["tenant_id"]).departments[1].inherited_from == 1
    code = make(api, corp, welcome_mode="department", welcome=None, tags=[], backup=None,
                employees=[{"userid": "ZhangWei"}])  # fmt: skip  # ZhangWei is in 销售部 (2)
    take(api, added(corp, code.state, "ZhangWei"))
    with acting(RequestContext(request_id="test-welcome-2", read_your_writes=True)):
        welcomes.set_welcome(
            corp["tenant_id"],
            2,
            SetDepartmentWelcome.model_validate({"welcome": {"text": "销售部欢迎您"}}),
        )
    take(api, added(corp, code.state, "ZhangWei"))
    own = make(api, corp, backup=None, tags=[], employees=[{"userid": "ZhangWei"}])
    take(api, added(corp, own.state, "ZhangWei"))
    texts = [w["text"] for w in sent(api, corp, "externalcontact/send_welcome_msg")]
    assert texts == ["公司欢迎您", "销售部欢迎您", "您好，我是您的专属顾问"]
    sources = [o.properties["welcome_source"] for o in outcomes(api, corp)]
    assert sources == ["department", "department", "code"]
    with pytest.raises(NotFound):
        welcomes.set_welcome(
            corp["tenant_id"], 99, SetDepartmentWelcome.model_validate({"welcome": {"text": "x"}})
        )


def test_editing_reaches_wecom_and_archiving_stops_the_code(api: Api, corp: dict[str, Any]) -> None:
    codes = services(api).wecom_live_codes()
    single = make(api, corp, backup=None, employees=[{"userid": "LiNa"}])
    assert sent(api, corp, "externalcontact/add_contact_way")[0]["type"] == 1
    context = RequestContext(request_id="test-edit", read_your_writes=True)
    with acting(context):
        several = codes.revise(
            corp["tenant_id"],
            single.id,
            ReviseLiveCode.model_validate(
                {"employees": [{"userid": "LiNa"}, {"userid": "LiuYang", "daily_cap": 3}]}
            ),
            expected_version=single.version,
        )
    # WeCom fixes a code's type: one employee's code given two is a new contact way.
    assert several.config_id != single.config_id and several.qr_code != single.qr_code
    assert several.state == single.state and several.serving == ["LiNa", "LiuYang"]
    assert [d["config_id"] for d in sent(api, corp, "externalcontact/del_contact_way")] == [
        single.config_id
    ]
    with acting(context):
        renamed = codes.revise(
            corp["tenant_id"],
            several.id,
            ReviseLiveCode.model_validate(
                {"name": "门店海报二期", "employees": [{"userid": "LiuYang"}]}
            ),
            expected_version=several.version,
        )
    assert renamed.config_id == several.config_id  # several employees' way serves one too
    assert sent(api, corp, "externalcontact/update_contact_way")[-1]["user"] == ["LiuYang"]
    assert renamed.welcome is not None and renamed.tags == ["etLevelVip", "etSourceExpo"]
    with acting(context):
        archived = codes.archive(corp["tenant_id"], renamed.id, expected_version=renamed.version)
    assert archived.archived
    assert sent(api, corp, "externalcontact/del_contact_way")[-1]["config_id"] == renamed.config_id
    take(api, added(corp, renamed.state, "LiuYang"))
    assert sent(api, corp, "externalcontact/send_welcome_msg") == []
    listed = (
        services(api).wecom_live_code_queries().codes_of(corp["tenant_id"], cursor=None, limit=10)
    )
    assert listed.items == []
    everything = (
        services(api)
        .wecom_live_code_queries()
        .codes_of(corp["tenant_id"], cursor=None, limit=10, archived=True)
    )
    assert [c.name for c in everything.items] == ["门店海报二期"]


def test_a_group_codes_join_way_and_the_members_who_joined(api: Api, corp: dict[str, Any]) -> None:
    group = services(api).wecom_connector().api(corp["corpid"]).group_chat_id()
    code = make(api, corp, kind="group", chat_ids=[group], auto_create_room=True,
                room_base_name="会员群", room_base_id=2)  # fmt: skip
    [way] = sent(api, corp, "externalcontact/groupchat/add_join_way")
    assert (way["chat_id_list"], way["state"], way["room_base_name"]) == (
        [group],
        code.state,
        "会员群",
    )
    now = datetime.now(UTC)
    take(
        api,
        Behaviour(
            tenant_id=corp["tenant_id"], kind=BehaviourKind.WECOM_GROUP_CHANGED.value,
            channel="wecom", occurred_at=now, received_at=now,
            message_id=f"{corp['corpid']}:change_external_chat:update:{group}:add_member:v2",
            name="update",
            properties={"corp": corp["corpid"], "chat_id": group, "change": "update",
                        "update_detail": "add_member", "members": ["wmA", "wmB"],
                        "member_change_count": 2, "member_version": "v2"},
            source_id="wecom",
        ),
    )  # fmt: skip
    stats = services(api).wecom_live_codes().stats(corp["tenant_id"], code.id)
    assert (stats.added, stats.added_today) == (2, 2) and stats.per_employee == []
