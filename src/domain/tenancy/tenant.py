"""The Tenant aggregate: an enterprise using huoke (TEN-1)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_SETTINGS = 50
_SETTING_KEY = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
SettingValue = str | int | bool | None


def _typed(settings: dict[str, SettingValue]) -> dict[str, tuple[type, SettingValue]]:
    return {key: (type(value), value) for key, value in settings.items()}


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


def valid_timezone(name: str) -> str:
    """An IANA timezone name such as Asia/Shanghai; calendar rules use it (quotas, reports)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(f"unknown timezone {name!r}", field="timezone") from None
    return name


def valid_settings(settings: dict[str, SettingValue]) -> dict[str, SettingValue]:
    """Tenant settings: at most 50 flat keys (lower-case, dotted) with scalar values."""
    if len(settings) > MAX_SETTINGS:
        raise InvalidValue(f"at most {MAX_SETTINGS} settings are allowed", field="settings")
    for key, value in settings.items():
        if not _SETTING_KEY.fullmatch(key):  # `$` alone would let a trailing newline through
            raise InvalidValue(
                f"setting name {key!r} must match {_SETTING_KEY.pattern}", field=f"settings.{key}"
            )
        if not isinstance(value, str | int | bool | type(None)):
            raise InvalidValue(
                "setting values must be text, number, boolean or null", field=f"settings.{key}"
            )
        if isinstance(value, str) and len(value) > 1000:
            raise InvalidValue(
                "setting text must be at most 1000 characters", field=f"settings.{key}"
            )
    return dict(settings)


class Tenant(Aggregate):
    """An enterprise with its owner contact, timezone and settings; active or suspended."""

    TOPIC = "tenancy.Tenant"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Registered: ClassVar[type[AggregateEvent]]
        Renamed: ClassVar[type[AggregateEvent]]
        OwnerChanged: ClassVar[type[AggregateEvent]]
        TimezoneChanged: ClassVar[type[AggregateEvent]]
        SettingsUpdated: ClassVar[type[AggregateEvent]]
        Suspended: ClassVar[type[AggregateEvent]]
        Reactivated: ClassVar[type[AggregateEvent]]
        HeadOfficeAssigned: ClassVar[type[AggregateEvent]]

    @classmethod
    def register(
        cls,
        *,
        tenant_id: UUID,
        name: str,
        owner_name: str,
        owner_contact: str,
        timezone: str = DEFAULT_TIMEZONE,
        settings: dict[str, SettingValue] | None = None,
    ) -> Tenant:
        """Register a new tenant after checking every field."""
        return cls(
            id=tenant_id,
            name=required_text(name, field="name"),
            owner_name=required_text(owner_name, field="owner_name"),
            owner_contact=required_text(owner_contact, field="owner_contact", max_length=254),
            timezone=valid_timezone(timezone),
            settings=valid_settings(settings or {}),
        )

    @event("Registered", topic="tenancy.Tenant.Registered")
    def __init__(
        self,
        id: UUID,
        name: str,
        owner_name: str,
        owner_contact: str,
        timezone: str,
        settings: dict[str, SettingValue],
    ) -> None:
        self.name = name
        self.owner_name = owner_name
        self.owner_contact = owner_contact
        self.timezone = timezone
        self.settings = settings
        self.status = TenantStatus.ACTIVE.value
        self.head_office_id: UUID | None = None

    @property
    def tenant_id(self) -> UUID:
        """A tenant owns itself; this lets tenant-scoped loading treat it like any record."""
        return self.id

    def rename(self, name: str) -> None:
        """Change the enterprise name."""
        name = required_text(name, field="name")
        if name != self.name:
            self._renamed(name=name)

    @event("Renamed", topic="tenancy.Tenant.Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    def change_owner(self, owner_name: str, owner_contact: str) -> None:
        """Record a new owner name and contact."""
        owner_name = required_text(owner_name, field="owner_name")
        owner_contact = required_text(owner_contact, field="owner_contact", max_length=254)
        if (owner_name, owner_contact) != (self.owner_name, self.owner_contact):
            self._owner_changed(owner_name=owner_name, owner_contact=owner_contact)

    @event("OwnerChanged", topic="tenancy.Tenant.OwnerChanged")
    def _owner_changed(self, owner_name: str, owner_contact: str) -> None:
        self.owner_name = owner_name
        self.owner_contact = owner_contact

    def move_to_timezone(self, timezone: str) -> None:
        """Use another timezone for the tenant's calendar rules."""
        timezone = valid_timezone(timezone)
        if timezone != self.timezone:
            self._timezone_changed(timezone=timezone)

    @event("TimezoneChanged", topic="tenancy.Tenant.TimezoneChanged")
    def _timezone_changed(self, timezone: str) -> None:
        self.timezone = timezone

    def update_settings(self, changes: dict[str, SettingValue]) -> None:
        """Merge `changes` into the settings; a null value removes the setting."""
        merged = {**self.settings, **changes}
        merged = {key: value for key, value in merged.items() if value is not None}
        valid_settings(changes)
        valid_settings(merged)
        # compare with types: True == 1 and False == 0, yet switching between them is a change
        if _typed(merged) != _typed(self.settings):
            self._settings_updated(changes=dict(changes))

    @event("SettingsUpdated", topic="tenancy.Tenant.SettingsUpdated")
    def _settings_updated(self, changes: dict[str, SettingValue]) -> None:
        merged = {**self.settings, **changes}
        self.settings = {key: value for key, value in merged.items() if value is not None}

    def suspend(self, reason: str) -> None:
        """Suspend an active tenant: its keys stop working until it is reactivated."""
        reason = required_text(reason, field="reason", max_length=500)
        if self.status != TenantStatus.ACTIVE:
            raise StateConflict("tenant is already suspended")
        self._suspended(reason=reason)

    @event("Suspended", topic="tenancy.Tenant.Suspended")
    def _suspended(self, reason: str) -> None:
        self.status = TenantStatus.SUSPENDED.value

    def reactivate(self) -> None:
        """Lift a suspension."""
        if self.status != TenantStatus.SUSPENDED:
            raise StateConflict("tenant is not suspended")
        self._reactivated()

    @event("Reactivated", topic="tenancy.Tenant.Reactivated")
    def _reactivated(self) -> None:
        self.status = TenantStatus.ACTIVE.value

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE

    def report_to(self, head_office: Tenant) -> None:
        """Make this tenant a branch of `head_office`, which may then read its data in
        roll-up (TEN-4). One level only: a branch has no branches of its own."""
        if head_office.id == self.id:
            raise InvalidValue("a tenant cannot be its own head office", field="head_office_id")
        if head_office.head_office_id is not None:
            raise StateConflict("a branch cannot open branches of its own")
        if self.head_office_id is not None:
            raise StateConflict("the tenant already reports to a head office")
        self._head_office_assigned(head_office_id=head_office.id)

    @event("HeadOfficeAssigned", topic="tenancy.Tenant.HeadOfficeAssigned")
    def _head_office_assigned(self, head_office_id: UUID) -> None:
        self.head_office_id = head_office_id
