"""The tenancy application: tenants, API keys and staff accounts (TEN-1, ORG-1 keys)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from uuid import UUID

from application.shared.callers import Caller, StaffCaller, TenantCaller
from application.shared.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    VersionConflict,
)
from application.shared.event_sourced import EventSourcedContext, Infrastructure
from application.tenancy.commands import (
    ApiKeyDetails,
    EnrolledStaff,
    EnrolStaff,
    IssueApiKey,
    IssuedApiKey,
    RegisterTenant,
    StaffDetails,
    TenantDetails,
    UpdateTenant,
)
from application.tenancy.ports import EmployeeRoster, SecretHasher
from domain.shared.access import PermissionMatrix
from domain.shared.text import email_address
from domain.shared.unique_key import UniqueKey
from domain.tenancy import ApiKey, StaffAccount, Tenant
from domain.tenancy.staff import STAFF_PERMISSIONS

API_KEY_PREFIX = "hk_"
STAFF_TOKEN_PREFIX = "hks_"
_VERIFIED_CACHE_SIZE = 10_000


class Tenancy(EventSourcedContext):
    """Registers tenants, issues and revokes their API keys, enrols staff, and tells who
    a bearer token belongs to."""

    name = "tenancy"

    def __init__(
        self,
        infrastructure: Infrastructure,
        *,
        hasher: SecretHasher,
        roster: EmployeeRoster,
        permissions: PermissionMatrix,
    ):
        super().__init__(infrastructure)
        self.hasher = hasher
        self.roster = roster
        self.permissions = permissions
        # sha256(token) -> id, for tokens whose argon2 hash was already checked once.
        self._verified: dict[str, UUID] = {}

    # --- tenants -------------------------------------------------------------------------

    def register_tenant(self, command: RegisterTenant) -> TenantDetails:
        """Register an enterprise as a new, active tenant (platform staff)."""
        tenant = Tenant.register(tenant_id=self.new_id("tenant"), **command.model_dump())
        return tenant_details(self.create(tenant))

    def tenant(self, tenant_id: UUID) -> TenantDetails:
        """The tenant as it is now."""
        return tenant_details(self.load(tenant_id, Tenant, tenant_id=None))

    def timezone_of(self, tenant_id: UUID) -> str:
        """The tenant's calendar timezone (TenantCalendar, for billing)."""
        return self.load(tenant_id, Tenant, tenant_id=None).timezone

    def open_branch(self, head_office_id: UUID, command: RegisterTenant) -> TenantDetails:
        """Register a branch tenant of a head office (TEN-4)."""
        head_office = self.load(head_office_id, Tenant, tenant_id=None)
        branch = Tenant.register(
            tenant_id=self.new_id(f"branch:{head_office_id}"), **command.model_dump()
        )
        branch.report_to(head_office)
        return tenant_details(self.create(branch))

    def branch(self, head_office_id: UUID, branch_id: UUID) -> TenantDetails:
        """A branch of the head office; any other tenant is not found."""
        branch = self.load(branch_id, Tenant, tenant_id=None)
        if branch.head_office_id != head_office_id:
            raise NotFound(f"no branch {branch_id}")
        return tenant_details(branch)

    def update_tenant(
        self, tenant_id: UUID, command: UpdateTenant, *, expected_version: int
    ) -> TenantDetails:
        """Change name, owner, timezone or settings; only the fields given."""
        tenant = self.load(tenant_id, Tenant, tenant_id=None, expected_version=expected_version)
        if command.name is not None:
            tenant.rename(command.name)
        if command.owner_name is not None or command.owner_contact is not None:
            tenant.change_owner(
                command.owner_name or tenant.owner_name,
                command.owner_contact or tenant.owner_contact,
            )
        if command.timezone is not None:
            tenant.move_to_timezone(command.timezone)
        if command.settings is not None:
            tenant.update_settings(dict(command.settings))
        self.commit(tenant)
        return tenant_details(tenant)

    def suspend_tenant(
        self, tenant_id: UUID, reason: str, *, expected_version: int
    ) -> TenantDetails:
        """Suspend a tenant: its API keys answer 403 until it is reactivated."""
        tenant = self.load(tenant_id, Tenant, tenant_id=None, expected_version=expected_version)
        tenant.suspend(reason)
        self.commit(tenant)
        return tenant_details(tenant)

    def reactivate_tenant(self, tenant_id: UUID, *, expected_version: int) -> TenantDetails:
        """Lift a tenant's suspension."""
        tenant = self.load(tenant_id, Tenant, tenant_id=None, expected_version=expected_version)
        tenant.reactivate()
        self.commit(tenant)
        return tenant_details(tenant)

    # --- API keys ------------------------------------------------------------------------

    def issue_api_key(self, tenant_id: UUID, command: IssueApiKey) -> IssuedApiKey:
        """Issue a key; its secret is in this answer only and is stored as an argon2 hash."""
        self.load(tenant_id, Tenant, tenant_id=None)
        if command.employee_id is not None and not (
            self.roster.is_current_employee(tenant_id, command.employee_id)
        ):
            raise InvalidInput(f"no current employee {command.employee_id}", field="employee_id")
        key_id = self.new_id(f"api-key:{tenant_id}")
        secret = secrets.token_urlsafe(32)
        key = ApiKey.issue(
            key_id=key_id,
            tenant_id=tenant_id,
            name=command.name,
            roles=command.roles,
            secret_hash=self.hasher.hash(secret),
            employee_id=command.employee_id,
        )
        created = self.create(key)
        token = f"{API_KEY_PREFIX}{key_id.hex}_{secret}" if created is key else None
        return IssuedApiKey(**api_key_details(created).model_dump(), token=token)

    def api_key(self, tenant_id: UUID, key_id: UUID) -> ApiKeyDetails:
        """One of the tenant's keys (never its secret)."""
        return api_key_details(self.load(key_id, ApiKey, tenant_id=tenant_id))

    def revoke_api_key(
        self, tenant_id: UUID, key_id: UUID, *, expected_version: int | None = None
    ) -> ApiKeyDetails:
        """Revoke a key for good; requests with it answer 401 from now on."""
        key = self.load(key_id, ApiKey, tenant_id=tenant_id, expected_version=expected_version)
        key.revoke()
        self.commit(key)
        self._verified = {k: v for k, v in self._verified.items() if v != key_id}
        return api_key_details(key)

    # --- staff ---------------------------------------------------------------------------

    def enrol_staff(self, command: EnrolStaff) -> EnrolledStaff:
        """Enrol a staff member; the access token is in this answer only."""
        email = email_address(command.email, field="email")
        staff_id = self.new_id("staff")
        account, token = self._new_staff(staff_id, command.model_copy(update={"email": email}))
        claim = UniqueKey(scope="staff-email", key=email, owner_id=staff_id)
        try:
            created = self.create(account, claim)
        except VersionConflict:
            raise AlreadyExists(f"a staff account uses {email}", field="email") from None
        return EnrolledStaff(
            **staff_details(created).model_dump(), token=token if created is account else None
        )

    def enrol_first_admin(self, email: str) -> EnrolledStaff | None:
        """Enrol the bootstrap admin once per installation; None if that already happened."""
        staff_id = UniqueKey.create_id(scope="bootstrap", key="first-admin")
        if staff_id in self.repository:
            return None
        command = EnrolStaff(email=email, display_name="Bootstrap admin", roles=["admin"])
        account, token = self._new_staff(staff_id, command)
        claim = UniqueKey(scope="staff-email", key=account.email, owner_id=staff_id)
        try:
            self.commit(account, claim)
        except VersionConflict:
            return None  # another process enrolled it first
        return EnrolledStaff(**staff_details(account).model_dump(), token=token)

    def staff(self, staff_id: UUID) -> StaffDetails:
        return staff_details(self.load(staff_id, StaffAccount, tenant_id=None))

    def disable_staff(self, staff_id: UUID, *, expected_version: int) -> StaffDetails:
        """Disable a staff account; its token answers 401 from now on."""
        account = self.load(
            staff_id, StaffAccount, tenant_id=None, expected_version=expected_version
        )
        account.disable()
        self.commit(account)
        self._verified = {k: v for k, v in self._verified.items() if v != staff_id}
        return staff_details(account)

    def _new_staff(self, staff_id: UUID, command: EnrolStaff) -> tuple[StaffAccount, str]:
        secret = secrets.token_urlsafe(32)
        account = StaffAccount.enrol(
            staff_id=staff_id,
            email=command.email,
            display_name=command.display_name,
            roles=command.roles,
            token_hash=self.hasher.hash(secret),
        )
        return account, f"{STAFF_TOKEN_PREFIX}{staff_id.hex}_{secret}"

    # --- authentication ------------------------------------------------------------------

    def staff_caller(self, staff_id: UUID) -> StaffCaller:
        """A staff member as a caller with their current roles (console sessions ask)."""
        account = self.load(staff_id, StaffAccount, tenant_id=None)
        if not account.is_active:
            raise Unauthenticated("staff account is disabled")
        return _staff_caller(account)

    def tenant_is_active(self, tenant_id: UUID) -> bool:
        """False for a suspended (or unknown) tenant."""
        try:
            return bool(self.load(tenant_id, Tenant, tenant_id=None).is_active)
        except NotFound:
            return False

    def authenticate(self, token: str) -> Caller:
        """The caller a bearer token stands for. Unknown, malformed, revoked or disabled
        credentials are `Unauthenticated`; a suspended tenant's key is `PermissionDenied`."""
        if token.startswith(STAFF_TOKEN_PREFIX):
            record_id, secret = _split(token, STAFF_TOKEN_PREFIX)
            account = self._find(record_id, StaffAccount)
            if not account.is_active:
                raise Unauthenticated("staff account is disabled")
            self._check_secret(token, record_id, account.token_hash, secret)
            return _staff_caller(account)
        if token.startswith(API_KEY_PREFIX):
            record_id, secret = _split(token, API_KEY_PREFIX)
            key = self._find(record_id, ApiKey)
            if key.is_revoked:
                raise Unauthenticated("API key is revoked")
            self._check_secret(token, record_id, key.secret_hash, secret)
            tenant = self.load(key.tenant_id, Tenant, tenant_id=None)
            if not tenant.is_active:
                raise PermissionDenied("tenant is suspended")
            return TenantCaller(
                key_id=key.id,
                tenant_id=key.tenant_id,
                roles=key.tenant_roles,
                permissions=self.permissions,
                employee_id=key.employee_id,
            )
        raise Unauthenticated("unknown kind of credential")

    def _find(self, record_id: UUID, cls: type[ApiKey] | type[StaffAccount]) -> Any:
        try:
            return self.load(record_id, cls, tenant_id=None)
        except NotFound:
            raise Unauthenticated("unknown credential") from None

    def _check_secret(self, token: str, record_id: UUID, secret_hash: str, secret: str) -> None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        if self._verified.get(digest) == record_id:
            return
        if not self.hasher.verify(secret_hash, secret):
            raise Unauthenticated("unknown credential")
        if len(self._verified) >= _VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[digest] = record_id


