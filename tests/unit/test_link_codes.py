"""Signed codes (TRK-2): every code and token huoke makes reads back as what it was made
of, and any change to its characters, any truncation or extension, and any code made
with another key reads as nothing."""

from __future__ import annotations

from uuid import UUID

from hypothesis import assume, given
from hypothesis import strategies as st

from application.shared.behaviours import Channel
from application.tracking.link_codes import (
    LINK_CODE_LENGTH,
    RECIPIENT_CODE_LENGTH,
    LinkCodes,
    ShortLinkCode,
    derive_key,
)
from domain.tracking.promotion import BASE62

CODES = LinkCodes(derive_key(b"k" * 32))
OTHER_KEY = LinkCodes(derive_key(b"j" * 32))
short_codes = st.text(alphabet=BASE62, min_size=8, max_size=8)
uuids = st.uuids()
channels = st.sampled_from(list(Channel))
message_keys = st.text(min_size=0, max_size=60)
urls = st.from_regex(
    r"https://[a-z]{1,12}\.cn/[a-zA-Z0-9/_-]{0,40}(\?[a-z]=[0-9]{1,5})?", fullmatch=True
)
URL_CHARACTERS = BASE62 + "-_"


def _changed(code: str, position: int, replacement: str) -> str:
    position %= len(code)
    assume(code[position] != replacement)
    return code[:position] + replacement + code[position + 1 :]


@given(short_codes)
def test_a_link_code_reads_back(short: str) -> None:
    code = CODES.for_link(short)
    assert len(code) == LINK_CODE_LENGTH and code.startswith(short)
    assert CODES.read(code) == ShortLinkCode(short)


@given(short_codes, uuids, channels)
def test_a_recipient_code_reads_back_with_its_lead_and_channel(
    short: str, lead: UUID, channel: Channel
) -> None:
    code = CODES.for_recipient(short, lead_id=lead, channel=channel)
    assert len(code) == RECIPIENT_CODE_LENGTH and code.isalnum()
    assert CODES.read(code) == ShortLinkCode(short, lead_id=lead, channel=channel)


@given(short_codes, uuids, st.booleans(), st.integers(0, 100), st.sampled_from(BASE62 + "-_.~%"))
def test_any_change_to_a_codes_characters_is_refused(
    short: str, lead: UUID, for_recipient: bool, position: int, replacement: str
) -> None:
    code = (
        CODES.for_recipient(short, lead_id=lead, channel=Channel.SMS)
        if for_recipient
        else CODES.for_link(short)
    )
    assert CODES.read(_changed(code, position, replacement)) is None


@given(short_codes, uuids, st.integers(1, 36), st.text(alphabet=BASE62, min_size=1, max_size=5))
def test_truncated_or_extended_codes_are_refused(
    short: str, lead: UUID, cut: int, extra: str
) -> None:
    code = CODES.for_recipient(short, lead_id=lead, channel=Channel.EMAIL)
    assert CODES.read(code[:-cut]) is None
    assert CODES.read(code + extra) is None
    link_code = CODES.for_link(short)
    assert CODES.read(link_code[: -min(cut, 13)]) is None


@given(short_codes, uuids)
def test_codes_of_another_key_are_refused(short: str, lead: UUID) -> None:
    assert CODES.read(OTHER_KEY.for_link(short)) is None
    assert CODES.read(OTHER_KEY.for_recipient(short, lead_id=lead, channel=Channel.SMS)) is None


@given(uuids, uuids, message_keys)
def test_an_open_token_reads_back_and_is_no_click_token(
    tenant: UUID, lead: UUID, message: str
) -> None:
    token = CODES.open_token(tenant_id=tenant, lead_id=lead, message_key=message)
    read = CODES.read_open(token)
    assert read is not None
    assert (read.tenant_id, read.lead_id, read.message_key, read.url) == (
        tenant,
        lead,
        message,
        None,
    )
    assert CODES.read_click(token) is None


@given(uuids, uuids, message_keys, urls)
def test_a_click_token_reads_back_with_its_target(
    tenant: UUID, lead: UUID, message: str, url: str
) -> None:
    token = CODES.click_token(tenant_id=tenant, lead_id=lead, message_key=message, url=url)
    read = CODES.read_click(token)
    assert read is not None and read.url == url and read.lead_id == lead
    assert CODES.read_open(token) is None


@given(
    uuids,
    uuids,
    message_keys,
    urls,
    st.integers(0, 10_000),
    st.sampled_from(URL_CHARACTERS + "=.~"),
)
def test_any_change_to_a_tokens_characters_is_refused(
    tenant: UUID, lead: UUID, message: str, url: str, position: int, replacement: str
) -> None:
    opened = CODES.open_token(tenant_id=tenant, lead_id=lead, message_key=message)
    clicked = CODES.click_token(tenant_id=tenant, lead_id=lead, message_key=message, url=url)
    assert CODES.read_open(_changed(opened, position, replacement)) is None
    assert CODES.read_click(_changed(clicked, position, replacement)) is None
    assert CODES.read_click(clicked[:-1]) is None
    assert CODES.read_open(opened + "A") is None
