"""Groups of leads (SEG-1, SEG-3 用户组): static groups whose members are added and removed
by hand (or from a filter result, or by the lead list's bulk action), and smart groups
whose members are the tenant's live leads a filter tree selects, kept current as leads,
scores and behaviours change.

The group holds what it is (name, kind, the smart group's filter tree as primitives);
who belongs is recorded per (group, lead) by `Membership`, so adding many leads never
contends on the group's stream.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.filters import Filter
from domain.shared.text import required_text

MAX_NAME = 100


class GroupKind(StrEnum):
    STATIC = "static"  # members added and removed by people (and bulk actions)
    SMART = "smart"  # members are the leads the filter selects, kept current


def checked_tree(tree: Any) -> dict[str, Any]:
    """A smart group's filter as stored: validated (errors name `filter.<path>`), normalised."""
    return Filter.parse(tree).to_tree()


class Group(Aggregate):
    """One group of a tenant's leads."""

    TOPIC = "segments.Group"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Formed: ClassVar[type[AggregateEvent]]
        Renamed: ClassVar[type[AggregateEvent]]
        FilterChanged: ClassVar[type[AggregateEvent]]
        MergedInto: ClassVar[type[AggregateEvent]]
        Deleted: ClassVar[type[AggregateEvent]]

    @classmethod
    def form(
        cls, *, group_id: UUID, tenant_id: UUID, name: str, kind: str, tree: Any | None
    ) -> Group:
        """A new group: a static one takes no filter, a smart one needs a valid one."""
        try:
            group_kind = GroupKind(kind)
        except ValueError:
            raise InvalidValue("a group is static or smart", field="kind") from None
        if group_kind is GroupKind.SMART:
            if tree is None:
                raise InvalidValue("a smart group needs a filter", field="filter")
            stored: dict[str, Any] | None = checked_tree(tree)
        else:
            if tree is not None:
                raise InvalidValue("a static group takes no filter", field="filter")
            stored = None
        return cls(
            id=group_id,
            tenant_id=tenant_id,
            name=required_text(name, field="name", max_length=MAX_NAME),
            kind=group_kind.value,
            tree=stored,
        )

    @event("Formed", topic="segments.Group.Formed")
    def __init__(
        self, id: UUID, tenant_id: UUID, name: str, kind: str, tree: dict[str, Any] | None
    ) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.kind = kind
        self.tree = tree
        self.is_deleted = False
        self.merged_into: UUID | None = None

    @property
    def is_smart(self) -> bool:
        return self.kind == GroupKind.SMART

    @property
    def filter(self) -> Filter:
        """The smart group's filter (a static group has none)."""
        if self.tree is None:
            raise StateConflict("a static group has no filter")
        return Filter.parse(self.tree)

    def rename(self, name: str) -> None:
        self._require_live()
        name = required_text(name, field="name", max_length=MAX_NAME)
        if name != self.name:
            self._renamed(name=name)

    @event("Renamed", topic="segments.Group.Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    def change_filter(self, tree: Any) -> None:
        """Give a smart group another filter (its members are then evaluated again)."""
        self._require_live()
        if not self.is_smart:
            raise StateConflict("a static group has no filter; its members are chosen")
        stored = checked_tree(tree)
        if stored != self.tree:
            self._filter_changed(tree=stored)

    @event("FilterChanged", topic="segments.Group.FilterChanged")
    def _filter_changed(self, tree: dict[str, Any]) -> None:
        self.tree = tree

    def require_static(self, *, field: str = "group_id") -> None:
        """Refuse to list leads by hand in a smart group (its filter decides)."""
        self._require_live()
        if self.is_smart:
            raise StateConflict(
                "a smart group's members are the leads its filter selects", field=field
            )

    def merge_into(self, target: Group) -> None:
        """Merge this group into a live static group of the same tenant (the members are
        copied by the caller); this group is gone afterwards."""
        self._require_live()
        if target.id == self.id:
            raise InvalidValue("a group cannot be merged into itself", field="source_ids")
        if target.tenant_id != self.tenant_id:
            raise InvalidValue("no such group", field="target_id")
        target.require_static(field="target_id")
        self._merged_into(target_id=target.id)

    @event("MergedInto", topic="segments.Group.MergedInto")
    def _merged_into(self, target_id: UUID) -> None:
        self.merged_into = target_id
        self.is_deleted = True

    def delete(self, *, with_members: bool) -> None:
        """Delete the group; `with_members` records that its leads are deleted too."""
        self._require_live()
        self._deleted(with_members=with_members)

    @event("Deleted", topic="segments.Group.Deleted")
    def _deleted(self, with_members: bool) -> None:
        self.is_deleted = True

    def _require_live(self) -> None:
        if self.is_deleted:
            raise StateConflict("the group was deleted")
