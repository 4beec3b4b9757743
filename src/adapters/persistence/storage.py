"""Where events and views live, turned into eventsourcing environment settings.

Embedded default: one SQLite file per application and per view under the var
directory (SQLite table names ignore the application name, so they cannot share a
file). With a PostgreSQL URL: one database, `<app>_events` and `<view>_tracking`
tables, a lock timeout so queued writers fail instead of hanging (ADR 0002).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from eventsourcing.utils import get_topic

from adapters.persistence.event_recorder import OneTripPostgresRecorder
from adapters.persistence.polling import PollingSQLiteApplicationRecorder

ONE_TRIP_RECORDER = get_topic(OneTripPostgresRecorder)

IDLE_CONNECTIONS = 2


@dataclass(frozen=True)
class Storage:
    """Event store and read-model location plus the PII cipher key."""

    var_dir: Path
    cipher_key: str
    database_url: str | None = None
    create_tables: bool = True
    pool_size: int = 10  # the most connections of the process's one pool

    @property
    def is_postgres(self) -> bool:
        return self.database_url is not None

    def base_env(self) -> dict[str, str]:
        """Settings every application and view of the process shares."""
        env = {
            "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
            "CIPHER_KEY": self.cipher_key,
            "CREATE_TABLE": "y" if self.create_tables else "n",
        }
        if self.database_url is not None:
            env.update(postgres_env(self.database_url))
            # Two connections stay open; the rest are opened under load, up to the size.
            kept = min(IDLE_CONNECTIONS, self.pool_size)
            env["POSTGRES_POOL_SIZE"] = str(kept)
            env["POSTGRES_MAX_OVERFLOW"] = str(self.pool_size - kept)
            # With DB functions the library takes no table lock: readers skip events.
            env["POSTGRES_ENABLE_DB_FUNCTIONS"] = "n"
            return env
        self.var_dir.mkdir(parents=True, exist_ok=True)
        env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
        env["SQLITE_LOCK_TIMEOUT"] = "10"
        return env

    def application_env(self, name: str) -> dict[str, str]:
        """Settings of one application (on SQLite: its own file, polled for new events)."""
        if self.database_url is not None:
            # Group-commit batches in one round trip (ADR 0009).
            return {**self._guarded(name), "APPLICATION_RECORDER_TOPIC": ONE_TRIP_RECORDER}
        return {
            "SQLITE_DBNAME": str(self.var_dir / f"events-{name}.sqlite"),
            "APPLICATION_RECORDER_TOPIC": get_topic(PollingSQLiteApplicationRecorder),
        }

    def view_env(self, name: str) -> dict[str, str]:
        """Settings of one read model (on SQLite: its own file)."""
        if self.database_url is not None:
            return self._guarded(name)
        return {"SQLITE_DBNAME": str(self.var_dir / f"view-{name}.sqlite")}

    @staticmethod
    def _guarded(name: str) -> dict[str, str]:
        # A prefixed variable in the process environment would beat the shared one.
        return {f"{name.upper()}_POSTGRES_ENABLE_DB_FUNCTIONS": "n"}


def postgres_env(database_url: str) -> dict[str, str]:
    """eventsourcing's POSTGRES_* settings from a postgresql:// URL."""
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"HUOKE_DATABASE_URL must start with postgresql://, not {parts.scheme}")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "huoke",
        "POSTGRES_HOST": parts.hostname or "localhost",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
    }


def load_or_create_cipher_key(
    explicit: str | None, key_file: Path, *, shared_database: bool = False
) -> str:
    """The AES key for personal data in events: HUOKE_CIPHER_KEY, else a key file that the
    embedded default creates once (mode 0600). Losing it makes stored events unreadable.

    With a shared database every process must use the same key, so it must be given:
    a key file made up on each machine would split the store into unreadable halves."""
    if explicit:
        return _checked_key(explicit, "HUOKE_CIPHER_KEY")
    if shared_database:
        raise ValueError(
            "HUOKE_CIPHER_KEY is required with HUOKE_DATABASE_URL (every API node and "
            "worker must encrypt with the same key); create one with "
            "`python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'`"
        )
    if key_file.exists():
        return _checked_key(key_file.read_text().strip(), str(key_file))
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = base64.b64encode(os.urandom(32)).decode()
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _checked_key(key: str, source: str) -> str:
    try:
        size = len(base64.b64decode(key, validate=True))
    except ValueError:
        size = 0
    if size not in (16, 24, 32):
        raise ValueError(f"{source} must hold base64 of 16, 24 or 32 bytes")
    return key
