"""The frame's own route: the language switch."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post

from entrypoints.web import i18n
from entrypoints.web.forms import form_data
from entrypoints.web.pages import is_secure, redirect


class FrameController(Controller):
    path = "/"
    include_in_schema = False

    @post("/language")
    async def language(self, request: Request[Any, Any, Any]) -> Response[Any]:
        data = await form_data(request)
        chosen = str(data.get("language", i18n.CHINESE))
        if chosen not in i18n.LANGUAGES:
            chosen = i18n.CHINESE
        back = str(data.get("next", "/console"))
        if not back.startswith("/console") or back.startswith("//"):
            back = "/console"
        i18n.set_language(chosen)
        response = redirect(request, back)
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            chosen,
            path="/console",
            max_age=365 * 86400,
            samesite="lax",
            secure=is_secure(request),
        )
        return response
