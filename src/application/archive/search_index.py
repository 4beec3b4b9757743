"""The archive's search index (ARCH-2): a read model following the behaviour log's
archived messages, one row per message with who, where, when and the words to find it
by; recalls are marks beside the message, which stays as it was stored (ADR 0021).

The words are our own tokens (search_terms): on PostgreSQL a GIN index over their
`to_tsvector('simple', …)`, on SQLite an FTS5 table whose rows are the messages' rowids.
Neither can be said in the portable table definitions, so the follower creates them
(`IF NOT EXISTS`) with its first archived message, and again after a rebuild emptied
the tables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eventsourcing.persistence import Tracking

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

_COLUMNS = (
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
    "tokens",
    "content",
    "position",
)
_INSERT = (
    f"INSERT INTO {MESSAGES} ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) "
    "ON CONFLICT (tenant_id, msgid) DO NOTHING"
)
# The order every list and every context window is in: time, then the SDK's sequence.
ORDER = ("msgtime", "seq", "msgid")


def postgres_words(tokens: str = "tokens") -> str:
    """The tsvector the GIN index holds and queries match (one spelling for both)."""
    return f"to_tsvector('simple'::regconfig, {tokens})"


class SearchIndex(ReadModel):
    """Keeps every archived message findable by chat, customer, employee, time and words."""

    name = "archive_search_index"
    follows = (BEHAVIOURS,)
    tables = {
        MESSAGES: "tenant_id TEXT NOT NULL, msgid TEXT NOT NULL, seq BIGINT NOT NULL, "
        "msgtime TEXT NOT NULL, conversation TEXT NOT NULL, sender TEXT NOT NULL, "
        "employee TEXT NOT NULL, customer TEXT NOT NULL, roomid TEXT NOT NULL, "
        "msgtype TEXT NOT NULL, action TEXT NOT NULL, text TEXT NOT NULL, "
        "tokens TEXT NOT NULL, content TEXT NOT NULL, position BIGINT NOT NULL, "
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
        if self.view.dialect == "sqlite":
            tokens, values["tokens"] = values["tokens"], ""  # kept by the FTS5 table only
        statements: list[Statement] = [(_INSERT, tuple(values[c] for c in _COLUMNS))]
        if self.view.dialect == "sqlite" and tokens:
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
        """The words' index, made on the first message this follower stores; on SQLite
        made anew while the messages table is empty (after a rebuild: the FTS5 table is
        keyed by the messages' rowids, which start over)."""
        if self.view.dialect == "postgres":
            return [
                (
                    f"CREATE INDEX IF NOT EXISTS {WORDS_INDEX} ON {MESSAGES} "
                    f"USING gin ({postgres_words()})",
                    (),
                )
            ]
        create = f"CREATE VIRTUAL TABLE IF NOT EXISTS {WORDS} USING fts5(tokens, content='')"
        if self.view.rows(f"SELECT 1 AS found FROM {MESSAGES} LIMIT 1"):
            return [(create, ())]
        return [(f"DROP TABLE IF EXISTS {WORDS}", ()), (create, ())]


def row_of(tenant_id: str, message: ArchivedMessage, position: int) -> dict[str, Any]:
    """The index row of a message: its parties on our side and the customer's."""
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
