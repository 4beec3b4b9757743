"""Who may see and change the org pages: an employee of the tenant whose roles grant the
action, exactly as the API's guards (`tenant_may`) decide."""

from __future__ import annotations

from typing import Any

from litestar import Request

from application.shared.callers import TenantCaller
from application.shared.errors import PermissionDenied
from domain.shared.access import Action
from entrypoints.web.pages import viewer_of


def caller_may(
    request: Request[Any, Any, Any], action: Action, resource: str = "org"
) -> TenantCaller:
    """The signed-in employee, or 403 (staff have no company of their own here)."""
    viewer = viewer_of(request)
    if viewer is None or not isinstance(viewer.caller, TenantCaller):
        raise PermissionDenied("these pages are for a tenant's employees")
    viewer.caller.require(resource, action)
    return viewer.caller
