"""Who may read the audit pages: the caller behind a page, checked as the API's guards
check a key or a staff token (anyone else gets the 403 page)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from application.shared.callers import StaffCaller, TenantCaller
from application.shared.errors import PermissionDenied
from domain.shared.access import Action
from entrypoints.web.pages import Viewer, viewer_of


def tenant_reader(request: Request[Any, Any, Any], resource: str) -> tuple[Viewer, TenantCaller]:
    """A tenant's employee whose roles may read `resource` (history, audit)."""
    viewer = viewer_of(request)
    if viewer is None or not isinstance(viewer.caller, TenantCaller):
        raise PermissionDenied("these audit pages are for a tenant's employees")
    viewer.caller.require(resource, Action.READ)
    return viewer, viewer.caller


def staff_reader(request: Request[Any, Any, Any]) -> tuple[Viewer, StaffCaller]:
    """A staff member whose roles may read history (as GET /api/v1/admin/history)."""
    viewer = viewer_of(request)
    if viewer is None or not isinstance(viewer.caller, StaffCaller):
        raise PermissionDenied("the back office's audit pages need a staff sign-in")
    viewer.caller.require("history", Action.READ)
    return viewer, viewer.caller
