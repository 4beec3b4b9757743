"""The one table component every console list uses: filters, sort, cursor paging and
bulk selection, rendered by `templates/frame/table.html`. A page builds a `Table` from
the same read-model page the API answers with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

PAGE_SIZE = 50  # rows of one page of a console list


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # Chinese msgid
    sortable: bool = False
    numeric: bool = False


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    kind: str = "text"  # text | select | date | search | checkbox (value "1" when ticked)
    options: tuple[Option, ...] = ()
    placeholder: str = ""


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    badge: str | None = None  # a badge style: ok | warn | bad | info


@dataclass(frozen=True)
class Row:
    id: str
    cells: Sequence[Cell]


@dataclass(frozen=True)
class BulkAction:
    name: str
    label: str
    url: str  # POSTed with the selected ids as `ids`


@dataclass
class Table:
    """One list page. `query` holds the request's filter, sort and cursor parameters."""

    id: str
    url: str
    columns: Sequence[Column]
    rows: Sequence[Row]
    caption: str
    next_cursor: str | None = None
    filters: Sequence[Filter] = ()
    query: Mapping[str, str] = field(default_factory=dict)
    sort: str | None = None  # "-created_at" for descending
    bulk_actions: Sequence[BulkAction] = ()
    empty_message: str = "暂无记录"
    empty_action: tuple[str, str] | None = None  # (label, href) offered when empty
    # (label, href) links about the rows as filtered (e.g. export them): each href gets
    # the current filters and sort, and is swapped with the table when they change.
    links: Sequence[tuple[str, str]] = ()

    def value_of(self, name: str) -> str:
        return self.query.get(name, "")

    def _url(self, **changes: str | None) -> str:
        params = {k: v for k, v in self.query.items() if v}
        for key, value in changes.items():
            if value:
                params[key] = value
            else:
                params.pop(key, None)
        return f"{self.url}?{urlencode(params)}" if params else self.url

    def link_url(self, href: str) -> str:
        params = {k: v for k, v in self.query.items() if v and k != "cursor"}
        return f"{href}?{urlencode(params)}" if params else href

    def next_url(self) -> str | None:
        return self._url(cursor=self.next_cursor) if self.next_cursor else None

    def first_url(self) -> str | None:
        return self._url(cursor=None) if self.query.get("cursor") else None

    def sort_url(self, key: str) -> str:
        descending = self.sort == key  # ascending now: the next click sorts descending
        return self._url(sort=f"-{key}" if descending else key, cursor=None)

    def sort_state(self, key: str) -> str:
        if self.sort == key:
            return "ascending"
        if self.sort == f"-{key}":
            return "descending"
        return "none"
