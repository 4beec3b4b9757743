"""Organisation (ORG): departments and employees with their roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from application.org.directory import OrgDirectory, OrgQueries
from application.org.organisation import Organisation
from domain.org.permissions import ORG_GRANTS
from entrypoints.http.org import DepartmentController, EmployeeController
from entrypoints.manifest import Manifest
from entrypoints.web.org import organisation


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    return {
        "org": providers.Singleton(Organisation, c.infrastructure),
        "org_queries": providers.Singleton(OrgQueries, c.org_view),
    }


MANIFEST = Manifest(
    name="org",
    providers=wire,
    applications=("org",),
    followers=(OrgDirectory,),
    views={"org_view": OrgDirectory},
    grants=(ORG_GRANTS,),
    controllers=(DepartmentController, EmployeeController),
    dependencies=("org", "org_queries"),
    tags=(Tag(name="org", description="部门与员工 · departments and employees (ORG-1)"),),
    configuration_events={
        "org.Department.Established": "新建部门 · department established",
        "org.Department.Renamed": "部门更名 · department renamed",
        "org.Department.Moved": "部门调整 · department moved",
        "org.Department.Dissolved": "部门撤销 · department dissolved",
        "org.Employee.Hired": "新增员工 · employee hired",
        "org.Employee.RolesGranted": "员工角色变更 · employee roles changed",
        "org.Employee.Transferred": "员工调岗 · employee transferred",
        "org.Employee.Left": "员工离职 · employee left",
    },
    console=(*organisation.PAGES,),
    console_nav=(*organisation.NAV,),
)
