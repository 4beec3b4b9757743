"""Live codes (渠道活码, WECOM-1): QR codes that bring customers in and say where they
came from.

Two kinds:

- an employee code (员工活码): a WeCom "contact me" (联系我) code for one employee or
  rotating across several (see `domain.wecom.rotation`: order or load, daily caps, a
  backup employee). A customer who adds an employee through it is tagged with the
  code's corp tags and greeted with its welcome message (its own, or the employee's
  department's, see `domain.wecom.welcome`);
- a group code (群活码): a WeCom join way (加入群聊) over up to five customer groups;
  when a group fills (200 members joined by QR code, WeCom's limit) WeCom moves on to
  the next, and, if asked, creates a new group named after `room_base_name` when the
  last one is full.

Each code has a `state` (渠道参数) derived from its id, at most 30 characters as WeCom
requires; WeCom hands it back on every customer added through the code, which is how a
callback finds its code without a look-up. The WeCom side (config_id, the QR image
URL) is made through the port first and then recorded here, like a WeChat parameter
QR code. `serving` is the user list (or the groups) the WeCom side holds now.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text
from domain.wecom.rotation import Rotation, Seat, is_full, parse_rotation, serving
from domain.wecom.welcome import WelcomeMessage, WelcomeMode

STATE_PREFIX = "lc"
MAX_STATE_LENGTH = 30  # WeCom: state 不超过30个字符
MAX_NAME = 64
MAX_EMPLOYEES = 100  # WeCom: a contact way's user list
MAX_TAGS = 20
MAX_GROUPS = 5  # WeCom: a join way's chat_id_list
GROUP_CAPACITY = 200  # WeCom: members who can join a group by its QR code
MAX_ROOM_BASE_NAME = 40
MAX_USERID = 64
MAX_ID = 128


class LiveCodeKind(StrEnum):
    EMPLOYEE = "employee"  # 员工活码
    GROUP = "group"  # 群活码


class WayType(StrEnum):
    """WeCom's contact-way type, fixed when it is made: a single employee's, or several
    in turn. A code turned from one employee to several needs a new contact way."""

    SINGLE = "single"
    MULTI = "multi"
    JOIN = "join"  # a group code's join way


def state_of(code_id: UUID) -> str:
    """The WeCom `state` of a code: "lc" and the id in 26 base32 letters (28 characters)."""
    encoded = base64.b32encode(code_id.bytes).decode("ascii").rstrip("=").lower()
    state = f"{STATE_PREFIX}{encoded}"
    assert len(state) <= MAX_STATE_LENGTH
    return state


def code_of_state(state: str) -> UUID | None:
    """The code a `state` names; None for a state no live code of huoke's makes."""
    if not state.startswith(STATE_PREFIX) or len(state) != len(STATE_PREFIX) + 26:
        return None
    encoded = state.removeprefix(STATE_PREFIX).upper() + "======"
    try:
        return UUID(bytes=base64.b32decode(encoded))
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class EmployeeSetup:
    """What an employee code does: its employees with their caps, the rotation, the
    backup, the tags a new customer gets and the welcome message."""

    seats: tuple[Seat, ...]
    rotation: Rotation
    backup: str | None
    tags: tuple[str, ...]
    welcome_mode: WelcomeMode
    welcome: WelcomeMessage | None

    @classmethod
    def checked(
        cls,
        *,
        employees: Sequence[Mapping[str, Any]],
        rotation: str = Rotation.ORDER.value,
        backup: str | None = None,
        tags: Sequence[str] = (),
        welcome_mode: str = WelcomeMode.NONE.value,
        welcome: Mapping[str, Any] | None = None,
    ) -> EmployeeSetup:
        """Refuses (`InvalidValue`, naming the field) what WeCom or the rotation would."""
        if not 1 <= len(employees) <= MAX_EMPLOYEES:
            raise InvalidValue(
                f"an employee code has 1 to {MAX_EMPLOYEES} employees", field="employees"
            )
        seats = tuple(
            Seat(
                userid=_userid(str(e.get("userid", "")), field="employees"),
                daily_cap=_cap(e.get("daily_cap")),
            )
            for e in employees
        )
        if len({s.userid for s in seats}) != len(seats):
            raise InvalidValue("an employee is on the code twice", field="employees")
        backup_id = _userid(backup, field="backup") if backup and backup.strip() else None
        if backup_id is not None and any(s.userid == backup_id for s in seats):
            raise InvalidValue("the backup is not one of the code's employees", field="backup")
        try:
            mode = WelcomeMode(welcome_mode)
        except ValueError:
            raise InvalidValue(
                "welcome_mode must be 'own', 'department' or 'none'", field="welcome_mode"
            ) from None
        message = None
        if mode == WelcomeMode.OWN:
            if not welcome:
                raise InvalidValue("an own welcome message needs its text", field="welcome")
            message = WelcomeMessage.checked(
                str(welcome.get("text") or ""), welcome.get("attachment")
            )
        return cls(
            seats=seats,
            rotation=parse_rotation(rotation),
            backup=backup_id,
            tags=_tags(tags),
            welcome_mode=mode,
            welcome=message,
        )

    @classmethod
    def of(cls, primitives: Mapping[str, Any]) -> EmployeeSetup:
        """The setup an event recorded (`as_dict`)."""
        welcome = primitives.get("welcome")
        return cls(
            seats=tuple(Seat(s["userid"], s.get("daily_cap")) for s in primitives["employees"]),
            rotation=Rotation(primitives["rotation"]),
            backup=primitives.get("backup"),
            tags=tuple(primitives.get("tags") or ()),
            welcome_mode=WelcomeMode(primitives["welcome_mode"]),
            welcome=WelcomeMessage.of(welcome) if welcome else None,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "employees": [{"userid": s.userid, "daily_cap": s.daily_cap} for s in self.seats],
            "rotation": self.rotation.value,
            "backup": self.backup,
            "tags": list(self.tags),
            "welcome_mode": self.welcome_mode.value,
            "welcome": self.welcome.as_dict() if self.welcome else None,
        }

    @property
    def userids(self) -> tuple[str, ...]:
        return tuple(s.userid for s in self.seats)

    @property
    def way_type(self) -> WayType:
        """The type of a contact way made for this setup."""
        return WayType.SINGLE if len(self.seats) == 1 else WayType.MULTI

    def fits(self, way_type: WayType) -> bool:
        """Whether a contact way of `way_type` can serve this setup (a several-employee
        way can serve one employee; a single employee's cannot serve several)."""
        return way_type == WayType.MULTI or (way_type == WayType.SINGLE and len(self.seats) == 1)

    def users_now(
        self, counts: Mapping[str, int], offline: frozenset[str] = frozenset()
    ) -> tuple[str, ...]:
        """The user list the contact way should hold given today's counts per userid.
        The turn's cursor is the day's customers so far, so the turn needs no state."""
        cursor = sum(counts.get(s.userid, 0) for s in self.seats)
        return serving(
            self.seats,
            counts,
            rotation=self.rotation,
            cursor=cursor,
            backup=self.backup,
            offline=offline,
        )

    def full(self, counts: Mapping[str, int], offline: frozenset[str] = frozenset()) -> bool:
        return is_full(self.seats, counts, offline)


