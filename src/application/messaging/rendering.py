"""Personalised content from a tenant's templates (MAIL-2, SMS-3): subjects, responsive
HTML with its text part, and SMS texts, rendered in jinja2's sandbox.

A tenant's template is data, never code. Three walls keep it so:

1. `check_template` (on every save, and again before a template is first compiled)
   admits only what personalisation needs: the fields (`{{name}}`, `{{company}}`,
   `{{title}}`, `{{city}}`, `{{email}}`, `{{mobile}}`, `{{custom.<key>}}`,
   `{{unsubscribe_url}}`), constants, `{% if %}` / `{% elif %}` / `{% else %}`, `==`,
   `!=`, `in`, `and` / `or` / `not`, `~`, the conditional expression and a short list
   of filters (`default`, `upper`, `truncate` …). No calls, loops, assignments,
   arithmetic, blocks, macros, includes or `|safe`; anything else is refused naming
   the field and the line.
2. The environment is jinja2's `ImmutableSandboxedEnvironment` with no globals (no
   `range`, `lipsum`, `cycler`, `namespace`), no loader, and an attribute lookup that
   reads only keys of the field mappings: `custom.items` is the custom field "items",
   never the dict's method, and nothing reaches a Python object's attributes.
3. Whatever the sandbox still refuses while rendering (a SecurityError) renders as
   nothing; the output has a size limit and the source one too.

A missing field (no value, or an empty one) takes the template's default
(`defaults["name"] = "客户"`, `defaults["custom.level"] = "会员"`), else jinja's
`default` filter, else renders empty.

In the HTML, personal values are escaped (autoescape); every http(s) link is rewritten
to the recipient's click-tracking URL and a 1×1 open pixel goes before `</body>`
(when `tokens` are given). The unsubscribe link is the placeholder `unsubscribe_url`
until `composing.compose_mail` puts the message's own link in.
"""

from __future__ import annotations

import html as htmllib
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from application.messaging.ports import Person, TrackingTokens
from application.shared.errors import InvalidInput

log = logging.getLogger("huoke.messaging")

MAX_TEMPLATE_BYTES = 512 * 1024  # a template's source (UTF-8)
MAX_HTML_OUTPUT = 2_000_000  # characters of one recipient's rendered HTML
MAX_SUBJECT_OUTPUT = 1_000
MAX_TEXT_OUTPUT = 4_000  # an SMS (segments are counted by the SMS context)
MAX_CLICK_URL_BYTES = 2048  # longer targets stay as they are (the token would be too long)

# Where the message's own unsubscribe link goes: `{{ unsubscribe_url }}` renders this, and
# `compose_mail` replaces it (not an http URL, so link tracking never rewrites it).
UNSUBSCRIBE_PLACEHOLDER = "urn:huoke:unsubscribe"

FIELDS = ("name", "email", "mobile", "company", "title", "city")
CUSTOM = "custom"
UNSUBSCRIBE_FIELD = "unsubscribe_url"
_NAMES = frozenset({*FIELDS, UNSUBSCRIBE_FIELD})
FILTERS = frozenset(
    {"default", "d", "upper", "lower", "title", "capitalize", "trim", "truncate", "replace",
     "escape", "e", "string", "length", "striptags"}
)  # fmt: skip
TESTS = frozenset({"defined", "undefined", "none", "string", "number", "true", "false"})
COMPARISONS = frozenset({"eq", "ne", "in", "notin"})
_ALLOWED = (
    "only personalisation fields ({{name}}, {{company}}, {{title}}, {{city}}, {{email}}, "
    "{{mobile}}, {{custom.<key>}}, {{unsubscribe_url}}), constants, if/elif/else, "
    "==, !=, in, and/or/not, ~ and the filters " + ", ".join(sorted(FILTERS)) + " are allowed"
)


@dataclass(frozen=True)
class RenderedMail:
    """One recipient's message content: subject, full HTML document, text part."""

    subject: str
    html: str
    text: str


