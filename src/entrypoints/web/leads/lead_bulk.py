"""Bulk actions on the leads selected in the list. The list's form posts the chosen ids
to /console/leads/bulk/<verb>; that shows the step (what, how many, the owner, tags,
status or reason asked for) and its POST acts: tag, untag, change status and delete
through the API's bulk use case, assign and release lead by lead through the use cases
of the API's action routes. Leads outside the viewer's scope are not found, never
changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post

from application.leads.bulk import MAX_BULK, BulkArguments, BulkLeadAction, BulkLeadActions
from application.leads.commands import AssignLead
from application.leads.leads import Leads
from application.leads.settings import TenantLeadSettings
from application.org.directory import OrgQueries
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, NotFound
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import GENERAL, form_data, listed, refusal_errors
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.lead_support import (
    LIST_PATH,
    employee_choices,
)
from entrypoints.web.pages import confirm_page, redirect, tenant_may
from entrypoints.web.sessions import Flash

CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Verb:
    title: str  # msgid
    confirm: str  # msgid
    action: Action
    reason: bool | None = None  # None: no reason field; True: required


VERBS: dict[str, Verb] = {
    "assign": Verb(N_("批量分配负责人"), N_("分配"), Action.UPDATE, reason=False),
    "release": Verb(N_("批量释放到公海"), N_("释放"), Action.UPDATE, reason=True),
    "add_tags": Verb(N_("批量添加标签"), N_("添加标签"), Action.UPDATE),
    "remove_tags": Verb(N_("批量移除标签"), N_("移除标签"), Action.UPDATE),
    "change_status": Verb(N_("批量修改状态"), N_("修改状态"), Action.UPDATE),
    "delete": Verb(N_("批量删除线索"), N_("删除"), Action.DELETE, reason=True),
}


@dataclass(frozen=True)
class Tally:
    ok: int = 0
    not_found: int = 0
    refused: int = 0


class LeadBulkController(Controller):
    path = "/leads/bulk"
    include_in_schema = False

    @post("/{verb:str}")
    async def bulk(
        self,
        request: Request[Any, Any, Any],
        verb: str,
        leads: Leads,
        lead_bulk: BulkLeadActions,
        lead_settings: TenantLeadSettings,
        org_queries: OrgQueries,
    ) -> Response[Any]:
        chosen = VERBS.get(verb)
        if chosen is None:
            raise NotFound(f"no bulk action {verb}")
        caller = tenant_may(request, "leads", chosen.action)
        data = await form_data(request)
        lead_ids = _ids(data)
        if not lead_ids:
            return redirect(request, LIST_PATH, flash=Flash("error", _("请先勾选线索")))
        errors: dict[str, str] = {}
        if data.get("step") == CONFIRMED:
            reason = str(data.get("reason") or "").strip()
            try:
                tally = await change(
                    lambda: self._apply(verb, caller, lead_ids, data, leads, lead_bulk),
                    reason=reason,
                )
            except (InvalidInput, DomainError) as refusal:
                shown = refusal_errors(refusal).errors
                errors = {key.removeprefix("arguments."): text for key, text in shown.items()}
            else:
                message = _(
                    "完成：成功 {ok} 条，未找到 {not_found} 条，被拒绝 {refused} 条"
                ).format(ok=tally.ok, not_found=tally.not_found, refused=tally.refused)
                kind = "success" if tally.ok == len(lead_ids) else "info"
                return redirect(request, LIST_PATH, flash=Flash(kind, message))
        settings = await in_thread(lambda: lead_settings.settings(caller.tenant_id))
        employees = (
            await in_thread(lambda: employee_choices(org_queries, caller.tenant_id))
            if verb == "assign"
            else []
        )
        return confirm_page(
            request,
            template="leads/lead/bulk.html",
            title=_(chosen.title),
            kind=verb,
            description=_(
                "将对所选的 {n} 条线索执行此操作；您数据范围以外的线索不会被改动。"
            ).format(n=len(lead_ids)),
            action=f"{LIST_PATH}/bulk/{verb}",
            confirm_label=_(chosen.confirm),
            reason_required=chosen.reason,
            fields={"step": CONFIRMED, "lead_ids": ",".join(str(i) for i in lead_ids)},
            values=data,
            errors=errors,
            cancel=LIST_PATH,
            employees=employees,
            statuses=[(s.key, s.name) for s in settings.statuses],
            status=422 if errors else 200,
        )

    def _apply(
        self,
        verb: str,
        caller: TenantCaller,
        lead_ids: list[UUID],
        data: dict[str, Any],
        leads: Leads,
        lead_bulk: BulkLeadActions,
    ) -> Tally:
        if verb in ("assign", "release"):
            return _one_by_one(verb, caller, lead_ids, data, leads)
        tags = [t.strip() for t in str(data.get("tags") or "").replace("，", ",").split(",")]
        arguments = BulkArguments(
            tags=[t for t in tags if t] or None,
            status=str(data.get("status") or "") or None,
            reason=str(data.get("reason") or "").strip() or None,
        )
        result = lead_bulk.apply(
            caller,
            BulkLeadAction(action=verb, lead_ids=lead_ids, arguments=arguments),  # type: ignore[arg-type]
        )
        return Tally(result.ok, result.not_found, result.refused)


def _one_by_one(
    verb: str, caller: TenantCaller, lead_ids: list[UUID], data: dict[str, Any], leads: Leads
) -> Tally:
    """Assign or release each lead with the action route's use case; the first lead's
    refusal of the input itself (no such employee, no reason) is the form's error."""
    reason = str(data.get("reason") or "").strip()
    if verb == "assign":
        try:
            owner_id = UUID(str(data.get("owner_id") or ""))
        except ValueError:
            raise InvalidInput(_("请选择员工"), field="owner_id") from None
        command = AssignLead(owner_id=owner_id, reason=reason or None)
    elif not reason:
        raise InvalidInput(_("必填"), field="reason")
    ok = not_found = refused_ = 0
    for lead_id in lead_ids:
        try:
            if verb == "assign":
                leads.assign_owner(caller, lead_id, command)
            else:
                leads.release_to_pool(caller, lead_id, reason)
        except NotFound:
            not_found += 1
        except InvalidInput as refusal:
            if refusal.field == "owner_id":
                raise
            refused_ += 1
        except DomainError:
            refused_ += 1
        else:
            ok += 1
    return Tally(ok, not_found, refused_)


def _ids(data: dict[str, Any]) -> list[UUID]:
    """The chosen leads: `ids[]` from the list, or `lead_ids` carried by the step."""
    given = listed(data.get("ids")) or str(data.get("lead_ids") or "").split(",")
    found: list[UUID] = []
    for value in given:
        try:
            found.append(UUID(str(value).strip()))
        except ValueError:
            continue  # not an id: nothing to act on
    if len(found) > MAX_BULK:
        raise InvalidInput(_("一次最多 {n} 条").format(n=MAX_BULK), field=GENERAL)
    return list(dict.fromkeys(found))