@dataclass(frozen=True)
class GroupSetup:
    """What a group code does: its groups (in the order WeCom fills them) and whether
    WeCom makes a new group when the last is full."""

    chat_ids: tuple[str, ...]
    auto_create_room: bool = False
    room_base_name: str = ""
    room_base_id: int = 1

    @classmethod
    def checked(
        cls,
        *,
        chat_ids: Sequence[str],
        auto_create_room: bool = False,
        room_base_name: str = "",
        room_base_id: int = 1,
    ) -> GroupSetup:
        groups = tuple(required_text(c, field="chat_ids", max_length=MAX_ID) for c in chat_ids)
        if not 1 <= len(groups) <= MAX_GROUPS:
            raise InvalidValue(f"a group code has 1 to {MAX_GROUPS} groups", field="chat_ids")
        if len(set(groups)) != len(groups):
            raise InvalidValue("a group is on the code twice", field="chat_ids")
        base = room_base_name.strip()
        if auto_create_room:
            base = required_text(base, field="room_base_name", max_length=MAX_ROOM_BASE_NAME)
            if not 1 <= room_base_id < 2**31:
                raise InvalidValue("room_base_id must be a positive number", field="room_base_id")
        return cls(groups, auto_create_room, base if auto_create_room else "", room_base_id)

    @classmethod
    def of(cls, primitives: Mapping[str, Any]) -> GroupSetup:
        return cls(
            chat_ids=tuple(primitives["chat_ids"]),
            auto_create_room=bool(primitives.get("auto_create_room")),
            room_base_name=str(primitives.get("room_base_name") or ""),
            room_base_id=int(primitives.get("room_base_id") or 1),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "chat_ids": list(self.chat_ids),
            "auto_create_room": self.auto_create_room,
            "room_base_name": self.room_base_name,
            "room_base_id": self.room_base_id,
        }


