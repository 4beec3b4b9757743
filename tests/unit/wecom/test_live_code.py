"""Live codes' rules (WECOM-1): an employee code's employees, caps, backup, tags and
welcome message as WeCom takes them; a group code's groups; the state WeCom hands back
names the code in at most 30 characters; an archived code changes no more; and the
welcome message a new customer gets (the code's own, else the most specific
department's)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.errors import InvalidValue, StateConflict
from domain.wecom.live_code import (
    EmployeeSetup,
    GroupSetup,
    LiveCode,
    LiveCodeKind,
    Way,
    WayType,
    code_of_state,
    current_group,
    state_of,
)
from domain.wecom.rotation import Rotation
from domain.wecom.welcome import (
    DepartmentWelcomes,
    WelcomeMessage,
    WelcomeMode,
    department_welcome,
    welcome_for,
    welcomes_id,
)
from tests.unit.events import replay, topics


def setup(**overrides: Any) -> EmployeeSetup:
    fields: dict[str, Any] = {
        "employees": [{"userid": "zhangsan", "daily_cap": 2}, {"userid": "lisi"}],
        "rotation": "order",
        "backup": "wangwu",
        "tags": ["etTAG1", "etTAG2"],
        "welcome_mode": "own",
        "welcome": {"text": "您好，我是您的专属顾问", "attachment": None},
        **overrides,
    }
    return EmployeeSetup.checked(**fields)


def a_code(**overrides: Any) -> LiveCode:
    chosen = overrides.pop("setup", None) or setup()
    way = overrides.pop("way", None) or Way(
        "cfg-1", "https://wework.qpic.cn/q/1", WayType.MULTI, chosen.userids
    )
    return LiveCode.make(
        code_id=overrides.pop("code_id", uuid.uuid4()),
        tenant_id=uuid.uuid4(),
        corp_id="ww0123456789abcdef",
        name=overrides.pop("name", "门店活码"),
        setup=chosen,
        way=way,
    )


@given(st.uuids())
def test_a_codes_state_names_it_in_at_most_30_characters(code_id: uuid.UUID) -> None:
    state = state_of(code_id)
    assert len(state) <= 30 and state.isalnum()
    assert code_of_state(state) == code_id


def test_a_state_no_code_of_ours_makes_names_no_code() -> None:
    for state in ("", "expo2026", "lc", "lc" + "!" * 26, "xx" + state_of(uuid.uuid4())[2:]):
        assert code_of_state(state) is None


def test_an_employee_code_takes_what_wecom_takes_and_names_the_field_it_refuses() -> None:
    made = setup()
    assert made.userids == ("zhangsan", "lisi") and made.rotation == Rotation.ORDER
    assert made.way_type == WayType.MULTI and made.tags == ("etTAG1", "etTAG2")
    for field, value in (
        ("employees", []),
        ("employees", [{"userid": "a"}, {"userid": "a"}]),
        ("employees", [{"userid": f"u{i}"} for i in range(101)]),
        ("daily_cap", [{"userid": "a", "daily_cap": 0}]),
        ("backup", "zhangsan"),
        ("rotation", "random"),
        ("tags", ["t"] * 0 + [f"t{i}" for i in range(21)]),
        ("welcome_mode", "loud"),
        ("welcome", None),
        ("welcome.text", {"text": "好" * 1400}),
    ):
        key = field if field not in ("daily_cap",) else "employees"
        if field.startswith("welcome."):
            key = "welcome"
        with pytest.raises(InvalidValue) as refused:
            setup(**{key: value})
        assert refused.value.field == field


def test_a_welcome_attachment_needs_what_wecom_needs() -> None:
    link = WelcomeMessage.checked(
        "", {"kind": "link", "title": "新客礼包", "url": "https://acme.cn/gift"}
    )
    assert link.attachment is not None and link.as_dict()["attachment"]["kind"] == "link"
    assert WelcomeMessage.of(link.as_dict()) == link
    for attachment, field in (
        ({"kind": "link", "title": "x"}, "attachment.url"),
        ({"kind": "link", "title": "x", "url": "javascript:alert(1)"}, "attachment.url"),
        ({"kind": "miniprogram", "title": "x", "appid": "wx1"}, "attachment.page"),
        ({"kind": "image"}, "attachment.media_id"),
        ({"kind": "video"}, "attachment"),
    ):
        with pytest.raises(InvalidValue) as refused:
            WelcomeMessage.checked("你好", attachment)
        assert refused.value.field == field


def test_a_code_records_its_wecom_side_and_replays_to_the_same_state() -> None:
    code = a_code()
    assert code.kind == LiveCodeKind.EMPLOYEE and code.serving == ["zhangsan", "lisi"]
    assert code_of_state(code.state) == code.id
    code.change_serving(["lisi"], full=False)
    code.change_serving(["lisi"], full=False)  # the same list again: no event
    code.archive()
    events = code.collect_events()
    assert topics(events) == [
        "wecom.LiveCode.Made",
        "wecom.LiveCode.ServingChanged",
        "wecom.LiveCode.Archived",
    ]
    again = replay(events, LiveCode)
    assert again.serving == ["lisi"] and again.archived
    assert again.employee_setup == setup()


def test_a_code_serves_only_its_employees_or_backup_and_not_once_archived() -> None:
    code = a_code()
    code.change_serving(["wangwu"], full=True)
    with pytest.raises(InvalidValue):
        code.change_serving(["stranger"], full=False)
    with pytest.raises(InvalidValue):
        a_code(way=Way("cfg", "https://q", WayType.MULTI, ("stranger",)))
    code.archive()
    with pytest.raises(StateConflict):
        code.change_serving(["lisi"], full=False)
    with pytest.raises(StateConflict):
        code.revise(name="x", setup=setup(), way=Way("c", "https://q", WayType.MULTI, ("lisi",)))
    with pytest.raises(StateConflict):
        code.archive()


def test_a_single_employees_contact_way_cannot_serve_several() -> None:
    one = setup(employees=[{"userid": "zhangsan"}], backup=None)
    code = a_code(setup=one, way=Way("cfg", "https://q", WayType.SINGLE, ("zhangsan",)))
    assert not code.needs_new_way(one)
    assert code.needs_new_way(setup())
    several = a_code()
    assert not several.needs_new_way(one)  # a several-employee way serves one too


def test_users_now_drop_a_capped_employee_and_fall_back_to_the_backup() -> None:
    made = setup()
    assert made.users_now({}) == ("zhangsan", "lisi")
    assert made.users_now({"zhangsan": 2}) == ("lisi",)
    capped = setup(employees=[{"userid": "zhangsan", "daily_cap": 1}])
    assert capped.users_now({"zhangsan": 1}) == ("wangwu",) and capped.full({"zhangsan": 1})
    load = setup(rotation="load")
    assert load.users_now({"zhangsan": 1, "lisi": 0}) == ("lisi",)


def test_a_group_code_holds_one_to_five_groups_and_its_base_name_when_it_makes_more() -> None:
    groups = GroupSetup.checked(chat_ids=["wrA", "wrB"], auto_create_room=True,
                                room_base_name="会员群", room_base_id=3)  # fmt: skip
    code = a_code(setup=groups, way=Way("join-1", "https://q", WayType.JOIN, ("wrA", "wrB")))
    assert code.kind == LiveCodeKind.GROUP and code.group_setup == groups
    with pytest.raises(StateConflict):
        _ = code.employee_setup
    with pytest.raises(StateConflict):
        code.change_serving(["wrA"], full=False)
    for fields, field in (
        ({"chat_ids": []}, "chat_ids"),
        ({"chat_ids": [f"wr{i}" for i in range(6)]}, "chat_ids"),
        ({"chat_ids": ["wrA", "wrA"]}, "chat_ids"),
        ({"chat_ids": ["wrA"], "auto_create_room": True}, "room_base_name"),
    ):
        with pytest.raises(InvalidValue) as refused:
            GroupSetup.checked(**fields)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert current_group(["wrA", "wrB"], {"wrA": 200, "wrB": 199}) == "wrB"
    assert current_group(["wrA", "wrB"], {"wrA": 200, "wrB": 200}) is None


# Welcome messages

ROOT, SALES, EAST, SHANGHAI = 1, 2, 3, 4
PARENTS = {SALES: ROOT, EAST: SALES, SHANGHAI: EAST}


def message(text: str) -> WelcomeMessage:
    return WelcomeMessage.checked(text)


def test_the_most_specific_department_with_a_message_wins() -> None:
    messages = {ROOT: message("公司欢迎语"), EAST: message("华东欢迎语")}
    assert department_welcome([SHANGHAI], PARENTS, messages) == message("华东欢迎语")
    assert department_welcome([SALES], PARENTS, messages) == message("公司欢迎语")
    # In two departments: the deeper one's nearest message wins, whatever the order.
    assert department_welcome([SALES, SHANGHAI], PARENTS, messages) == message("华东欢迎语")
    assert department_welcome([99], PARENTS, messages) is None
    assert department_welcome([EAST], {EAST: SALES, SALES: EAST}, {}) is None  # a loop ends


def test_the_codes_own_message_wins_over_the_departments() -> None:
    own, department = message("活码欢迎语"), message("部门欢迎语")
    assert welcome_for(WelcomeMode.OWN, own, department) == own
    assert welcome_for(WelcomeMode.DEPARTMENT, None, department) == department
    assert welcome_for(WelcomeMode.DEPARTMENT, None, None) is None
    assert welcome_for(WelcomeMode.NONE, None, department) is None


def test_department_welcomes_are_one_record_per_tenant() -> None:
    tenant_id = uuid.uuid4()
    welcomes = DepartmentWelcomes.start(tenant_id=tenant_id)
    assert welcomes.id == welcomes_id(tenant_id) != welcomes_id(uuid.uuid4())
    welcomes.set_message(EAST, message("华东欢迎语"))
    welcomes.set_message(EAST, message("华东欢迎语"))  # unchanged: no event
    welcomes.set_message(ROOT, message("公司欢迎语"))
    welcomes.clear_message(ROOT)
    welcomes.clear_message(ROOT)
    with pytest.raises(InvalidValue):
        welcomes.set_message(0, message("x"))
    events = welcomes.collect_events()
    assert topics(events) == [
        "wecom.DepartmentWelcomes.Started",
        "wecom.DepartmentWelcomes.MessageSet",
        "wecom.DepartmentWelcomes.MessageSet",
        "wecom.DepartmentWelcomes.MessageCleared",
    ]
    assert replay(events, DepartmentWelcomes).by_department() == {EAST: message("华东欢迎语")}
