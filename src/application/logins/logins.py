"""The logins application: who may sign in to the console, and who a session is."""

from __future__ import annotations

import hashlib
import secrets
from uuid import UUID

from application.logins.commands import (
    GrantEmployeeLogin,
    GrantStaffLogin,
    LoginDetails,
    Session,
    SignIn,
)
from application.logins.ports import Employees, PasswordHasher, ResetLinks, StaffAccounts
from application.shared.callers import Caller, TenantCaller
from application.shared.clock import Clock
from application.shared.contacts import normalise_mobile
from application.shared.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    VersionConflict,
)
from application.shared.event_sourced import EventSourcedContext, Infrastructure
from domain.logins import Login, LoginKind
from domain.logins.login import check_password_rule, login_id_for
from domain.shared.access import Action, PermissionMatrix, parse_roles
from domain.shared.errors import InvalidValue
from domain.shared.text import email_address

WRONG_CREDENTIALS = "wrong e-mail/mobile or password"


def normalise_identifier(raw: str, *, field: str = "identifier") -> str:
    """`email:…` for anything with an @, else `mobile:+…` in E.164."""
    text = raw.strip()
    if "@" in text:
        # The plain rule, not deliverability: staff sign in as admin@huoke.local too.
        try:
            return "email:" + email_address(text, field=field)
        except InvalidValue as refusal:
            raise InvalidInput(refusal.message, field=field) from None
    return "mobile:" + normalise_mobile(text, field=field)


def token_hash(token: str) -> str:
    # Reset tokens are 256 random bits: a fast hash is enough to keep them out of the store.
    return hashlib.sha256(token.encode()).hexdigest()


