"""The embedded default archive source (ARCH-1): a WeCom corp's chat archive replayed
from a bundled fixture, `fixtures/conversations.jsonl` — four days of one-to-one and
group chats in Chinese with images, voice, files, links, red packets, mini-programs,
locations, cards, a consent (agree), recalled messages, and the mobile numbers, e-mail
addresses, bank card numbers and links that sensitive-behaviour screening looks for.

Every tenant's sandbox archive holds the same messages. Each is sealed on the fly with
the tenant's public key in use, as WeCom seals them with the key its admin was given,
so the sandbox exercises the real decryption path end to end.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from adapters.archive.decryption import seal
from application.archive.ports import MAX_LIMIT, ArchiveRefused, EncryptedChat, SourceAccount

PARAMETER_ERROR = 10000  # the SDK's "参数错误，请求参数错误"


def fixture_messages(path: Path | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(seq, chat JSON) of every message of the fixture, ascending by seq."""
    if path is None:
        text = (
            resources.files("adapters.archive")
            .joinpath("fixtures", "conversations.jsonl")
            .read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    return sorted((int(entry["seq"]), entry["chat"]) for entry in entries)


class SandboxArchive:
    """The `ArchiveSource` of the embedded default."""

    def __init__(self, messages: list[tuple[int, dict[str, Any]]] | None = None) -> None:
        self.messages = messages if messages is not None else fixture_messages()

    def chat_data(self, account: SourceAccount, seq: int, limit: int) -> list[EncryptedChat]:
        if not 1 <= limit <= MAX_LIMIT or seq < 0:
            raise ArchiveRefused(PARAMETER_ERROR, "参数错误，请求参数错误")
        chosen = [(s, chat) for s, chat in self.messages if s > seq][:limit]
        return [self._sealed(account, s, chat) for s, chat in chosen]

    @staticmethod
    def _sealed(account: SourceAccount, seq: int, chat: dict[str, Any]) -> EncryptedChat:
        wrapped, sealed = seal(chat, account.public_key_pem)
        return EncryptedChat(seq, str(chat["msgid"]), account.publickey_ver, wrapped, sealed)
