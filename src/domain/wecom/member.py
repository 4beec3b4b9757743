"""A member of the bound corp's contacts (通讯录) as the contacts sync found them, and
the huoke employee they are, when a tenant admin says so (WECOM-4, WECOM-5, ORG-3).

One record per tenant and WeCom userid. A sync records what changed (name, departments,
mobile, e-mail, WeCom's status) and whether the member is still in the app's visible
range (可见范围): a member the sync no longer finds is out of range, not deleted, so
their customers' history keeps its employee. The link to an employee made here wins
over the match the member directory makes by mobile or e-mail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue
from domain.shared.text import required_text

MAX_USERID = 64  # WeCom: 1~64 个字节
STATUSES = frozenset({1, 2, 4, 5})  # active, disabled, not activated, left (WeCom's codes)


def member_id_for(tenant_id: UUID, userid: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/wecom/members/{userid}")


def checked_userid(userid: str) -> str:
    text = userid.strip()
    if not text or len(text.encode("utf-8")) > MAX_USERID:
        raise InvalidValue(f"userid must be 1 to {MAX_USERID} bytes", field="userid")
    return text


class WecomMember(Aggregate):
    """One employee of the corp, by WeCom userid."""

    TOPIC = "wecom.WecomMember"
    Created = None  # type: ignore[assignment]
    if TYPE_CHECKING:
        Found: ClassVar[type[AggregateEvent]]
        Synced: ClassVar[type[AggregateEvent]]
        LeftRange: ClassVar[type[AggregateEvent]]
        Linked: ClassVar[type[AggregateEvent]]

    @classmethod
    def found(
        cls,
        *,
        tenant_id: UUID,
        userid: str,
        name: str,
        department_ids: list[int],
        mobile: str,
        email: str,
        status: int,
    ) -> WecomMember:
        """A member a sync met for the first time."""
        userid = checked_userid(userid)
        fields = _checked(name, department_ids, mobile, email, status)
        return cls(
            id=member_id_for(tenant_id, userid), tenant_id=tenant_id, userid=userid, **fields
        )

    @event("Found", topic="wecom.WecomMember.Found")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        userid: str,
        name: str,
        department_ids: list[int],
        mobile: str,
        email: str,
        status: int,
    ) -> None:
        self.tenant_id = tenant_id
        self.userid = userid
        self.name = name
        self.department_ids = department_ids
        self.mobile = mobile
        self.email = email
        self.status = status
        self.in_visible_range = True
        self.employee_id: UUID | None = None
        self.linked_by_hand = False

    def sync(
        self, *, name: str, department_ids: list[int], mobile: str, email: str, status: int
    ) -> bool:
        """What a sync found now; True when anything changed (or they are back in range)."""
        fields = _checked(name, department_ids, mobile, email, status)
        if self.in_visible_range and fields == _Profile(
            name=self.name,
            department_ids=self.department_ids,
            mobile=self.mobile,
            email=self.email,
            status=self.status,
        ):
            return False
        self._synced(**fields)
        return True

    @event("Synced", topic="wecom.WecomMember.Synced")
    def _synced(
        self, name: str, department_ids: list[int], mobile: str, email: str, status: int
    ) -> None:
        self.name = name
        self.department_ids = department_ids
        self.mobile = mobile
        self.email = email
        self.status = status
        self.in_visible_range = True

    def leave_range(self) -> bool:
        """The sync no longer finds the member (removed, or outside the visible range)."""
        if not self.in_visible_range:
            return False
        self._left_range()
        return True

    @event("LeftRange", topic="wecom.WecomMember.LeftRange")
    def _left_range(self) -> None:
        self.in_visible_range = False

    def link(self, employee_id: UUID | None) -> None:
        """Say which huoke employee the member is (None: none, whatever matches)."""
        if (employee_id, True) != (self.employee_id, self.linked_by_hand):
            self._linked(employee_id=employee_id)

    @event("Linked", topic="wecom.WecomMember.Linked")
    def _linked(self, employee_id: UUID | None) -> None:
        self.employee_id = employee_id
        self.linked_by_hand = True


class _Profile(TypedDict):
    name: str
    department_ids: list[int]
    mobile: str
    email: str
    status: int


def _checked(
    name: str, department_ids: list[int], mobile: str, email: str, status: int
) -> _Profile:
    if status not in STATUSES:
        raise InvalidValue(f"status {status} is not one of WeCom's", field="status")
    return _Profile(
        name=required_text(name or "-", field="name", max_length=64),
        department_ids=sorted({int(d) for d in department_ids}),
        mobile=mobile.strip()[:32],
        email=email.strip().lower()[:254],
        status=status,
    )
