"""Rendering tenant templates (MAIL-2, SMS-3): personalisation fields with defaults,
escaped values, tracked links and the open pixel, a text part made from the HTML, and a
sandbox from which no template reads or runs anything (a hostile template is refused
when saved, and renders nothing harmful even if it were not)."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.messaging.tracking_tokens import TrackingLinkTokens
from application.messaging import rendering
from application.messaging.ports import Person
from application.messaging.rendering import (
    MAX_TEMPLATE_BYTES,
    UNSUBSCRIBE_PLACEHOLDER,
    check_template,
    html_to_text,
    render_mail,
    render_text,
)
from application.shared.errors import InvalidInput
from application.tracking.link_codes import LinkCodes, derive_key

CODES = LinkCodes(derive_key(b"rendering-test-key-0123456789ab"))
TOKENS = TrackingLinkTokens(CODES, links=None, public_url="https://hk.example/")  # type: ignore[arg-type]
TENANT = UUID("00000000-0000-4000-8000-000000000001")
LEAD = UUID("00000000-0000-4000-8000-0000000000aa")
WANG = Person(
    lead_id=LEAD,
    name="王芳",
    email="wang@acme.cn",
    company="Acme 科技",
    title="市场总监",
    city="上海",
    custom={"level": "金卡", "points": 1200},
)


def mail(html: str, person: Person = WANG, subject: str = "您好", **defaults: str) -> Any:
    return render_mail(
        subject, html, person, defaults, tokens=TOKENS, tenant_id=TENANT, message_id="m-1"
    )


def clicks(document: str) -> list[str]:
    """The targets of the tracked links of a rendered document, read back from their
    tokens (each must name this tenant, lead and message)."""
    targets = []
    for href in re.findall(r'href="https://hk\.example/c/([^"]+)"', document, re.I):
        token = CODES.read_click(href)
        assert token is not None
        assert (token.tenant_id, token.lead_id, token.message_key) == (TENANT, LEAD, "m-1")
        targets.append(token.url)
    return targets


# --- fields and defaults -------------------------------------------------------------------


def test_fields_render_and_missing_ones_take_the_template_default_or_the_filter() -> None:
    nameless = Person(lead_id=LEAD, company="", custom={"level": "  "})
    html = (
        "<p>{{name}}|{{company|default('贵公司')}}|{{title}}|{{custom.level}}"
        "|{{custom['points']}}|{{city|default('本地', true)}}</p>"
    )
    assert "<p>王芳|Acme 科技|市场总监|金卡|1200|上海</p>" in mail(html).html
    missing = mail(html, nameless, **{"name": "客户", "custom.level": "会员"}).html
    assert "<p>客户|贵公司||会员||本地</p>" in missing


def test_values_are_escaped_in_html_but_not_in_the_subject_or_an_sms() -> None:
    hostile = Person(lead_id=LEAD, name="<script>alert(1)</script>", company="A&B\r\nBcc: x@y")
    rendered = mail("<p>{{name}} {{company}}</p>", hostile, subject="{{name}}\n{{company}}")
    assert "<script>alert" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; A&amp;B" in rendered.html
    # The subject is one line: a value cannot add a header.
    assert rendered.subject == "<script>alert(1)</script> A&B Bcc: x@y"
    assert render_text("{{name}}：回T退订", hostile, {}) == "<script>alert(1)</script>：回T退订"


def test_an_sms_takes_defaults_too() -> None:
    text = "{{name}}您好，{{custom.level}}会员专享。回T退订"
    assert render_text(text, Person(lead_id=LEAD), {"name": "尊敬的客户", "custom.level": "金卡"})
    assert (
        render_text(text, Person(lead_id=LEAD), {"name": "尊敬的客户"})
        == "尊敬的客户您好，会员专享。回T退订"
    )


# --- links, the pixel, the document --------------------------------------------------------


def test_every_http_link_is_tracked_but_mailto_tel_anchors_and_unsubscribe_are_not() -> None:
    html = (
        '<a href="https://acme.cn/a?x=1&amp;y=2">详情</a>'
        "<a href='http://acme.cn/b'>B</a>"
        "<A HREF=https://acme.cn/c>C</A>"
        '<area shape="rect" href="https://acme.cn/map">'
        '<a href="mailto:hi@acme.cn">写信</a><a href="tel:4008001234">电话</a>'
        '<a href="#top">顶部</a><a href="{{unsubscribe_url}}">退订</a>'
        '<a href="https://acme.cn/' + "x" * 2100 + '">太长</a>'
        '<img src="https://acme.cn/logo.png" alt="logo">'
    )
    document = mail(html).html
    assert clicks(document) == [
        "https://acme.cn/a?x=1&y=2",
        "http://acme.cn/b",
        "https://acme.cn/c",
        "https://acme.cn/map",
    ]
    for kept in ('href="mailto:hi@acme.cn"', 'href="tel:4008001234"', 'href="#top"'):
        assert kept in document
    assert f'href="{UNSUBSCRIBE_PLACEHOLDER}"' in document
    assert 'src="https://acme.cn/logo.png"' in document  # images are not links
    assert "x" * 2100 in document  # too long for a click token: left as it is


def test_one_open_pixel_goes_before_the_end_of_the_body() -> None:
    document = mail("<p>hi</p>").html
    (pixel,) = re.findall(r'<img src="https://hk\.example/o/([^"]+)\.gif"[^>]*>', document)
    token = CODES.read_open(pixel)
    assert token is not None and (token.lead_id, token.message_key) == (LEAD, "m-1")
    assert re.search(r'\.gif"[^>]*></body>', document)
    untracked = render_mail(
        "s", "<a href='https://acme.cn'>x</a>", WANG, {}, tokens=None, tenant_id=TENANT,
        message_id="m-1",
    ).html  # fmt: skip
    assert "hk.example" not in untracked and "href='https://acme.cn'" in untracked


def test_a_fragment_becomes_a_responsive_document_and_a_document_gets_a_viewport() -> None:
    fragment = mail("<p>正文</p>", subject="标题 {{name}}").html
    assert fragment.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in fragment
    assert "<title>标题 王芳</title>" in fragment and "max-width:600px" in fragment
    assert "@media only screen and (max-width:620px)" in fragment
    own = mail("<html><head><title>T</title></head><body><p>正文</p></body></html>").html
    assert own.startswith("<html><head>") and 'name="viewport"' in own
    assert own.count("<body>") == 1 and own.index("<p>正文</p>") < own.index("/o/")


# --- the text part -------------------------------------------------------------------------

NEWSLETTER = """<html><head><style>p { color: red }</style><title>不显示</title></head><body>
<!-- a comment -->
<h1>春季新品发布会</h1>
<p>{{name}}，您好：</p>
<p>诚邀您参加 <b>4 月 18 日</b> 在{{city}}举办的发布会。&nbsp;名额有限&amp;先到先得。
<br>地址：浦东新区 1 号</p>
<ul><li>新品体验</li><li>专家分享</li></ul>
<table><tr><td>时间</td><td>14:00</td></tr></table>
<p><a href="https://acme.cn/signup?src=mail&amp;id=1">立即报名</a>
或写信 <a href="mailto:event@acme.cn">event@acme.cn</a>。</p>
<p><a href="https://acme.cn/"><img src="https://acme.cn/logo.png" alt="Acme 官网"></a></p>
<hr><p style="font-size:12px">不想再收到？<a href="{{ unsubscribe_url }}">退订</a></p>
<script>alert("no")</script>
</body></html>"""


def test_the_text_part_keeps_headings_paragraphs_lists_and_shows_links() -> None:
    rendered = render_mail(
        "s", NEWSLETTER, WANG, {}, tokens=None, tenant_id=TENANT, message_id="m-1"
    )
    assert rendered.text == (
        "春季新品发布会\n\n"
        "王芳，您好：\n\n"
        "诚邀您参加 4 月 18 日 在上海举办的发布会。\xa0名额有限&先到先得。\n"
        "地址：浦东新区 1 号\n\n"
        "- 新品体验\n- 专家分享\n\n"
        "时间  14:00\n\n"
        "立即报名 (https://acme.cn/signup?src=mail&id=1) 或写信 event@acme.cn。\n\n"
        "Acme 官网 (https://acme.cn/)\n\n"
        "----------\n\n"
        f"不想再收到？退订 ({UNSUBSCRIBE_PLACEHOLDER})\n"
    )
    assert "<" not in rendered.text and "color" not in rendered.text


def test_the_text_part_shows_the_tracked_links() -> None:
    text = mail(NEWSLETTER).text
    shown = re.findall(r"\((https://hk\.example/c/[^)]+)\)", text)
    targets = [CODES.read_click(urlsplit(url).path.removeprefix("/c/")) for url in shown]
    assert [token.url for token in targets if token] == [
        "https://acme.cn/signup?src=mail&id=1",
        "https://acme.cn/",
    ]
    link_as_text = mail('<p><a href="https://acme.cn/x">https://acme.cn/x</a></p>').text
    assert re.fullmatch(r"https://acme\.cn/x \(https://hk\.example/c/[\w-]+\)\n", link_as_text)


FRAGMENTS = [
    "<p>", "</p>", "<div>", "</div>", "<h2>", "</h2>", "<br>", "<hr/>", "<ul>", "<li>",
    "</li>", "</ul>", "<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>", "<b>", "</b>",
    " ", "\n", "  ", "\t", "文字", "word", "&amp;", "&nbsp;", "&lt;", "<span>", "</span>",
    "{{name}}", "{{ company }}", "{{custom.k}}", "{% if name %}", "{% else %}", "{% endif %}",
    "<a href='https://x.cn/{{custom.k}}'>", '<a href="mailto:{{email}}">', "<a href='#a'>",
    '<a href="https://x.cn/">', "https://x.cn/", '<a href="{{unsubscribe_url}}">', "</a>",
    "<img alt='{{name}}'>", "<img src=x>", "<pre>a\n  x b</pre>", "<!-- c -->",
    "<style>x{}</style>",
]  # fmt: skip
values = st.one_of(
    st.none(), st.text(alphabet="ab 名<&>x", max_size=8).map(lambda v: re.sub(" +", " ", v))
)


def _balanced(fragments: list[str]) -> str:
    """The fragments with every {% else %} and {% endif %} in an {% if %} (and each if
    closed), so that they make a template."""
    out: list[str] = []
    open_ifs: list[bool] = []  # whether each open if has had its else
    for fragment in fragments:
        if fragment == "{% if name %}":
            open_ifs.append(False)
        elif fragment == "{% else %}":
            if not open_ifs or open_ifs[-1]:
                continue
            open_ifs[-1] = True
        elif fragment == "{% endif %}":
            if not open_ifs:
                continue
            open_ifs.pop()
        out.append(fragment)
    return "".join(out) + "{% endif %}" * len(open_ifs)


@given(
    st.lists(st.sampled_from(FRAGMENTS), max_size=25).map(_balanced),
    values,
    values,
    values,
    st.booleans(),
)
def test_the_text_part_is_what_the_recipients_html_converts_to(
    html: str, name: str | None, company: str | None, level: str | None, tracked: bool
) -> None:
    """The text part comes from a text template made once per template; it says what
    converting each recipient's HTML would say, tracked links included."""
    person = Person(
        lead_id=LEAD,
        name=name,
        company=company,
        email="a@b.cn",
        custom={"k": level} if level is not None else {},
    )
    rendered = render_mail(
        "s", html, person, {}, tokens=TOKENS if tracked else None, tenant_id=TENANT,
        message_id="m-1",
    )  # fmt: skip
    assert rendered.text == html_to_text(rendered.html)
    assert not re.search("[\x00-\x08]", rendered.text)


