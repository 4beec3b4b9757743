"""A login: the e-mail address or mobile number and password one person signs in with.

A login stands for a platform staff member or for an employee of one tenant; what they
may do comes from that account's roles, read at every request, never from the login.
Its id is derived from its identifier, so one identifier can belong to one login only
(the event store refuses a second creation of the same id).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict

MAX_FAILED_ATTEMPTS = 5  # in a row; the next attempt finds the login locked
LOCKOUT = timedelta(minutes=15)
RESET_LINK_LIFETIME = timedelta(hours=1)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128


class LoginKind(StrEnum):
    STAFF = "staff"
    EMPLOYEE = "employee"


class LoginRefused(StateConflict):
    """The login may not sign in now: revoked, or locked after failed attempts."""

    code = "login_refused"


def login_id_for(identifier: str) -> UUID:
    """The id of the login for a normalised identifier (`email:…` or `mobile:+86…`)."""
    return uuid5(NAMESPACE_URL, f"/huoke/logins/{identifier}")


def check_password_rule(password: str) -> None:
    """The password rule: 10 to 128 characters, not one character repeated."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidValue(
            f"password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            field="password",
        )
    if len(set(password)) < 4:
        raise InvalidValue("password must use at least 4 different characters", field="password")


class Login(Aggregate):
    """One person's sign-in credential, its failed attempts and its reset links."""

    TOPIC = "logins.Login"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Granted: ClassVar[type[AggregateEvent]]
        SignedIn: ClassVar[type[AggregateEvent]]
        SignInFailed: ClassVar[type[AggregateEvent]]
        LockedOut: ClassVar[type[AggregateEvent]]
        PasswordResetRequested: ClassVar[type[AggregateEvent]]
        PasswordChanged: ClassVar[type[AggregateEvent]]
        Revoked: ClassVar[type[AggregateEvent]]

    @classmethod
    def grant(
        cls,
        *,
        identifier: str,
        kind: LoginKind,
        tenant_id: UUID | None,
        subject_id: UUID,
        password_hash: str,
    ) -> Login:
        """A login for a staff member (no tenant) or an employee of `tenant_id`."""
        if (kind is LoginKind.EMPLOYEE) != (tenant_id is not None):
            raise InvalidValue("an employee login belongs to one tenant; staff to none")
        return cls(
            id=login_id_for(identifier),
            identifier=identifier,
            kind=kind.value,
            tenant_id=tenant_id,
            subject_id=subject_id,
            password_hash=password_hash,
        )

    @event("Granted", topic="logins.Login.Granted")
    def __init__(
        self,
        id: UUID,
        identifier: str,
        kind: str,
        tenant_id: UUID | None,
        subject_id: UUID,
        password_hash: str,
    ) -> None:
        self.identifier = identifier
        self.kind = kind
        self.tenant_id = tenant_id
        self.subject_id = subject_id
        self.password_hash = password_hash
        self.failed_attempts = 0
        self.locked_until: datetime | None = None
        self.reset_token_hash: str | None = None
        self.reset_expires_at: datetime | None = None
        self.last_signed_in_at: datetime | None = None
        # Changes with the password and on revocation: sessions carry it, so an old
        # session cookie stops working when the password it was opened with changes.
        self.session_epoch = 1
        self.is_revoked = False

    @property
    def login_kind(self) -> LoginKind:
        return LoginKind(self.kind)

    def is_locked(self, at: datetime) -> bool:
        return self.locked_until is not None and at < self.locked_until

    def refuse_unless_usable(self, at: datetime) -> None:
        """Refuse a sign-in before the password is even checked (no oracle while locked)."""
        if self.is_revoked:
            raise LoginRefused("this login has been revoked")
        if self.is_locked(at):
            assert self.locked_until is not None
            raise LoginRefused(
                f"too many failed attempts; locked until {self.locked_until.isoformat()}"
            )

    def sign_in(self, at: datetime) -> None:
        """Record a sign-in with the right password; the failed attempts start again."""
        self.refuse_unless_usable(at)
        self._signed_in(at=at)

    @event("SignedIn", topic="logins.Login.SignedIn")
    def _signed_in(self, at: datetime) -> None:
        self.failed_attempts = 0
        self.locked_until = None
        self.last_signed_in_at = at

    def fail_sign_in(self, at: datetime) -> None:
        """Record a wrong password; the fifth in a row locks the login for 15 minutes."""
        attempts = self.failed_attempts + 1
        self._sign_in_failed(at=at, attempt=attempts)
        if attempts >= MAX_FAILED_ATTEMPTS:
            self._locked_out(at=at, until=at + LOCKOUT)

    @event("SignInFailed", topic="logins.Login.SignInFailed")
    def _sign_in_failed(self, at: datetime, attempt: int) -> None:
        self.failed_attempts = attempt

    @event("LockedOut", topic="logins.Login.LockedOut")
    def _locked_out(self, at: datetime, until: datetime) -> None:
        self.locked_until = until
        self.failed_attempts = 0

    def request_password_reset(self, *, token_hash: str, at: datetime) -> None:
        """Open a one-time reset link (only its hash is kept); a newer link replaces it."""
        if self.is_revoked:
            raise LoginRefused("this login has been revoked")
        self._password_reset_requested(token_hash=token_hash, expires_at=at + RESET_LINK_LIFETIME)

    @event("PasswordResetRequested", topic="logins.Login.PasswordResetRequested")
    def _password_reset_requested(self, token_hash: str, expires_at: datetime) -> None:
        self.reset_token_hash = token_hash
        self.reset_expires_at = expires_at

    def reset_link_is_open(self, token_hash: str, at: datetime) -> bool:
        return (
            not self.is_revoked
            and self.reset_token_hash is not None
            and self.reset_token_hash == token_hash
            and self.reset_expires_at is not None
            and at < self.reset_expires_at
        )

    def reset_password(self, *, token_hash: str, password_hash: str, at: datetime) -> None:
        """Set a new password through an open reset link, which is then used up."""
        if not self.reset_link_is_open(token_hash, at):
            raise LoginRefused("this reset link is used, replaced or expired", field="token")
        self._password_changed(password_hash=password_hash, through="reset_link")

    def change_password(self, password_hash: str) -> None:
        """Set a new password (the old one was checked by the caller)."""
        if self.is_revoked:
            raise LoginRefused("this login has been revoked")
        self._password_changed(password_hash=password_hash, through="signed_in")

    @event("PasswordChanged", topic="logins.Login.PasswordChanged")
    def _password_changed(self, password_hash: str, through: str) -> None:
        self.password_hash = password_hash
        self.reset_token_hash = None
        self.reset_expires_at = None
        self.failed_attempts = 0
        self.locked_until = None
        self.session_epoch += 1

    def revoke(self) -> None:
        """End the login for good: its sessions stop and it can no longer sign in."""
        if self.is_revoked:
            raise StateConflict("this login is already revoked")
        self._revoked()

    @event("Revoked", topic="logins.Login.Revoked")
    def _revoked(self) -> None:
        self.is_revoked = True
        self.session_epoch += 1
