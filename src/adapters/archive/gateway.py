"""The real archive source (ARCH-1, ADR 0020): an archive gateway in front of WeCom's
finance SDK.

WeCom gives the chat archive only through its C SDK (libWeWorkFinanceSdk: Init with
the corp id and the archive's Secret, then GetChatData from a seq), on a machine whose
IP the corp allow-lists. The gateway is that machine: a small service that wraps the
SDK and answers over HTTP. huoke asks it

    POST <gateway>/getchatdata   {"corpid", "secret", "seq", "limit", "timeout"}

and it answers GetChatData's JSON as the SDK hands it over:

    {"errcode": 0, "errmsg": "ok",
     "chatdata": [{"seq", "msgid", "publickey_ver", "encrypt_random_key",
                   "encrypt_chat_msg"}, …]}

The messages stay sealed on the way: only huoke holds the private keys.
"""

from __future__ import annotations

from typing import Any

import requests

from application.archive.ports import MAX_LIMIT, ArchiveRefused, EncryptedChat, SourceAccount
from application.shared.errors import ProviderUnavailable

SDK_TIMEOUT_SECONDS = 10  # GetChatData's own timeout, passed on
# The SDK's and the server's codes worth trying again later: 10001 network error,
# 10003 system failure, -1 system busy, 45009 frequency limit.
TRANSIENT = frozenset({10001, 10003, -1, 45009})


class GatewayArchive:
    """The `ArchiveSource` over an archive gateway's HTTP API."""

    def __init__(
        self, base_url: str, *, timeout: float = 30.0, session: requests.Session | None = None
    ) -> None:
        self.url = base_url.rstrip("/") + "/getchatdata"
        self.timeout = timeout
        self.session = session or requests.Session()

    def chat_data(self, account: SourceAccount, seq: int, limit: int) -> list[EncryptedChat]:
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
        body = {
            "corpid": account.corpid,
            "secret": account.sdk_secret,
            "seq": seq,
            "limit": limit,
            "timeout": SDK_TIMEOUT_SECONDS,
        }
        try:
            answer = self.session.post(self.url, json=body, timeout=self.timeout)
        except requests.RequestException as error:
            raise ProviderUnavailable(f"the archive gateway cannot be reached: {error}") from None
        if answer.status_code != 200:
            raise ProviderUnavailable(f"the archive gateway answered HTTP {answer.status_code}")
        try:
            document = answer.json()
        except ValueError:
            raise ProviderUnavailable("the archive gateway answered something not JSON") from None
        return _chats(document)


def _chats(document: Any) -> list[EncryptedChat]:
    if not isinstance(document, dict):
        raise ProviderUnavailable("the archive gateway answered something not GetChatData's")
    errcode = document.get("errcode", 0)
    if errcode:
        errmsg = str(document.get("errmsg", ""))
        if errcode in TRANSIENT:
            raise ProviderUnavailable(f"the chat archive is busy: {errcode} {errmsg}")
        raise ArchiveRefused(int(errcode), errmsg)
    try:
        chats = [
            EncryptedChat(
                seq=int(entry["seq"]),
                msgid=str(entry["msgid"]),
                publickey_ver=int(entry["publickey_ver"]),
                encrypt_random_key=str(entry["encrypt_random_key"]),
                encrypt_chat_msg=str(entry["encrypt_chat_msg"]),
            )
            for entry in document.get("chatdata") or []
        ]
    except (KeyError, TypeError, ValueError):
        raise ProviderUnavailable("the archive gateway's chatdata lacks a field") from None
    return sorted(chats, key=lambda chat: chat.seq)