def test_a_template_the_text_template_cannot_follow_is_converted_per_recipient() -> None:
    html = "<p>{{ name|default('<b>朋友</b>') }}</p>"  # a tag inside an expression
    rendered = mail(html, Person(lead_id=LEAD))
    assert rendering._text_template(html) is None
    assert rendered.text == "<b>朋友</b>\n" == html_to_text(rendered.html)
    cut = "{% if name %}<a href='https://x.cn'>{% else %}<a href='#'>{% endif %}看</a>"
    assert rendering._text_template(cut) is None
    assert mail(cut).text == html_to_text(mail(cut).html)
    assert rendering._text_template(NEWSLETTER) is not None


# --- refusals, limits and hostile templates ------------------------------------------------


def test_a_syntax_error_names_the_field_and_line() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_template("<p>\n\n{{ name </p>", field="html")
    assert refused.value.field == "html" and "line 3" in refused.value.message


def test_a_template_over_the_size_limit_is_refused() -> None:
    check_template("x" * MAX_TEMPLATE_BYTES, field="html")
    with pytest.raises(InvalidInput) as refused:
        check_template("字" * (MAX_TEMPLATE_BYTES // 3 + 1), field="html")
    assert refused.value.field == "html" and "512 KB" in refused.value.message


def test_output_over_the_limit_is_refused() -> None:
    huge = Person(lead_id=LEAD, custom={"blob": "x" * 1_100})
    with pytest.raises(InvalidInput) as refused:
        mail("<p>x</p>", huge, subject="{{custom.blob}}")
    assert refused.value.field == "subject"
    body = "{{custom.blob}}" * 2000  # 2,200,000 characters out of 30 KB
    with pytest.raises(InvalidInput) as refused:
        mail(body, huge)
    assert refused.value.field == "html"


os.environ["HUOKE_RENDERING_CANARY"] = "canary-3f9a1c"
HOSTILE = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ joiner.__init__.__globals__['os'].environ['HUOKE_RENDERING_CANARY'] }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ settings }}",
    "{% for x in range(10**9) %}x{% endfor %}",
    "{{ 'x' * 10**9 }}",
    "{{ self }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum }}",
    "{{ lipsum.__globals__['os'].environ }}",
    "{{ namespace }}",
    "{{ request.environ }}",
    "{{ name.__class__ }}",
    "{{ name|attr('__class__') }}",
    "{{ name.upper() }}",
    "{{ custom }}",
    "{{ custom.__class__ }}",
    "{{ custom['__class__'] }}",
    "{% set x = name %}{{ x }}",
    "{% macro m() %}{{ caller }}{% endmacro %}",
    "{% include 'secrets.txt' %}",
    "{% extends 'base.html' %}",
    "{% import 'os' as os %}",
    "{% autoescape false %}{{ name }}{% endautoescape %}",
    "{{ name|safe }}",
    "{{ '%s'|format(name) }}",
    "{{ name|center(1000000000) }}",
    "{% filter upper %}x{% endfilter %}",
]
LEAKS = re.compile(
    r"canary-3f9a1c|object at 0x|<class |<built-in|<function|<module|TemplateReference|"
    r"__globals__|environ|<bound method|Undefined"
)


