"""The department tree as the pages show it: every open department of the tenant, read
page by page from the organisation read model the API lists, nested under its parent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from application.org.commands import DepartmentDetails
from application.org.directory import OrgQueries
from application.shared.pages import MAX_LIMIT

# A tree is shown whole; past this many departments the rest are left out (and said so).
MAX_DEPARTMENTS = 2000


@dataclass
class Branch:
    """One department in the tree, with its open sub-departments and current members."""

    department: DepartmentDetails
    depth: int
    children: list[Branch] = field(default_factory=list)
    members: int = 0

    @property
    def sub_departments(self) -> int:
        return len(self.children)


def open_departments(org_queries: OrgQueries, tenant_id: UUID) -> list[DepartmentDetails]:
    """The tenant's open departments, oldest first (the API's list, every page of it)."""
    found: list[DepartmentDetails] = []
    cursor: str | None = None
    while len(found) < MAX_DEPARTMENTS:
        page = org_queries.departments(tenant_id, parent_id=None, cursor=cursor, limit=MAX_LIMIT)
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    return found[:MAX_DEPARTMENTS]


def department_tree(
    departments: list[DepartmentDetails],
    members_of: Callable[[UUID], int] | None = None,
) -> list[Branch]:
    """The roots, each with its branches; a department whose parent is not listed is a
    root here, so none is ever hidden."""
    known = {d.id for d in departments}
    children: dict[UUID | None, list[DepartmentDetails]] = {}
    for department in departments:
        parent = department.parent_id if department.parent_id in known else None
        children.setdefault(parent, []).append(department)

    def grow(department: DepartmentDetails, depth: int, seen: set[UUID]) -> Branch:
        branch = Branch(department, depth)
        if members_of is not None:
            branch.members = members_of(department.id)
        for child in children.get(department.id, []):
            if child.id not in seen:  # the domain forbids cycles; never loop on one anyway
                branch.children.append(grow(child, depth + 1, seen | {child.id}))
        return branch

    return [grow(root, 0, {root.id}) for root in children.get(None, [])]


def flatten(tree: list[Branch]) -> list[Branch]:
    """The branches in the order the tree shows them (parents before their children)."""
    order: list[Branch] = []
    for branch in tree:
        order.append(branch)
        order.extend(flatten(branch.children))
    return order


def department_options(
    departments: list[DepartmentDetails], *, leave_out: UUID | None = None
) -> list[tuple[str, str]]:
    """(id, name indented by depth) for a department select; `leave_out` drops that
    department and everything under it (a department cannot move under itself)."""
    options = []
    skipping_below: int | None = None
    for branch in flatten(department_tree(departments)):
        if skipping_below is not None and branch.depth > skipping_below:
            continue
        skipping_below = None
        if branch.department.id == leave_out:
            skipping_below = branch.depth
            continue
        options.append((str(branch.department.id), "　" * branch.depth + branch.department.name))
    return options


def names_of(departments: list[DepartmentDetails]) -> dict[UUID, str]:
    return {d.id: d.name for d in departments}
