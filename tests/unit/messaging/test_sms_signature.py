"""SMS signatures (SMS-2): 2–30 letters or digits, no special symbols, no brackets (the
provider adds 【】), no banned words; at most three per tenant through the tenant's
index, which a fourth signature cannot get past."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.messaging.sms_signature import (
    BANNED_WORDS,
    SmsSignature,
    SmsSignatureIndex,
    checked_signature_text,
)
from domain.shared.errors import InvalidValue, StateConflict
from tests.unit.events import replay, topics


def _refused(text: str) -> InvalidValue:
    with pytest.raises(InvalidValue) as refused:
        checked_signature_text(text)
    assert refused.value.field == "text"
    return refused.value


@pytest.mark.parametrize("text", ["获客", "获客科技", "Acme", "火客2026", "a" * 30])
def test_letters_and_digits_of_two_to_thirty_characters_are_accepted(text: str) -> None:
    assert checked_signature_text(f" {text} ") == text


@pytest.mark.parametrize("text", ["获", "a", "a" * 31, "获" * 31])
def test_length_outside_two_to_thirty_is_refused(text: str) -> None:
    assert "2 to 30" in _refused(text).message


@pytest.mark.parametrize("text", ["【获客】", "[获客]", "获客(中国)", "获客（科技）", "〔获客〕"])
def test_brackets_are_refused_because_they_are_added_on_send(text: str) -> None:
    message = _refused(text).message
    assert "brackets" in message and "added when the text is sent" in message


@pytest.mark.parametrize("symbol", ["-", ".", "+", "#", "@", "…", " ", "·", "&", "😀"])
def test_special_symbols_are_refused(symbol: str) -> None:
    message = _refused(f"获客{symbol}科技").message
    assert "special symbols" in message and "SMS-2" in message


@pytest.mark.parametrize("word", BANNED_WORDS)
def test_banned_words_are_refused(word: str) -> None:
    assert "banned word" in _refused(f"获客{word.upper()}").message


@given(st.text(min_size=2, max_size=30))
def test_an_accepted_signature_never_has_a_bracket_or_a_symbol(text: str) -> None:
    try:
        kept = checked_signature_text(text)
    except InvalidValue:
        return
    assert 2 <= len(kept) <= 30
    assert all(char.isalnum() for char in kept)


def _signature(tenant_id: uuid.UUID, text: str = "获客科技") -> SmsSignature:
    return SmsSignature.submit(
        signature_id=uuid.uuid4(), tenant_id=tenant_id, text=text, purpose="公司名", provider=""
    )


def test_a_signature_is_reviewed_then_removed() -> None:
    signature = _signature(uuid.uuid4())
    assert signature.state == "pending" and not signature.usable
    signature.approve(reviewer="admin")
    assert signature.usable
    with pytest.raises(StateConflict):
        signature.reject(reason="late", reviewer="admin")
    signature.remove()
    assert not signature.usable
    with pytest.raises(StateConflict):
        signature.remove()
    events = signature.collect_events()
    assert topics(events) == [
        "messaging.SmsSignature.Submitted",
        "messaging.SmsSignature.Approved",
        "messaging.SmsSignature.Removed",
    ]
    assert replay(events, SmsSignature).removed


def test_a_rejected_signature_keeps_its_reason() -> None:
    signature = _signature(uuid.uuid4())
    signature.reject(reason="与企业名称不符", reviewer="admin")
    assert (signature.state, signature.reason) == ("rejected", "与企业名称不符")
    with pytest.raises(StateConflict):
        signature.approve(reviewer="admin")


def test_the_index_refuses_a_fourth_signature_naming_the_rule() -> None:
    tenant_id = uuid.uuid4()
    index = SmsSignatureIndex.open(tenant_id)
    assert index.id == SmsSignatureIndex.create_id(tenant_id)
    ids = [uuid.uuid4() for _ in range(4)]
    for number, signature_id in enumerate(ids[:3]):
        index.claim(signature_id, f"获客{number}")
    with pytest.raises(InvalidValue) as refused:
        index.claim(ids[3], "获客3")
    assert "at most 3 SMS signatures" in refused.value.message
    assert "SMS-2" in refused.value.message
    # a freed place can be taken again; the same text twice never
    index.release(ids[0])
    index.release(ids[0])  # a second release changes nothing
    index.claim(ids[3], "获客3")
    with pytest.raises(StateConflict):
        index.claim(uuid.uuid4(), "获客1")
    events = index.collect_events()
    assert topics(events).count("messaging.SmsSignatureIndex.Released") == 1
    assert set(replay(events, SmsSignatureIndex).signatures) == {str(i) for i in ids[1:]}
