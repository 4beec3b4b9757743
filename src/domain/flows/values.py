"""The checks every part of a flow's JSON shares: each refusal names the field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.shared.errors import InvalidValue


def text(value: Any, where: str, *, max_length: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{where}: a non-empty text is required", field=where)
    if len(value) > max_length:
        raise InvalidValue(f"{where}: at most {max_length} characters", field=where)
    return value.strip()


def whole(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValue(f"{where}: a whole number from {low} to {high}", field=where)
    return value


def choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise InvalidValue(f"{where}: one of {', '.join(choices)}", field=where)
    return str(value)


def instant(value: Any, where: str) -> datetime:
    """An ISO 8601 date-time with its UTC offset."""
    try:
        moment = datetime.fromisoformat(text(value, where))
    except ValueError:
        raise InvalidValue(f"{where}: an ISO 8601 date-time", field=where) from None
    if moment.tzinfo is None:
        raise InvalidValue(f"{where}: the date-time needs its UTC offset", field=where)
    return moment
