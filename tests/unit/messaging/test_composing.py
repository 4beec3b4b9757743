"""Composing an e-mail (MAIL-2, MAIL-4): what `compose_mail` makes parses back with the
standard library's parser into the headers and parts we meant — Chinese subject and
sender name, the deterministic Message-ID, RFC 8058 one-click unsubscribe, List-Id,
Reply-To, a text and an HTML part, each with the unsubscribe link."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.messaging.composing import FOOTER_TEXT, compose_mail
from application.messaging.ports import Person
from application.messaging.rendering import RenderedMail, render_mail
from application.shared.errors import InvalidInput

LEAD = UUID("00000000-0000-4000-8000-0000000000aa")
TENANT = UUID("00000000-0000-4000-8000-000000000001")
UNSUBSCRIBE = "https://hk.example/u/TOKEN-abc"
AT = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)


def rendered(html: str, subject: str = "{{name}}，春季新品发布会邀请函") -> RenderedMail:
    person = Person(lead_id=LEAD, name="王芳", email="wang@acme.cn")
    return render_mail(subject, html, person, {}, tokens=None, tenant_id=TENANT, message_id="m-1")


def compose(mail: RenderedMail, **overrides: Any) -> bytes:
    arguments: dict[str, Any] = {
        "message_id": "5f0c7a1e-2b44-5d1e-9c3a-0e6b1d2f3a4b",
        "sender_name": "火客科技 市场部",
        "sender_address": "news@mail.acme.cn",
        "reply_to": "service@acme.cn",
        "recipient": "wang@acme.cn",
        "unsubscribe_url": UNSUBSCRIBE,
        "unsubscribe_post_url": UNSUBSCRIBE,
        "list_id": "task-1.mail.acme.cn",
        "date": AT,
    }
    arguments.update(overrides)
    return compose_mail(mail, **arguments)


def parsed(data: bytes) -> EmailMessage:
    return cast(EmailMessage, message_from_bytes(data, policy=policy.default))


def contents(message: EmailMessage) -> list[str]:
    """Each part's text, in order (base64 carries text's canonical CRLF line ends)."""
    return [str(part.get_content()).replace("\r\n", "\n") for part in message.iter_parts()]


def test_the_message_parses_back_with_every_header() -> None:
    data = compose(rendered("<p>正文</p>"))
    message = parsed(data)
    assert message["Subject"] == "王芳，春季新品发布会邀请函"
    assert str(message["From"]) == "火客科技 市场部 <news@mail.acme.cn>"
    assert message["From"].addresses[0].display_name == "火客科技 市场部"
    assert message["To"] == "wang@acme.cn" and message["Reply-To"] == "service@acme.cn"
    assert message["Message-ID"] == "<5f0c7a1e-2b44-5d1e-9c3a-0e6b1d2f3a4b@mail.acme.cn>"
    assert message["Date"].datetime == AT
    assert message["List-Id"] == "<task-1.mail.acme.cn>"
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "multipart/alternative"
    assert not message.defects
    # On the wire the Chinese is RFC 2047 words, lines end in CRLF and stay short.
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?b?" in head and head.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 78


def test_the_same_message_composes_to_the_same_bytes() -> None:
    mail = rendered("<p>正文</p>")
    assert compose(mail) == compose(mail)
    assert compose(mail) != compose(mail, message_id="another")


def test_text_first_then_html_each_with_the_unsubscribe_link() -> None:
    html = "<h1>邀请</h1><p>{{name}}您好</p><p><a href='{{ unsubscribe_url }}'>不想再收到</a></p>"
    message = parsed(compose(rendered(html)))
    text, page = message.iter_parts()
    assert text.get_content_type() == "text/plain" and page.get_content_type() == "text/html"
    assert text.get_content_charset() == page.get_content_charset() == "utf-8"
    plain, markup = contents(message)
    assert plain == f"邀请\n\n王芳您好\n\n不想再收到 ({UNSUBSCRIBE})\n"
    assert f"<a href='{UNSUBSCRIBE}'>不想再收到</a>" in markup
    assert FOOTER_TEXT not in markup  # the template placed its own link
    assert "urn:huoke" not in plain + markup


def test_a_template_without_an_unsubscribe_link_gets_a_footer() -> None:
    message = parsed(compose(rendered("<p>正文</p>")))
    text, page = contents(message)
    assert re.search(
        rf'<a href="{re.escape(UNSUBSCRIBE)}"[^>]*>{FOOTER_TEXT}</a></p>\s*</body>', page
    )
    assert text.endswith(f"正文\n\n{FOOTER_TEXT}: {UNSUBSCRIBE}\n")


def test_a_mailto_unsubscribe_goes_beside_the_url() -> None:
    message = parsed(
        compose(rendered("<p>x</p>"), unsubscribe_mailto="unsubscribe+m1@bounce.acme.cn")
    )
    assert message["List-Unsubscribe"] == (
        f"<{UNSUBSCRIBE}>, <mailto:unsubscribe+m1@bounce.acme.cn>"
    )


def test_mostly_chinese_bodies_are_base64_and_mostly_ascii_ones_quoted_printable() -> None:
    chinese = parsed(compose(rendered("<p>" + "春季新品发布会" * 50 + "</p>")))
    ascii_ = parsed(compose(rendered('<p style="color:#333">' + "Hello = world " * 50 + "</p>")))
    encodings = [part["Content-Transfer-Encoding"] for part in chinese.iter_parts()]
    assert encodings == ["base64", "base64"]
    parts = list(ascii_.iter_parts())
    assert [part["Content-Transfer-Encoding"] for part in parts] == ["quoted-printable"] * 2
    assert "Hello = world " * 3 in contents(ascii_)[1]


def test_no_value_can_add_a_header() -> None:
    evil = RenderedMail(subject="hi\r\nBcc: all@example.com", html="<p>x</p>", text="x\n")
    data = compose(evil, sender_name="Acme\r\nBcc: x@example.com")
    message = parsed(data)
    assert message["Bcc"] is None and message["Subject"] == "hi Bcc: all@example.com"
    for field, value in [
        ("email", "wang@acme.cn\r\nBcc: x@y.cn"),
        ("email", "王@acme.cn"),
        ("sender_address", "not an address"),
        ("reply_to", "a@b.cn, c@d.cn"),
    ]:
        key = {"email": "recipient"}.get(field, field)
        with pytest.raises(InvalidInput) as refused:
            compose(evil, **{key: value})
        assert refused.value.field == field


@given(
    st.text(max_size=120),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
)
def test_any_subject_name_and_body_survive_the_round_trip(
    subject: str, name: str, body: str
) -> None:
    mail = RenderedMail(subject=subject, html=f"<html><body>{body}</body></html>", text=body)
    message = parsed(compose(mail, sender_name=name))
    assert message["Subject"] == " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", subject).split())
    text, page = contents(message)
    normalised = body.replace("\r\n", "\n").replace("\r", "\n")
    assert text.startswith(normalised.rstrip("\n"))
    assert normalised in page
