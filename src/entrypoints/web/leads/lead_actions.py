"""Actions on one lead: assign, release to the pool, record a follow-up, close, tag.
Each GET shows the step (what will happen, the reason or note asked for); its POST
runs the use case the API's action route runs, inside the viewer's data scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.leads.commands import AssignLead, CloseLead, FollowUpLead, LeadDetails, TagLead
from application.leads.commands import ReleaseLead as ReleaseCommand
from application.leads.leads import Leads
from application.org.directory import OrgQueries
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, NotFound
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, form_data, parse_form, refusal_errors
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.lead_support import (
    LIST_PATH,
    OUTCOMES,
    employee_choices,
)
from entrypoints.web.pages import page, redirect, tenant_may
from entrypoints.web.sessions import Flash

TEMPLATE = "leads/lead/action.html"


def _lead_name(lead: LeadDetails) -> str:
    return str(lead.profile.get("name") or _("（未填姓名）"))


class LeadActionPages(Controller):
    path = "/leads/{lead_id:uuid}"
    include_in_schema = False

    # --- assign ------------------------------------------------------------------------

    @get("/assign", sync_to_thread=True)
    def assign_step(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads, org_queries: OrgQueries
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        lead = leads.lead(caller, lead_id)
        return self._assign(request, caller, lead, org_queries, {}, {})

    @post("/assign")
    async def assign(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads, org_queries: OrgQueries
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        data = await form_data(request)

        def act() -> None:
            command = parse_form(AssignLead, data)
            leads.assign_owner(caller, lead_id, command)

        return await self._run(
            request, caller, leads, lead_id, data, act, _("已分配负责人"),
            lambda lead, errors: self._assign(request, caller, lead, org_queries, data, errors),
        )  # fmt: skip

    def _assign(
        self,
        request: Request[Any, Any, Any],
        caller: TenantCaller,
        lead: LeadDetails,
        org_queries: OrgQueries,
        values: dict[str, Any],
        errors: dict[str, str],
    ) -> Response[Any]:
        return self._step(
            request, lead, "assign", _("分配负责人"),
            _("把线索「{name}」分配给一位员工，对方会收到通知。").format(name=_lead_name(lead)),
            _("分配"), values, errors, reason_required=False,
            employees=employee_choices(org_queries, caller.tenant_id),
        )  # fmt: skip

    # --- release -----------------------------------------------------------------------

    @get("/release", sync_to_thread=True)
    def release_step(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        lead = leads.lead(caller, lead_id)
        return self._release(request, lead, {}, {})

    @post("/release")
    async def release(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        data = await form_data(request)

        def act() -> None:
            command = parse_form(ReleaseCommand, data)
            leads.release_to_pool(caller, lead_id, command.reason)

        return await self._run(
            request, caller, leads, lead_id, data, act, _("已释放到公海"),
            lambda lead, errors: self._release(request, lead, data, errors),
        )  # fmt: skip

    def _release(
        self,
        request: Request[Any, Any, Any],
        lead: LeadDetails,
        values: dict[str, Any],
        errors: dict[str, str],
    ) -> Response[Any]:
        return self._step(
            request, lead, "release", _("释放到公海"),
            _("线索「{name}」将离开当前负责人，回到公海供他人认领。").format(name=_lead_name(lead)),
            _("释放"), values, errors, reason_required=True,
        )  # fmt: skip

    # --- follow up ---------------------------------------------------------------------

    @get("/follow-up", sync_to_thread=True)
    def follow_up_step(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        lead = leads.lead(caller, lead_id)
        return self._follow_up(request, lead, {}, {})

    @post("/follow-up")
    async def follow_up(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        data = await form_data(request)

        def act() -> None:
            command = parse_form(FollowUpLead, data)
            leads.follow_up(caller, lead_id, command.note)

        return await self._run(
            request, caller, leads, lead_id, data, act, _("已记录跟进"),
            lambda lead, errors: self._follow_up(request, lead, data, errors),
            with_reason=False,
        )  # fmt: skip

    def _follow_up(
        self,
        request: Request[Any, Any, Any],
        lead: LeadDetails,
        values: dict[str, Any],
        errors: dict[str, str],
    ) -> Response[Any]:
        return self._step(
            request, lead, "follow-up", _("记录跟进"),
            _("记下对「{name}」的这次跟进（电话、拜访……）。").format(name=_lead_name(lead)),
            _("保存跟进"), values, errors,
        )  # fmt: skip

    # --- close -------------------------------------------------------------------------

    @get("/close", sync_to_thread=True)
    def close_step(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.CLOSE)
        lead = leads.lead(caller, lead_id)
        return self._close(request, lead, {}, {})

    @post("/close")
    async def close(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.CLOSE)
        data = await form_data(request)

        def act() -> None:
            command = parse_form(CloseLead, data)
            leads.close_lead(caller, lead_id, command)

        return await self._run(
            request, caller, leads, lead_id, data, act, _("已关闭线索"),
            lambda lead, errors: self._close(request, lead, data, errors),
        )  # fmt: skip

    def _close(
        self,
        request: Request[Any, Any, Any],
        lead: LeadDetails,
        values: dict[str, Any],
        errors: dict[str, str],
    ) -> Response[Any]:
        return self._step(
            request, lead, "close", _("关闭线索"),
            _("线索「{name}」将以所选结果离开工作池，之后不能再分配或跟进。").format(
                name=_lead_name(lead)
            ),
            _("关闭线索"), values, errors, reason_required=True,
            outcomes=[(key, _(label)) for key, label in OUTCOMES.items()],
        )  # fmt: skip

    # --- tags --------------------------------------------------------------------------

    @get("/tags", sync_to_thread=True)
    def tags_step(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        lead = leads.lead(caller, lead_id)
        return self._tags(request, lead, {}, {})

    @post("/tags")
    async def tag(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        return await self._tagging(request, lead_id, leads, add=True)

    @post("/tags/remove")
    async def untag(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        return await self._tagging(request, lead_id, leads, add=False)

    async def _tagging(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads, *, add: bool
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        data = await form_data(request)
        field = "tags" if add else "remove"
        raw = data.get(field, [])
        given = raw if isinstance(raw, list) else str(raw).replace("，", ",").split(",")
        tags = [tag.strip() for tag in given if tag.strip()]

        def act() -> None:
            try:
                command = parse_form(TagLead, {"tags": tags})
            except FormErrors:
                raise FormErrors({field: _("请至少填写一个标签")}) from None
            leads.tag(caller, lead_id, command.tags, add=add)

        done = _("已添加标签") if add else _("已移除标签")
        return await self._run(
            request, caller, leads, lead_id, data, act, done,
            lambda lead, errors: self._tags(request, lead, data, errors),
            with_reason=False,
        )  # fmt: skip

    def _tags(
        self,
        request: Request[Any, Any, Any],
        lead: LeadDetails,
        values: dict[str, Any],
        errors: dict[str, str],
    ) -> Response[Any]:
        return page(
            request,
            "leads/lead/tags.html",
            title=_("管理标签"),
            lead=lead,
            name=_lead_name(lead),
            tag_options=[(tag, tag) for tag in lead.tags],
            values=values,
            errors=errors,
            status=422 if errors else 200,
        )

    # --- shared ------------------------------------------------------------------------

    def _step(
        self,
        request: Request[Any, Any, Any],
        lead: LeadDetails,
        action: str,
        title: str,
        description: str,
        confirm_label: str,
        values: dict[str, Any],
        errors: dict[str, str],
        *,
        reason_required: bool | None = None,
        **extra: Any,
    ) -> Response[Any]:
        base = f"{LIST_PATH}/{lead.id}"
        return page(
            request,
            TEMPLATE,
            title=title,
            kind=action,
            description=description,
            action=f"{base}/{action}",
            confirm_label=confirm_label,
            reason_required=reason_required,
            values=values,
            errors=errors,
            cancel=base,
            status=422 if errors else 200,
            **extra,
        )

    async def _run(
        self,
        request: Request[Any, Any, Any],
        caller: TenantCaller,
        leads: Leads,
        lead_id: UUID,
        data: dict[str, Any],
        act: Callable[[], None],
        done: str,
        again: Callable[[LeadDetails, dict[str, str]], Response[Any]],
        *,
        with_reason: bool = True,
    ) -> Response[Any]:
        """Do it as the viewer (the typed reason on its events) and go back to the lead;
        a refusal shows the step again with the error next to its field. A lead outside
        the scope is `NotFound`, the 404 page."""
        reason = str(data.get("reason") or "").strip() if with_reason else None
        try:
            await change(act, reason=reason)
        except FormErrors as invalid:
            errors = invalid.errors
        except NotFound:
            raise
        except (InvalidInput, DomainError) as refusal:
            errors = refusal_errors(refusal).errors
        else:
            return redirect(request, f"{LIST_PATH}/{lead_id}", flash=Flash("success", done))
        lead = await in_thread(lambda: leads.lead(caller, lead_id))
        return again(lead, errors)
