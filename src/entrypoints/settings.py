"""Configuration from HUOKE_* environment variables (see the README's table)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "y", "yes", "true", "on")


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    var_dir: Path = Path("var")
    cipher_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    in_process_projections: bool = True
    auto_migrate: bool = True
    rate_limit_per_minute: int = 600
    max_body_bytes: int = 1_048_576
    fast_hashing: bool = False
    bootstrap_email: str = "admin@huoke.local"
    pool_size: int = 5
    max_overflow: int = 10

    @classmethod
    def from_environment(cls) -> Settings:
        url = os.environ.get("HUOKE_DATABASE_URL") or None
        return cls(
            database_url=url,
            var_dir=Path(os.environ.get("HUOKE_VAR_DIR", "var")),
            cipher_key=os.environ.get("HUOKE_CIPHER_KEY") or None,
            host=os.environ.get("HUOKE_HOST", "127.0.0.1"),
            port=int(os.environ.get("HUOKE_PORT", "8000")),
            # Embedded: runners live in the server. PostgreSQL: `huoke worker projections`.
            in_process_projections=_flag("HUOKE_INPROCESS_PROJECTIONS", url is None),
            # Embedded: tables appear on first run. PostgreSQL: `huoke db migrate`.
            auto_migrate=_flag("HUOKE_AUTO_MIGRATE", url is None),
            rate_limit_per_minute=int(os.environ.get("HUOKE_RATE_LIMIT_PER_MINUTE", "600")),
            max_body_bytes=int(os.environ.get("HUOKE_MAX_BODY_BYTES", "1048576")),
            fast_hashing=_flag("HUOKE_FAST_HASHING", False),
            bootstrap_email=os.environ.get("HUOKE_BOOTSTRAP_EMAIL", "admin@huoke.local"),
            pool_size=int(os.environ.get("HUOKE_POOL_SIZE", "5")),
            max_overflow=int(os.environ.get("HUOKE_MAX_OVERFLOW", "10")),
        )