@pytest.mark.parametrize("template", HOSTILE)
def test_a_hostile_template_is_refused_naming_the_field_and_line(template: str) -> None:
    for field in ("subject", "html"):
        with pytest.raises(InvalidInput) as refused:
            check_template(f"<p>你好</p>\n{template}", field=field)
        assert refused.value.field == field and f"{field}: line 2:" in refused.value.message
    with pytest.raises(InvalidInput):
        mail(template)  # a stored template is checked again before it is first compiled


@given(st.lists(st.sampled_from([*HOSTILE, "{{name}}", "<p>", "</p>", "{{ custom.items }}"]),
                max_size=6))  # fmt: skip
def test_even_unchecked_the_sandbox_renders_nothing_harmful(fragments: list[str]) -> None:
    """The second wall: rendered in the sandbox itself, past the check, a hostile
    template prints no environment value, object or Python repr, and never computes."""
    source = "".join(fragments)
    values = rendering.fields_for(WANG, {})
    for env in (rendering._HTML_ENV, rendering._TEXT_ENV):
        try:
            template = env.from_string(source)
        except Exception:
            continue  # not even a template (an unknown filter, an include without loader)
        try:
            out = rendering._render_template(template, values, field="html", limit=10_000)
        except InvalidInput:
            continue  # refused while rendering: nothing came out
        assert not LEAKS.search(out), out
        assert len(out) <= 10_000


