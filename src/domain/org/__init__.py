"""Organisation (ORG): departments and employees with their roles."""

from domain.org.departments import Department
from domain.org.employees import Employee

__all__ = ["Department", "Employee"]