class Logins(EventSourcedContext):
    """Grants console logins, signs people in and out, and resets passwords."""

    name = "logins"

    def __init__(
        self,
        infrastructure: Infrastructure,
        *,
        hasher: PasswordHasher,
        employees: Employees,
        staff_accounts: StaffAccounts,
        reset_links: ResetLinks,
        reset_url: str,
        clock: Clock,
        permissions: PermissionMatrix,
    ) -> None:
        super().__init__(infrastructure)
        self.hasher = hasher
        self.employees = employees
        self.staff_accounts = staff_accounts
        self.reset_links = reset_links
        self.reset_url = reset_url
        self.clock = clock
        self.permissions = permissions
        # Checked against when the identifier is unknown, so that a wrong identifier
        # takes as long as a wrong password and the answer tells nothing.
        self._decoy_hash = hasher.hash(secrets.token_urlsafe(16))

    # --- granting ---------------------------------------------------------------------

    def grant_employee_login(
        self, caller: TenantCaller, command: GrantEmployeeLogin
    ) -> LoginDetails:
        """A tenant admin gives one of the tenant's employees a login; the employee's roles
        (ORG-1) and data scope (ORG-2) apply to everything they do once signed in."""
        caller.require("logins", Action.CREATE)
        member = self.employees.employee(caller.tenant_id, command.employee_id)
        if member.left:
            raise InvalidInput("this employee has left", field="employee_id")
        login = Login.grant(
            identifier=normalise_identifier(command.identifier),
            kind=LoginKind.EMPLOYEE,
            tenant_id=caller.tenant_id,
            subject_id=command.employee_id,
            password_hash=self._password_hash(command.password),
        )
        self._create_unique(login)
        if command.password is None:
            self._send_link(login, member.name, purpose="set_password")
        return login_details(login)

    def grant_staff_login(self, command: GrantStaffLogin) -> LoginDetails:
        """A staff member's login (back office and CLI; the caller was checked there)."""
        try:
            self.staff_accounts.staff_caller(command.staff_id)
        except (NotFound, Unauthenticated):
            raise InvalidInput("no active staff account with this id", field="staff_id") from None
        login = Login.grant(
            identifier=normalise_identifier(command.identifier),
            kind=LoginKind.STAFF,
            tenant_id=None,
            subject_id=command.staff_id,
            password_hash=self._password_hash(command.password),
        )
        self._create_unique(login)
        return login_details(login)

    def revoke(
        self, caller: TenantCaller, login_id: UUID, *, expected_version: int | None = None
    ) -> LoginDetails:
        """A tenant admin ends an employee's login."""
        caller.require("logins", Action.DELETE)
        login = self.load(
            login_id, Login, tenant_id=caller.tenant_id, expected_version=expected_version
        )
        login.revoke()
        self.commit(login)
        return login_details(login)

    def login(self, caller: TenantCaller, login_id: UUID) -> LoginDetails:
        caller.require("logins", Action.READ)
        return login_details(self.load(login_id, Login, tenant_id=caller.tenant_id))

    # --- signing in -------------------------------------------------------------------

    def sign_in(self, command: SignIn) -> Session:
        """Check the password; every attempt on a known login is recorded, and the fifth
        wrong one in a row locks it for 15 minutes. A wrong identifier and a wrong password
        answer the same `Unauthenticated`."""
        try:
            identifier = normalise_identifier(command.identifier)
            login = self._login(login_id_for(identifier))
        except (InvalidInput, Unauthenticated):
            self.hasher.verify(self._decoy_hash, command.password)
            raise Unauthenticated(WRONG_CREDENTIALS) from None
        now = self.clock.now()
        login.refuse_unless_usable(now)
        if not self.hasher.verify(login.password_hash, command.password):
            login.fail_sign_in(now)
            self.commit(login)
            raise Unauthenticated(WRONG_CREDENTIALS)
        self._caller_of(login)  # a disabled account or suspended tenant may not sign in
        login.sign_in(now)
        self.commit(login)
        return Session(login_id=login.id, epoch=login.session_epoch)

    def caller_for(self, session: Session) -> Caller:
        """Who a session cookie stands for, with the roles their account has now."""
        login = self._login(session.login_id)
        if login.is_revoked or login.session_epoch != session.epoch:
            raise Unauthenticated("this session has ended; sign in again")
        return self._caller_of(login)

    def change_password(self, session: Session, *, current: str, new: str) -> Session:
        """Change one's own password; every other session of the login ends."""
        login = self._login(session.login_id)
        if login.session_epoch != session.epoch:
            raise Unauthenticated("this session has ended; sign in again")
        if not self.hasher.verify(login.password_hash, current):
            raise InvalidInput("the current password is wrong", field="current_password")
        login.change_password(self._password_hash(new, field="new_password"))
        self.commit(login)
        return Session(login_id=login.id, epoch=login.session_epoch)

    # --- reset links ------------------------------------------------------------------

    def request_password_reset(self, raw_identifier: str) -> None:
        """Send a one-time link to a known, usable login. Says nothing either way, so the
        form cannot be used to learn who has a login."""
        try:
            login = self._login(login_id_for(normalise_identifier(raw_identifier)))
        except (InvalidInput, Unauthenticated):
            return
        if login.is_revoked:
            return
        self._send_link(login, self._name_of(login), purpose="reset_password")

    def reset_password(self, login_id: UUID, token: str, password: str) -> Session:
        """Set a new password through a reset link; the link is used up."""
        try:
            login = self._login(login_id)
        except Unauthenticated:
            raise InvalidInput("this reset link is not valid", field="token") from None
        now = self.clock.now()
        if not login.reset_link_is_open(token_hash(token), now):
            raise InvalidInput("this reset link is used, replaced or expired", field="token")
        login.reset_password(
            token_hash=token_hash(token),
            password_hash=self._password_hash(password),
            at=now,
        )
        self.commit(login)
        return Session(login_id=login.id, epoch=login.session_epoch)

    def reset_link_is_open(self, login_id: UUID, token: str) -> bool:
        try:
            return self._login(login_id).reset_link_is_open(token_hash(token), self.clock.now())
        except Unauthenticated:
            return False

    # --- helpers ----------------------------------------------------------------------

    def _password_hash(self, password: str | None, *, field: str = "password") -> str:
        if password is None:  # no password can match this: the owner sets one by link
            return "!" + secrets.token_hex(16)
        try:
            check_password_rule(password)
        except InvalidValue as refusal:
            raise InvalidInput(refusal.message, field=field) from None
        return self.hasher.hash(password)

    def _create_unique(self, login: Login) -> None:
        try:
            self.commit(login)
        except VersionConflict:
            raise InvalidInput(
                "this e-mail address or mobile already has a login", field="identifier"
            ) from None

    def _login(self, login_id: UUID) -> Login:
        try:
            return self.load(login_id, Login, tenant_id=None)
        except NotFound:
            raise Unauthenticated(WRONG_CREDENTIALS) from None

    def _send_link(self, login: Login, name: str, *, purpose: str) -> None:
        token = secrets.token_urlsafe(32)
        login.request_password_reset(token_hash=token_hash(token), at=self.clock.now())
        self.commit(login)
        self.reset_links.send(
            identifier=login.identifier,
            name=name,
            link=f"{self.reset_url}?login={login.id}&token={token}",
            purpose=purpose,
        )

    def _name_of(self, login: Login) -> str:
        try:
            if login.login_kind is LoginKind.STAFF:
                return ""
            assert login.tenant_id is not None
            return self.employees.employee(login.tenant_id, login.subject_id).name
        except NotFound:
            return ""

    def _caller_of(self, login: Login) -> Caller:
        try:
            if login.login_kind is LoginKind.STAFF:
                return self.staff_accounts.staff_caller(login.subject_id)
            assert login.tenant_id is not None
            member = self.employees.employee(login.tenant_id, login.subject_id)
        except NotFound:
            raise Unauthenticated("this account no longer exists") from None
        if member.left:
            raise Unauthenticated("this employee has left")
        if not self.staff_accounts.tenant_is_active(login.tenant_id):
            raise PermissionDenied("tenant is suspended")
        return TenantCaller(
            key_id=login.id,
            tenant_id=login.tenant_id,
            roles=parse_roles(list(member.roles)),
            permissions=self.permissions,
            employee_id=login.subject_id,
            signed_in=True,
        )


def login_details(login: Login) -> LoginDetails:
    return LoginDetails(
        id=login.id,
        identifier=login.identifier,
        kind=login.kind,
        tenant_id=login.tenant_id,
        subject_id=login.subject_id,
        revoked=login.is_revoked,
        locked_until=login.locked_until,
        last_signed_in_at=login.last_signed_in_at,
        version=login.version,
    )
