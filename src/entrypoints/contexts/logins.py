"""Logins: console sign-in for platform staff and tenant employees (issue 14)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from adapters.logins.outbox_reset_links import OutboxResetLinks
from application.logins.directory import LoginDirectory, LoginQueries
from application.logins.logins import Logins
from domain.logins.permissions import LOGIN_GRANTS
from entrypoints.manifest import Manifest
from entrypoints.settings import Settings
from entrypoints.web.logins.signin import PasswordController, SignInController


def reset_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + "/console/password/reset"


def build_reset_links(settings: Settings) -> OutboxResetLinks:
    return OutboxResetLinks(settings.var_dir / "outbox")


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    return {
        "logins": providers.Singleton(
            Logins,
            c.infrastructure,
            hasher=c.hasher,
            employees=c.org,
            staff_accounts=c.tenancy,
            reset_links=providers.Singleton(build_reset_links, c.settings),
            reset_url=providers.Callable(reset_url, c.settings),
            clock=c.clock,
            permissions=c.tenant_permissions,
        ),
        "login_queries": providers.Singleton(LoginQueries, c.login_view),
    }


MANIFEST = Manifest(
    name="logins",
    providers=wire,
    applications=("logins",),
    followers=(LoginDirectory,),
    views={"login_view": LoginDirectory},
    grants=(LOGIN_GRANTS,),
    dependencies=("logins", "login_queries"),
    console=(SignInController, PasswordController),
    configuration_events={
        "logins.Login.Granted": "开通控制台登录 · console login granted",
        "logins.Login.PasswordChanged": "登录密码变更 · login password changed",
        "logins.Login.Revoked": "控制台登录撤销 · console login revoked",
        "logins.Login.LockedOut": "登录锁定 · login locked after failed attempts",
    },
)
