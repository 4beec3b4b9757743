"""Creating a lead (/console/leads/new) and editing its profile, through the same use
cases as POST and PATCH /api/v1/leads; a refusal is shown next to its field."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.leads.commands import CreateLead, LeadDetails, UpdateLead
from application.leads.leads import Leads
from application.leads.settings import LeadSettingsDetails, TenantLeadSettings
from application.org.directory import OrgQueries
from application.shared.errors import AlreadyExists, InvalidInput
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, form_data, parse_form, refusal_errors, version_of
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.lead_support import (
    LIST_PATH,
    PROFILE_FIELDS,
    employee_choices,
)
from entrypoints.web.pages import page, redirect, tenant_may
from entrypoints.web.sessions import Flash

NEW_FIELDS = ("name", "mobile", "email", "company", "title", "city", "industry")
CHOICE_FIELDS = ("status", "owner_id", "source_level1", "user_type")


def _choices(settings: LeadSettingsDetails, employees: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "statuses": [(s.key, s.name) for s in settings.statuses],
        "default_status": settings.default_status,
        "sources": [(s.level1, s.level1) for s in settings.sources],
        "user_types": [("person", _("个人")), *((t.key, t.name) for t in settings.user_types)],
        "employees": employees,
    }


class LeadFormController(Controller):
    path = "/leads"
    include_in_schema = False

    @get("/new", sync_to_thread=True)
    def new_lead_form(
        self,
        request: Request[Any, Any, Any],
        lead_settings: TenantLeadSettings,
        org_queries: OrgQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.CREATE)
        return self._new(request, caller.tenant_id, lead_settings, org_queries, {}, {})

    @post("/new")
    async def create_lead(
        self,
        request: Request[Any, Any, Any],
        leads: Leads,
        lead_settings: TenantLeadSettings,
        org_queries: OrgQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.CREATE)
        data = await form_data(request)
        values = {k: str(data.get(k, "")) for k in (*NEW_FIELDS, *CHOICE_FIELDS)}
        given = dict(data)
        if values["source_level1"]:
            given["source"] = {"level1": values["source_level1"]}
        try:
            command = parse_form(CreateLead, given)
            result = await change(lambda: leads.create_lead(caller, command))
        except FormErrors as invalid:
            errors = invalid.errors
        except (InvalidInput, InvalidValue, AlreadyExists) as refusal:
            errors = refusal_errors(refusal).errors
        else:
            message = _("已创建线索") if result.outcome == "created" else _("已匹配到已有线索")
            return redirect(
                request, f"{LIST_PATH}/{result.lead.id}", flash=Flash("success", message)
            )
        return await in_thread(
            lambda: self._new(request, caller.tenant_id, lead_settings, org_queries, values, errors)
        )

    def _new(
        self,
        request: Request[Any, Any, Any],
        tenant_id: UUID,
        lead_settings: TenantLeadSettings,
        org_queries: OrgQueries,
        values: dict[str, str],
        errors: dict[str, str],
    ) -> Response[Any]:
        return page(
            request,
            "leads/lead/new.html",
            title=_("新建线索"),
            values=values,
            errors=errors,
            status=422 if errors else 200,
            **_choices(lead_settings.settings(tenant_id), employee_choices(org_queries, tenant_id)),
        )

    @get("/{lead_id:uuid}/edit", sync_to_thread=True)
    def edit_lead_form(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        lead = leads.lead(caller, lead_id)
        values = {key: _text(lead.profile.get(key)) for key in PROFILE_FIELDS}
        return self._edit(request, lead, values, {})

    @post("/{lead_id:uuid}/edit")
    async def update_lead(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        # The lead first: another tenant's or a colleague's lead is the 404 page whatever
        # the form holds.
        lead = await in_thread(lambda: leads.lead(caller, lead_id))
        data = await form_data(request)
        values = {key: str(data.get(key, "")).strip() for key in PROFILE_FIELDS}
        try:
            version = version_of(data)
            parse_form(UpdateLead, values)  # lengths, with the error next to the field
            # Every profile field is on the form: an emptied one is cleared.
            command = UpdateLead.model_validate({k: v or None for k, v in values.items()})
            await change(
                lambda: leads.update_lead(caller, lead_id, command, expected_version=version)
            )
        except FormErrors as invalid:
            errors = invalid.errors
        except (InvalidInput, InvalidValue) as refusal:
            errors = refusal_errors(refusal).errors
        else:
            return redirect(request, f"{LIST_PATH}/{lead_id}", flash=Flash("success", _("已保存")))
        return self._edit(request, lead, values, errors)

    def _edit(
        self,
        request: Request[Any, Any, Any],
        lead: LeadDetails,
        values: dict[str, str],
        errors: dict[str, str],
    ) -> Response[Any]:
        return page(
            request,
            "leads/lead/edit.html",
            title=_("编辑资料"),
            lead=lead,
            values=values,
            errors=errors,
            fields=[(key, _(label)) for key, label in PROFILE_FIELDS.items()],
            status=422 if errors else 200,
        )


def _text(value: object) -> str:
    return "" if value is None else str(value)
