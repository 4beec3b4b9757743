"""Small pure checks on text values shared by several aggregates."""

from __future__ import annotations

import re

from domain.shared.errors import InvalidValue

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def required_text(value: str, *, field: str, max_length: int = 100) -> str:
    """Strip `value` and insist it is non-empty and at most `max_length` characters."""
    text = value.strip()
    if not text:
        raise InvalidValue(f"{field} must not be empty", field=field)
    if len(text) > max_length:
        raise InvalidValue(f"{field} must be at most {max_length} characters", field=field)
    return text


def email_address(value: str, *, field: str) -> str:
    """A lower-cased e-mail address, refused when it has no local part, '@' and domain."""
    text = value.strip().lower()
    if not _EMAIL.match(text) or len(text) > 254:
        raise InvalidValue(f"{field} must be an e-mail address", field=field)
    return text