def test_custom_field_keys_are_only_keys() -> None:
    """`custom.items` is the custom field named "items", never the dict's method."""
    person = Person(lead_id=LEAD, custom={"items": "三件"})
    assert "<p>三件|</p>" in mail("<p>{{ custom.items }}|{{ custom.keys }}</p>", person).html


def test_a_render_time_security_error_renders_nothing() -> None:
    template = rendering._HTML_ENV.from_string("before{{ range(3) }}after")
    assert rendering._render_template(template, {}, field="html", limit=100) == ""


def test_templates_differ_per_recipient_in_their_tracking() -> None:
    other = Person(lead_id=uuid4(), name="李雷")
    mine = mail('<a href="https://acme.cn">x</a>').html
    theirs = render_mail(
        "s", '<a href="https://acme.cn">x</a>', other, {}, tokens=TOKENS, tenant_id=TENANT,
        message_id="m-2",
    ).html  # fmt: skip
    assert clicks(mine) == ["https://acme.cn"] and mine != theirs


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_template("{{ " + "(" * 5000 + "name" + ")" * 5000 + " }}", field="html")
    assert refused.value.field == "html"
    deep_ifs = "{% if name %}" * 3000 + "x" + "{% endif %}" * 3000
    with pytest.raises(InvalidInput):
        check_template(deep_ifs, field="html")
