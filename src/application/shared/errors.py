"""Errors of the application layer, each mapped once to an HTTP problem by the entrypoints."""

from __future__ import annotations


class ApplicationError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ApplicationError):
    """No such record for this caller; also the answer for another tenant's record."""

    code = "not_found"


class VersionConflict(ApplicationError):
    """The record changed since the caller read it (If-Match) or a concurrent save won."""

    code = "version_conflict"


class AlreadyExists(ApplicationError):
    """A unique natural key (e-mail, number...) is already taken."""

    code = "already_exists"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PermissionDenied(ApplicationError):
    """The caller is known but its roles do not allow the action."""

    code = "permission_denied"


class Unauthenticated(ApplicationError):
    """No credential, an unknown one, or a revoked one."""

    code = "unauthenticated"


class InvalidInput(ApplicationError):
    """Input the application cannot use (e.g. a malformed cursor); names the field."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class ProviderUnavailable(ApplicationError):
    """An outside provider (payment, SMS, WeChat…) failed or could not be reached; the
    command changed nothing and may be retried."""

    code = "provider_unavailable"


class Busy(ApplicationError):
    """More work is waiting than can be taken now: nothing was done; retry after
    `retry_after` seconds (429 with Retry-After)."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
