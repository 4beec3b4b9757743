"""Console logins as use cases on both stores: granting, signing in, links through the
outbox, roles read at every request, suspended tenants and departed employees."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest

from application.logins.commands import GrantEmployeeLogin, Session, SignIn
from application.logins.logins import WRONG_CREDENTIALS
from application.org.commands import HireEmployee, ReviseEmployee
from application.shared.callers import TenantCaller
from application.shared.context import RequestContext, acting
from application.shared.errors import InvalidInput, PermissionDenied, Unauthenticated
from application.tenancy.commands import RegisterTenant
from domain.shared.access import TenantRole
from entrypoints.container import Runtime

PASSWORD = "a-good-password-1"


@pytest.fixture(autouse=True)
def as_test() -> object:
    with acting(RequestContext(request_id=f"test-{uuid.uuid4().hex[:6]}")) as context:
        yield context


def admin_of(runtime: Runtime) -> TenantCaller:
    tenant = runtime.container.tenancy().register_tenant(
        RegisterTenant(name="登录测试", owner_name="李雷", owner_contact="li@acme.cn")
    )
    return TenantCaller(
        key_id=uuid.uuid4(),
        tenant_id=tenant.id,
        roles=frozenset({TenantRole.TENANT_ADMIN}),
        permissions=runtime.container.tenant_permissions(),
    )


def hire(runtime: Runtime, admin: TenantCaller, *roles: str) -> tuple[UUID, str]:
    email = f"e-{uuid.uuid4().hex[:8]}@acme.cn"
    employee = runtime.container.org().hire_employee(
        admin.tenant_id, HireEmployee(name="韩梅梅", email=email, roles=list(roles))
    )
    return employee.id, email


def test_a_login_without_a_password_gets_a_one_time_link_through_the_outbox(
    runtime: Runtime,
) -> None:
    logins = runtime.container.logins()
    admin = admin_of(runtime)
    employee_id, email = hire(runtime, admin, "sales")
    login = logins.grant_employee_login(
        admin, GrantEmployeeLogin(employee_id=employee_id, identifier=email.upper())
    )
    assert login.identifier == f"email:{email}"
    with pytest.raises(Unauthenticated):  # no password can match until one is set
        logins.sign_in(SignIn(identifier=email, password="!" + "0" * 32))
    outbox = runtime.settings.var_dir / "outbox" / "messages.jsonl"
    message = next(
        json.loads(line) for line in outbox.read_text().splitlines()[::-1] if email in line
    )
    assert message["purpose"] == "set_password" and message["to"] == email
    query = parse_qs(urlsplit(message["link"]).query)
    token = query["token"][0]
    session = logins.reset_password(UUID(query["login"][0]), token, PASSWORD)
    assert logins.sign_in(SignIn(identifier=email, password=PASSWORD)).login_id == session.login_id
    with pytest.raises(InvalidInput) as used:
        logins.reset_password(login.id, token, "another-password-2")
    assert used.value.field == "token"


def test_wrong_identifiers_and_wrong_passwords_answer_alike(runtime: Runtime) -> None:
    logins = runtime.container.logins()
    admin = admin_of(runtime)
    employee_id, email = hire(runtime, admin, "marketer")
    logins.grant_employee_login(
        admin, GrantEmployeeLogin(employee_id=employee_id, identifier=email, password=PASSWORD)
    )
    answers = []
    for identifier, password in [
        (email, "wrong-password-1"),
        ("nobody@acme.cn", PASSWORD),
        ("not an identifier", PASSWORD),
    ]:
        with pytest.raises(Unauthenticated) as refused:
            logins.sign_in(SignIn(identifier=identifier, password=password))
        answers.append(str(refused.value))
    assert answers == [WRONG_CREDENTIALS] * 3


def test_roles_and_leaving_are_read_at_every_request(runtime: Runtime) -> None:
    logins, org = runtime.container.logins(), runtime.container.org()
    admin = admin_of(runtime)
    employee_id, email = hire(runtime, admin, "sales")
    logins.grant_employee_login(
        admin, GrantEmployeeLogin(employee_id=employee_id, identifier=email, password=PASSWORD)
    )
    session = logins.sign_in(SignIn(identifier=email, password=PASSWORD))
    caller = logins.caller_for(session)
    assert isinstance(caller, TenantCaller)
    assert caller.roles == {TenantRole.SALES} and caller.employee_id == employee_id
    assert caller.actor.kind == "employee" and caller.actor.id == str(employee_id)
    org.revise_employee(
        admin.tenant_id, employee_id, ReviseEmployee(roles=["sales_manager"]), expected_version=1
    )
    promoted = logins.caller_for(session)
    assert isinstance(promoted, TenantCaller) and promoted.roles == {TenantRole.SALES_MANAGER}
    org.record_leaving(admin.tenant_id, employee_id, expected_version=2)
    with pytest.raises(Unauthenticated):
        logins.caller_for(session)


def test_a_suspended_tenant_signs_no_one_in(runtime: Runtime) -> None:
    logins, tenancy = runtime.container.logins(), runtime.container.tenancy()
    admin = admin_of(runtime)
    employee_id, email = hire(runtime, admin, "sales")
    logins.grant_employee_login(
        admin, GrantEmployeeLogin(employee_id=employee_id, identifier=email, password=PASSWORD)
    )
    session = logins.sign_in(SignIn(identifier=email, password=PASSWORD))
    tenancy.suspend_tenant(admin.tenant_id, "欠费", expected_version=1)
    with pytest.raises(PermissionDenied):
        logins.caller_for(session)
    with pytest.raises(PermissionDenied):
        logins.sign_in(SignIn(identifier=email, password=PASSWORD))


def test_one_identifier_one_login_and_only_admins_grant(runtime: Runtime) -> None:
    logins = runtime.container.logins()
    admin = admin_of(runtime)
    first, email = hire(runtime, admin, "sales")
    second, _ = hire(runtime, admin, "sales")
    logins.grant_employee_login(
        admin, GrantEmployeeLogin(employee_id=first, identifier=email, password=PASSWORD)
    )
    with pytest.raises(InvalidInput) as taken:
        logins.grant_employee_login(
            admin, GrantEmployeeLogin(employee_id=second, identifier=email, password=PASSWORD)
        )
    assert taken.value.field == "identifier"
    sales = TenantCaller(
        key_id=uuid.uuid4(),
        tenant_id=admin.tenant_id,
        roles=frozenset({TenantRole.SALES}),
        permissions=admin.permissions,
    )
    with pytest.raises(PermissionDenied):
        logins.grant_employee_login(
            sales, GrantEmployeeLogin(employee_id=second, identifier="x@acme.cn")
        )


def test_a_password_change_ends_the_other_sessions(runtime: Runtime) -> None:
    logins = runtime.container.logins()
    admin = admin_of(runtime)
    employee_id, email = hire(runtime, admin, "auditor")
    logins.grant_employee_login(
        admin, GrantEmployeeLogin(employee_id=employee_id, identifier=email, password=PASSWORD)
    )
    phone = logins.sign_in(SignIn(identifier=email, password=PASSWORD))
    laptop = logins.sign_in(SignIn(identifier=email, password=PASSWORD))
    renewed = logins.change_password(laptop, current=PASSWORD, new="a-newer-password-2")
    assert isinstance(logins.caller_for(renewed), TenantCaller)
    with pytest.raises(Unauthenticated):
        logins.caller_for(phone)
    with pytest.raises(Unauthenticated):
        logins.caller_for(Session(login_id=phone.login_id, epoch=phone.epoch))


def test_an_employee_signs_in_with_their_mobile_in_any_common_form(runtime: Runtime) -> None:
    logins = runtime.container.logins()
    admin = admin_of(runtime)
    employee = runtime.container.org().hire_employee(
        admin.tenant_id, HireEmployee(name="手机用户", mobile="13800138000", roles=["sales"])
    )
    mobile = f"139{uuid.uuid4().int % 10**8:08d}"
    login = logins.grant_employee_login(
        admin, GrantEmployeeLogin(employee_id=employee.id, identifier=mobile, password=PASSWORD)
    )
    assert login.identifier == f"mobile:+86{mobile}"
    for typed in (mobile, f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"0086{mobile}"):
        assert logins.sign_in(SignIn(identifier=typed, password=PASSWORD)).login_id == login.id