# --- the sandbox ---------------------------------------------------------------------------


class _Blank(ChainableUndefined):
    """A missing field or key: renders as nothing, is falsy, compares unequal, and reading
    further into it (`custom.a.b`) is missing as well."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""


class _FieldsOnly(ImmutableSandboxedEnvironment):
    """The sandbox with lookups limited to the keys of the field mappings, no operators
    (a `'x' * 10**9` would be computed before any output limit could see it) and no
    calls; only text, numbers and flags are ever printed."""

    intercepted_binops = frozenset({"*", "**", "+", "-", "/", "//", "%"})
    intercepted_unops = frozenset({"+", "-"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        raise SecurityError("templates may not compute")

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        raise SecurityError("templates may not compute")

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self._key(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self._key(obj, argument)

    def _key(self, obj: Any, key: Any) -> Any:
        if isinstance(obj, dict) and isinstance(key, str) and key in obj:
            return obj[key]
        return self.undefined(obj=obj, name=str(key))

    def call(self, *args: Any, **kwargs: Any) -> Any:
        # The check admits no calls; should one get through, it does nothing.
        raise SecurityError("templates may not call anything")


def _printable(value: Any) -> Any:
    """What an expression may print: text, numbers and flags; nothing else (no object's
    repr, not even `{{ self }}`'s), and None prints as nothing."""
    if isinstance(value, str | int | float | Undefined):
        return value
    return ""


def _environment(*, autoescape: bool) -> _FieldsOnly:
    env = _FieldsOnly(
        autoescape=autoescape, undefined=_Blank, auto_reload=False, finalize=_printable
    )
    env.globals.clear()  # no range, lipsum, cycler, joiner, namespace, dict
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.tests = {name: env.tests[name] for name in TESTS}
    return env


_HTML_ENV = _environment(autoescape=True)
_TEXT_ENV = _environment(autoescape=False)


# --- checking ------------------------------------------------------------------------------


def check_template(text: str, *, field: str) -> None:
    """Refuse (InvalidInput on `field`, naming the line) a template that is too large,
    is not valid jinja2, or uses anything but the personalisation constructs."""
    _checked_tree(text, field, _TEXT_ENV)


def _checked_tree(text: str, field: str, env: _FieldsOnly) -> nodes.Template:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEMPLATE_BYTES:
        raise InvalidInput(f"{field} must be at most {MAX_TEMPLATE_BYTES // 1024} KB", field=field)
    try:
        tree = env.parse(text)
        _Checker(field).visit(tree)
    except TemplateSyntaxError as error:
        raise InvalidInput(
            f"{field}: line {error.lineno}: template syntax error: {error.message}", field=field
        ) from None
    except RecursionError:
        raise InvalidInput(f"{field}: expressions nest too deeply", field=field) from None
    return tree


class _Checker:
    """Walks a parsed template and refuses every node outside the whitelist."""

    def __init__(self, field: str) -> None:
        self.field = field

    def refuse(self, node: nodes.Node, what: str) -> InvalidInput:
        line = _line_of(node)
        return InvalidInput(f"{self.field}: line {line}: {what} is not allowed; {_ALLOWED}",
                            field=self.field)  # fmt: skip

    def visit(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Template):
            self.statements(node.body)
        else:
            raise self.refuse(node, type(node).__name__)

    def statements(self, body: Iterable[nodes.Node]) -> None:
        for node in body:
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    if not isinstance(child, nodes.TemplateData):
                        self.expression(child)
            elif isinstance(node, nodes.If):
                self.expression(node.test)
                self.statements(node.body)
                for branch in node.elif_:
                    self.statements([branch])
                self.statements(node.else_)
            else:
                raise self.refuse(node, _statement_name(node))

    def expression(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Const):
            if not isinstance(node.value, str | int | float | bool | None):
                raise self.refuse(node, "this constant")
        elif isinstance(node, nodes.Name):
            if node.name == CUSTOM:
                raise self.refuse(node, "{{custom}} on its own (use {{custom.<key>}})")
            if node.name not in _NAMES or node.ctx != "load":
                raise self.refuse(node, f"the name {node.name!r}")
        elif isinstance(node, nodes.Getattr | nodes.Getitem):
            self.custom_field(node)
        elif isinstance(node, nodes.Filter):
            self.filter(node, FILTERS, "filter")
        elif isinstance(node, nodes.Test):
            self.filter(node, TESTS, "test")
        elif isinstance(node, nodes.Compare):
            self.expression(node.expr)
            for operand in node.ops:
                if operand.op not in COMPARISONS:
                    raise self.refuse(node, f"the comparison {operand.op!r}")
                self.expression(operand.expr)
        elif isinstance(node, nodes.And | nodes.Or):
            self.expression(node.left)
            self.expression(node.right)
        elif isinstance(node, nodes.Not):
            self.expression(node.node)
        elif isinstance(node, nodes.Concat):
            for child in node.nodes:
                self.expression(child)
        elif isinstance(node, nodes.CondExpr):
            self.expression(node.test)
            self.expression(node.expr1)
            if node.expr2 is not None:
                self.expression(node.expr2)
        else:
            raise self.refuse(node, _expression_name(node))

    def custom_field(self, node: nodes.Getattr | nodes.Getitem) -> None:
        base = node.node
        if not (isinstance(base, nodes.Name) and base.name == CUSTOM):
            raise self.refuse(node, "reading into anything but custom (use {{custom.<key>}})")
        key = node.attr if isinstance(node, nodes.Getattr) else _const_key(node.arg)
        if key is None or key.startswith("_"):
            raise self.refuse(node, "this custom field key")

    def filter(self, node: nodes.Filter | nodes.Test, allowed: frozenset[str], kind: str) -> None:
        if node.name not in allowed:
            raise self.refuse(node, f"the {kind} {node.name!r}")
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise self.refuse(node, f"*args in a {kind}")
        if node.node is not None:
            self.expression(node.node)
        for argument in [*node.args, *(keyword.value for keyword in node.kwargs)]:
            if not isinstance(argument, nodes.Const):
                raise self.refuse(argument, f"a {kind} argument other than a constant")
            self.expression(argument)


def _line_of(node: nodes.Node) -> int:
    """The line a node starts on (nodes some extensions make carry none: their first
    child's)."""
    line = getattr(node, "lineno", None)
    if line:
        return int(line)
    for child in node.iter_child_nodes():
        return _line_of(child)
    return 1


def _const_key(node: nodes.Node) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


def _statement_name(node: nodes.Node) -> str:
    names = {"For": "{% for %}", "Assign": "{% set %}", "AssignBlock": "{% set %}",
             "Macro": "{% macro %}", "CallBlock": "{% call %}", "Include": "{% include %}",
             "Import": "{% import %}", "FromImport": "{% from … import %}",
             "Extends": "{% extends %}", "Block": "{% block %}", "With": "{% with %}",
             "FilterBlock": "{% filter %}", "ScopedEvalContextModifier": "{% autoescape %}",
             "Scope": "{% autoescape %}", "ExprStmt": "{% do %}"}  # fmt: skip
    return names.get(type(node).__name__, type(node).__name__)


def _expression_name(node: nodes.Node) -> str:
    if isinstance(node, nodes.Call):
        return "calling"
    if isinstance(node, nodes.BinExpr | nodes.UnaryExpr):
        return f"the operator {getattr(node, 'operator', type(node).__name__)!r}"
    return type(node).__name__


@lru_cache(maxsize=512)
def _compiled(text: str, autoescape: bool, field: str) -> Template:
    """The checked, compiled template of `text` (compiled once per process)."""
    env = _HTML_ENV if autoescape else _TEXT_ENV
    _checked_tree(text, field, env)
    return env.from_string(text)


# --- rendering -----------------------------------------------------------------------------


# Control characters have no place in mail or SMS text (and the text part uses a few as
# markers): values lose them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fields_for(person: Person, defaults: Mapping[str, str]) -> dict[str, Any]:
    """What a template sees of `person`: the fields with a value, else their default;
    custom values as text (numbers and flags as they are); text trimmed, without
    control characters."""
    values: dict[str, Any] = {}
    for key in FIELDS:
        value = getattr(person, key)
        if _missing(value):
            value = defaults.get(key)
        if not _missing(value):
            values[key] = _CONTROLS.sub("", str(value)).strip()
    custom: dict[str, Any] = {}
    for key, value in person.custom.items():
        if not _missing(value):
            custom[str(key)] = _primitive(value)
    for key, value in defaults.items():
        if key.startswith("custom."):
            custom.setdefault(key[len("custom.") :], _CONTROLS.sub("", value).strip())
    values[CUSTOM] = custom
    values[UNSUBSCRIBE_FIELD] = UNSUBSCRIBE_PLACEHOLDER
    return values


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _primitive(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        value = "、".join(str(item) for item in value)
    return _CONTROLS.sub("", str(value)).strip()


def _render(text: str, values: Mapping[str, Any], *, html: bool, field: str, limit: int) -> str:
    return _render_template(_compiled(text, html, field), values, field=field, limit=limit)


def _render_template(
    template: Template, values: Mapping[str, Any], *, field: str, limit: int
) -> str:
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(values):
            size += len(chunk)
            if size > limit:
                raise InvalidInput(
                    f"{field} renders to more than {limit} characters for this recipient",
                    field=field,
                )
            out.append(chunk)
    except SecurityError:
        # The check admits nothing the sandbox refuses; if it ever did, send nothing of it.
        log.warning("a %s template tripped the sandbox; rendered empty", field)
        return ""
    except (TemplateError, TypeError, ValueError) as error:
        raise InvalidInput(f"{field} cannot be rendered: {error}", field=field) from None
    return "".join(out)


def render_text(
    text: str, person: Person, defaults: Mapping[str, str], *, field: str = "text"
) -> str:
    """An SMS (or any plain text) for `person`: no escaping, no link rewriting. Errors
    name `field`."""
    return _render(text, fields_for(person, defaults), html=False, field=field,
                   limit=MAX_TEXT_OUTPUT)  # fmt: skip


def render_mail(
    subject: str,
    html: str,
    person: Person,
    defaults: Mapping[str, str],
    *,
    tokens: TrackingTokens | None,
    tenant_id: UUID,
    message_id: str,
) -> RenderedMail:
    """One recipient's e-mail: the subject on one line, the HTML as a responsive
    document with tracked links and the open pixel (when `tokens` are given), and the
    text part made from that HTML."""
    values = fields_for(person, defaults)
    rendered_subject = " ".join(
        _render(subject, values, html=False, field="subject", limit=MAX_SUBJECT_OUTPUT).split()
    )
    body = _render(html, values, html=True, field="html", limit=MAX_HTML_OUTPUT)
    document = responsive_document(body, rendered_subject)
    click: Callable[[str], str] | None = None
    if tokens is not None:

        def click(url: str) -> str:
            return tokens.click_url(
                tenant_id=tenant_id, lead_id=person.lead_id, message_id=message_id, url=url
            )

        document = rewrite_links(document, click)
        pixel = tokens.open_pixel_url(
            tenant_id=tenant_id, lead_id=person.lead_id, message_id=message_id
        )
        document = insert_before_body_end(document, _pixel(pixel))
    text = _text_part(html, values, click)
    if text is None:
        text = html_to_text(document)
    return RenderedMail(subject=rendered_subject, html=document, text=text)


# --- the HTML document ---------------------------------------------------------------------

_BODY = re.compile(r"<body[\s>]", re.IGNORECASE)
_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)
_VIEWPORT = re.compile(r"<meta[^>]+name\s*=\s*[\"']?viewport", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_VIEWPORT_META = '<meta name="viewport" content="width=device-width, initial-scale=1">'
_SHELL_HEAD = (
    '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
    + _VIEWPORT_META
    + '\n<meta http-equiv="X-UA-Compatible" content="IE=edge">\n<title>{title}</title>\n'
    "<style>\nbody{{margin:0;padding:0;-webkit-text-size-adjust:100%;"
    "-ms-text-size-adjust:100%}}\nimg{{max-width:100%;height:auto;border:0}}\n"
    "table{{border-collapse:collapse}}\n.hk-container{{width:600px;max-width:600px}}\n"
    "@media only screen and (max-width:620px){{.hk-container{{width:100%!important}}"
    ".hk-content{{padding:12px!important}}}}\n</style>\n</head>\n<body>\n"
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
    '<tr><td align="center">\n<table role="presentation" class="hk-container" width="600" '
    'cellpadding="0" cellspacing="0" border="0"><tr><td class="hk-content" '
    "style=\"padding:16px 20px;font-family:-apple-system,'PingFang SC','Microsoft YaHei',"
    'Helvetica,Arial,sans-serif;font-size:15px;line-height:1.6;color:#222">\n'
)
_SHELL_TAIL = "\n</td></tr></table>\n</td></tr></table>\n</body>\n</html>\n"


def responsive_document(body: str, title: str) -> str:
    """A whole HTML document: a fragment goes into a 600-pixel column that narrows to
    the screen on phones; a document of its own is kept, given a viewport if it lacks
    one (and a body to put the pixel and footer in)."""
    if not _BODY.search(body):
        return _SHELL_HEAD.format(title=htmllib.escape(title)) + body + _SHELL_TAIL
    if not _VIEWPORT.search(body):
        head = _HEAD.search(body)
        if head:
            body = body[: head.end()] + _VIEWPORT_META + body[head.end() :]
    if not _BODY_END.search(body):
        body += "\n</body>"
    return body


def insert_before_body_end(document: str, snippet: str) -> str:
    """`snippet` just before the last `</body>` (at the end when there is none)."""
    ends = list(_BODY_END.finditer(document))
    if not ends:
        return document + snippet
    at = ends[-1].start()
    return document[:at] + snippet + document[at:]


def _pixel(url: str) -> str:
    return (
        f'<img src="{htmllib.escape(url)}" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0" aria-hidden="true">'
    )


_LINK = re.compile(
    r"""(<(?:a|area)\b[^>]*?\shref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""",
    re.IGNORECASE,
)


def rewrite_links(document: str, click: Callable[[str], str]) -> str:
    """Every http(s) `href` of an `<a>` or `<area>` replaced by `click(url)`; mailto:,
    tel:, anchors and the unsubscribe link stay as they are."""

    def replace(match: re.Match[str]) -> str:
        raw = next(group for group in match.groups()[1:] if group is not None)
        url = htmllib.unescape(raw).strip()
        tracked = _tracked(url, click)
        if tracked == url:
            return match.group(0)
        return f'{match.group(1)}"{htmllib.escape(tracked)}"'

    return _LINK.sub(replace, document)


def _tracked(url: str, click: Callable[[str], str] | None) -> str:
    """`click(url)` for an http(s) URL short enough for a click token, else `url`."""
    if click is None or not url[:8].lower().startswith(("http://", "https://")):
        return url
    if len(url.encode()) > MAX_CLICK_URL_BYTES:
        return url
    return click(url)


# --- the text part -------------------------------------------------------------------------
#
# The text part is what `html_to_text` makes of the recipient's HTML. Converting every
# recipient's HTML costs more than rendering it, so the conversion is made once per
# template instead: the template's own source is converted, its jinja2 expressions kept,
# and that text template is rendered per recipient (links marked, then tracked). A
# template whose expressions the conversion could change (`<`, `>` or `&` inside one,
# an escaped brace, a text template that does not check) is converted per recipient.

_BLOCKS = ("div", "tr", "section", "article", "header", "footer", "center", "address",
           "main", "nav", "aside", "form", "dl", "dt", "dd", "figure", "figcaption", "tbody",
           "thead", "tfoot")  # fmt: skip
_PARAGRAPHS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol",
               "table")  # fmt: skip
# What each tag (opening "", closing "/") leaves in the text; tags not named leave nothing.
_TAG_TEXT = {
    **{(slash, tag): "\n" for tag in _BLOCKS for slash in ("", "/")},
    **{(slash, tag): "\n\n" for tag in _PARAGRAPHS for slash in ("", "/")},
    ("", "br"): "\n",
    ("/", "br"): "\n",
    ("", "hr"): "\n\n----------\n\n",
    ("", "li"): "\n- ",
    ("", "td"): "\x05",  # _CELL_GAP
    ("", "th"): "\x05",
}
_HIDDEN_PART = re.compile(
    r"<!--.*?(?:-->|\Z)|<(head|style|script|title|template|noscript)\b.*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_PRE = re.compile(r"<pre\b.*?(?:</pre\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_WHITESPACE = re.compile(r"[ \t\n\r\f\v]*[\t\n\r\f\v][ \t\n\r\f\v]*| {2,}")
_ANCHOR = re.compile(r"<a(?=[\s>])([^>]*)>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_IMAGE = re.compile(r"<img(?=[\s/>])([^>]*)>", re.IGNORECASE)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>|<[!?][^>]*>")
_ATTRIBUTE = re.compile(
    r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"""
)
_SPACE_RUN = re.compile(r" {2,}")
_GAP_RUN = re.compile(r"[ \x05]*\x05[ \x05]*")
_LINE_SPACES = re.compile(r"[ \x05]*\n[ \x05]*")
_BLANK_LINES = re.compile(r"\n{3,}")
# Markers in a text template (values and sources lose control characters): kept <pre>
# newlines and spaces, and links as \x02text\x04url\x03, shown once rendered and tracked.
_PRE_NEWLINE, _PRE_SPACE, _CELL_GAP = "\x00", "\x01", "\x05"
_LINK_TEXT, _LINK_URL, _LINK_END = "\x02", "\x04", "\x03"
_MARKED = re.compile("\x02([^\x02\x03\x04]*)\x04([^\x02\x03\x04]*)\x03")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_ANCHOR_START = re.compile(r"<a[\s>]", re.IGNORECASE)
_STATEMENT = re.compile(r"\{%[-+]?\s*(\w+)")
_ESCAPED_BRACE = re.compile(r"&(?:#0*12[35]|#x0*7[bd]|[lr]brace|[lr]cub);", re.IGNORECASE)


def _attribute(attributes: str, name: str) -> str:
    for match in _ATTRIBUTE.finditer(attributes):
        if match.group(1).lower() == name:
            value = next(group for group in match.groups()[1:] if group is not None)
            return htmllib.unescape(value)
    return ""


def _image(match: re.Match[str]) -> str:
    alt = " ".join(_attribute(match.group(1), "alt").split())
    return htmllib.escape(alt, quote=False) if alt else ""


def _anchor(match: re.Match[str], *, marked: bool) -> str:
    inner = match.group(2)
    url = _attribute(match.group(1), "href").strip()
    if not url or url.startswith("#"):
        return inner
    if marked:  # decided once rendered; "&" would be unescaped with the rest, so escape it
        return f"{_LINK_TEXT}{inner}{_LINK_URL}{htmllib.escape(url)}{_LINK_END}"
    text = " ".join(htmllib.unescape(_TAG.sub(_tag, inner)).split())
    return _shown_link(inner, text, url, escape=True)


def _shown_link(inner: str, text: str, url: str, *, escape: bool) -> str:
    """A link's text followed by " (url)", or only one of them when they are the same
    or there is no text; a mailto: link shows its address."""
    shown = url[len("mailto:") :] if url.lower().startswith("mailto:") else url
    if shown == text:
        return inner
    if escape:
        shown = htmllib.escape(shown, quote=False)
    return f"{inner} ({shown})" if text else inner + shown


def _tag(match: re.Match[str]) -> str:
    name = match.group(2)
    if name is None:
        return ""
    return _TAG_TEXT.get((match.group(1), name.lower()), "")


def _kept_pre(match: re.Match[str]) -> str:
    return match.group(0).replace("\n", _PRE_NEWLINE).replace(" ", _PRE_SPACE)


def _skeleton(document: str, *, marked: bool) -> str:
    text = _HIDDEN_PART.sub(" ", document)
    if "<pre" in text or "<PRE" in text:
        text = _PRE.sub(_kept_pre, text)
    text = _WHITESPACE.sub(" ", text)
    text = _IMAGE.sub(_image, text)
    text = _ANCHOR.sub(lambda match: _anchor(match, marked=marked), text)
    return htmllib.unescape(_TAG.sub(_tag, text))


def _finished(text: str) -> str:
    text = _GAP_RUN.sub(_CELL_GAP, _SPACE_RUN.sub(" ", text))
    text = _LINE_SPACES.sub("\n", text).strip(" \n" + _CELL_GAP)
    text = text.replace(_CELL_GAP, "  ").replace(_PRE_NEWLINE, "\n").replace(_PRE_SPACE, " ")
    text = _BLANK_LINES.sub("\n\n", text).strip("\n")
    return text + "\n" if text else ""


def html_to_text(document: str) -> str:
    """The text part of an e-mail made from its HTML (no tags; headings, paragraphs,
    list items and line breaks kept; links as "text (url)", images by their alt text).

    A few whole-document substitutions rather than a parser: they are several times
    faster on a table-built marketing e-mail."""
    return _finished(_skeleton(document, marked=False))


@lru_cache(maxsize=512)
def _text_template(html: str) -> Template | None:
    """The text part's own template, made from the HTML template (None: convert each
    recipient's HTML instead)."""
    if any(set(span.group(0)) & {"<", ">", "&"} for span in _JINJA.finditer(html)):
        return None
    if _ESCAPED_BRACE.search(html):
        return None
    visible = _HIDDEN_PART.sub(" ", html)
    if not all(_self_contained(anchor) for anchor in _ANCHOR.finditer(visible)):
        return None
    source = _skeleton(_CONTROLS.sub("", html), marked=True)
    try:
        return _compiled(source, False, "html")
    except InvalidInput:
        return None


def _self_contained(anchor: re.Match[str]) -> bool:
    """Whether a link of the template is one link in every recipient's HTML: no
    statement in its tag, no other link's tag inside, its if/endif balanced inside."""
    attributes, inner = anchor.groups()
    if "{%" in attributes or _ANCHOR_START.search(inner):
        return False
    depth = 0
    for statement in _STATEMENT.findall(inner):
        if statement == "if":
            depth += 1
        elif statement == "endif":
            depth -= 1
        if depth < 0 or (statement in ("elif", "else") and depth == 0):
            return False
    return depth == 0


def _text_part(
    html: str, values: Mapping[str, Any], click: Callable[[str], str] | None
) -> str | None:
    template = _text_template(html)
    if template is None:
        return None
    plain = {
        key: _WHITESPACE.sub(" ", value) if isinstance(value, str) else value
        for key, value in values.items()
    }
    plain[CUSTOM] = {
        key: _WHITESPACE.sub(" ", value) if isinstance(value, str) else value
        for key, value in values[CUSTOM].items()
    }
    try:
        text = _render_template(template, plain, field="html", limit=MAX_HTML_OUTPUT)
    except InvalidInput:
        return None

    def link(match: re.Match[str]) -> str:
        inner = match.group(1)
        url = _tracked(match.group(2).strip(), click)
        return _shown_link(inner, " ".join(inner.split()), url, escape=False)

    text = _MARKED.sub(link, text)
    if _LINK_TEXT in text or _LINK_URL in text or _LINK_END in text:
        return None  # a link cut by an {% if %}: this recipient's HTML says what it is
    return _finished(text)
