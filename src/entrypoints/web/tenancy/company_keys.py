"""API 密钥: the tenant's API keys as /api/v1/api-keys lists, issues and revokes them.
A new key's secret is shown on the page that answers the issuing form, and never again."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from application.tenancy.commands import ApiKeyDetails, IssueApiKey
from application.tenancy.directory import TenancyQueries
from application.tenancy.tenancy import Tenancy
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, listed, parse_form, reason_of
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.pages import (
    confirm_page,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Row, Table
from entrypoints.web.tenancy.company_labels import ROLES, label, role_names
from entrypoints.web.tenancy.record_pages import record_page

KEYS = "/console/company/api-keys"


def _role_options() -> list[tuple[str, str]]:
    return [(role, label(ROLES, role)) for role in ROLES]


class CompanyApiKeysController(Controller):
    path = "/company/api-keys"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def keys(
        self,
        request: Request[Any, Any, Any],
        tenancy_queries: TenancyQueries,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "access", Action.READ)
        found = tenancy_queries.api_keys(caller.tenant_id, cursor=cursor, limit=PAGE_SIZE)
        timezone = signed_in_viewer(request).timezone
        table = Table(
            id="api-keys",
            url=KEYS,
            caption="API 密钥",
            columns=[
                Column("name", "名称"),
                Column("roles", "角色"),
                Column("state", "状态"),
                Column("created_at", "签发时间"),
            ],
            rows=[
                Row(
                    str(key.id),
                    [
                        Cell(key.name, href=f"{KEYS}/{key.id}"),
                        Cell(role_names(key.roles)),
                        _state(key),
                        Cell(local_time(key.created_at, timezone)),
                    ],
                )
                for key in found.items
            ],
            next_cursor=found.next_cursor,
            query=query_of(request, ("cursor",)),
            empty_message="还没有 API 密钥",
            empty_action=("签发密钥", f"{KEYS}/new")
            if caller.may("access", Action.CREATE)
            else None,
        )
        return page(
            request,
            "tenancy/company/keys.html",
            title=_("API 密钥"),
            table=table,
            may_issue=caller.may("access", Action.CREATE),
        )

    @get("/new", sync_to_thread=False)
    def new_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        tenant_may(request, "access", Action.CREATE)
        return _issue_form(request, {}, {}, 200)

    @post("/new")
    async def issue(self, request: Request[Any, Any, Any], tenancy: Tenancy) -> Response[Any]:
        caller = tenant_may(request, "access", Action.CREATE)
        data = await form_data(request)
        roles = data.get("roles", [])
        values = {"name": str(data.get("name", "")), "roles": roles}
        try:
            command = parse_form(IssueApiKey, {**data, "roles": listed(roles)})
            issued = await change(lambda: tenancy.issue_api_key(caller.tenant_id, command))
        except (FormErrors, InvalidInput, InvalidValue) as refused:
            return _issue_form(request, values, errors_of(refused), 422)
        response = page(
            request,
            "tenancy/company/key_issued.html",
            title=_("密钥已签发"),
            key=issued,
            token=issued.token,
            roles=role_names(issued.roles),
            status=201,
        )
        # The secret is on this page only: no browser or proxy may keep a copy of it.
        response.headers["Cache-Control"] = "no-store"
        return response

    @get("/{key_id:uuid}", sync_to_thread=True)
    def key(
        self,
        request: Request[Any, Any, Any],
        key_id: UUID,
        tenancy: Tenancy,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, "access", Action.READ)
        key = tenancy.api_key(caller.tenant_id, key_id)
        return record_page(
            request,
            "tenancy/company/key.html",
            title=_("API 密钥") + f" · {key.name}",
            record_id=key.id,
            caller=caller,
            history=history,
            key=key,
            roles=role_names(key.roles),
            may_revoke=caller.may("access", Action.DELETE) and not key.revoked,
        )

    @get("/{key_id:uuid}/revoke", sync_to_thread=True)
    def revoke_form(
        self, request: Request[Any, Any, Any], key_id: UUID, tenancy: Tenancy
    ) -> Response[Any]:
        caller = tenant_may(request, "access", Action.DELETE)
        key = tenancy.api_key(caller.tenant_id, key_id)
        return _revoke_form(request, key, {}, {}, 200)

    @post("/{key_id:uuid}/revoke")
    async def revoke(
        self, request: Request[Any, Any, Any], key_id: UUID, tenancy: Tenancy
    ) -> Response[Any]:
        caller = tenant_may(request, "access", Action.DELETE)
        data = await form_data(request)
        reason = reason_of(data)
        if len(reason) > 500:
            key = await in_thread(lambda: tenancy.api_key(caller.tenant_id, key_id))
            errors = {"reason": _("最多 {n} 个字符").format(n=500)}
            return _revoke_form(request, key, {"reason": reason}, errors, 422)
        await change(lambda: tenancy.revoke_api_key(caller.tenant_id, key_id), reason=reason)
        return redirect(request, f"{KEYS}/{key_id}", flash=Flash("success", _("密钥已吊销")))


def _state(key: ApiKeyDetails) -> Cell:
    return Cell(_("已吊销"), badge="bad") if key.revoked else Cell(_("有效"), badge="ok")


def _issue_form(
    request: Request[Any, Any, Any], values: dict[str, Any], errors: dict[str, str], status: int
) -> Response[Any]:
    return page(
        request,
        "tenancy/company/key_new.html",
        title=_("签发 API 密钥"),
        values=values,
        errors=errors,
        role_options=_role_options(),
        status=status,
    )


def _revoke_form(
    request: Request[Any, Any, Any],
    key: ApiKeyDetails,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("吊销 API 密钥") + f" · {key.name}",
        description=_("吊销后，使用此密钥的请求将被拒绝（401），且无法恢复。"),
        action=f"{KEYS}/{key.id}/revoke",
        confirm_label=_("吊销"),
        reason_required=False,
        values=values,
        errors=errors,
        cancel=f"{KEYS}/{key.id}",
        status=status,
    )
