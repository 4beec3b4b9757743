"""Console pages (企业设置): departments, employees and their console logins."""

from __future__ import annotations

from typing import Any

from domain.shared.access import Action
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.org.departments import DepartmentPages
from entrypoints.web.org.employees import EmployeePages
from entrypoints.web.org.logins import EmployeeLoginPages

PAGES: tuple[Any, ...] = (DepartmentPages, EmployeePages, EmployeeLoginPages)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="部门",
        path="/console/departments",
        resource="org",
        audience=Audience.TENANT,
        section="企业设置",
        action=Action.READ,
        order=20,
    ),
    NavItem(
        label="员工",
        path="/console/employees",
        resource="org",
        audience=Audience.TENANT,
        section="企业设置",
        action=Action.READ,
        order=30,
    ),
)
