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
    COLUMNS,
    MESSAGES,
    RECALLS,
    REVOKE,
    WORDS,
    WORDS_COLUMN,
    content_of,
)
from application.archive.search_terms import Term, fts5_query, terms_of, tsquery
from application.shared.errors import InvalidInput, NotFound
from application.shared.pages import MAX_LIMIT, Page, decode_cursor, encode_cursor
from application.shared.views import View, iso, parse_iso

MAX_CONTEXT = 10
MAX_DEPARTED = 2_000  # employees who left, searched at once
RECENT_WINDOW = 4_000  # newest messages looked at before the words' index (PostgreSQL)
_FIELDS = ", ".join(f"m.{column}" for column in COLUMNS)  # never the words' tsvector
_SELECT = (
    f"SELECT {_FIELDS}, r.recalled_at FROM {MESSAGES} m LEFT JOIN {RECALLS} r "
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
        self._words_ready = False

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
        if cursor is not None:
            where.append(f"{_KEY} < (?, ?, ?)")
            params += decode_cursor(cursor, width=3)
        if terms and not self._words_exist():
            return Page([], None)
        rows = self._recent_first(where, params, terms, limit) if terms else None
        if rows is None:
            if terms:
                where, params = [*where, self._matching()], [*params, self._words_query(terms)]
            rows = self.view.rows(
                f"{_SELECT} WHERE {' AND '.join(where)} {_NEWEST_FIRST} LIMIT {limit + 1}",
                params,
            )
        found = [t.text for t in terms]
        around = self._around(rows[:limit], context)
        hits = [
            MessageHit(message=_message(row), terms=found, **around[n])
            for n, row in enumerate(rows[:limit])
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
        return MessageInContext(message=_message(rows[0]), **self._around(rows, context)[0])

    # --- helpers ---------------------------------------------------------------------

    def _around(
        self, rows: Sequence[dict[str, Any]], context: int
    ) -> list[dict[str, list[ArchivedMessageView]]]:
        """The `context` messages before and after each of `rows` in its chat, all in one
        query (a page's hits cost one round trip, not one each): on PostgreSQL a lateral
        join over the hits (planned once, however many), on SQLite a union of one small
        select per hit and side."""
        found: list[dict[str, list[ArchivedMessageView]]] = [
            {"before": [], "after": []} for _ in rows
        ]
        if context == 0 or not rows:
            return found
        tenant_id = rows[0]["tenant_id"]
        if self.view.dialect == "postgres":
            sql, params = _around_lateral(rows, context)
        else:
            sql, params = _around_union(rows, context)
        for row in self.view.rows(sql, (tenant_id, *params)):
            found[int(row["hit"])]["after" if int(row["side"]) else "before"].append(_message(row))
        for shown in found:  # in chat order (a union's rows come in no promised order)
            for side in shown.values():
                side.sort(key=lambda m: (m.msgtime, m.seq, m.msgid))
        return found

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

    def _recent_first(
        self, where: list[str], params: list[Any], terms: list[Term], limit: int
    ) -> list[dict[str, Any]] | None:
        """PostgreSQL: the page from the newest `RECENT_WINDOW` messages of the selection
        when they hold a whole page of hits, else None (then the index is asked).

        Frequent words are found fastest by walking back in time, rare ones through the
        GIN index; the planner picks between the two from the words' frequencies, but a
        phrase's bigrams come together (退款 款流 流程), so it takes a common phrase for a
        rare one and reads every posting of it. Looking at the recent messages first
        bounds that case; a rarer phrase misses here and the index finds it."""
        if self.view.dialect != "postgres":
            return None
        recent = (
            f"SELECT * FROM {MESSAGES} m WHERE {' AND '.join(where)} "
            f"{_NEWEST_FIRST} LIMIT {RECENT_WINDOW}"
        )
        rows = self.view.rows(
            f"SELECT {_FIELDS}, r.recalled_at FROM ({recent}) AS m LEFT JOIN {RECALLS} r "
            "ON r.tenant_id = m.tenant_id AND r.msgid = m.msgid "
            f"WHERE {self._matching()} {_NEWEST_FIRST} LIMIT {limit + 1}",
            [*params, self._words_query(terms)],
        )
        return rows if len(rows) > limit else None

    def _matching(self) -> str:
        if self.view.dialect == "postgres":
            return f"m.{WORDS_COLUMN} @@ to_tsquery('simple'::regconfig, ?)"
        return f"m.rowid IN (SELECT rowid FROM {WORDS} WHERE {WORDS} MATCH ?)"

    def _words_query(self, terms: list[Term]) -> str:
        return tsquery(terms) if self.view.dialect == "postgres" else fts5_query(terms)

    def _words_exist(self) -> bool:
        """Whether the follower made the words' column (PostgreSQL) or FTS5 table (SQLite)
        yet, with its first message: before that no message has words to find."""
        if not self._words_ready:
            if self.view.dialect == "postgres":
                sql = (
                    "SELECT 1 AS found FROM pg_attribute WHERE attrelid = to_regclass(?) "
                    "AND attname = ? AND NOT attisdropped"
                )
                params: tuple[str, ...] = (MESSAGES, WORDS_COLUMN)
            else:
                sql = "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?"
                params = (WORDS,)
            self._words_ready = bool(self.view.rows(sql, params))
        return self._words_ready


_SIDES = ((0, "<", _NEWEST_FIRST), (1, ">", _OLDEST_FIRST))


def _around_lateral(rows: Sequence[dict[str, Any]], context: int) -> tuple[str, list[Any]]:
    hits = ", ".join("(CAST(? AS INTEGER), ?, ?, CAST(? AS BIGINT), ?)" for _ in rows)
    params: list[Any] = []
    for n, row in enumerate(rows):
        params += [n, row["conversation"], row["msgtime"], int(row["seq"]), row["msgid"]]
    sides = [
        f"SELECT h.hit, {side} AS side, x.* FROM h CROSS JOIN LATERAL ({_SELECT} "
        "WHERE m.tenant_id = (SELECT tenant_id FROM t) AND m.conversation = h.conversation "
        f"AND {_KEY} {compare} (h.msgtime, h.seq, h.msgid) {order} LIMIT {context}) AS x"
        for side, compare, order in _SIDES
    ]
    sql = (
        "WITH t(tenant_id) AS (SELECT CAST(? AS TEXT)), "
        f"h(hit, conversation, msgtime, seq, msgid) AS (VALUES {hits}) " + " UNION ALL ".join(sides)
    )
    return sql, params


def _around_union(rows: Sequence[dict[str, Any]], context: int) -> tuple[str, list[Any]]:
    parts, params = [], []
    for n, row in enumerate(rows):
        key = (row["msgtime"], row["seq"], row["msgid"])
        for side, compare, order in _SIDES:
            select = _SELECT.replace("SELECT ", f"SELECT {n} AS hit, {side} AS side, ", 1)
            parts.append(
                f"SELECT * FROM ({select} WHERE m.tenant_id = (SELECT tenant_id FROM t) "
                f"AND m.conversation = ? AND {_KEY} {compare} (?, ?, ?) {order} "
                f"LIMIT {context}) AS around_{n}_{side}"
            )
            params += [row["conversation"], *key]
    sql = "WITH t(tenant_id) AS (SELECT ?) " + " UNION ALL ".join(parts)
    return sql, params


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
