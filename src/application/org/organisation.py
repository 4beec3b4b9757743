"""The organisation application: departments and employees of each tenant (ORG-1)."""

from __future__ import annotations

from uuid import UUID

from application.org.commands import (
    DepartmentDetails,
    EmployeeDetails,
    EstablishDepartment,
    HireEmployee,
    ReviseDepartment,
    ReviseEmployee,
)
from application.shared.errors import InvalidInput, NotFound
from application.shared.event_sourced import EventSourcedContext
from domain.org import Department, Employee

MAX_TREE_DEPTH = 50


class Organisation(EventSourcedContext):
    """Keeps each tenant's department tree and its employees with their roles."""

    name = "org"

    def establish_department(
        self, tenant_id: UUID, command: EstablishDepartment
    ) -> DepartmentDetails:
        """Add a department under an existing parent of the same tenant, or as a root."""
        if command.parent_id is not None:
            self._department_for(tenant_id, command.parent_id, field="parent_id")
        department = Department.establish(
            department_id=self.new_id("department"),
            tenant_id=tenant_id,
            name=command.name,
            parent_id=command.parent_id,
        )
        return department_details(self.create(department))

    def department(self, tenant_id: UUID, department_id: UUID) -> DepartmentDetails:
        return department_details(self.load(department_id, Department, tenant_id=tenant_id))

    def revise_department(
        self,
        tenant_id: UUID,
        department_id: UUID,
        command: ReviseDepartment,
        *,
        expected_version: int,
    ) -> DepartmentDetails:
        """Rename and/or move a department; it can never move under its own subtree."""
        department = self.load(
            department_id, Department, tenant_id=tenant_id, expected_version=expected_version
        )
        if command.name is not None:
            department.rename(command.name)
        if command.move:
            department.move_under(command.parent_id, self._ancestry(tenant_id, command.parent_id))
        self.commit(department)
        return department_details(department)

    def dissolve_department(
        self,
        tenant_id: UUID,
        department_id: UUID,
        *,
        sub_departments: int,
        members: int,
        expected_version: int,
    ) -> DepartmentDetails:
        """Dissolve an empty department (counts come from the directory read model)."""
        department = self.load(
            department_id, Department, tenant_id=tenant_id, expected_version=expected_version
        )
        department.dissolve(sub_departments=sub_departments, members=members)
        self.commit(department)
        return department_details(department)

    def hire_employee(self, tenant_id: UUID, command: HireEmployee) -> EmployeeDetails:
        """Add an employee with ORG-1 roles, optionally in a department."""
        if command.department_id is not None:
            self._department_for(tenant_id, command.department_id, field="department_id")
        employee = Employee.hire(
            employee_id=self.new_id("employee"),
            tenant_id=tenant_id,
            name=command.name,
            email=command.email,
            mobile=command.mobile,
            department_id=command.department_id,
            roles=command.roles,
        )
        return employee_details(self.create(employee))

    def employee(self, tenant_id: UUID, employee_id: UUID) -> EmployeeDetails:
        return employee_details(self.load(employee_id, Employee, tenant_id=tenant_id))

    def revise_employee(
        self,
        tenant_id: UUID,
        employee_id: UUID,
        command: ReviseEmployee,
        *,
        expected_version: int,
    ) -> EmployeeDetails:
        """Change an employee's profile, department or roles; only the fields given."""
        employee = self.load(
            employee_id, Employee, tenant_id=tenant_id, expected_version=expected_version
        )
        fields = command.model_fields_set
        if fields & {"name", "email", "mobile"}:
            employee.update_profile(
                name=command.name if "name" in fields and command.name else employee.name,
                email=command.email if "email" in fields else employee.email,
                mobile=command.mobile if "mobile" in fields else employee.mobile,
            )
        if "department_id" in fields:
            if command.department_id is not None:
                self._department_for(tenant_id, command.department_id, field="department_id")
            employee.transfer_to(command.department_id)
        if command.roles is not None:
            employee.grant_roles(command.roles)
        self.commit(employee)
        return employee_details(employee)

    def record_leaving(
        self, tenant_id: UUID, employee_id: UUID, *, expected_version: int
    ) -> EmployeeDetails:
        """Record that an employee left (their customers are handed over by ORG-3)."""
        employee = self.load(
            employee_id, Employee, tenant_id=tenant_id, expected_version=expected_version
        )
        employee.leave()
        self.commit(employee)
        return employee_details(employee)

    def is_current_employee(self, tenant_id: UUID, employee_id: UUID) -> bool:
        """True for an employee of `tenant_id` who has not left (the tenancy context asks)."""
        try:
            return not self.load(employee_id, Employee, tenant_id=tenant_id).has_left
        except NotFound:
            return False

    def _department_for(self, tenant_id: UUID, department_id: UUID, *, field: str) -> Department:
        try:
            department = self.load(department_id, Department, tenant_id=tenant_id)
        except NotFound:
            raise InvalidInput(f"no department {department_id}", field=field) from None
        if department.is_dissolved:
            raise InvalidInput(f"department {department_id} is dissolved", field=field)
        return department

    def _ancestry(self, tenant_id: UUID, parent_id: UUID | None) -> list[UUID]:
        """The chain from `parent_id` up to its root."""
        chain: list[UUID] = []
        while parent_id is not None and len(chain) < MAX_TREE_DEPTH:
            chain.append(parent_id)
            parent_id = self._department_for(tenant_id, parent_id, field="parent_id").parent_id
        return chain


def department_details(department: Department) -> DepartmentDetails:
    return DepartmentDetails(
        id=department.id,
        name=department.name,
        parent_id=department.parent_id,
        dissolved=department.is_dissolved,
        version=department.version,
        created_at=department.created_on,
    )


def employee_details(employee: Employee) -> EmployeeDetails:
    return EmployeeDetails(
        id=employee.id,
        name=employee.name,
        email=employee.email,
        mobile=employee.mobile,
        department_id=employee.department_id,
        roles=list(employee.roles),
        left=employee.has_left,
        version=employee.version,
        created_at=employee.created_on,
    )
