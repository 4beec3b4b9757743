"""What archive ingestion needs from outside (ARCH-1), declared here and made real in
adapters: the archive source (the WeCom finance SDK's GetChatData, through a gateway or
the embedded sandbox), the cipher that opens each message, the maker of key pairs, the
ledger of each tenant's cursor, and the edition gate.

A source answers what the SDK answers: each message sealed with a random key that is
itself wrapped with the tenant's RSA public key of `publickey_ver`. Opening them is the
cipher's job, with the private keys the archive settings keep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.shared.errors import ProviderUnavailable

MAX_LIMIT = 1000  # GetChatData returns at most 1,000 messages a call
ARCHIVE_FEATURE = "session_archive"  # the editions that sell the archive (翼有群 gd-10 人版)


@dataclass(frozen=True)
class EncryptedChat:
    """One entry of GetChatData's `chatdata`: the message still sealed."""

    seq: int
    msgid: str
    publickey_ver: int
    encrypt_random_key: str  # base64 of the random key, RSA-PKCS#1 v1.5 wrapped
    encrypt_chat_msg: str  # base64 of the chat JSON, sealed with the random key


@dataclass(frozen=True)
class SourceAccount:
    """Whose archive to pull: the corp and the archive's Secret (what the SDK's Init
    takes), and the public key in use (the sandbox seals its messages with it)."""

    tenant_id: UUID
    corpid: str
    sdk_secret: str
    publickey_ver: int
    public_key_pem: str


class ArchiveRefused(ProviderUnavailable):
    """The archive's server answered an error code that retrying will not cure soon (a
    wrong Secret, an IP not on the allow-list, an archive not bought): `errcode` and
    `errmsg` are its own."""

    code = "archive_refused"

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"the chat archive refused the pull: {errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class ArchiveSource(Protocol):
    """The finance SDK's GetChatData (会话内容存档 · 获取会话记录数据)."""

    def chat_data(self, account: SourceAccount, seq: int, limit: int) -> list[EncryptedChat]:
        """The messages after `seq` (0: from the start), ascending by seq, at most
        `limit` (1 to 1,000). Raises `ProviderUnavailable` when the archive cannot be
        reached (retry later) and `ArchiveRefused` when it says no."""
        ...


@dataclass(frozen=True)
class OpenedChat:
    """A message's chat JSON, or why it would not open (`document` is None then)."""

    document: Mapping[str, Any] | None
    failure: str = ""  # "unknown_key_version", "wrong_key", "corrupt", "not_json"…


class ChatCipher(Protocol):
    """Opens sealed messages: RSA-unwraps each one's random key with the private key of
    its `publickey_ver`, then decrypts the chat JSON with it (the SDK's DecryptData)."""

    def open(
        self, chats: Sequence[EncryptedChat], private_keys: Mapping[int, str]
    ) -> list[OpenedChat]:
        """Each chat opened, in order; a chat that will not open says why, and never
        costs the others (`private_keys`: PEM by version)."""
        ...


@dataclass(frozen=True)
class KeyPair:
    private_key_pem: str
    public_key_pem: str


class KeyMaker(Protocol):
    """RSA key pairs for the archive (the console shows the public key to paste into
    WeCom's admin)."""

    def generate(self) -> KeyPair:
        """A new 2048-bit RSA key pair in PEM."""
        ...

    def public_key_of(self, private_key_pem: str) -> str:
        """The public key of an imported private key; `InvalidInput` (field
        `private_key_pem`) for text that is no RSA private key."""
        ...


@dataclass(frozen=True)
class IngestionState:
    """How far a tenant's archive is pulled, and how the pulls went."""

    seq: int = 0  # the highest seq stored; the next pull asks for what comes after
    stored: int = 0  # messages stored (repeats not counted)
    undecryptable: int = 0  # of them, stored sealed because they would not open
    alerts: int = 0  # alert rows stored with them
    pulls: int = 0  # pulls that succeeded (an empty one too)
    last_pull_at: datetime | None = None
    last_error: str = ""  # the last pull's failure, "" once a pull succeeds again
    last_error_at: datetime | None = None


class IngestionLedger(Protocol):
    """Each tenant's cursor (a small work table): advanced only after the batch it
    covers is stored, and never backwards."""

    def state(self, tenant_id: UUID) -> IngestionState: ...

    def advance(
        self, tenant_id: UUID, *, seq: int, stored: int, undecryptable: int, alerts: int,
        at: datetime,
    ) -> IngestionState:  # fmt: skip
        """Move the cursor to `seq` unless it is further already (a concurrent pull),
        add the counts, clear the last error; answers the state now."""
        ...

    def failed(self, tenant_id: UUID, *, error: str, at: datetime) -> None:
        """Record why a pull stored nothing (the cursor stays)."""
        ...


class EditionGate(Protocol):
    """The plan's feature gate (the tenancy context's quota service)."""

    def require_feature(self, tenant_id: UUID, feature: str) -> None:
        """Refuse (403 subscription_inactive) unless a subscription in service includes
        `feature`."""
        ...
