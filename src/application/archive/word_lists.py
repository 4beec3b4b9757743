"""Sensitive-word lists (敏感词管理, ARCH-3): the use cases that make and change a tenant's
lists. Screening picks the change up on its next batch (it rebuilds its automaton when a
list's version moves)."""

from __future__ import annotations

from uuid import UUID

from application.archive.archive import Archive
from application.archive.screening_commands import (
    AddWords,
    MakeWordList,
    RemoveWords,
    ReviseWordList,
    WordListChange,
    WordListDetails,
)
from application.archive.word_list_directory import WordListQueries
from application.shared.errors import InvalidInput, VersionConflict
from domain.archive.word_lists import WordList

MAX_LISTS = 100  # live lists of a tenant
ADD_RETRIES = 3  # adding words is idempotent: a concurrent change is retried on the new version


class WordLists:
    """Makes, fills, empties, renames and archives a tenant's word lists."""

    def __init__(self, archive: Archive, queries: WordListQueries) -> None:
        self.archive = archive
        self.queries = queries

    def make(self, tenant_id: UUID, command: MakeWordList) -> WordListDetails:
        """A new list, maybe with its first words (a tenant has at most 100 live lists)."""
        if self.queries.live_lists(tenant_id) >= MAX_LISTS:
            raise InvalidInput(f"a tenant has at most {MAX_LISTS} word lists", field="name")
        word_list = WordList.make(
            list_id=self.archive.new_id("archive_word_list"),
            tenant_id=tenant_id,
            name=command.name,
            category=command.category,
            words=command.words,
        )
        return word_list_details(self.archive.create(word_list))

    def word_list(self, tenant_id: UUID, list_id: UUID) -> WordListDetails:
        return word_list_details(self._load(tenant_id, list_id))

    def revise(
        self, tenant_id: UUID, list_id: UUID, command: ReviseWordList, *, expected_version: int
    ) -> WordListDetails:
        """Rename the list or change its category; omitted fields stay."""
        word_list = self._load(tenant_id, list_id, expected_version)
        word_list.rename(
            name=command.name or word_list.name, category=command.category or word_list.category
        )
        self.archive.commit(word_list)
        return word_list_details(word_list)

    def add_words(self, tenant_id: UUID, list_id: UUID, command: AddWords) -> WordListChange:
        """Add words (a list and/or text lines); those the list has change nothing. No
        If-Match: adding commutes with any other change, so a concurrent one is retried."""
        words = command.all_words()
        for attempt in range(ADD_RETRIES):
            word_list = self._load(tenant_id, list_id)
            added = word_list.add(words)
            try:
                self.archive.commit(word_list)
            except VersionConflict:
                if attempt == ADD_RETRIES - 1:
                    raise
                continue
            return word_list_change(word_list, added)
        raise AssertionError("unreachable")  # pragma: no cover

    def remove_words(
        self, tenant_id: UUID, list_id: UUID, command: RemoveWords, *, expected_version: int
    ) -> WordListChange:
        """Remove words; answers those the list had."""
        word_list = self._load(tenant_id, list_id, expected_version)
        removed = word_list.remove(command.words)
        self.archive.commit(word_list)
        return word_list_change(word_list, removed)

    def archive_list(
        self, tenant_id: UUID, list_id: UUID, *, expected_version: int
    ) -> WordListDetails:
        """Stop screening with the list; its alerts and counts stay."""
        word_list = self._load(tenant_id, list_id, expected_version)
        word_list.archive()
        self.archive.commit(word_list)
        return word_list_details(word_list)

    def _load(
        self, tenant_id: UUID, list_id: UUID, expected_version: int | None = None
    ) -> WordList:
        return self.archive.load(
            list_id, WordList, tenant_id=tenant_id, expected_version=expected_version
        )


def word_list_details(word_list: WordList) -> WordListDetails:
    return WordListDetails(
        id=word_list.id,
        name=word_list.name,
        category=word_list.category,
        words=len(word_list.words),
        archived=word_list.archived,
        version=word_list.version,
        created_at=word_list.created_on,
    )


def word_list_change(word_list: WordList, changed: list[str]) -> WordListChange:
    return WordListChange(**word_list_details(word_list).model_dump(), changed=changed)
