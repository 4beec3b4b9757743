"""Our DKIM signatures verify with dkimpy (an independent implementation): relaxed
canonicalisation survives refolded headers and trailing spaces, a changed body fails."""

from __future__ import annotations

import time

import dkim
import pytest

from adapters.messaging.dkim import RsaDkimSigner, generate_key_pair

PRIVATE, PUBLIC = generate_key_pair()
MESSAGE = (
    b"From: =?utf-8?b?6I635a6i?= <news@mail.acme.cn>\r\n"
    b"To: li@example.cn\r\n"
    b"Subject: =?utf-8?b?5oKo55qE5LiT5bGe?=\r\n"
    b"  =?utf-8?b?5LyY5oOg?=\r\n"
    b"Message-ID: <abc@mail.acme.cn>\r\n"
    b"List-Unsubscribe: <https://h.example/u/x>\r\n"
    b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hello  world   \r\nsecond line\r\n\r\n\r\n"
)


def _dns(name: bytes, timeout: int = 5) -> bytes:
    assert name == b"hk1._domainkey.mail.acme.cn."
    return f"v=DKIM1; k=rsa; p={PUBLIC}".encode()


def _signed() -> bytes:
    return RsaDkimSigner().sign(
        MESSAGE, domain="mail.acme.cn", selector="hk1", private_key_pem=PRIVATE
    )


def test_dkimpy_verifies_our_signature() -> None:
    signed = _signed()
    assert signed.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
    assert b" h=from:to:subject:message-id:mime-version:content-type:list-unsubscribe:" in signed
    assert dkim.verify(signed, dnsfunc=_dns)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"Hello  world", b"Hello  World"),  # the body
        (b"To: li@example.cn", b"To: wang@example.cn"),  # a signed header
    ],
)
def test_a_changed_message_fails_verification(old: bytes, new: bytes) -> None:
    assert not dkim.verify(_signed().replace(old, new), dnsfunc=_dns)


def test_relaxed_canonicalisation_survives_whitespace_a_relay_may_change() -> None:
    changed = _signed().replace(b"Hello  world   \r\n", b"Hello world\r\n")
    assert dkim.verify(changed, dnsfunc=_dns)


def test_signing_speed_is_printed() -> None:
    signer = RsaDkimSigner()
    started = time.perf_counter()
    for _ in range(300):
        signer.sign(MESSAGE, domain="mail.acme.cn", selector="hk1", private_key_pem=PRIVATE)
    per_message = (time.perf_counter() - started) / 300 * 1000
    print(f"DKIM rsa-sha256 signing: {per_message:.2f} ms a message")
    assert per_message > 0
