"""Actions on one lead: assign, release to the pool, record a follow-up, close, tag.
Each GET shows the step (what will happen, the reason or note asked for); its POST
runs the use case the API's action route runs, inside the viewer's data scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from entrypoints.web.forms import (
    FormErrors,
    form_data,
    listed,
    parse_form,
    reason_of,
    refusal_errors,
)
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.lead_support import LIST_PATH, OUTCOMES, employee_choices
from entrypoints.web.pages import confirm_page, page, redirect, tenant_may
from entrypoints.web.sessions import Flash

TEMPLATE = "leads/lead/action.html"
Again = Callable[[LeadDetails, dict[str, str]], Response[Any]]
Choices = Callable[[TenantCaller], dict[str, Any]]  # what a step's own fields offer


@dataclass(frozen=True)
class Step:
    """One action's confirmation step (msgids): its path under the lead, what it says,
    the reason it asks for (None: no reason field) and the role's action it needs."""

    path: str
    title: str
    description: str  # with {name}, the lead's
    confirm: str
    done: str
    reason: bool | None = None
    needs: Action = Action.UPDATE


ASSIGN = Step(
    "assign",
    N_("分配负责人"),
    N_("把线索「{name}」分配给一位员工，对方会收到通知。"),
    N_("分配"),
    N_("已分配负责人"),
    reason=False,
)
RELEASE = Step(
    "release",
    N_("释放到公海"),
    N_("线索「{name}」将离开当前负责人，回到公海供他人认领。"),
    N_("释放"),
    N_("已释放到公海"),
    reason=True,
)
FOLLOW_UP = Step(
    "follow-up",
    N_("记录跟进"),
    N_("记下对「{name}」的这次跟进（电话、拜访……）。"),
    N_("保存跟进"),
    N_("已记录跟进"),
)
CLOSE = Step(
    "close",
    N_("关闭线索"),
    N_("线索「{name}」将以所选结果离开工作池，之后不能再分配或跟进。"),
    N_("关闭线索"),
    N_("已关闭线索"),
    reason=True,
    needs=Action.CLOSE,
)


def _lead_name(lead: LeadDetails) -> str:
    return str(lead.profile.get("name") or _("（未填姓名）"))


def _owners(org_queries: OrgQueries) -> Choices:
    return lambda caller: {"employees": employee_choices(org_queries, caller.tenant_id)}


def _outcomes(caller: TenantCaller) -> dict[str, Any]:
    return {"outcomes": [(key, _(label)) for key, label in OUTCOMES.items()]}


def _nothing(caller: TenantCaller) -> dict[str, Any]:
    return {}


