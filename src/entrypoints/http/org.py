"""Routes of departments and employees (ORG-1)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post

from application.org.commands import (
    DepartmentDetails,
    EmployeeDetails,
    EstablishDepartment,
    HireEmployee,
    ReviseDepartment,
    ReviseEmployee,
)
from application.org.directory import OrgQueries
from application.org.organisation import Organisation
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import (
    ListOf,
    if_match,
    page_of,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit


class DepartmentController(Controller):
    path = "/api/v1/departments"
    tags = ["org"]

    @get(
        "/",
        operation_id="listDepartments",
        guards=[tenant_may("org", Action.READ)],
        sync_to_thread=True,
    )
    def list_departments(
        self,
        org_queries: OrgQueries,
        caller: TenantCaller,
        parent_id: UUID | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[DepartmentDetails]:
        """Open departments, oldest first.

        `parent_id` lists the children of one department (one level of the tree)."""
        return page_of(
            org_queries.departments(
                caller.tenant_id, parent_id=parent_id, cursor=cursor, limit=limit
            )
        )

    @post(
        "/",
        operation_id="establishDepartment",
        guards=[tenant_may("org", Action.CREATE)],
        sync_to_thread=True,
    )
    def establish(
        self, data: EstablishDepartment, org: Organisation, caller: TenantCaller
    ) -> Response[DepartmentDetails]:
        """Establish a department, as a root or under a parent (`parent_id`)."""
        return with_etag(org.establish_department(caller.tenant_id, data), status_code=201)

    @get(
        "/{department_id:uuid}",
        operation_id="getDepartment",
        guards=[tenant_may("org", Action.READ)],
        sync_to_thread=True,
    )
    def get_department(
        self, department_id: UUID, org: Organisation, caller: TenantCaller
    ) -> Response[DepartmentDetails]:
        """One department."""
        return with_etag(org.department(caller.tenant_id, department_id))

    @patch(
        "/{department_id:uuid}",
        operation_id="reviseDepartment",
        guards=[tenant_may("org", Action.UPDATE)],
        sync_to_thread=True,
    )
    def revise(
        self,
        request: Request[Any, Any, Any],
        department_id: UUID,
        data: ReviseDepartment,
        org: Organisation,
        caller: TenantCaller,
    ) -> Response[DepartmentDetails]:
        """Rename or move a department.

        `move: true` applies `parent_id` (`null` makes it a root); a move under its own
        sub-department is refused."""
        version = if_match(request)
        return with_etag(
            org.revise_department(caller.tenant_id, department_id, data, expected_version=version)
        )

    @delete(
        "/{department_id:uuid}",
        operation_id="dissolveDepartment",
        status_code=200,
        guards=[tenant_may("org", Action.DELETE)],
        sync_to_thread=True,
    )
    def dissolve(
        self,
        request: Request[Any, Any, Any],
        department_id: UUID,
        org: Organisation,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[DepartmentDetails]:
        """Dissolve a department.

        Only a department without sub-departments or members can go (409 otherwise); it
        stays in the history."""
        version = if_match(request)
        current = org.department(caller.tenant_id, department_id)  # 404 before counting
        subs, members = org_queries.department_load(caller.tenant_id, current.id)
        return with_etag(
            org.dissolve_department(
                caller.tenant_id,
                department_id,
                sub_departments=subs,
                members=members,
                expected_version=version,
            )
        )


class EmployeeController(Controller):
    path = "/api/v1/employees"
    tags = ["org"]

    @get(
        "/",
        operation_id="listEmployees",
        guards=[tenant_may("org", Action.READ)],
        sync_to_thread=True,
    )
    def list_employees(
        self,
        org_queries: OrgQueries,
        caller: TenantCaller,
        department_id: UUID | None = None,
        include_left: bool = False,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[EmployeeDetails]:
        """Employees, oldest first.

        `department_id` lists one department's; those who left are listed with
        `include_left`."""
        return page_of(
            org_queries.employees(
                caller.tenant_id,
                department_id=department_id,
                include_left=include_left,
                cursor=cursor,
                limit=limit,
            )
        )

    @post(
        "/",
        operation_id="hireEmployee",
        guards=[tenant_may("org", Action.CREATE)],
        sync_to_thread=True,
    )
    def hire(
        self, data: HireEmployee, org: Organisation, caller: TenantCaller
    ) -> Response[EmployeeDetails]:
        """Hire an employee with ORG-1 roles, optionally in a department."""
        return with_etag(org.hire_employee(caller.tenant_id, data), status_code=201)

    @get(
        "/{employee_id:uuid}",
        operation_id="getEmployee",
        guards=[tenant_may("org", Action.READ)],
        sync_to_thread=True,
    )
    def get_employee(
        self, employee_id: UUID, org: Organisation, caller: TenantCaller
    ) -> Response[EmployeeDetails]:
        """One employee."""
        return with_etag(org.employee(caller.tenant_id, employee_id))

    @patch(
        "/{employee_id:uuid}",
        operation_id="reviseEmployee",
        guards=[tenant_may("org", Action.UPDATE)],
        sync_to_thread=True,
    )
    def revise(
        self,
        request: Request[Any, Any, Any],
        employee_id: UUID,
        data: ReviseEmployee,
        org: Organisation,
        caller: TenantCaller,
    ) -> Response[EmployeeDetails]:
        """Change an employee's profile, department or roles."""
        version = if_match(request)
        return with_etag(
            org.revise_employee(caller.tenant_id, employee_id, data, expected_version=version)
        )

    @delete(
        "/{employee_id:uuid}",
        operation_id="recordLeaving",
        status_code=200,
        guards=[tenant_may("org", Action.CLOSE)],
        sync_to_thread=True,
    )
    def leave(
        self,
        request: Request[Any, Any, Any],
        employee_id: UUID,
        org: Organisation,
        caller: TenantCaller,
    ) -> Response[EmployeeDetails]:
        """Record that the employee left the company.

        They stay in the history and in lists with `include_left`; hand their leads over
        with `POST /api/v1/employees/{employee_id}/lead-handover`."""
        version = if_match(request)
        return with_etag(
            org.record_leaving(caller.tenant_id, employee_id, expected_version=version)
        )

    @post(
        "/{employee_id:uuid}/leave",
        operation_id="recordLeavingAction",
        status_code=200,
        guards=[tenant_may("org", Action.CLOSE)],
        sync_to_thread=True,
        deprecated=True,
    )
    def leave_action(
        self,
        request: Request[Any, Any, Any],
        employee_id: UUID,
        org: Organisation,
        caller: TenantCaller,
    ) -> Response[EmployeeDetails]:
        """Record that the employee left (the former route).

        The same as `DELETE /api/v1/employees/{employee_id}`, kept for existing clients."""
        version = if_match(request)
        return with_etag(
            org.record_leaving(caller.tenant_id, employee_id, expected_version=version)
        )
