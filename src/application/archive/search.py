"""Searching the archive (ARCH-2): by customer, by employee, globally and among departed
employees; within a time range; by words, Chinese included; newest first, each hit with
the messages around it in its chat. And a chat read in order, and one message.

Queries only: who may read, the edition and the record of each read are the use cases'
(reading.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.archive.reading_records import (
    ArchivedMessageView,
    MediaReference,
    MessageHit,
    MessageInContext,
)
from application.archive.search_index import (
    MESSAGES,
    RECALLS,
    REVOKE,
    WORDS,
    content_of,
    postgres_words,
)
from application.archive.search_terms import Term, fts5_query, terms_of, tsquery
from application.shared.errors import InvalidInput, NotFound
from application.shared.pages import MAX_LIMIT, Page, decode_cursor, encode_cursor
from application.shared.views import View, iso, parse_iso

MAX_CONTEXT = 10
MAX_DEPARTED = 2_000  # employees who left, searched at once
_SELECT = (
    f"SELECT m.*, r.recalled_at FROM {MESSAGES} m LEFT JOIN {RECALLS} r "
    "ON r.tenant_id = m.tenant_id AND r.msgid = m.msgid"
)
_KEY = "(m.msgtime, m.seq, m.msgid)"
_NEWEST_FIRST = "ORDER BY m.msgtime DESC, m.seq DESC, m.msgid DESC"
_OLDEST_FIRST = "ORDER BY m.msgtime, m.seq, m.msgid"


@dataclass(frozen=True)
class SearchFilter:
    """What to look for. `scope`: "global", "customer" (then `customer`, an
    external_userid), "employee" (then `employee`, a WeCom userid) or "departed"."""

    scope: str = "global"
    customer: str = ""
    employee: str = ""
    text: str = ""
    since: datetime | None = None
    until: datetime | None = None


class SearchQueries:
    """Pages of archived messages from the search index."""

    def __init__(self, view: View) -> None:
        self.view = view
        self._fts_ready = view.dialect == "postgres"

    def search(
        self,
        tenant_id: UUID,
        selected: SearchFilter,
        *,
        departed: Collection[str] = (),
        cursor: str | None = None,
        limit: int = 20,
        context: int = 2,
    ) -> Page[MessageHit]:
        """Messages matching `selected`, newest first, each with up to `context` messages
        before and after it in its chat. `departed`: the userids of employees who left
        (the "departed" scope searches their chats)."""
        _check_page(limit, context)
        where, params = ["m.tenant_id = ?", "m.msgtype <> ?"], [str(tenant_id), REVOKE]
        if selected.scope == "customer":
            where.append("m.customer = ?")
            params.append(_required(selected.customer, "customer"))
        elif selected.scope == "employee":
            where.append("m.employee = ?")
            params.append(_required(selected.employee, "employee"))
        elif selected.scope == "departed":
            if not departed:
                return Page([], None)
            chosen = sorted(departed)[:MAX_DEPARTED]
            where.append(f"m.employee IN ({', '.join('?' for _ in chosen)})")
            params += chosen
        elif selected.scope != "global":
            raise InvalidInput("scope is global, customer, employee or departed", field="scope")
        where, params = _in_range(where, params, selected.since, selected.until)
        terms = terms_of(selected.text)
        if selected.text.strip() and not terms:
            raise InvalidInput("the text has no letter or digit to look for", field="text")
        if terms:
            if not self._words_exist():
                return Page([], None)
            where.append(self._matching())
            params.append(self._words_query(terms))
        if cursor is not None:
            where.append(f"{_KEY} < (?, ?, ?)")
            params += decode_cursor(cursor, width=3)
        rows = self.view.rows(
            f"{_SELECT} WHERE {' AND '.join(where)} {_NEWEST_FIRST} LIMIT {limit + 1}", params
        )
        found = [t.text for t in terms]
        hits = [
            MessageHit(message=_message(row), terms=found, **self._around(row, context))
            for row in rows[:limit]
        ]
        return Page(hits, _next_cursor(rows, limit))

    def conversation(
        self,
        tenant_id: UUID,
        conversation: str,
        *,
        cursor: str | None = None,
        limit: int = 50,
        around: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[ArchivedMessageView]:
        """A chat's messages in order, oldest first; `around` a msgid: the page that shows
        it with the messages just before it. A chat with no message is not found."""
        _check_page(limit, 0)
        where = ["m.tenant_id = ?", "m.conversation = ?"]
        params: list[Any] = [str(tenant_id), conversation]
        where, params = _in_range(where, params, since, until)
        if cursor is not None:
            where.append(f"{_KEY} > (?, ?, ?)")
            params += decode_cursor(cursor, width=3)
        elif around is not None:
            start = self._start_around(tenant_id, conversation, around, limit // 4)
            where.append(f"{_KEY} >= (?, ?, ?)")
            params += start
        rows = self.view.rows(
            f"{_SELECT} WHERE {' AND '.join(where)} {_OLDEST_FIRST} LIMIT {limit + 1}", params
        )
        if not rows and cursor is None and not self._has_chat(tenant_id, conversation):
            raise NotFound(f"no archived chat {conversation}")
        return Page([_message(row) for row in rows[:limit]], _next_cursor(rows, limit))

    def message(self, tenant_id: UUID, msgid: str, *, context: int = 5) -> MessageInContext:
        """One message with up to `context` messages before and after it in its chat."""
        _check_page(1, context)
        rows = self.view.rows(
            f"{_SELECT} WHERE m.tenant_id = ? AND m.msgid = ?", (str(tenant_id), msgid)
        )
        if not rows:
            raise NotFound(f"no archived message {msgid}")
        return MessageInContext(message=_message(rows[0]), **self._around(rows[0], context))

    # --- helpers ---------------------------------------------------------------------

    def _around(self, row: dict[str, Any], context: int) -> dict[str, list[ArchivedMessageView]]:
        """The `context` messages before and after `row` in its chat, in one query."""
        if context == 0:
            return {"before": [], "after": []}
        chat = "m.tenant_id = ? AND m.conversation = ?"
        key = (row["msgtime"], row["seq"], row["msgid"])
        sql = (
            f"SELECT * FROM ({_SELECT.replace('SELECT m.*', 'SELECT 0 AS side, m.*')} "
            f"WHERE {chat} AND {_KEY} < (?, ?, ?) {_NEWEST_FIRST} LIMIT {context}) AS b "
            f"UNION ALL SELECT * FROM ({_SELECT.replace('SELECT m.*', 'SELECT 1 AS side, m.*')} "
            f"WHERE {chat} AND {_KEY} > (?, ?, ?) {_OLDEST_FIRST} LIMIT {context}) AS a"
        )
        chat_params = (row["tenant_id"], row["conversation"])
        rows = self.view.rows(sql, (*chat_params, *key, *chat_params, *key))
        before = [_message(r) for r in rows if int(r["side"]) == 0]
        after = [_message(r) for r in rows if int(r["side"]) == 1]
        return {"before": before[::-1], "after": after}

    def _start_around(
        self, tenant_id: UUID, conversation: str, msgid: str, before: int
    ) -> list[Any]:
        rows = self.view.rows(
            f"SELECT m.msgtime, m.seq, m.msgid FROM {MESSAGES} m "
            "WHERE m.tenant_id = ? AND m.conversation = ? AND m.msgid = ?",
            (str(tenant_id), conversation, msgid),
        )
        if not rows:
            raise NotFound(f"no archived message {msgid} in chat {conversation}")
        key = (rows[0]["msgtime"], rows[0]["seq"], rows[0]["msgid"])
        earlier = self.view.rows(
            f"SELECT m.msgtime, m.seq, m.msgid FROM {MESSAGES} m "
            f"WHERE m.tenant_id = ? AND m.conversation = ? AND {_KEY} < (?, ?, ?) "
            f"{_NEWEST_FIRST} LIMIT {before}",
            (str(tenant_id), conversation, *key),
        )
        first = earlier[-1] if earlier else rows[0]
        return [first["msgtime"], first["seq"], first["msgid"]]

    def _has_chat(self, tenant_id: UUID, conversation: str) -> bool:
        return bool(
            self.view.rows(
                f"SELECT 1 AS found FROM {MESSAGES} WHERE tenant_id = ? AND conversation = ? "
                "LIMIT 1",
                (str(tenant_id), conversation),
            )
        )

    def _matching(self) -> str:
        if self.view.dialect == "postgres":
            return f"{postgres_words('m.tokens')} @@ to_tsquery('simple', ?)"
        return f"m.rowid IN (SELECT rowid FROM {WORDS} WHERE {WORDS} MATCH ?)"

    def _words_query(self, terms: list[Term]) -> str:
        return tsquery(terms) if self.view.dialect == "postgres" else fts5_query(terms)

    def _words_exist(self) -> bool:
        """SQLite: whether the follower made the FTS5 table yet (with its first message)."""
        if not self._fts_ready:
            self._fts_ready = bool(
                self.view.rows(
                    "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (WORDS,),
                )
            )
        return self._fts_ready


def _in_range(
    where: list[str],
    params: list[Any],
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[str], list[Any]]:
    if since is not None and until is not None and until <= since:
        raise InvalidInput("the time range ends before it starts", field="until")
    if since is not None:
        where.append("m.msgtime >= ?")
        params.append(iso(since))
    if until is not None:
        where.append("m.msgtime < ?")
        params.append(iso(until))
    return where, params


def _check_page(limit: int, context: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if not 0 <= context <= MAX_CONTEXT:
        raise InvalidInput(f"context must be between 0 and {MAX_CONTEXT}", field="context")


def _required(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidInput(f"a {field} search names the {field}", field=field)
    return value.strip()


def _next_cursor(rows: Sequence[dict[str, Any]], limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor([last["msgtime"], int(last["seq"]), last["msgid"]])


def _message(row: dict[str, Any]) -> ArchivedMessageView:
    content = content_of(row)
    recalled_at = row.get("recalled_at")
    return ArchivedMessageView(
        msgid=row["msgid"],
        seq=int(row["seq"]),
        msgtime=parse_iso(row["msgtime"]),
        conversation=row["conversation"],
        sender=row["sender"],
        employee=row["employee"],
        customer=row["customer"],
        roomid=row["roomid"],
        msgtype=row["msgtype"],
        action=row["action"],
        text=row["text"],
        content=content,
        media=_media(content),
        recalled=recalled_at is not None,
        recalled_at=parse_iso(recalled_at) if recalled_at else None,
    )


def _media(content: dict[str, Any]) -> MediaReference | None:
    sdkfileid = content.get("sdkfileid")
    if not sdkfileid:
        return None
    size = content.get("filesize", content.get("voice_size"))
    length = content.get("play_length")
    return MediaReference(
        sdkfileid=str(sdkfileid),
        file_name=str(content.get("filename") or ""),
        file_ext=str(content.get("fileext") or ""),
        size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        md5sum=str(content.get("md5sum") or ""),
        play_length=int(length) if isinstance(length, int) else None,
    )
