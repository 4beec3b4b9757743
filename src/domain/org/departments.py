"""Departments: the tenant's organisation tree (ORG-1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import StateConflict
from domain.shared.text import required_text


class Department(Aggregate):
    """A node of the department tree; a root has no parent."""

    TOPIC = "org.Department"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Established: ClassVar[type[AggregateEvent]]
        Renamed: ClassVar[type[AggregateEvent]]
        Moved: ClassVar[type[AggregateEvent]]
        Dissolved: ClassVar[type[AggregateEvent]]

    @classmethod
    def establish(
        cls, *, department_id: UUID, tenant_id: UUID, name: str, parent_id: UUID | None
    ) -> Department:
        """Establish a department under `parent_id` (None for a root department)."""
        return cls(
            id=department_id,
            tenant_id=tenant_id,
            name=required_text(name, field="name"),
            parent_id=parent_id,
        )

    @event("Established", topic="org.Department.Established")
    def __init__(self, id: UUID, tenant_id: UUID, name: str, parent_id: UUID | None) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.parent_id = parent_id
        self.is_dissolved = False

    def rename(self, name: str) -> None:
        """Give the department a new name."""
        self._require_open()
        name = required_text(name, field="name")
        if name != self.name:
            self._renamed(name=name)

    @event("Renamed", topic="org.Department.Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    def move_under(self, parent_id: UUID | None, parent_ancestry: list[UUID]) -> None:
        """Move under another parent; `parent_ancestry` is the new parent's chain up to a root."""
        self._require_open()
        if parent_id is not None and (parent_id == self.id or self.id in parent_ancestry):
            raise StateConflict("a department cannot move under itself or its own sub-department")
        if parent_id != self.parent_id:
            self._moved(parent_id=parent_id)

    @event("Moved", topic="org.Department.Moved")
    def _moved(self, parent_id: UUID | None) -> None:
        self.parent_id = parent_id

    def dissolve(self, *, sub_departments: int, members: int) -> None:
        """Dissolve an empty department (no sub-departments, no current members)."""
        self._require_open()
        if sub_departments or members:
            raise StateConflict(
                f"department still has {sub_departments} sub-departments and {members} members"
            )
        self._dissolved()

    @event("Dissolved", topic="org.Department.Dissolved")
    def _dissolved(self) -> None:
        self.is_dissolved = True

    def _require_open(self) -> None:
        if self.is_dissolved:
            raise StateConflict("department is dissolved")
