"""What screening watches beyond words (敏感行为, 员工白名单; ARCH-3): which sensitive
behaviours raise alerts when an employee does them in a chat (sending a mobile number,
an e-mail address, a bank card number, a red packet, a file, an external link), and
the employees whose own messages are not screened at all (the allow-list).

One aggregate per tenant (its id is uuid5 of the tenant). Until a tenant changes them
the rules are the defaults: every behaviour watched, nobody allow-listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue

# The behaviours screening can watch, in the order the console lists them.
SENSITIVE_BEHAVIOURS = ("mobile", "email", "bank_card", "red_packet", "file", "link")
MAX_ALLOWED = 2000  # allow-listed employees
# A WeCom userid: 1 to 64 letters, digits and _ - @ . (WeCom's rule for 成员UserID).
_USERID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def watched_behaviours(behaviours: Iterable[str]) -> list[str]:
    """Known behaviours, each once, in the canonical order; an unknown one is refused."""
    given = {str(behaviour).strip() for behaviour in behaviours}
    unknown = sorted(given - set(SENSITIVE_BEHAVIOURS))
    if unknown:
        raise InvalidValue(
            f"unknown behaviour {unknown[0]!r}; expected one of {', '.join(SENSITIVE_BEHAVIOURS)}",
            field="behaviours",
        )
    return [behaviour for behaviour in SENSITIVE_BEHAVIOURS if behaviour in given]


def allowed_employees(userids: Iterable[str]) -> list[str]:
    """WeCom userids, each once, sorted; a malformed one is refused naming its place."""
    kept: set[str] = set()
    for index, userid in enumerate(userids):
        text = str(userid).strip()
        if not text:
            continue
        if not _USERID.match(text):
            raise InvalidValue(
                f"allowed_employees[{index}] must be a WeCom userid "
                "(1 to 64 letters, digits, _ - @ .)",
                field="allowed_employees",
            )
        kept.add(text)
    if len(kept) > MAX_ALLOWED:
        raise InvalidValue(
            f"at most {MAX_ALLOWED} employees can be allow-listed", field="allowed_employees"
        )
    return sorted(kept)


class ScreeningRules(Aggregate):
    """A tenant's watched behaviours and allow-list."""

    TOPIC = "archive.ScreeningRules"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Started: ClassVar[type[AggregateEvent]]
        Changed: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/archive/screening-rules")

    @classmethod
    def start(cls, tenant_id: UUID) -> ScreeningRules:
        """The rules before any change: every behaviour watched, nobody allow-listed. The
        creation event carries them, so changing the defaults later never rewrites a
        tenant's rules."""
        return cls(
            id=cls.create_id(tenant_id),
            tenant_id=tenant_id,
            behaviours=list(SENSITIVE_BEHAVIOURS),
            allowed=[],
        )

    @event("Started", topic="archive.ScreeningRules.Started")
    def __init__(
        self, id: UUID, tenant_id: UUID, behaviours: list[str], allowed: list[str]
    ) -> None:
        self.tenant_id = tenant_id
        self.behaviours = list(behaviours)
        self.allowed = list(allowed)

    def change(self, *, behaviours: Iterable[str], allowed: Iterable[str]) -> None:
        """Replace the watched behaviours and the allow-list (no event if both stay)."""
        watched = watched_behaviours(behaviours)
        exempt = allowed_employees(allowed)
        if (watched, exempt) != (self.behaviours, self.allowed):
            self._changed(behaviours=watched, allowed=exempt)

    @event("Changed", topic="archive.ScreeningRules.Changed")
    def _changed(self, behaviours: list[str], allowed: list[str]) -> None:
        self.behaviours = list(behaviours)
        self.allowed = list(allowed)
