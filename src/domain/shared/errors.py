"""Errors a domain rule raises when it refuses a command."""

from __future__ import annotations


class DomainError(Exception):
    """A domain rule refused a command; `code` is stable and shown to API callers."""

    code = "rule_violated"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidValue(DomainError):
    """A value breaks a rule of its own (too long, unknown choice...): the caller must fix it."""

    code = "invalid_value"


class StateConflict(DomainError):
    """The command is valid but not in the record's current state (e.g. revoking a revoked key)."""

    code = "state_conflict"
