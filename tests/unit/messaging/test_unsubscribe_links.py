"""Signed unsubscribe links (MAIL-4): a token reads back as the tenant, lead, channel and
message it was made for; any change to it, any cut, and any token of another key reads
as nothing."""

from __future__ import annotations

from uuid import UUID

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from application.messaging.unsubscribe import (
    UnsubscribeLinks,
    UnsubscribeToken,
    derive_key,
)

LINKS = UnsubscribeLinks(derive_key(b"k" * 32), "https://hk.example/")
OTHER = UnsubscribeLinks(derive_key(b"j" * 32), "https://hk.example")
channels = st.sampled_from(["email", "sms", "wechat"])
message_ids = st.one_of(st.uuids().map(str), st.text(min_size=1, max_size=60))
URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@given(st.uuids(), st.uuids(), message_ids, channels)
def test_a_link_reads_back_as_what_it_was_made_for(
    tenant: UUID, lead: UUID, message: str, channel: str
) -> None:
    url = LINKS.url_for(tenant, lead, message, channel)
    assert url.startswith("https://hk.example/u/")
    token = url.removeprefix("https://hk.example/u/")
    assert set(token) <= set(URL_SAFE)
    assert LINKS.read(token) == UnsubscribeToken(tenant, lead, channel, message)
    assert OTHER.read(token) is None


@given(
    st.uuids(), st.uuids(), message_ids, channels, st.integers(0, 500), st.sampled_from(URL_SAFE)
)
def test_any_change_or_cut_reads_as_nothing(
    tenant: UUID, lead: UUID, message: str, channel: str, position: int, character: str
) -> None:
    token = LINKS.token(tenant, lead, message, channel)
    position %= len(token)
    assume(token[position] != character)
    changed = token[:position] + character + token[position + 1 :]
    assert LINKS.read(changed) is None
    assert LINKS.read(token[:position]) is None
    assert LINKS.read(token + character) is None


def test_a_uuid_message_id_keeps_the_link_short() -> None:
    token = LINKS.token(UUID(int=1), UUID(int=2), "5f0c7a1e-2b44-5d1e-9c3a-0e6b1d2f3a4b", "email")
    assert len(token) <= 84


def test_made_up_tokens_and_channels() -> None:
    for token in ("", "x", "a" * 90, "%%%%", "a" * 1000):
        assert LINKS.read(token) is None
    with pytest.raises(ValueError):
        LINKS.token(UUID(int=1), UUID(int=2), "m", "fax")
    with pytest.raises(ValueError):
        LINKS.token(UUID(int=1), UUID(int=2), "", "email")
    with pytest.raises(ValueError):
        UnsubscribeLinks(b"short", "https://x")
