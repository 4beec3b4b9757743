"""The console's messages as the code uses them, and the English catalogues they need.

One catalogue per context, `locale/en/<context>.po` (`frame.po` for the layout), so
that contexts add their pages without touching each other's files; together they must
translate every message (`scripts/console-messages <context>` adds the missing ones of a
context's own pages and templates; a test keeps the union complete)."""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

WEB = Path(__file__).parent
LOCALE = WEB / "locale" / "en"
SOURCES = (WEB, WEB.parent / "contexts")
GETTEXT_NAMES = {"_", "gettext", "N_"}
# Keyword arguments whose string values are msgids (tables, nav entries, filters).
MSGID_KEYWORDS = {"label", "caption", "empty_message", "section", "placeholder"}


def extract_messages(sources: tuple[Path, ...] = SOURCES) -> set[str]:
    """Every msgid in the console's templates, Python code and manifests' nav entries."""
    found: set[str] = set()
    for source in sources:
        # a context's module file (dashboard.py) is a source of its own: rglob finds none
        htmls = [source] if source.suffix == ".html" else sorted(source.rglob("*.html"))
        pythons = [source] if source.suffix == ".py" else sorted(source.rglob("*.py"))
        for path in htmls:
            with path.open("rb") as handle:
                for _line, _function, message, _comments in babel_extract(
                    handle, GETTEXT_NAMES, [], {"extensions": "jinja2.ext.i18n"}
                ):
                    if isinstance(message, str):
                        found.add(message)
        for path in pythons:
            found |= _python_messages(path.read_text(encoding="utf-8"))
    from entrypoints.web.nav import SECTIONS

    found |= set(SECTIONS)
    return {message for message in found if message.strip()}


def _python_messages(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name in GETTEXT_NAMES and node.args and _text(node.args[0]):
            found.add(_text(node.args[0]) or "")
        if name in {"Column", "Filter", "NavItem", "Option", "BulkAction", "Table"}:
            for keyword in node.keywords:
                if keyword.arg in MSGID_KEYWORDS and _text(keyword.value):
                    found.add(_text(keyword.value) or "")
            # positional label: Column("key", "标签"), Option("v", "标签")
            label = _text(node.args[1]) if len(node.args) >= 2 else None
            if name in {"Column", "Option", "Filter"} and label and _has_chinese(label):
                found.add(label)
    return found


def _text(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def context_sources(context: str) -> tuple[Path, ...]:
    """Where a context's console messages live: its pages and its templates."""
    return (
        WEB / context,
        WEB / f"{context}.py",
        WEB / "templates" / context,
        WEB.parent / "contexts" / f"{context}.py",
    )


def read_catalogues() -> dict[str, str]:
    """Every translation of every context's catalogue."""
    known: dict[str, str] = {}
    for path in sorted(LOCALE.glob("*.po")):
        known |= read_catalogue(path)
    return known


def read_catalogue(path: Path) -> dict[str, str]:
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    return {str(m.id): str(m.string or "") for m in catalogue if m.id}


def add_missing(context: str) -> list[str]:
    """Add to `<context>.po` the messages of the context's own files that no catalogue
    has yet (frame: everything else); answer those still without English."""
    found = _sources_messages(context)
    path = LOCALE / f"{context}.po"
    own = read_catalogue(path) if path.exists() else {}
    elsewhere = {k: v for k, v in read_catalogues().items() if k not in own}
    wanted = {message for message in found if message not in elsewhere} | set(own)
    catalogue = Catalog(locale="en", project="huoke console", domain=context)
    for message in sorted(wanted):
        catalogue.add(message, own.get(message, ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        # No header: its creation date would change the file on every run.
        write_po(handle, catalogue, width=0, sort_output=True, omit_header=True)
    return sorted(message for message in wanted if not own.get(message))


def _sources_messages(context: str) -> set[str]:
    if context != "frame":
        return extract_messages(tuple(p for p in context_sources(context) if p.exists()))
    # The frame: the modules directly in entrypoints/web, its templates and the nav sections.
    frame_files = [p for p in WEB.glob("*.py")]
    found = extract_messages((WEB / "templates" / "frame",))
    for path in frame_files:
        found |= _python_messages(path.read_text(encoding="utf-8"))
    from entrypoints.web.nav import SECTIONS

    return found | set(SECTIONS)
