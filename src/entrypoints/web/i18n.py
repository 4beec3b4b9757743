"""The console's languages: Chinese first, English beside (Babel catalogues).

Templates and console code are written in Chinese; `locale/en/LC_MESSAGES/console.po`
carries the English of every message (msgid Chinese, msgstr English). The .po file is
read at start-up, so there is no compile step; a test keeps it complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po

CHINESE = "zh-CN"
ENGLISH = "en"
LANGUAGES = (CHINESE, ENGLISH)
LANGUAGE_COOKIE = "huoke_lang"
CATALOGUES = Path(__file__).parent / "locale" / "en"  # one <context>.po per context

_language: ContextVar[str] = ContextVar("console_language", default=CHINESE)


def _english() -> dict[str, str]:
    english: dict[str, str] = {}
    for path in sorted(CATALOGUES.glob("*.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale="en")
        english |= {str(m.id): str(m.string) for m in catalogue if m.id and m.string}
    return english


ENGLISH_MESSAGES = _english()


def set_language(language: str) -> None:
    _language.set(language if language in LANGUAGES else CHINESE)


def current_language() -> str:
    return _language.get()


def gettext(message: str) -> str:
    """The message in the page's language (Chinese source, English from the catalogue)."""
    if _language.get() == ENGLISH:
        return ENGLISH_MESSAGES.get(message, message)
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    return gettext(singular if count == 1 else plural)


_ = gettext


def N_(message: str) -> str:
    """Marks a msgid for the catalogue where it is defined; translated when shown."""
    return message


def yuan(fen: int | None) -> str:
    """Money is kept in fen and shown in yuan: 123456 -> ¥1,234.56."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def local_time(moment: datetime | None, timezone: str, *, with_seconds: bool = False) -> str:
    """A moment in the tenant's time zone (`2026-12-02 14:05`)."""
    if moment is None:
        return "—"
    shown = moment.astimezone(ZoneInfo(timezone))
    return shown.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


ACTOR_KINDS = {
    "api_key": N_("API 密钥"),
    "employee": N_("员工"),
    "staff": N_("平台员工"),
    "system": N_("系统"),
    "visitor": N_("访客"),
}


def actor_label(kind: str) -> str:
    return gettext(ACTOR_KINDS.get(kind, kind))


def event_label(topic: str, labels: Mapping[str, str]) -> str:
    """What an event topic means, from a "中文 · English" description in the page's
    language; the topic itself when no context described it."""
    described = labels.get(topic)
    if described is None:
        return topic
    chinese, _, english = described.partition(" · ")
    return english if _language.get() == ENGLISH and english else chinese