def _split(token: str, prefix: str) -> tuple[UUID, str]:
    body = token[len(prefix) :]
    record_hex, _, secret = body.partition("_")
    try:
        return UUID(hex=record_hex), secret
    except ValueError:
        raise Unauthenticated("malformed credential") from None


def tenant_details(tenant: Tenant) -> TenantDetails:
    return TenantDetails(
        id=tenant.id,
        name=tenant.name,
        owner_name=tenant.owner_name,
        owner_contact=tenant.owner_contact,
        timezone=tenant.timezone,
        settings=dict(tenant.settings),
        status=tenant.status,
        head_office_id=tenant.head_office_id,
        version=tenant.version,
        created_at=tenant.created_on,
        updated_at=tenant.modified_on,
    )


def api_key_details(key: ApiKey) -> ApiKeyDetails:
    return ApiKeyDetails(
        id=key.id,
        tenant_id=key.tenant_id,
        name=key.name,
        roles=list(key.roles),
        employee_id=key.employee_id,
        revoked=key.is_revoked,
        version=key.version,
        created_at=key.created_on,
    )


def staff_details(account: StaffAccount) -> StaffDetails:
    return StaffDetails(
        id=account.id,
        email=account.email,
        display_name=account.display_name,
        roles=list(account.roles),
        active=account.is_active,
        version=account.version,
        created_at=account.created_on,
    )


def _staff_caller(account: StaffAccount) -> StaffCaller:
    return StaffCaller(
        staff_id=account.id, roles=account.staff_roles, permissions=STAFF_PERMISSIONS
    )
