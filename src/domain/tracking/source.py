"""Tracking sources and their write keys (TRK-1): where a tenant's behaviours come from.

A source is a website, a server or an app that sends behaviours with its write key.
The key names its tenant and source (so the key's owner is found by one lookup on a
tenant-first key) and carries a random secret; only its SHA-256 is kept. Rotating
replaces the key (the old one stops working); revoking is final.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

MAX_NAME_LENGTH = 60
WRITE_KEY_PREFIX = "hk_"
SECRET_LENGTH = 24  # url-safe characters of randomness in a key (144 bits)
KEY_PREFIX_LENGTH = 6  # characters of the secret shown to tell keys apart
_SECRET = re.compile(rf"^[A-Za-z0-9_-]{{{SECRET_LENGTH}}}$")
_OWNER_LENGTH = 52  # base32 of 32 bytes (tenant id + source id), padding dropped


class SourceKind(StrEnum):
    WEBSITE = "website"  # the browser snippet (/t.js) or analytics.js
    SERVER = "server"  # a back end with a server-side SDK
    APP = "app"  # a mobile or mini-program app


class SourceStatus(StrEnum):
    LIVE = "live"
    REVOKED = "revoked"


def write_key(tenant_id: UUID, source_id: UUID, secret: str) -> str:
    """The write key of a source with `secret` (24 url-safe characters, drawn at random
    by the caller): `hk_<base32 of tenant id and source id>_<secret>`."""
    if not _SECRET.match(secret):
        raise InvalidValue(
            f"a write key secret is {SECRET_LENGTH} url-safe characters", field="write_key"
        )
    owner = base64.b32encode(tenant_id.bytes + source_id.bytes).decode().rstrip("=").lower()
    return f"{WRITE_KEY_PREFIX}{owner}_{secret}"


def owner_of_key(key: str) -> tuple[UUID, UUID] | None:
    """(tenant id, source id) a write key names, or None when it is not shaped like one.
    Says nothing about whether the key is valid: only the source's hash can."""
    if not key.startswith(WRITE_KEY_PREFIX):
        return None
    # base32 has no "_": the first one ends the owner part (the secret may hold more)
    owner, separator, secret = key[len(WRITE_KEY_PREFIX) :].partition("_")
    if not separator or len(owner) != _OWNER_LENGTH or not _SECRET.match(secret):
        return None
    try:
        raw = base64.b32decode(owner.upper() + "====", casefold=False)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 32 or write_key(UUID(bytes=raw[:16]), UUID(bytes=raw[16:]), secret) != key:
        return None  # a non-canonical spelling of the owner part
    return UUID(bytes=raw[:16]), UUID(bytes=raw[16:])


def key_digest(key: str) -> str:
    """The SHA-256 (hex) a source keeps instead of its key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_prefix(key: str) -> str:
    """What is shown of a key to tell it apart: the first characters of its secret (the
    start of the key names the tenant, the same for all of its sources)."""
    if owner_of_key(key) is None:
        return ""
    return key[len(WRITE_KEY_PREFIX) :].partition("_")[2][:KEY_PREFIX_LENGTH]


def default_do_not_track(kind: SourceKind) -> bool:
    """Browsers send Do-Not-Track; a website honours it unless the tenant says otherwise.
    Servers and apps have no such signal."""
    return kind is SourceKind.WEBSITE


def source_kind(value: str) -> SourceKind:
    try:
        return SourceKind(value)
    except ValueError:
        raise InvalidValue(
            f"kind must be one of {', '.join(kind.value for kind in SourceKind)}", field="kind"
        ) from None


class TrackingSource(Aggregate):
    """A website, server or app of one tenant that sends behaviours with its write key."""

    TOPIC = "tracking.Source"
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Renamed: ClassVar[type[AggregateEvent]]
        SettingsChanged: ClassVar[type[AggregateEvent]]
        KeyRotated: ClassVar[type[AggregateEvent]]
        Revoked: ClassVar[type[AggregateEvent]]

    @classmethod
    def create(
        cls,
        *,
        source_id: UUID,
        tenant_id: UUID,
        name: str,
        kind: str,
        honour_do_not_track: bool | None,
        key: str,
    ) -> TrackingSource:
        """A live source with its first write key (which must name this tenant and
        source). `honour_do_not_track` None takes the kind's default."""
        checked_name = required_text(name, field="name", max_length=MAX_NAME_LENGTH)
        checked_kind = source_kind(kind)
        _require_key_of(key, tenant_id, source_id)
        return cls(
            id=source_id,
            tenant_id=tenant_id,
            name=checked_name,
            kind=checked_kind.value,
            honour_do_not_track=(
                default_do_not_track(checked_kind)
                if honour_do_not_track is None
                else bool(honour_do_not_track)
            ),
            key_hash=key_digest(key),
            key_prefix=key_prefix(key),
        )

    @event("Created", topic="tracking.Source.Created")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        name: str,
        kind: str,
        honour_do_not_track: bool,
        key_hash: str,
        key_prefix: str,
    ) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.kind = kind
        self.honour_do_not_track = honour_do_not_track
        self.key_hash = key_hash
        self.key_prefix = key_prefix
        self.status = SourceStatus.LIVE.value

    @property
    def is_live(self) -> bool:
        return self.status == SourceStatus.LIVE

    def accepts(self, key: str) -> bool:
        """Whether `key` is this live source's current write key (compared in constant
        time, so a guess learns nothing from how long the answer took)."""
        return self.is_live and hmac.compare_digest(key_digest(key), self.key_hash)

    def rename(self, name: str) -> None:
        self._require_live(field="name")
        checked = required_text(name, field="name", max_length=MAX_NAME_LENGTH)
        if checked != self.name:
            self._renamed(name=checked)

    @event("Renamed", topic="tracking.Source.Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    def honour_dnt(self, honour: bool) -> None:
        """Whether the snippet drops a visitor's behaviours when the browser sends DNT."""
        self._require_live(field="honour_do_not_track")
        if bool(honour) != self.honour_do_not_track:
            self._settings_changed(honour_do_not_track=bool(honour))

    @event("SettingsChanged", topic="tracking.Source.SettingsChanged")
    def _settings_changed(self, honour_do_not_track: bool) -> None:
        self.honour_do_not_track = honour_do_not_track

    def rotate_key(self, key: str) -> None:
        """Replace the write key; the old one stops working at once."""
        self._require_live(field="write_key")
        _require_key_of(key, self.tenant_id, self.id)
        if hmac.compare_digest(key_digest(key), self.key_hash):
            raise InvalidValue("the new write key is the current one", field="write_key")
        self._key_rotated(key_hash=key_digest(key), key_prefix=key_prefix(key))

    @event("KeyRotated", topic="tracking.Source.KeyRotated")
    def _key_rotated(self, key_hash: str, key_prefix: str) -> None:
        self.key_hash = key_hash
        self.key_prefix = key_prefix

    def revoke(self) -> None:
        """Stop the source for good: its key is refused from now on, and none replaces it."""
        self._require_live(field="status")
        self._revoked()

    @event("Revoked", topic="tracking.Source.Revoked")
    def _revoked(self) -> None:
        self.status = SourceStatus.REVOKED.value

    def _require_live(self, *, field: str) -> None:
        if not self.is_live:
            raise StateConflict("the tracking source is revoked", field=field)


def _require_key_of(key: str, tenant_id: UUID, source_id: UUID) -> None:
    if owner_of_key(key) != (tenant_id, source_id):
        raise InvalidValue("the write key is not one of this source", field="write_key")
