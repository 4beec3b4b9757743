"""Which language an answer speaks (the client's `Accept-Language`), and the Babel catalogues
that turn an English text into it. Shared by the API's problems and the console."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from babel.messages.pofile import read_po

SUPPORTED = ("zh-CN", "en")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).with_name("locale")


def preferred_language(
    accept_language: str | None,
    supported: Sequence[str] = SUPPORTED,
    default: str = DEFAULT,
) -> str:
    """The supported language the client ranks highest (RFC 9110 §12.5.4, q-values).

    A range matches a supported tag when one is a prefix of the other (`zh` and `zh-CN`,
    `en-US` and `en`) or, failing that, when both share the primary subtag (`zh-Hans`,
    `zh-TW`: the one Chinese we have is better than none). `*` and anything unreadable
    leave the choice to `default`; q=0 only ever excludes."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        language, _, parameters = part.strip().partition(";")
        quality = _quality(parameters)
        if language.strip() and quality > 0:
            ranked.append((-quality, position, language.strip().lower()))
    for _, _, language in sorted(ranked):
        if language == "*":
            return default
        chosen = _match(language, supported)
        if chosen:
            return chosen
    return default


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return min(1.0, max(0.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def _match(language: str, supported: Sequence[str]) -> str | None:
    for tag in supported:
        lowered = tag.lower()
        if lowered == language or lowered.startswith(f"{language}-"):
            return tag
        if language.startswith(f"{lowered}-"):
            return tag
    primary = language.split("-")[0]
    return next((tag for tag in supported if tag.lower().split("-")[0] == primary), None)


class Catalogue:
    """English msgid -> translated msgstr of one .po file, read once at start-up (no
    compile step: the .po file is the catalogue)."""

    def __init__(self, messages: Mapping[str, str]) -> None:
        self.messages = dict(messages)

    @classmethod
    def read(cls, domain: str, language: str, directory: Path = LOCALE_DIR) -> Catalogue:
        """The `domain` catalogue of `language` (`zh-CN` -> locale/zh_CN/LC_MESSAGES)."""
        path = directory / language.replace("-", "_") / "LC_MESSAGES" / f"{domain}.po"
        with path.open("rb") as source:
            catalog = read_po(source, locale=language.replace("-", "_"))
        return cls(
            {
                str(message.id): str(message.string)
                for message in catalog
                if message.id and isinstance(message.id, str) and message.string
            }
        )

    def __contains__(self, msgid: object) -> bool:
        return msgid in self.messages

    def gettext(self, msgid: str, params: Mapping[str, object] | None = None) -> str | None:
        """The translation of `msgid` with `params` filled in (python-format), or None."""
        text = self.messages.get(msgid)
        if text is None:
            return None
        return text % dict(params) if params else text
