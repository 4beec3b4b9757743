"""The archive's search index (ARCH-2): a read model following the behaviour log's
archived messages, one row per message with who, where, when and the words to find it
by; recalls are marks beside the message, which stays as it was stored (ADR 0021).

The words are our own tokens (search_terms): on PostgreSQL a `tsvector` column (their
`to_tsvector('simple', …)`, positions kept for phrases) with a GIN index, on SQLite an
FTS5 table whose rows are the messages' rowids. Neither can be said in the portable
table definitions, so the follower adds them with its first archived message when they
are missing, and again after a rebuild emptied the tables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eventsourcing.persistence import Tracking

from application.archive.chat_documents import UNDECRYPTABLE
from application.archive.messages import ArchivedMessage, is_customer, message_of
from application.archive.search_terms import tokens_of
from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.views import ReadModel, Statement, View, iso

MESSAGES = "archive_messages"
RECALLS = "archive_recalls"
WORDS = "archive_message_words"  # SQLite: the FTS5 table of the messages' tokens
WORDS_INDEX = "archive_messages_words"  # PostgreSQL: the GIN index over the tokens
ROBOT_PREFIX = "wb"
REVOKE = "revoke"
MAX_TEXT_LENGTH = 20_000

COLUMNS = (  # the row as stored (PostgreSQL adds the words' tsvector)
    "tenant_id",
    "msgid",
    "seq",
    "msgtime",
    "conversation",
    "sender",
    "employee",
    "customer",
    "roomid",
    "msgtype",
    "action",
    "text",
    "content",
    "position",
)
_MARKS = ", ".join("?" for _ in COLUMNS)
_INSERT = (
    f"INSERT INTO {MESSAGES} ({', '.join(COLUMNS)}) VALUES ({_MARKS}) "
    "ON CONFLICT (tenant_id, msgid) DO NOTHING"
)
_INSERT_WITH_WORDS = (  # PostgreSQL: the words in the row's own tsvector column
    f"INSERT INTO {MESSAGES} ({', '.join(COLUMNS)}, words) "
    f"VALUES ({_MARKS}, to_tsvector('simple'::regconfig, ?)) "
    "ON CONFLICT (tenant_id, msgid) DO NOTHING"
)
# The order every list and every context window is in: time, then the SDK's sequence.
ORDER = ("msgtime", "seq", "msgid")


WORDS_COLUMN = "words"  # PostgreSQL: the tsvector column the GIN index covers


class SearchIndex(ReadModel):
    """Keeps every archived message findable by chat, customer, employee, time and words."""

    name = "archive_search_index"
    follows = (BEHAVIOURS,)
    tables = {
        MESSAGES: "tenant_id TEXT NOT NULL, msgid TEXT NOT NULL, seq BIGINT NOT NULL, "
        "msgtime TEXT NOT NULL, conversation TEXT NOT NULL, sender TEXT NOT NULL, "
        "employee TEXT NOT NULL, customer TEXT NOT NULL, roomid TEXT NOT NULL, "
        "msgtype TEXT NOT NULL, action TEXT NOT NULL, text TEXT NOT NULL, "
        "content TEXT NOT NULL, position BIGINT NOT NULL, "
        "PRIMARY KEY (tenant_id, msgid)",
        RECALLS: "tenant_id TEXT NOT NULL, msgid TEXT NOT NULL, recalled_by TEXT NOT NULL, "
        "recalled_at TEXT NOT NULL, PRIMARY KEY (tenant_id, msgid)",
    }
    # Customer and employee lists are partial: a group's messages from employees name no
    # customer, a customer's none of ours; the time index serves global searches and ranges.
    indexes = {
        "archive_messages_time": f"{MESSAGES} (tenant_id, msgtime, seq, msgid)",
        "archive_messages_chat": f"{MESSAGES} (tenant_id, conversation, msgtime, seq, msgid)",
        "archive_messages_customer": f"{MESSAGES} (tenant_id, customer, msgtime, seq, msgid) "
        "WHERE customer <> ''",
        "archive_messages_employee": f"{MESSAGES} (tenant_id, employee, msgtime, seq, msgid) "
        "WHERE employee <> ''",
    }

    def __init__(self, view: View) -> None:
        super().__init__(view=view)
        self._words_ready = False

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if (
            not isinstance(domain_event, Behaviour)
            or domain_event.kind != BehaviourKind.ARCHIVE_MESSAGE
            or domain_event.name == UNDECRYPTABLE  # sealed: no words, no chat to show it in
        ):
            self.skip(tracking)
            return
        statements = [] if self._words_ready else self._words_statements()
        statements += self.statements(domain_event)
        self.view.write(tracking, statements)
        self._words_ready = True

    def statements(self, row: Behaviour) -> list[Statement]:
        """The rows of one archived message (the bench loads its tables in this shape)."""
        message = message_of(row)
        tenant_id = str(row.tenant_id)
        values = row_of(tenant_id, message, row.position)
        stored = tuple(values[c] for c in COLUMNS)
        tokens = values["tokens"]
        statements: list[Statement] = []
        if self.view.dialect == "postgres":
            statements.append((_INSERT_WITH_WORDS, (*stored, tokens)))
        else:
            statements.append((_INSERT, stored))
            if tokens:
                statements.append(
                    (
                        f"INSERT INTO {WORDS} (rowid, tokens) SELECT rowid, ? FROM {MESSAGES} "
                        "WHERE tenant_id = ? AND msgid = ? AND position = ?",
                        (tokens, tenant_id, message.msgid, row.position),
                    )
                )
        recalled = message.content.get("pre_msgid") if message.msgtype == REVOKE else None
        if recalled:
            statements.append(
                (
                    f"INSERT INTO {RECALLS} (tenant_id, msgid, recalled_by, recalled_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, msgid) DO NOTHING",
                    (tenant_id, str(recalled), message.msgid, iso(message.msgtime)),
                )
            )
        return statements

    def _words_statements(self) -> list[Statement]:
        """The words' column and index, made with the first message this follower stores
        when missing (looked up first: adding a column locks the table even when it is
        there); on SQLite the FTS5 table is made anew while the messages table is empty
        (after a rebuild: it is keyed by the messages' rowids, which start over)."""
        if self.view.dialect == "postgres":
            return [(sql, ()) for sql in missing_postgres_words(self.view)]
        create = f"CREATE VIRTUAL TABLE IF NOT EXISTS {WORDS} USING fts5(tokens, content='')"
        if self.view.rows(f"SELECT 1 AS found FROM {MESSAGES} LIMIT 1"):
            return [(create, ())]
        return [(f"DROP TABLE IF EXISTS {WORDS}", ()), (create, ())]


def missing_postgres_words(view: View) -> list[str]:
    """The DDL the words still need on PostgreSQL (none once they are there)."""
    found = view.rows(
        "SELECT to_regclass(?) IS NOT NULL AS indexed, EXISTS (SELECT 1 FROM pg_attribute "
        "WHERE attrelid = to_regclass(?) AND attname = ? AND NOT attisdropped) AS added",
        (WORDS_INDEX, MESSAGES, WORDS_COLUMN),
    )[0]
    statements = []
    if not found["added"]:
        add = f"ALTER TABLE {MESSAGES} ADD COLUMN IF NOT EXISTS {WORDS_COLUMN} tsvector"
        statements.append(add)
    if not found["indexed"]:
        statements.append(
            f"CREATE INDEX IF NOT EXISTS {WORDS_INDEX} ON {MESSAGES} USING gin ({WORDS_COLUMN})"
        )
    return statements


def row_of(tenant_id: str, message: ArchivedMessage, position: int) -> dict[str, Any]:
    """The index row of a message: its parties on our side and the customer's, and its
    tokens (stored by the words' index, not in the row)."""
    sender = message.sender
    from_employee = bool(sender) and not is_customer(sender) and not sender.startswith(ROBOT_PREFIX)
    if message.in_group:
        # In a group the other parties are everyone in it: only the sender is named.
        employee = sender if from_employee else ""
        customer = sender if is_customer(sender) else ""
    else:
        employee, customer = message.employee, message.customer
    text = message.text[:MAX_TEXT_LENGTH]
    content = {} if message.msgtype == "text" else dict(message.content)
    return {
        "tenant_id": tenant_id,
        "msgid": message.msgid,
        "seq": message.seq,
        "msgtime": iso(message.msgtime),
        "conversation": message.conversation,
        "sender": sender,
        "employee": employee,
        "customer": customer,
        "roomid": message.roomid,
        "msgtype": message.msgtype,
        "action": message.action,
        "text": text,
        "tokens": tokens_of(text),
        "content": json.dumps(content, ensure_ascii=False, sort_keys=True, default=str),
        "position": position,
    }


def content_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return dict(json.loads(row["content"] or "{}"))
