"""The session archive's settings (ARCH-1): key pairs kept by `publickey_ver`, the newest
in use, a version number never naming two keys, the version in use never retired, the
source (corp id, Secret) checked, enabling only with a key and a source; events carry
the settings and a replay gives the same state. Hypothesis: after any sequence of adds
and retirements, the version in use is the newest kept, no version is ever both kept
and retired, and a refused command changes nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.archive.settings import ArchiveSettings
from domain.shared.errors import DomainError, InvalidValue, StateConflict
from tests.unit.events import replay, topics

TENANT = uuid4()


def pems(n: int) -> tuple[str, str]:
    """A public and a private key in PEM form (the domain checks the form only)."""
    body = "\n".join(["MIIB" + f"{n:04d}" + "A" * 56] * 3)
    return (
        f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n",
        f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n",
    )


def add(settings: ArchiveSettings, version: int) -> None:
    public, private = pems(version)
    settings.add_key(publickey_ver=version, public_key_pem=public, private_key_pem=private)


def test_settings_are_one_per_tenant_and_start_empty() -> None:
    settings = ArchiveSettings.set_up(TENANT)
    assert settings.id == ArchiveSettings.create_id(TENANT) != ArchiveSettings.create_id(uuid4())
    assert (settings.current_version, settings.enabled, settings.corpid) == (None, False, "")


def test_the_newest_version_is_in_use_and_older_ones_still_open() -> None:
    settings = ArchiveSettings.set_up(TENANT)
    add(settings, 2)
    add(settings, 1)  # an older key imported later does not replace the one in use
    assert settings.current_version == 2
    add(settings, 5)
    assert settings.current_version == 5
    assert settings.private_key_of(1) == pems(1)[1]
    assert settings.private_key_of(3) is None
    assert settings.public_keys() == {v: pems(v)[0] for v in (1, 2, 5)}


def test_a_version_names_one_key_for_ever() -> None:
    settings = ArchiveSettings.set_up(TENANT)
    add(settings, 1)
    with pytest.raises(StateConflict, match="already kept"):
        add(settings, 1)
    add(settings, 2)
    settings.retire_key(1)
    with pytest.raises(StateConflict, match="retired"):
        add(settings, 1)
    assert settings.versions == [2] and settings.retired_versions == [1]


def test_the_version_in_use_cannot_be_retired() -> None:
    settings = ArchiveSettings.set_up(TENANT)
    add(settings, 1)
    with pytest.raises(StateConflict, match="in use") as refused:
        settings.retire_key(1)
    assert refused.value.field == "publickey_ver"
    with pytest.raises(StateConflict, match="no key of this version"):
        settings.retire_key(7)


@pytest.mark.parametrize("version", [0, -1, 1_000_001, True])
def test_versions_are_positive_whole_numbers(version: int) -> None:
    settings = ArchiveSettings.set_up(TENANT)
    public, private = pems(1)
    with pytest.raises(InvalidValue) as refused:
        settings.add_key(publickey_ver=version, public_key_pem=public, private_key_pem=private)
    assert refused.value.field == "publickey_ver"


def test_keys_must_look_like_pem_keys() -> None:
    settings = ArchiveSettings.set_up(TENANT)
    public, private = pems(1)
    with pytest.raises(InvalidValue) as refused:
        settings.add_key(publickey_ver=1, public_key_pem=private, private_key_pem=private)
    assert refused.value.field == "public_key_pem"
    with pytest.raises(InvalidValue) as refused:
        settings.add_key(publickey_ver=1, public_key_pem=public, private_key_pem="secret")
    assert refused.value.field == "private_key_pem"
    # Windows line ends and surrounding blanks, as pasted, are kept as one PEM form.
    settings.add_key(
        publickey_ver=1,
        public_key_pem="  " + public.replace("\n", "\r\n"),
        private_key_pem=private,
    )
    assert settings.public_key_of(1) == public


def test_the_source_is_checked_and_the_secret_kept_when_not_given() -> None:
    settings = ArchiveSettings.set_up(TENANT)
    with pytest.raises(InvalidValue) as refused:
        settings.change_source(corpid="not a corp", sdk_secret="s" * 43)
    assert refused.value.field == "corpid"
    with pytest.raises(InvalidValue) as refused:
        settings.change_source(corpid="ww0123456789abcdef", sdk_secret=None)  # none kept yet
    assert refused.value.field == "sdk_secret"
    settings.change_source(corpid="ww0123456789abcdef", sdk_secret="s" * 43)
    settings.change_source(corpid="ww00000000000000ff", sdk_secret=None)
    assert (settings.corpid, settings.sdk_secret) == ("ww00000000000000ff", "s" * 43)
    pending = len(settings.collect_events())
    settings.change_source(corpid="ww00000000000000ff", sdk_secret="s" * 43)  # no change
    assert settings.collect_events() == [] and pending == 3


def test_enabling_needs_a_key_and_a_source() -> None:
    settings = ArchiveSettings.set_up(TENANT)
    with pytest.raises(StateConflict, match="key pair"):
        settings.enable()
    add(settings, 1)
    with pytest.raises(StateConflict, match="corp"):
        settings.enable()
    settings.change_source(corpid="ww0123456789abcdef", sdk_secret="s" * 43)
    settings.enable()
    settings.enable()  # already on: nothing more happens
    settings.disable()
    settings.disable()
    assert not settings.enabled


def test_events_are_topical_primitive_and_replay_to_the_same_state() -> None:
    settings = ArchiveSettings.set_up(TENANT)
    add(settings, 1)
    add(settings, 2)
    settings.retire_key(1)
    settings.change_source(corpid="ww0123456789abcdef", sdk_secret="s" * 43)
    settings.enable()
    settings.disable()
    events = settings.collect_events()
    assert topics(events) == [
        "archive.ArchiveSettings.SetUp",
        "archive.ArchiveSettings.KeyAdded",
        "archive.ArchiveSettings.KeyAdded",
        "archive.ArchiveSettings.KeyRetired",
        "archive.ArchiveSettings.SourceChanged",
        "archive.ArchiveSettings.Enabled",
        "archive.ArchiveSettings.Disabled",
    ]
    # The private key and the Secret travel under names the history redacts.
    assert "private_key_secret" in vars(events[1]) and "sdk_secret" in vars(events[4])
    again = replay(events, ArchiveSettings)
    assert (again.keys, again.retired_versions, again.corpid, again.enabled) == (
        settings.keys,
        [1],
        "ww0123456789abcdef",
        False,
    )
    assert "PRIVATE" not in repr(again)


@given(st.lists(st.tuples(st.sampled_from(["add", "retire"]), st.integers(1, 8)), max_size=40))
def test_any_sequence_keeps_the_newest_in_use_and_never_reuses_a_version(
    steps: list[tuple[str, int]],
) -> None:
    settings = ArchiveSettings.set_up(TENANT)
    ever: set[int] = set()
    for step, version in steps:
        before = (dict(settings.keys), list(settings.retired_versions))
        newest = settings.current_version
        try:
            if step == "add":
                add(settings, version)
            else:
                settings.retire_key(version)
        except DomainError:
            assert (settings.keys, settings.retired_versions) == before  # nothing changed
            if step == "add":
                assert version in ever
            else:
                assert version not in before[0] or version == newest
            continue
        if step == "add":
            assert version not in ever
            ever.add(version)
        else:
            assert version in before[0] and version != newest
            assert settings.current_version == newest  # retiring never moves the one in use
    kept, retired = set(settings.keys), set(settings.retired_versions)
    assert kept | retired == ever and not kept & retired
    assert settings.current_version == (max(kept) if kept else None)
    assert replay(settings.collect_events(), ArchiveSettings).keys == settings.keys
