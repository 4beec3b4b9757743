"""Departments (the organisation tree) and employees (members with ORG-1 roles)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.org import Department, Employee
from domain.shared.errors import InvalidValue, StateConflict
from tests.unit.events import replay, topics


def a_department(parent_id: UUID | None = None, name: str = "华东销售") -> Department:
    return Department.establish(
        department_id=uuid4(), tenant_id=uuid4(), name=name, parent_id=parent_id
    )


def an_employee(**overrides: Any) -> Employee:
    fields: dict[str, Any] = {
        "employee_id": uuid4(),
        "tenant_id": uuid4(),
        "name": "王芳",
        "email": "Wang.Fang@Acme.CN",
        "mobile": "13800000000",
        "department_id": None,
        "roles": ["sales"],
    }
    return Employee.hire(**{**fields, **overrides})


# Departments


def test_establishing_a_sub_department_records_its_parent_and_one_event() -> None:
    parent_id = uuid4()
    department = a_department(parent_id, name=" 上海组 ")

    assert (department.name, department.parent_id, department.is_dissolved) == (
        "上海组",
        parent_id,
        False,
    )
    assert topics(department.collect_events()) == ["org.Department.Established"]


def test_establishing_refuses_a_blank_name() -> None:
    with pytest.raises(InvalidValue) as refused:
        a_department(name=" ")
    assert refused.value.field == "name"


def test_renaming_and_moving_emit_their_events_and_repeating_them_emits_none() -> None:
    department, new_parent = a_department(), uuid4()
    department.rename("华南销售")
    department.move_under(new_parent, [new_parent, uuid4()])
    department.rename(" 华南销售")
    department.move_under(new_parent, [new_parent])

    assert (department.name, department.parent_id) == ("华南销售", new_parent)
    events = department.collect_events()
    assert topics(events) == [
        "org.Department.Established",
        "org.Department.Renamed",
        "org.Department.Moved",
    ]
    assert vars(replay(events, Department)) == vars(department)


def test_a_department_can_become_a_root_again() -> None:
    department = a_department(uuid4())

    department.move_under(None, [])

    assert department.parent_id is None


def test_a_department_cannot_move_under_itself_or_its_own_sub_department() -> None:
    department = a_department()
    department.collect_events()
    child, grandchild = uuid4(), uuid4()

    for parent_id, ancestry in [
        (department.id, []),
        (grandchild, [grandchild, child, department.id]),
    ]:
        with pytest.raises(StateConflict, match="under itself"):
            department.move_under(parent_id, ancestry)

    assert department.parent_id is None and department.collect_events() == []


@pytest.mark.parametrize(("sub_departments", "members"), [(1, 0), (0, 3), (2, 2)])
def test_a_department_with_sub_departments_or_members_cannot_be_dissolved(
    sub_departments: int, members: int
) -> None:
    department = a_department()

    with pytest.raises(StateConflict, match=f"{sub_departments} sub-departments"):
        department.dissolve(sub_departments=sub_departments, members=members)
    assert department.is_dissolved is False


@pytest.mark.parametrize(
    "command",
    [
        lambda d: d.rename("新名字"),
        lambda d: d.move_under(None, []),
        lambda d: d.dissolve(sub_departments=0, members=0),
    ],
)
def test_a_dissolved_department_refuses_every_change(command: Callable[[Department], None]) -> None:
    department = a_department(uuid4())
    department.dissolve(sub_departments=0, members=0)
    before = copy.deepcopy(department)

    with pytest.raises(StateConflict, match="dissolved"):
        command(department)

    assert department == before
    assert topics(department.collect_events())[-1] == "org.Department.Dissolved"


# Employees


def test_hiring_normalises_the_email_and_sorts_unique_roles() -> None:
    department_id = uuid4()
    employee = an_employee(department_id=department_id, roles=["sales", "marketer", "sales"])

    assert employee.email == "wang.fang@acme.cn"
    assert (employee.mobile, employee.department_id) == ("13800000000", department_id)
    assert employee.roles == ["marketer", "sales"]
    assert employee.has_left is False
    assert topics(employee.collect_events()) == ["org.Employee.Hired"]


def test_an_employee_may_have_no_email_mobile_or_department() -> None:
    employee = an_employee(email=None, mobile="", department_id=None)

    assert (employee.email, employee.mobile, employee.department_id) == (None, None, None)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"email": "wang.fang"}, "email"),
        ({"mobile": "1" * 33}, "mobile"),
        ({"roles": []}, "roles"),
        ({"roles": ["sales", "boss"]}, "roles"),
    ],
)
def test_hiring_refuses_a_bad_field_and_names_it(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        an_employee(**overrides)
    assert refused.value.field == field


def test_each_change_emits_its_event_and_a_repeat_emits_none() -> None:
    employee, department_id = an_employee(), uuid4()
    employee.collect_events()

    for _ in range(2):
        employee.update_profile(name="王芳芳", email="WF@acme.cn", mobile=None)
        employee.transfer_to(department_id)
        employee.grant_roles(["sales_manager", "sales"])

    assert (employee.name, employee.email, employee.mobile) == ("王芳芳", "wf@acme.cn", None)
    assert employee.department_id == department_id
    assert employee.roles == ["sales", "sales_manager"]
    assert topics(employee.collect_events()) == [
        "org.Employee.ProfileUpdated",
        "org.Employee.Transferred",
        "org.Employee.RolesGranted",
    ]


def test_granting_roles_refuses_unknown_ones_and_keeps_the_old_roles() -> None:
    employee = an_employee()

    with pytest.raises(InvalidValue) as refused:
        employee.grant_roles(["sales", "owner"])

    assert refused.value.field == "roles" and employee.roles == ["sales"]


@pytest.mark.parametrize(
    "command",
    [
        lambda e: e.update_profile(name="王芳", email=None, mobile=None),
        lambda e: e.transfer_to(uuid4()),
        lambda e: e.grant_roles(["auditor"]),
        lambda e: e.leave(),
    ],
)
def test_an_employee_who_left_cannot_be_changed(command: Callable[[Employee], None]) -> None:
    employee = an_employee()
    employee.leave()
    before = copy.deepcopy(employee)

    with pytest.raises(StateConflict, match="has left"):
        command(employee)

    assert employee == before
    events = employee.collect_events()
    assert topics(events) == ["org.Employee.Hired", "org.Employee.Left"]
    assert vars(replay(events, Employee)) == vars(employee)
