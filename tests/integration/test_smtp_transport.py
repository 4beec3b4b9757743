"""The SMTP relay adapter against a real SMTP server (aiosmtpd): messages arrive byte
for byte, refusals carry the relay's code, and nothing reaches the relay before the
pipeline's commit returned — if the commit fails, the relay received nothing."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Sequence
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.messaging.sandbox_mail import SandboxOutbox
from adapters.messaging.smtp import RelayAddress, SmtpTransport
from application.messaging.ports import OutgoingMail
from tests.integration.smtp_sink import SmtpSink


def _mail(number: int, to: str | None = None) -> OutgoingMail:
    data = (
        f"From: news@mail.acme.cn\r\nTo: {to or f'p{number}@example.cn'}\r\n"
        f"Message-ID: <m{number}@mail.acme.cn>\r\nSubject: hi\r\n\r\n"
        ".a line that starts with a dot\r\nbye\r\n"
    ).encode()
    return OutgoingMail(
        f"m{number}", f"b-m{number}@mail.acme.cn", to or f"p{number}@example.cn", data
    )


def test_messages_arrive_byte_for_byte_after_the_commit() -> None:
    mails = [_mail(n) for n in range(7)]
    with SmtpSink() as sink:
        transport = SmtpTransport(RelayAddress("127.0.0.1", sink.port), connections=3)
        seen_at_commit: list[int] = []

        def commit(ids: Sequence[str]) -> None:
            seen_at_commit.append(len(sink.received))

        outcomes = transport.deliver(mails, commit)
        transport.close()
    assert [o.accepted for o in outcomes] == [True] * 7
    assert seen_at_commit == [0, 3, 6]  # each round's commit came before its messages
    assert sorted(r.data for r in sink.received) == sorted(m.data for m in mails)
    assert {r.mail_from for r in sink.received} == {m.envelope_from for m in mails}


def test_a_refused_recipient_is_a_permanent_failure_and_the_rest_go() -> None:
    with SmtpSink() as sink:
        sink.refuse("gone@example.cn")
        transport = SmtpTransport(RelayAddress("127.0.0.1", sink.port), connections=2)
        outcomes = transport.deliver([_mail(1, "gone@example.cn"), _mail(2)], lambda ids: None)
        transport.close()
    refused, sent = outcomes
    assert (refused.accepted, refused.permanent, refused.code) == (False, True, 550)
    assert sent.accepted
    assert [r.recipients for r in sink.received] == [("p2@example.cn",)]


def test_a_failed_commit_leaves_the_relay_with_nothing() -> None:
    with SmtpSink() as sink:
        transport = SmtpTransport(RelayAddress("127.0.0.1", sink.port), connections=4)

        def crash(ids: Sequence[str]) -> None:
            raise RuntimeError("the database went away")

        with pytest.raises(RuntimeError):
            transport.deliver([_mail(n) for n in range(4)], crash)
        # The same transport goes on afterwards, on new connections.
        assert transport.deliver([_mail(9)], lambda ids: None)[0].accepted
        transport.close()
    assert [r.data for r in sink.received] == [_mail(9).data]


def _self_signed(tmp: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return context


def test_starttls_is_used_when_the_relay_requires_it(tmp_path: Path) -> None:
    with SmtpSink(tls_context=_self_signed(tmp_path), require_starttls=True) as sink:
        relay = RelayAddress.parse(f"smtp://127.0.0.1:{sink.port}?starttls=required&verify=no")
        transport = SmtpTransport(relay, connections=1)
        assert transport.deliver([_mail(1)], lambda ids: None)[0].accepted
        transport.close()
    assert len(sink.received) == 1


def test_the_relay_url_names_everything() -> None:
    relay = RelayAddress.parse("smtps://news%40acme.cn:p%40ss@smtp.acme.cn")
    assert (relay.host, relay.port, relay.use_tls) == ("smtp.acme.cn", 465, True)
    assert (relay.username, relay.password) == ("news@acme.cn", "p@ss")
    with pytest.raises(ValueError):
        RelayAddress.parse("http://smtp.acme.cn")


def test_the_sandbox_outbox_renames_only_after_the_commit(tmp_path: Path) -> None:
    outbox = SandboxOutbox(tmp_path / "outbox")

    def commit(ids: Sequence[str]) -> None:
        assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == [
            "m1.eml.tmp",
            "m2.eml.tmp",
        ]

    outcomes = outbox.deliver([_mail(1), _mail(2)], commit)
    assert all(o.accepted for o in outcomes)
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["m1.eml", "m2.eml"]
    assert (tmp_path / "outbox" / "m1.eml").read_bytes().endswith(_mail(1).data)
