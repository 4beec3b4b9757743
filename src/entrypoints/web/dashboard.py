"""The dashboard (工作台): the first page after signing in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import page


class DashboardController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def home(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return page(request, "dashboard/home.html", title=_("工作台"))
