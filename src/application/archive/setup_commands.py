"""Commands and answers of the archive's setup and ingestion (ARCH-1)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.archive.settings import MAX_PEM_LENGTH, MAX_PUBLICKEY_VER


class GenerateKey(Command):
    """A new key pair made by huoke under the version WeCom's admin will give it."""

    publickey_ver: int = Field(
        ge=1,
        le=MAX_PUBLICKEY_VER,
        examples=[1],
        description="the version you give the public key in WeCom's admin (公钥版本号)",
    )


class ImportKey(Command):
    """A key pair made elsewhere (e.g. `openssl genrsa 2048`), by its private key."""

    publickey_ver: int = Field(ge=1, le=MAX_PUBLICKEY_VER, examples=[2])
    private_key_pem: str = Field(
        min_length=1, max_length=MAX_PEM_LENGTH, description="never shown again"
    )


class ChangeArchiveSettings(Command):
    """The pull source and the switch. `sdk_secret` left out keeps the one kept."""

    corpid: str = Field(min_length=1, max_length=32, examples=["ww0123456789abcdef"])
    sdk_secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=64,
        description="the chat archive's Secret (会话内容存档 Secret); never shown again",
    )
    enabled: bool = Field(description="pull the archive (needs a key pair)")


class ArchiveKey(BaseModel):
    publickey_ver: int
    public_key_pem: str = Field(description="paste this into WeCom's admin under its version")
    in_use: bool


class ArchiveSettingsDetails(BaseModel):
    """The archive's settings (never the private keys or the Secret)."""

    version: int = Field(description="0 until first changed; send it as If-Match")
    enabled: bool
    corpid: str
    sdk_secret_set: bool
    publickey_ver: int | None = Field(description="the version in use (the newest)")
    keys: list[ArchiveKey]
    retired_versions: list[int]
    edition_includes_archive: bool = Field(description="the plan sells the archive")


class PullReport(BaseModel):
    """What one pull (or a run of them) did."""

    batches: int = 0
    fetched: int = 0  # messages the source answered
    stored: int = 0  # new ones stored
    repeated: int = 0  # answered again, already stored (nothing stored for them)
    undecryptable: int = 0  # of the stored, those that would not open
    alerts: int = 0  # alert rows stored
    seq: int = 0  # the cursor after the pull
    more: bool = False  # the last batch was full: more may be waiting


class IngestionStatus(BaseModel):
    """How far the tenant's archive is pulled."""

    enabled: bool
    seq: int = Field(description="the highest seq stored; pulls continue after it")
    stored: int
    undecryptable: int
    alerts: int
    pulls: int
    last_pull_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    pulled: PullReport | None = Field(default=None, description="what this request pulled")
