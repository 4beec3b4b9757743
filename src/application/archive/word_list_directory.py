"""The word lists and screening rules as screening reads them (ARCH-3): each tenant's
lists with their words, and the watched behaviours and allow-list, a read model of the
archive's events.

Screening asks it, once a batch, for the versions of the tenant's live lists and rules
(`versions`), and only when those changed for the words themselves (`words_to_screen`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.archive.screening_commands import WordListDetails
from application.shared.errors import NotFound
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from domain.archive.screening_rules import ScreeningRules
from domain.archive.word_lists import WordList

LISTS = "archive_word_lists"
WORDS = "archive_words"
RULES = "archive_screening_rules"
ROWS_A_STATEMENT = 300  # words inserted or deleted by one statement (3 values each)


@dataclass(frozen=True)
class ScreeningVersions:
    """What a tenant's screening is built from: its live lists and rules, by version."""

    lists: tuple[tuple[str, int], ...]
    rules: int  # 0 while the tenant has the default rules


@dataclass(frozen=True)
class StoredScreeningRules:
    behaviours: list[str]
    allowed: list[str]
    version: int


class WordListDirectory(ReadModel):
    """Keeps each tenant's word lists, their words and the screening rules."""

    name = "archive_word_list_directory"
    follows = ("archive",)
    tables = {
        LISTS: "tenant_id TEXT NOT NULL, list_id TEXT NOT NULL, name TEXT NOT NULL, "
        "category TEXT NOT NULL, words INTEGER NOT NULL, archived INTEGER NOT NULL, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, list_id)",
        WORDS: "tenant_id TEXT NOT NULL, list_id TEXT NOT NULL, word TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, list_id, word)",
        RULES: "tenant_id TEXT NOT NULL, behaviours TEXT NOT NULL, allowed TEXT NOT NULL, "
        "version INTEGER NOT NULL, PRIMARY KEY (tenant_id)",
    }
    indexes = {"archive_word_lists_created": f"{LISTS} (tenant_id, created_at, list_id)"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(WordList.Made)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant_id, list_id = str(event.tenant_id), str(event.originator_id)
        row = {
            "tenant_id": tenant_id,
            "list_id": list_id,
            "name": event.name,
            "category": event.category,
            "words": len(event.words),
            "archived": 0,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(LISTS, row), *_inserted(tenant_id, list_id, event.words)])

    @process_event.register(WordList.Renamed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, name=event.name, category=event.category)

    @process_event.register(WordList.Archived)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, archived=1)

    @process_event.register(WordList.WordsAdded)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant_id, list_id = str(tenant_of(event)), str(event.originator_id)
        self.view.write(
            tracking,
            [
                *_inserted(tenant_id, list_id, event.words),
                _counted(tenant_id, list_id, len(event.words), event.originator_version),
            ],
        )

    @process_event.register(WordList.WordsRemoved)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant_id, list_id = str(tenant_of(event)), str(event.originator_id)
        deletes = [
            (
                f"DELETE FROM {WORDS} WHERE tenant_id = ? AND list_id = ? "
                f"AND word IN ({', '.join('?' for _ in chunk)})",
                (tenant_id, list_id, *chunk),
            )
            for chunk in _chunks(event.words)
        ]
        counted = _counted(tenant_id, list_id, -len(event.words), event.originator_version)
        self.view.write(tracking, [*deletes, counted])

    @process_event.register(ScreeningRules.Started)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._rules(event, tracking)

    @process_event.register(ScreeningRules.Changed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._rules(event, tracking)

    def _rules(self, event: Any, tracking: Tracking) -> None:
        tenant_id = str(tenant_of(event))
        row = {
            "tenant_id": tenant_id,
            "behaviours": json.dumps(list(event.behaviours)),
            "allowed": json.dumps(list(event.allowed)),
            "version": event.originator_version,
        }
        statements = [
            (f"DELETE FROM {RULES} WHERE tenant_id = ?", (tenant_id,)),
            insert(RULES, row),
        ]
        self.view.write(tracking, statements)

    def _change(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        where = {"tenant_id": str(tenant_of(event)), "list_id": str(event.originator_id)}
        changes = {**changes, "version": event.originator_version}
        self.view.write(tracking, [update(LISTS, changes, where=where)])


def _chunks(words: Sequence[str]) -> list[Sequence[str]]:
    return [words[i : i + ROWS_A_STATEMENT] for i in range(0, len(words), ROWS_A_STATEMENT)]


def _inserted(tenant_id: str, list_id: str, words: Sequence[str]) -> list[Statement]:
    return [
        (
            f"INSERT INTO {WORDS} (tenant_id, list_id, word) VALUES "
            + ", ".join("(?, ?, ?)" for _ in chunk)
            + " ON CONFLICT (tenant_id, list_id, word) DO NOTHING",
            tuple(value for word in chunk for value in (tenant_id, list_id, word)),
        )
        for chunk in _chunks(words)
    ]


def _counted(tenant_id: str, list_id: str, delta: int, version: int) -> Statement:
    return (
        f"UPDATE {LISTS} SET words = words + ?, version = ? WHERE tenant_id = ? AND list_id = ?",
        (delta, version, tenant_id, list_id),
    )


class WordListQueries:
    """A tenant's word lists, their words and what screening is built from."""

    def __init__(self, view: View) -> None:
        self.view = view

    def lists(
        self, tenant_id: UUID, *, include_archived: bool, cursor: str | None, limit: int
    ) -> Page[WordListDetails]:
        """The tenant's lists, oldest first (live ones only unless asked)."""
        where = "tenant_id = ?" + ("" if include_archived else " AND archived = 0")
        page = fetch_page(
            self.view,
            table=LISTS,
            where=where,
            params=[str(tenant_id)],
            order_by=("created_at", "list_id"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page([_details(row) for row in page.items], page.next_cursor)

    def live_lists(self, tenant_id: UUID) -> int:
        rows = self.view.rows(
            f"SELECT COUNT(*) AS n FROM {LISTS} WHERE tenant_id = ? AND archived = 0",
            (str(tenant_id),),
        )
        return int(rows[0]["n"])

    def word_list(self, tenant_id: UUID, list_id: UUID) -> WordListDetails:
        rows = self.view.rows(
            f"SELECT * FROM {LISTS} WHERE tenant_id = ? AND list_id = ?",
            (str(tenant_id), str(list_id)),
        )
        if not rows:
            raise NotFound(f"no WordList {list_id}")
        return _details(rows[0])

    def words(
        self,
        tenant_id: UUID,
        list_id: UUID,
        *,
        containing: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[str]:
        """A list's words in text order; `containing` only those with that text (folded)."""
        where = "tenant_id = ? AND list_id = ?"
        params: list[Any] = [str(tenant_id), str(list_id)]
        if containing:
            where += " AND word LIKE ? ESCAPE '\\'"
            escaped = containing.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        page = fetch_page(
            self.view,
            table=WORDS,
            where=where,
            params=params,
            order_by=("word",),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page([str(row["word"]) for row in page.items], page.next_cursor)

    def versions(self, tenant_id: UUID) -> ScreeningVersions:
        """The versions of the tenant's live lists and of its rules (one query)."""
        rows = self.view.rows(
            f"SELECT list_id, version FROM {LISTS} WHERE tenant_id = ? AND archived = 0 "
            f"UNION ALL SELECT '' AS list_id, version FROM {RULES} WHERE tenant_id = ? "
            "ORDER BY list_id",
            (str(tenant_id), str(tenant_id)),
        )
        lists = tuple((str(r["list_id"]), int(r["version"])) for r in rows if r["list_id"])
        rules = next((int(r["version"]) for r in rows if not r["list_id"]), 0)
        return ScreeningVersions(lists, rules)

    def words_to_screen(self, tenant_id: UUID) -> list[tuple[str, str]]:
        """(word, category) of every live list, the oldest list first: a word in several
        lists is counted in the category of the oldest."""
        rows = self.view.rows(
            f"SELECT w.word, l.category FROM {WORDS} w JOIN {LISTS} l "
            "ON l.tenant_id = w.tenant_id AND l.list_id = w.list_id "
            "WHERE w.tenant_id = ? AND l.archived = 0 ORDER BY l.created_at, l.list_id",
            (str(tenant_id),),
        )
        return [(str(row["word"]), str(row["category"])) for row in rows]

    def screening_rules(self, tenant_id: UUID) -> StoredScreeningRules | None:
        rows = self.view.rows(f"SELECT * FROM {RULES} WHERE tenant_id = ?", (str(tenant_id),))
        if not rows:
            return None
        row = rows[0]
        return StoredScreeningRules(
            behaviours=list(json.loads(row["behaviours"])),
            allowed=list(json.loads(row["allowed"])),
            version=int(row["version"]),
        )


def _details(row: dict[str, Any]) -> WordListDetails:
    return WordListDetails(
        id=UUID(row["list_id"]),
        name=row["name"],
        category=row["category"],
        words=int(row["words"]),
        archived=bool(row["archived"]),
        version=int(row["version"]),
        created_at=parse_iso(row["created_at"]),
    )
