"""Cursor pagination over read models: `limit` plus an opaque `cursor` (keyset, stable)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from application.shared.errors import InvalidInput
from application.shared.views import View

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, width: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidInput("cursor is not one this API handed out", field="cursor") from None
    if not isinstance(values, list) or len(values) != width:
        raise InvalidInput("cursor is not one this API handed out", field="cursor")
    return values


def fetch_page(
    view: View,
    *,
    table: str,
    where: str,
    params: Sequence[Any],
    order_by: Sequence[str],
    descending: bool,
    cursor: str | None,
    limit: int,
) -> Page[dict[str, Any]]:
    """Rows of `table` matching `where`, sorted by `order_by` (unique together), one page.

    The cursor carries the sort key of the last row, so pages never repeat or skip rows
    when records are added meanwhile.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    clauses, values = [where], list(params)
    if cursor is not None:
        keys = ", ".join(order_by)
        marks = ", ".join("?" for _ in order_by)
        clauses.append(f"({keys}) {'<' if descending else '>'} ({marks})")
        values += decode_cursor(cursor, width=len(order_by))
    direction = "DESC" if descending else "ASC"
    sql = (
        f"SELECT * FROM {table} WHERE {' AND '.join(clauses)} "
        f"ORDER BY {', '.join(f'{key} {direction}' for key in order_by)} LIMIT {limit + 1}"
    )
    rows = view.rows(sql, values)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1][key] for key in order_by])
    return Page(rows, next_cursor)
