"""The console login's rules: lockout after five wrong passwords in a row, one-time reset
links, sessions ended by a new password or revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.logins.login import (
    LOCKOUT,
    MAX_FAILED_ATTEMPTS,
    Login,
    LoginKind,
    LoginRefused,
    check_password_rule,
    login_id_for,
)
from domain.shared.errors import InvalidValue, StateConflict

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def a_login() -> Login:
    return Login.grant(
        identifier="email:li@acme.cn",
        kind=LoginKind.EMPLOYEE,
        tenant_id=uuid4(),
        subject_id=uuid4(),
        password_hash="hash",
    )


def test_one_identifier_one_login_id() -> None:
    assert a_login().id == login_id_for("email:li@acme.cn")
    assert login_id_for("email:li@acme.cn") != login_id_for("mobile:+8613800138000")


def test_staff_logins_have_no_tenant_and_employee_logins_one() -> None:
    with pytest.raises(InvalidValue):
        Login.grant(
            identifier="email:a@b.cn",
            kind=LoginKind.STAFF,
            tenant_id=uuid4(),
            subject_id=uuid4(),
            password_hash="h",
        )
    with pytest.raises(InvalidValue):
        Login.grant(
            identifier="email:a@b.cn",
            kind=LoginKind.EMPLOYEE,
            tenant_id=None,
            subject_id=uuid4(),
            password_hash="h",
        )


def test_the_fifth_wrong_password_locks_for_fifteen_minutes() -> None:
    login = a_login()
    for attempt in range(MAX_FAILED_ATTEMPTS - 1):
        login.fail_sign_in(NOW)
        assert not login.is_locked(NOW), attempt
    login.fail_sign_in(NOW)
    assert login.is_locked(NOW)
    with pytest.raises(LoginRefused):
        login.sign_in(NOW + LOCKOUT - timedelta(seconds=1))
    login.sign_in(NOW + LOCKOUT)
    assert login.failed_attempts == 0


@given(st.lists(st.booleans(), max_size=40))
def test_locked_exactly_when_the_last_run_of_failures_reached_five(outcomes: list[bool]) -> None:
    """Any sequence of right (True) and wrong (False) passwords at one instant: the login
    is locked iff some run of five wrong ones happened since the last right one, and a
    right password is refused while locked."""
    login, run, locked = a_login(), 0, False
    for right in outcomes:
        if locked:
            with pytest.raises(LoginRefused):
                login.refuse_unless_usable(NOW)
            continue
        if right:
            login.sign_in(NOW)
            run = 0
        else:
            login.fail_sign_in(NOW)
            run += 1
            locked = run >= MAX_FAILED_ATTEMPTS
        assert login.is_locked(NOW) == locked


def test_a_reset_link_works_once_before_it_expires() -> None:
    login = a_login()
    login.request_password_reset(token_hash="t1", at=NOW)
    assert not login.reset_link_is_open("t0", NOW)
    assert not login.reset_link_is_open("t1", NOW + timedelta(hours=1))
    epoch = login.session_epoch
    login.reset_password(token_hash="t1", password_hash="new", at=NOW + timedelta(minutes=5))
    assert login.password_hash == "new" and login.session_epoch == epoch + 1
    with pytest.raises(LoginRefused):
        login.reset_password(token_hash="t1", password_hash="again", at=NOW)


def test_a_newer_link_replaces_the_older_one() -> None:
    login = a_login()
    login.request_password_reset(token_hash="old", at=NOW)
    login.request_password_reset(token_hash="new", at=NOW)
    assert not login.reset_link_is_open("old", NOW)
    assert login.reset_link_is_open("new", NOW)


def test_revocation_ends_sessions_and_refuses_everything() -> None:
    login = a_login()
    epoch = login.session_epoch
    login.revoke()
    assert login.session_epoch == epoch + 1
    with pytest.raises(LoginRefused):
        login.sign_in(NOW)
    with pytest.raises(LoginRefused):
        login.request_password_reset(token_hash="t", at=NOW)
    with pytest.raises(StateConflict):
        login.revoke()


@pytest.mark.parametrize("password", ["short", "a" * 129, "aaaaaaaaaaaa", "abababababab"])
def test_weak_passwords_are_refused_naming_the_field(password: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_password_rule(password)
    assert refused.value.field == "password"


def test_a_good_password_passes() -> None:
    check_password_rule("correct horse battery")
