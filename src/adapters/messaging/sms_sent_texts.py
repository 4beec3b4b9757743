"""The texts SMS providers took (`SentTexts`), on SQLite (embedded) and PostgreSQL: one
row per message with the provider's id and the mobile, so a receipt that names only the
provider's id (Tencent's `sid`) and a reply that names only the mobile find their text.

One table, `messaging_sms_sent`, tenant first in its key; times are fixed-width ISO-8601
UTC text, as in the send queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.persistence.work_tables import SqliteWorkFile, postgres_transaction
from application.messaging.sms_sending import SentText
from application.shared.views import iso, parse_iso

SQLITE_FILE = "messaging_sms.sqlite"
TABLE = (
    "CREATE TABLE IF NOT EXISTS messaging_sms_sent ("
    "tenant_id TEXT NOT NULL, message_id TEXT NOT NULL, task_id TEXT NOT NULL, "
    "lead_id TEXT NOT NULL, provider TEXT NOT NULL, provider_id TEXT NOT NULL, "
    "mobile TEXT NOT NULL, sent_at TEXT NOT NULL, PRIMARY KEY (tenant_id, message_id))"
)
INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS messaging_sms_sent_message "
    "ON messaging_sms_sent (message_id)",
    "CREATE INDEX IF NOT EXISTS messaging_sms_sent_provider "
    "ON messaging_sms_sent (provider, provider_id)",
    "CREATE INDEX IF NOT EXISTS messaging_sms_sent_mobile "
    "ON messaging_sms_sent (tenant_id, mobile, sent_at)",
)
COLUMNS = "tenant_id, message_id, task_id, lead_id, provider, provider_id, mobile, sent_at"


class SqlSentTexts:
    """`SentTexts` over a connection source whose `transaction()` yields a cursor."""

    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Any]],
        *,
        placeholder: str = "?",
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._transaction = transaction
        self._placeholder = placeholder
        self._on_close = on_close

    def create_tables(self) -> None:
        with self._transaction() as cursor:
            for statement in (TABLE, *INDEXES):
                cursor.execute(statement)

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()

    def _sql(self, sql: str) -> str:
        return sql if self._placeholder == "?" else sql.replace("?", self._placeholder)

    def record(self, texts: Sequence[SentText]) -> None:
        rows = [
            (
                str(t.tenant_id),
                t.message_id,
                str(t.task_id),
                str(t.lead_id),
                t.provider,
                t.provider_id,
                t.mobile,
                iso(t.sent_at),
            )
            for t in texts
        ]
        if not rows:
            return
        marks = ", ".join("?" for _ in range(8))
        with self._transaction() as cursor:
            cursor.executemany(
                self._sql(
                    f"INSERT INTO messaging_sms_sent ({COLUMNS}) VALUES ({marks}) "
                    "ON CONFLICT DO NOTHING"
                ),
                rows,
            )

    def by_message(self, message_id: str) -> SentText | None:
        return self._one("message_id = ?", (message_id,))

    def by_provider_id(self, provider: str, provider_id: str) -> SentText | None:
        return self._one("provider = ? AND provider_id = ?", (provider, provider_id))

    def latest_to(self, tenant_id: UUID, mobile: str) -> SentText | None:
        return self._one(
            "tenant_id = ? AND mobile = ? ORDER BY sent_at DESC, message_id DESC",
            (str(tenant_id), mobile),
        )

    def _one(self, where: str, params: Sequence[Any]) -> SentText | None:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(f"SELECT {COLUMNS} FROM messaging_sms_sent WHERE {where} LIMIT 1"),
                params,
            )
            row = cursor.fetchone()
        if row is None:
            return None
        tenant, message, task, lead, provider, provider_id, mobile, at = row
        return SentText(
            tenant_id=UUID(tenant),
            message_id=message,
            task_id=UUID(task),
            lead_id=UUID(lead),
            provider=provider,
            provider_id=provider_id,
            mobile=mobile,
            sent_at=parse_iso(at),
        )


def sqlite_sent_texts(var_dir: Path) -> SqlSentTexts:
    """Embedded mode: one file of its own, one connection, a lock per transaction."""
    work = SqliteWorkFile(var_dir / SQLITE_FILE)
    texts = SqlSentTexts(work.transaction, on_close=work.close)
    texts.create_tables()
    return texts


def postgres_sent_texts(datastore: Any, *, create_tables: bool) -> SqlSentTexts:
    """PostgreSQL: connections of the process's shared pool (the library's datastore)."""
    texts = SqlSentTexts(postgres_transaction(datastore), placeholder="%s")
    if create_tables:
        texts.create_tables()
    return texts
