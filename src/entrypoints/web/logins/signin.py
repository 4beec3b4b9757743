"""Signing in and out, and setting a password through a one-time link."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException

from application.logins.commands import Session, SignIn
from application.logins.logins import Logins
from application.shared.errors import InvalidInput, Unauthenticated
from domain.logins.login import LoginRefused
from entrypoints.web.forms import GENERAL, FormErrors, form_data, parse_form, refusal_errors
from entrypoints.web.i18n import gettext as _
from entrypoints.web.logins.throttle import SignInThrottle
from entrypoints.web.pages import is_secure, page, redirect
from entrypoints.web.sessions import (
    NONCE_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME_SECONDS,
    ConsoleCookies,
    Flash,
)

HOME = "/console"


def _next_path(raw: str | None) -> str:
    """Only a console path of ours: `next` must not send anyone to another site."""
    if raw and raw.startswith("/console") and not raw.startswith("//"):
        return raw
    return HOME


def signed_in(request: Request[Any, Any, Any], session: Session, target: str) -> Response[Any]:
    """Go to `target` with a new session cookie and a new CSRF nonce (no fixation)."""
    cookies: ConsoleCookies = request.app.state.console_cookies
    request.scope.pop("huoke.new_nonce", None)
    response = redirect(request, target, flash=Flash("success", _("已登录")))
    secure = is_secure(request)
    response.set_cookie(
        SESSION_COOKIE,
        cookies.session_value(session),
        path="/console",
        max_age=SESSION_LIFETIME_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.set_cookie(
        NONCE_COOKIE,
        cookies.new_nonce(),
        path="/console",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    return response


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class SignInController(Controller):
    path = "/"
    include_in_schema = False

    @get("/sign-in", sync_to_thread=False)
    def sign_in_form(
        self, request: Request[Any, Any, Any], next: str | None = None
    ) -> Response[Any]:
        return page(
            request,
            "logins/sign_in.html",
            title=_("登录"),
            next=_next_path(next),
            errors={},
            values={},
        )

    @post("/sign-in")
    async def sign_in(self, request: Request[Any, Any, Any], logins: Logins) -> Response[Any]:
        data = await form_data(request)
        target = _next_path(data.get("next"))
        throttle: SignInThrottle = request.app.state.sign_in_throttle
        wait = throttle.admit(_client(request))
        if wait is not None:
            raise HTTPException(
                status_code=429,
                detail=_("登录尝试过于频繁，请稍后再试。"),
                headers={"RateLimit-Reset": str(int(wait) + 1)},
            )
        values = {"identifier": data.get("identifier", "")}
        try:
            command = parse_form(SignIn, data)
            session = await _in_thread(logins.sign_in, command)
        except FormErrors as invalid:
            return self._again(request, target, values, invalid.errors, 422)
        except LoginRefused as refused:
            return self._again(request, target, values, {GENERAL: _locked_message(refused)}, 403)
        except Unauthenticated:
            errors = {GENERAL: _("邮箱/手机号或密码错误")}
            return self._again(request, target, values, errors, 401)
        return signed_in(request, session, target)

    def _again(
        self,
        request: Request[Any, Any, Any],
        target: str,
        values: dict[str, str],
        errors: dict[str, str],
        status: int,
    ) -> Response[Any]:
        return page(
            request,
            "logins/sign_in.html",
            title=_("登录"),
            next=target,
            values=values,
            errors=errors,
            status=status,
        )

    @post("/sign-out", sync_to_thread=False)
    def sign_out(self, request: Request[Any, Any, Any]) -> Response[Any]:
        response = redirect(request, "/console/sign-in", flash=Flash("info", _("已退出登录")))
        response.delete_cookie(SESSION_COOKIE, path="/console")
        return response


class PasswordController(Controller):
    path = "/password"
    include_in_schema = False

    @get("/forgot", sync_to_thread=False)
    def forgot_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return page(
            request, "logins/forgot.html", title=_("找回密码"), errors={}, values={}, sent=False
        )

    @post("/forgot")
    async def forgot(self, request: Request[Any, Any, Any], logins: Logins) -> Response[Any]:
        data = await form_data(request)
        throttle: SignInThrottle = request.app.state.sign_in_throttle
        if throttle.admit(_client(request)) is not None:
            raise HTTPException(status_code=429, detail=_("操作过于频繁，请稍后再试。"))
        identifier = str(data.get("identifier", "")).strip()
        if not identifier:
            errors = {"identifier": _("必填")}
            return page(
                request,
                "logins/forgot.html",
                title=_("找回密码"),
                errors=errors,
                values={},
                sent=False,
                status=422,
            )
        await _in_thread(logins.request_password_reset, identifier)
        return page(
            request,
            "logins/forgot.html",
            title=_("找回密码"),
            errors={},
            values={"identifier": identifier},
            sent=True,
        )

    @get("/reset", sync_to_thread=True)
    def reset_form(
        self, request: Request[Any, Any, Any], logins: Logins, login: UUID, token: str
    ) -> Response[Any]:
        is_open = logins.reset_link_is_open(login, token)
        return page(
            request,
            "logins/reset.html",
            title=_("设置密码"),
            login=login,
            token=token,
            link_open=is_open,
            errors={},
            status=200 if is_open else 410,
        )

    @post("/reset")
    async def reset(self, request: Request[Any, Any, Any], logins: Logins) -> Response[Any]:
        data = await form_data(request)
        login, token = data.get("login", ""), str(data.get("token", ""))
        try:
            login_id = UUID(str(login))
            password = _confirmed(data, "password")
            session = await _in_thread(logins.reset_password, login_id, token, password)
        except (ValueError, FormErrors, InvalidInput) as refusal:
            errors = (
                refusal.errors
                if isinstance(refusal, FormErrors)
                else (
                    refusal_errors(refusal).errors
                    if isinstance(refusal, InvalidInput)
                    else {GENERAL: _("链接无效")}
                )
            )
            return page(
                request,
                "logins/reset.html",
                title=_("设置密码"),
                login=login,
                token=token,
                link_open=True,
                errors=errors,
                status=422,
            )
        return signed_in(request, session, HOME)

    @get("/change", sync_to_thread=False)
    def change_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return page(request, "logins/change.html", title=_("修改密码"), errors={})

    @post("/change")
    async def change(self, request: Request[Any, Any, Any], logins: Logins) -> Response[Any]:
        cookies: ConsoleCookies = request.app.state.console_cookies
        session = cookies.session_of(request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise Unauthenticated("sign in first")
        data = await form_data(request)
        try:
            new = _confirmed(data, "new_password")
            renewed = await _in_thread(
                lambda: logins.change_password(
                    session, current=str(data.get("current_password", "")), new=new
                )
            )
        except (FormErrors, InvalidInput) as refusal:
            errors = (
                refusal.errors
                if isinstance(refusal, FormErrors)
                else refusal_errors(refusal).errors
            )
            return page(
                request, "logins/change.html", title=_("修改密码"), errors=errors, status=422
            )
        return signed_in(request, renewed, HOME)


def _confirmed(data: dict[str, Any], field: str) -> str:
    password = str(data.get(field, ""))
    if not password:
        raise FormErrors({field: _("必填")})
    if password != data.get(f"{field}_confirmation"):
        raise FormErrors({f"{field}_confirmation": _("两次输入的密码不一致")})
    return password


def _locked_message(refused: LoginRefused) -> str:
    if "revoked" in str(refused):
        return _("此登录已被撤销，请联系企业管理员。")
    return _("连续输错密码次数过多，账号已锁定 15 分钟。")


async def _in_thread(function: Any, *args: Any) -> Any:
    # Password hashing takes tens of milliseconds: off the event loop, in the caller's context.
    return await anyio.to_thread.run_sync(function, *args)
