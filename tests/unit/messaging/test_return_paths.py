"""VERP return paths (MAIL-5): the envelope sender names its message and carries a short
HMAC, so a bounce to it finds the message and a forged or altered address finds nothing."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.messaging.return_paths import ReturnPaths, derive_key

PATHS = ReturnPaths(derive_key(b"k" * 32))
MESSAGE = str(uuid.uuid4())


def test_the_address_is_at_the_sending_domain_and_names_the_message() -> None:
    address = PATHS.address(MESSAGE, "mail.acme.cn")
    local, _, domain = address.partition("@")
    assert domain == "mail.acme.cn"
    assert local.startswith("b-") and len(local) <= 64  # RFC 5321 local-part limit
    assert PATHS.message_of(address) == MESSAGE


@given(st.uuids())
def test_every_message_round_trips(message: uuid.UUID) -> None:
    assert PATHS.message_of(PATHS.address(str(message), "m.acme.cn")) == str(message)


def test_the_address_survives_brackets_and_case_as_relays_write_it() -> None:
    address = PATHS.address(MESSAGE, "mail.acme.cn")
    assert PATHS.message_of(f"<{address.upper()}>") == MESSAGE
    assert PATHS.message_of(f" {address} ") == MESSAGE


def test_a_forged_signature_or_another_message_id_is_ignored() -> None:
    local, _, domain = PATHS.address(MESSAGE, "mail.acme.cn").partition("@")
    hexed, _, signature = local[2:].partition(".")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert PATHS.message_of(f"b-{hexed}.{flipped}@{domain}") is None
    other = uuid.uuid4().hex
    assert PATHS.message_of(f"b-{other}.{signature}@{domain}") is None
    assert PATHS.message_of(f"b-{hexed}@{domain}") is None


def test_another_key_does_not_accept_our_addresses() -> None:
    theirs = ReturnPaths(derive_key(b"x" * 32))
    assert theirs.message_of(PATHS.address(MESSAGE, "mail.acme.cn")) is None


@pytest.mark.parametrize(
    "address", ["", "postmaster@mail.acme.cn", "b-@mail.acme.cn", "MAILER-DAEMON", "<>", "b-x.y@z"]
)
def test_anything_else_is_no_message(address: str) -> None:
    assert PATHS.message_of(address) is None