def current_group(chat_ids: Sequence[str], members: Mapping[str, int]) -> str | None:
    """The group WeCom lets the next customer join: the first one not yet full (as far
    as the member counts known tell); None when all are (then WeCom makes one, if the
    code says so)."""
    for chat_id in chat_ids:
        if members.get(chat_id, 0) < GROUP_CAPACITY:
            return chat_id
    return None


@dataclass(frozen=True)
class Way:
    """The WeCom side of a code as the port made it."""

    config_id: str
    qr_code: str
    way_type: WayType
    serving: tuple[str, ...]  # the user list, or the groups


class LiveCode(Aggregate):
    """A 渠道活码 of the tenant's bound corp."""

    TOPIC = "wecom.LiveCode"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Made: ClassVar[type[AggregateEvent]]
        Revised: ClassVar[type[AggregateEvent]]
        ServingChanged: ClassVar[type[AggregateEvent]]
        Archived: ClassVar[type[AggregateEvent]]

    @classmethod
    def make(
        cls,
        *,
        code_id: UUID,
        tenant_id: UUID,
        corp_id: str,
        name: str,
        setup: EmployeeSetup | GroupSetup,
        way: Way,
    ) -> LiveCode:
        """Record a code whose WeCom side `way` was made with `state_of(code_id)`."""
        kind = LiveCodeKind.EMPLOYEE if isinstance(setup, EmployeeSetup) else LiveCodeKind.GROUP
        _check_way(setup, way)
        return cls(
            id=code_id,
            tenant_id=tenant_id,
            corp_id=required_text(corp_id, field="corp_id", max_length=MAX_ID),
            kind=kind.value,
            name=required_text(name, field="name", max_length=MAX_NAME),
            state=state_of(code_id),
            setup=setup.as_dict(),
            config_id=way.config_id,
            qr_code=way.qr_code,
            way_type=way.way_type.value,
            serving=list(way.serving),
        )

    @event("Made", topic="wecom.LiveCode.Made")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        corp_id: str,
        kind: str,
        name: str,
        state: str,
        setup: dict[str, Any],
        config_id: str,
        qr_code: str,
        way_type: str,
        serving: list[str],
    ) -> None:
        self.tenant_id = tenant_id
        self.corp_id = corp_id
        self.kind = LiveCodeKind(kind)
        self.name = name
        self.state = state
        self.setup_primitives = setup
        self.config_id = config_id
        self.qr_code = qr_code
        self.way_type = WayType(way_type)
        self.serving = list(serving)
        self.archived = False

    # --- reading --------------------------------------------------------------------------

    @property
    def employee_setup(self) -> EmployeeSetup:
        if self.kind != LiveCodeKind.EMPLOYEE:
            raise StateConflict("a group code has no employees")
        return EmployeeSetup.of(self.setup_primitives)

    @property
    def group_setup(self) -> GroupSetup:
        if self.kind != LiveCodeKind.GROUP:
            raise StateConflict("an employee code has no groups")
        return GroupSetup.of(self.setup_primitives)

    def needs_new_way(self, setup: EmployeeSetup | GroupSetup) -> bool:
        """Whether `setup` cannot live on the code's contact way (WeCom fixes its type):
        a single employee's code turned into several employees'."""
        return isinstance(setup, EmployeeSetup) and not setup.fits(self.way_type)

    # --- changing -------------------------------------------------------------------------

    def revise(self, *, name: str, setup: EmployeeSetup | GroupSetup, way: Way) -> None:
        """New settings, and the WeCom side as updated (or made anew) for them."""
        self.require_live()
        expected = LiveCodeKind.EMPLOYEE if isinstance(setup, EmployeeSetup) else LiveCodeKind.GROUP
        if expected != self.kind:
            raise InvalidValue("a code's kind cannot change", field="kind")
        _check_way(setup, way)
        name = required_text(name, field="name", max_length=MAX_NAME)
        changed = (
            name != self.name
            or setup.as_dict() != self.setup_primitives
            or (way.config_id, way.qr_code) != (self.config_id, self.qr_code)
            or list(way.serving) != self.serving
        )
        if changed:
            self._revised(
                name=name,
                setup=setup.as_dict(),
                config_id=way.config_id,
                qr_code=way.qr_code,
                way_type=way.way_type.value,
                serving=list(way.serving),
            )

    @event("Revised", topic="wecom.LiveCode.Revised")
    def _revised(
        self,
        name: str,
        setup: dict[str, Any],
        config_id: str,
        qr_code: str,
        way_type: str,
        serving: list[str],
    ) -> None:
        self.name = name
        self.setup_primitives = setup
        self.config_id, self.qr_code = config_id, qr_code
        self.way_type = WayType(way_type)
        self.serving = list(serving)

    def change_serving(self, users: Sequence[str], *, full: bool) -> None:
        """The contact way's user list was set to `users` (caps, backup, load); `full`
        when every employee was capped or offline then."""
        self.require_live()
        if self.kind != LiveCodeKind.EMPLOYEE:
            raise StateConflict("a group code has no employees")
        setup = self.employee_setup
        allowed = set(setup.userids) | ({setup.backup} if setup.backup else set())
        if not users or not set(users) <= allowed:
            raise InvalidValue("the code serves only its employees or backup", field="serving")
        if list(users) != self.serving:
            self._serving_changed(serving=list(users), full=full)

    @event("ServingChanged", topic="wecom.LiveCode.ServingChanged")
    def _serving_changed(self, serving: list[str], full: bool) -> None:
        self.serving = list(serving)

    def archive(self) -> None:
        """Stop the code: its WeCom side is deleted, its counts stay."""
        if self.archived:
            raise StateConflict("the live code is already archived")
        self._archived()

    @event("Archived", topic="wecom.LiveCode.Archived")
    def _archived(self) -> None:
        self.archived = True

    def require_live(self) -> None:
        """Refuse (`StateConflict`) to change an archived code: before WeCom is called."""
        if self.archived:
            raise StateConflict("the live code is archived")


def _check_way(setup: EmployeeSetup | GroupSetup, way: Way) -> None:
    required_text(way.config_id, field="config_id", max_length=MAX_ID)
    required_text(way.qr_code, field="qr_code", max_length=2048)
    if isinstance(setup, GroupSetup):
        if way.way_type != WayType.JOIN:
            raise InvalidValue("a group code's WeCom side is a join way", field="config_id")
        return
    if not setup.fits(way.way_type):
        raise InvalidValue("the contact way's type does not fit the employees", field="config_id")
    allowed = set(setup.userids) | ({setup.backup} if setup.backup else set())
    if not way.serving or not set(way.serving) <= allowed:
        raise InvalidValue("the code serves only its employees or backup", field="serving")


def _userid(value: str | None, *, field: str) -> str:
    return required_text(value or "", field=field, max_length=MAX_USERID)


def _cap(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue("a daily cap is a whole number", field="daily_cap")
    return Seat("x", value).daily_cap  # Seat checks the range


def _tags(tags: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(required_text(t, field="tags", max_length=MAX_ID) for t in tags))
    if len(cleaned) > MAX_TAGS:
        raise InvalidValue(f"a code adds at most {MAX_TAGS} tags", field="tags")
    return cleaned
