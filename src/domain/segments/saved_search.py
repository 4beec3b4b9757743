"""Saved searches (SEG-2 常用搜索): a named filter tree the tenant's people reuse in the
lead list, for bulk actions and as the start of a group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import StateConflict
from domain.shared.filters import Filter
from domain.shared.text import required_text

MAX_NAME = 100


def checked_tree(tree: Any) -> dict[str, Any]:
    """The tree as stored: validated (errors name `filter.<path>`) and normalised."""
    return Filter.parse(tree).to_tree()


class SavedSearch(Aggregate):
    """One named filter of a tenant."""

    TOPIC = "segments.SavedSearch"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Saved: ClassVar[type[AggregateEvent]]
        Revised: ClassVar[type[AggregateEvent]]
        Deleted: ClassVar[type[AggregateEvent]]

    @classmethod
    def save(cls, *, search_id: UUID, tenant_id: UUID, name: str, tree: Any) -> SavedSearch:
        """Name a valid filter tree."""
        return cls(
            id=search_id,
            tenant_id=tenant_id,
            name=required_text(name, field="name", max_length=MAX_NAME),
            tree=checked_tree(tree),
        )

    @event("Saved", topic="segments.SavedSearch.Saved")
    def __init__(self, id: UUID, tenant_id: UUID, name: str, tree: dict[str, Any]) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.tree = tree
        self.is_deleted = False

    def revise(self, *, name: str | None, tree: Any | None) -> None:
        """Rename it and/or change its filter; nothing changes when both are as they are."""
        self._require_live()
        new_name = (
            self.name if name is None else required_text(name, field="name", max_length=MAX_NAME)
        )
        new_tree = self.tree if tree is None else checked_tree(tree)
        if (new_name, new_tree) != (self.name, self.tree):
            self._revised(name=new_name, tree=new_tree)

    @event("Revised", topic="segments.SavedSearch.Revised")
    def _revised(self, name: str, tree: dict[str, Any]) -> None:
        self.name, self.tree = name, tree

    def delete(self) -> None:
        self._require_live()
        self._deleted()

    @event("Deleted", topic="segments.SavedSearch.Deleted")
    def _deleted(self) -> None:
        self.is_deleted = True

    def _require_live(self) -> None:
        if self.is_deleted:
            raise StateConflict("the saved search was deleted")
