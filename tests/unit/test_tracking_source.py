"""Tracking sources (TRK-1): named, of a kind, with a write key kept only as its hash;
rotating replaces the key and revoking is final."""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.access import Action, PermissionMatrix
from domain.shared.errors import InvalidValue, StateConflict
from domain.tracking.permissions import TRACKING_GRANTS
from domain.tracking.source import (
    TrackingSource,
    key_digest,
    key_prefix,
    owner_of_key,
    write_key,
)
from tests.unit.events import replay, topics

TENANT, SOURCE = uuid4(), uuid4()
URL_SAFE = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    min_size=24,
    max_size=24,
)


def a_key(tenant_id: UUID = TENANT, source_id: UUID = SOURCE) -> str:
    return write_key(tenant_id, source_id, secrets.token_urlsafe(18))


def a_source(**overrides: Any) -> TrackingSource:
    fields: dict[str, Any] = {
        "source_id": SOURCE,
        "tenant_id": TENANT,
        "name": "官网",
        "kind": "website",
        "honour_do_not_track": None,
        "key": a_key(),
    }
    fields.update(overrides)
    return TrackingSource.create(**fields)


def test_a_new_source_is_live_and_keeps_only_the_hash_of_its_key() -> None:
    key = a_key()

    source = a_source(name="  官网 H5 ", key=key)

    assert (source.tenant_id, source.name, source.kind) == (TENANT, "官网 H5", "website")
    assert source.status == "live" and source.is_live
    assert source.key_hash == key_digest(key) and key not in str(vars(source))
    assert source.key_prefix == key_prefix(key) and len(source.key_prefix) == 6
    assert key.startswith("hk_") and source.key_prefix in key
    events = source.collect_events()
    assert topics(events) == ["tracking.Source.Created"]
    assert key not in str(vars(events[0]))


def test_only_a_website_honours_do_not_track_unless_told() -> None:
    assert a_source(kind="website").honour_do_not_track is True
    assert a_source(kind="server").honour_do_not_track is False
    assert a_source(kind="app").honour_do_not_track is False
    assert a_source(kind="website", honour_do_not_track=False).honour_do_not_track is False
    assert a_source(kind="app", honour_do_not_track=True).honour_do_not_track is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "长" * 61}, "name"),
        ({"kind": "fax"}, "kind"),
        ({"key": "hk_nonsense"}, "write_key"),
        ({"key": write_key(uuid4(), SOURCE, "a" * 24)}, "write_key"),  # another tenant's
        ({"key": write_key(TENANT, uuid4(), "a" * 24)}, "write_key"),  # another source's
    ],
)
def test_creation_refuses_what_breaks_a_rule_naming_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        a_source(**overrides)
    assert refused.value.field == field


def test_a_name_of_sixty_characters_is_taken() -> None:
    assert a_source(name="名" * 60).name == "名" * 60


def test_renaming_and_settings_record_only_changes() -> None:
    source = a_source()
    source.collect_events()

    source.rename("官网")  # the same name: nothing happens
    source.honour_dnt(True)  # already so
    source.rename("新官网")
    source.honour_dnt(False)

    assert topics(source.collect_events()) == [
        "tracking.Source.Renamed",
        "tracking.Source.SettingsChanged",
    ]
    assert (source.name, source.honour_do_not_track) == ("新官网", False)
    with pytest.raises(InvalidValue) as refused:
        source.rename("")
    assert refused.value.field == "name" and source.name == "新官网"


def test_rotating_replaces_the_key_and_the_old_one_stops_working() -> None:
    old, new = a_key(), a_key()
    source = a_source(key=old)

    source.rotate_key(new)

    assert source.accepts(new) and not source.accepts(old)
    assert source.key_prefix == key_prefix(new)
    assert topics(source.collect_events())[-1] == "tracking.Source.KeyRotated"


def test_rotating_refuses_the_current_key_or_another_sources_key() -> None:
    key = a_key()
    source = a_source(key=key)

    for bad in (key, a_key(source_id=uuid4()), a_key(tenant_id=uuid4()), "x"):
        with pytest.raises(InvalidValue) as refused:
            source.rotate_key(bad)
        assert refused.value.field == "write_key"
    assert source.accepts(key) and source.version == 1


def test_revoking_is_final_and_a_revoked_source_takes_no_key() -> None:
    key = a_key()
    source = a_source(key=key)

    source.revoke()

    assert source.status == "revoked" and not source.accepts(key)
    for change, field in [
        (lambda: source.revoke(), "status"),
        (lambda: source.rotate_key(a_key()), "write_key"),
        (lambda: source.rename("x"), "name"),
        (lambda: source.honour_dnt(False), "honour_do_not_track"),
    ]:
        with pytest.raises(StateConflict) as refused:
            change()
        assert refused.value.field == field
    assert topics(source.collect_events())[-1] == "tracking.Source.Revoked"


def test_replaying_the_events_gives_the_same_source() -> None:
    key = a_key()
    source = a_source(key=key)
    source.rename("官网（新）")
    source.honour_dnt(False)
    rotated = a_key()
    source.rotate_key(rotated)
    source.revoke()

    again = replay(source.collect_events(), TrackingSource)

    assert vars(again) == vars(source)
    assert not again.accepts(rotated)


def test_a_key_names_its_tenant_and_source() -> None:
    key = a_key()

    assert owner_of_key(key) == (TENANT, SOURCE)
    for malformed in ["", "hk_", key[:-1], key + "A", key.upper(), "sk_" + key[3:], key + "_"]:
        assert owner_of_key(malformed) is None, malformed


@given(secret=URL_SAFE, other=st.text(max_size=120))
def test_a_key_verifies_only_for_its_live_source(secret: str, other: str) -> None:
    key = write_key(TENANT, SOURCE, secret)
    source = a_source(key=key)
    other_id = uuid4()
    elsewhere = a_source(source_id=other_id, key=write_key(TENANT, other_id, secret))

    assert owner_of_key(key) == (TENANT, SOURCE)
    assert source.accepts(key)
    assert not elsewhere.accepts(key)  # the same secret, another source: another key
    assert source.accepts(other) == (other == key)
    source.revoke()
    assert not source.accepts(key)


def test_marketers_manage_tracking_and_sales_only_read() -> None:
    matrix = PermissionMatrix([TRACKING_GRANTS])
    for action in (Action.CREATE, Action.READ, Action.UPDATE, Action.DELETE):
        assert matrix.allows(["marketer"], "tracking", action)
        assert matrix.allows(["tenant_admin"], "tracking", action)
    for role in ("sales", "sales_manager", "data_analyst", "auditor"):
        assert matrix.allows([role], "tracking", Action.READ)
        assert not matrix.allows([role], "tracking", Action.CREATE)
        assert not matrix.allows([role], "tracking", Action.DELETE)