class LeadActionPages(Controller):
    path = "/leads/{lead_id:uuid}"
    include_in_schema = False

    @get("/assign", sync_to_thread=True)
    def assign_step(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads, org_queries: OrgQueries
    ) -> Response[Any]:
        return self._show(request, ASSIGN, leads, lead_id, _owners(org_queries))

    @post("/assign")
    async def assign(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads, org_queries: OrgQueries
    ) -> Response[Any]:
        return await self._do(
            request,
            ASSIGN,
            leads,
            lead_id,
            lambda caller, data: leads.assign_owner(caller, lead_id, parse_form(AssignLead, data)),
            _owners(org_queries),
        )

    @get("/release", sync_to_thread=True)
    def release_step(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        return self._show(request, RELEASE, leads, lead_id)

    @post("/release")
    async def release(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        return await self._do(
            request,
            RELEASE,
            leads,
            lead_id,
            lambda caller, data: leads.release_to_pool(
                caller, lead_id, parse_form(ReleaseCommand, data).reason
            ),
        )

    @get("/follow-up", sync_to_thread=True)
    def follow_up_step(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        return self._show(request, FOLLOW_UP, leads, lead_id)

    @post("/follow-up")
    async def follow_up(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        return await self._do(
            request,
            FOLLOW_UP,
            leads,
            lead_id,
            lambda caller, data: leads.follow_up(
                caller, lead_id, parse_form(FollowUpLead, data).note
            ),
        )

    @get("/close", sync_to_thread=True)
    def close_step(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        return self._show(request, CLOSE, leads, lead_id, _outcomes)

    @post("/close")
    async def close(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        return await self._do(
            request,
            CLOSE,
            leads,
            lead_id,
            lambda caller, data: leads.close_lead(caller, lead_id, parse_form(CloseLead, data)),
            _outcomes,
        )

    # --- tags --------------------------------------------------------------------------

    @get("/tags", sync_to_thread=True)
    def tags_step(
        self, request: Request[Any, Any, Any], lead_id: UUID, leads: Leads
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        return self._tags(request, {}, leads.lead(caller, lead_id), {})

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
        if add:  # typed, comma-separated
            given = str(data.get(field) or "").replace("，", ",").split(",")
        else:  # ticked
            given = listed(data.get(field))
        tags = [tag.strip() for tag in given if tag.strip()]

        def act() -> None:
            try:
                command = parse_form(TagLead, {"tags": tags})
            except FormErrors:
                raise FormErrors({field: _("请至少填写一个标签")}) from None
            leads.tag(caller, lead_id, command.tags, add=add)

        return await self._run(
            request,
            caller,
            leads,
            lead_id,
            act,
            _("已添加标签") if add else _("已移除标签"),
            lambda lead, errors: self._tags(request, data, lead, errors),
        )

    def _tags(
        self,
        request: Request[Any, Any, Any],
        values: dict[str, Any],
        lead: LeadDetails,
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

    def _show(
        self,
        request: Request[Any, Any, Any],
        step: Step,
        leads: Leads,
        lead_id: UUID,
        choices: Choices = _nothing,
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", step.needs)
        return self._step(request, step, choices(caller), {}, leads.lead(caller, lead_id), {})

    def _step(
        self,
        request: Request[Any, Any, Any],
        step: Step,
        choices: dict[str, Any],
        values: dict[str, Any],
        lead: LeadDetails,
        errors: dict[str, str],
    ) -> Response[Any]:
        base = f"{LIST_PATH}/{lead.id}"
        return confirm_page(
            request,
            template=TEMPLATE,
            title=_(step.title),
            description=_(step.description).format(name=_lead_name(lead)),
            action=f"{base}/{step.path}",
            cancel=base,
            confirm_label=_(step.confirm),
            reason_required=step.reason,
            values=values,
            errors=errors,
            status=422 if errors else 200,
            kind=step.path,
            **choices,
        )

    async def _do(
        self,
        request: Request[Any, Any, Any],
        step: Step,
        leads: Leads,
        lead_id: UUID,
        act: Callable[[TenantCaller, dict[str, Any]], object],
        choices: Choices = _nothing,
    ) -> Response[Any]:
        """The step's POST: `act(caller, form)` with the reason typed, if it asks for one."""
        caller = tenant_may(request, "leads", step.needs)
        data = await form_data(request)

        def again(lead: LeadDetails, errors: dict[str, str]) -> Response[Any]:
            return self._step(request, step, choices(caller), data, lead, errors)

        return await self._run(
            request,
            caller,
            leads,
            lead_id,
            lambda: act(caller, data),
            _(step.done),
            again,
            reason=reason_of(data) if step.reason is not None else None,
        )

    async def _run(
        self,
        request: Request[Any, Any, Any],
        caller: TenantCaller,
        leads: Leads,
        lead_id: UUID,
        act: Callable[[], object],
        done: str,
        again: Again,
        *,
        reason: str | None = None,
    ) -> Response[Any]:
        """Do it as the viewer (the typed reason on its events) and go back to the lead;
        a refusal shows the step again with the error next to its field. A lead outside
        the scope is `NotFound`, the 404 page."""
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
        return await in_thread(lambda: again(leads.lead(caller, lead_id), errors))
