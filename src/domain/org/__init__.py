"""Organisation (ORG): departments, employees, roles and permissions."""

from domain.org.departments import Department
from domain.org.employees import Employee
from domain.org.roles import Action, DataScope, TenantRole, is_allowed, widest_data_scope

__all__ = [
    "Action",
    "DataScope",
    "Department",
    "Employee",
    "TenantRole",
    "is_allowed",
    "widest_data_scope",
]
