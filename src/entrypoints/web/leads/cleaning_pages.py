"""The cleaning queue in the console (线索清洗, LEAD-4): suspected duplicates, a case's
leads side by side, and a merge where the person chooses, field by field, whose value
the surviving lead keeps (confirmed on a step of its own); or the case dismissed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from pydantic import ValidationError

from application.leads.cleaning import DismissCase, DuplicateCaseDetails, DuplicateCases, MergeCase
from application.leads.cleaning_directory import CaseStatus, DuplicateQueries
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput
from application.shared.pages import DEFAULT_LIMIT
from domain.leads.lead import BASE_FIELDS
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.imports_pages import FIELD_LABELS
from entrypoints.web.pages import (
    confirm_page,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import Cell, Column, Filter, Option, Row, Table

BASE = "/console/lead-duplicates"
RECORD = "record"  # the side of an import's case that is the incoming row, not a lead
PICK = "pick."  # form fields `pick.<field>` name the side whose value is kept
STATUSES: dict[str, tuple[str, str]] = {
    "open": (N_("待处理"), "warn"),
    "merged": (N_("已合并"), "ok"),
    "dismissed": (N_("非重复"), "info"),
    "deleted": (N_("已删除"), "bad"),
}
REASONS = {
    "same_mobile": N_("手机号相同"),
    "same_email": N_("邮箱相同"),
    "import_duplicate": N_("导入时重复"),
    "similar_name_company": N_("同公司同名"),
}


def reason_label(reason: str) -> str:
    return _(REASONS.get(reason, reason))


class Side:
    """One column of a case: a lead, or the import's incoming record."""

    def __init__(self, key: str, label: str, values: Mapping[str, Any], identities: list[str]):
        self.key = key
        self.label = label
        self.values = dict(values)
        self.identities = identities


def sides_of(case: DuplicateCaseDetails) -> list[Side]:
    sides = [
        Side(
            str(lead.id),
            _("线索 {n}").format(n=number),
            {**lead.profile, **lead.custom},
            [item["value"] for item in lead.identities],
        )
        for number, lead in enumerate(case.leads, 1)
    ]
    if case.record:
        sides.append(
            Side(
                RECORD,
                _("导入的记录"),
                {**case.record.get("profile", {}), **case.record.get("custom", {})},
                [item["value"] for item in case.record.get("identities", [])],
            )
        )
    return sides


def differing_fields(sides: list[Side]) -> list[str]:
    """Fields whose values differ between the sides (the ones worth a choice): base fields
    first, in their order, then custom fields."""
    keys = [k for k in BASE_FIELDS] + sorted(
        {k for side in sides for k in side.values} - set(BASE_FIELDS)
    )
    return [key for key in keys if len({_shown(side.values.get(key)) for side in sides}) > 1]


def preferred_side(sides: list[Side], key: str) -> str:
    """The side offered first for a field: the first with a value."""
    return next((side.key for side in sides if _shown(side.values.get(key))), sides[0].key)


def _shown(value: Any) -> str:
    return "" if value in (None, "") else str(value)


def field_name(key: str) -> str:
    return _(FIELD_LABELS[key]) if key in FIELD_LABELS else key


class DuplicateCasePages(Controller):
    path = "/lead-duplicates"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def cases(
        self, request: Request[Any, Any, Any], duplicate_queries: DuplicateQueries
    ) -> Response[Any]:
        caller = tenant_may(request, "leads")
        query = query_of(request, ("status", "cursor"))
        status: CaseStatus = query["status"] if query["status"] in STATUSES else "open"  # type: ignore[assignment]
        found = duplicate_queries.cases(
            caller, status=status, cursor=query["cursor"] or None, limit=DEFAULT_LIMIT
        )
        label, badge = STATUSES[status]
        timezone = signed_in_viewer(request).timezone
        table = Table(
            id="duplicate-cases",
            url=BASE,
            caption=N_("疑似重复的线索"),
            columns=[
                Column("reason", N_("原因")),
                Column("leads", N_("线索数"), numeric=True),
                Column("from_import", N_("来自导入")),
                Column("status", N_("状态")),
                Column("opened_at", N_("发现时间")),
            ],
            rows=[
                Row(
                    str(item.id),
                    [
                        Cell(reason_label(item.reason), href=f"{BASE}/{item.id}"),
                        Cell(str(len(item.lead_ids))),
                        Cell(_("是") if item.from_import else _("否")),
                        Cell(_(label), badge=badge),
                        Cell(local_time(item.opened_at, timezone)),
                    ],
                )
                for item in found.items
            ],
            next_cursor=found.next_cursor,
            filters=[
                Filter(
                    "status",
                    N_("状态"),
                    kind="select",
                    options=tuple(Option(key, text) for key, (text, _b) in STATUSES.items()),
                )
            ],
            query=query,
            empty_message=N_("没有待处理的重复线索"),
        )
        return page(
            request,
            "leads/data/cases.html",
            title=_("线索清洗"),
            table=table,
            may_clean=caller.may("leads", Action.UPDATE),
        )

    @post("/scan")
    async def scan(
        self, request: Request[Any, Any, Any], lead_cleaning: DuplicateCases
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        found = await change(lambda: lead_cleaning.detect_duplicates(caller))
        message = _(
            "扫描了 {examined} 条线索，新发现 {opened} 组重复，自动合并 {merged} 组"
        ).format(examined=found.examined, opened=found.opened, merged=found.merged_automatically)
        return redirect(request, BASE, flash=Flash("success", message))

    @get("/{case_id:uuid}", sync_to_thread=True)
    def case(
        self, request: Request[Any, Any, Any], case_id: UUID, lead_cleaning: DuplicateCases
    ) -> Response[Any]:
        caller = tenant_may(request, "leads")
        found = lead_cleaning.case(caller, case_id)
        return self._case_page(request, caller, found, errors={}, values={}, status=200)

    def _case_page(
        self,
        request: Request[Any, Any, Any],
        caller: TenantCaller,
        found: DuplicateCaseDetails,
        *,
        errors: dict[str, str],
        values: Mapping[str, Any],
        status: int,
    ) -> Response[Any]:
        sides = sides_of(found)
        keys = [k for k in BASE_FIELDS] + sorted(
            {k for side in sides for k in side.values} - set(BASE_FIELDS)
        )
        shown_keys = [k for k in keys if any(_shown(side.values.get(k)) for side in sides)]
        leads = [side for side in sides if side.key != RECORD]
        label, badge = STATUSES.get(found.status, (found.status, "info"))
        return page(
            request,
            "leads/data/case.html",
            title=_("重复线索：{reason}").format(reason=reason_label(found.reason)),
            case=found,
            sides=sides,
            rows=[
                (field_name(k), [_shown(side.values.get(k)) or "—" for side in sides])
                for k in shown_keys
            ],
            choices=[
                (
                    f"{PICK}{key}",
                    field_name(key),
                    [
                        (side.key, f"{side.label}：{_shown(side.values.get(key)) or _('（空）')}")
                        for side in sides
                    ],
                )
                for key in differing_fields(sides)
            ],
            survivors=[(side.key, side.label) for side in leads],
            status_label=_(label),
            status_badge=badge,
            open=found.status == "open" and caller.may("leads", Action.UPDATE),
            errors=errors,
            values={
                "survivor_id": str(leads[0].key) if leads else "",
                **{f"{PICK}{key}": preferred_side(sides, key) for key in differing_fields(sides)},
                **values,
            },
            status=status,
        )

    @get("/{case_id:uuid}/merge", sync_to_thread=True)
    def confirm_merge(
        self, request: Request[Any, Any, Any], case_id: UUID, lead_cleaning: DuplicateCases
    ) -> Response[Any]:
        """The confirmation step: what the surviving lead will hold."""
        caller = tenant_may(request, "leads", Action.UPDATE)
        found = lead_cleaning.case(caller, case_id)
        picked = dict(request.query_params)
        try:
            survivor, chosen = _merge_of(found, picked)
        except FormErrors as invalid:
            return self._case_page(
                request, caller, found, errors=invalid.errors, values=picked, status=422
            )
        sides = {side.key: side for side in sides_of(found)}
        summary = [
            (field_name(key), _shown(value) or _("（空）"), sides[picked[f"{PICK}{key}"]].label)
            for key, value in chosen.items()
        ]
        return confirm_page(
            request,
            template="leads/data/merge_confirm.html",
            title=_("确认合并"),
            description=_(
                "其他线索将合并进{survivor}：身份（手机号、邮箱等）和标签都会保留，被合并的线索不再单独出现。此操作无法撤销。"
            ).format(survivor=sides[str(survivor)].label),
            action=f"{BASE}/{case_id}/merge",
            confirm_label=_("确认合并"),
            cancel=f"{BASE}/{case_id}",
            fields={
                key: value
                for key, value in picked.items()
                if key == "survivor_id" or key.startswith(PICK)
            },
            reason_required=None,
            summary=summary,
        )

    @post("/{case_id:uuid}/merge")
    async def merge(
        self, request: Request[Any, Any, Any], case_id: UUID, lead_cleaning: DuplicateCases
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        picked = await form_data(request)

        def merge() -> None:
            found = lead_cleaning.case(caller, case_id)
            survivor, chosen = _merge_of(found, picked)
            lead_cleaning.merge(caller, case_id, MergeCase(survivor_id=survivor, chosen=chosen))

        try:
            await change(merge)
        except (FormErrors, InvalidInput, InvalidValue) as refused:
            errors = errors_of(refused)
            found = await in_thread(lambda: lead_cleaning.case(caller, case_id))
            return self._case_page(request, caller, found, errors=errors, values=picked, status=422)
        return redirect(request, f"{BASE}/{case_id}", flash=Flash("success", _("已合并")))

    @get("/{case_id:uuid}/dismiss", sync_to_thread=True)
    def confirm_dismiss(
        self, request: Request[Any, Any, Any], case_id: UUID, lead_cleaning: DuplicateCases
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        lead_cleaning.case(caller, case_id)  # another tenant's case: 404
        return self._dismiss_form(request, case_id, errors={}, values={}, status=200)

    def _dismiss_form(
        self,
        request: Request[Any, Any, Any],
        case_id: UUID,
        *,
        errors: dict[str, str],
        values: Mapping[str, Any],
        status: int,
    ) -> Response[Any]:
        return confirm_page(
            request,
            title=_("标记为非重复"),
            description=_("这些线索不是同一个人：此案例关闭，它们以后不会再被放在一起排队。"),
            action=f"{BASE}/{case_id}/dismiss",
            confirm_label=_("确认非重复"),
            cancel=f"{BASE}/{case_id}",
            reason_required=True,
            errors=errors,
            values=values,
            status=status,
        )

    @post("/{case_id:uuid}/dismiss")
    async def dismiss(
        self, request: Request[Any, Any, Any], case_id: UUID, lead_cleaning: DuplicateCases
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.UPDATE)
        await in_thread(lambda: lead_cleaning.case(caller, case_id))  # another's: 404
        data = await form_data(request)
        try:
            command = parse_form(DismissCase, data)
            await change(
                lambda: lead_cleaning.dismiss(caller, case_id, command),
                reason=command.reason,
            )
        except FormErrors as invalid:
            return self._dismiss_form(
                request, case_id, errors=invalid.errors, values=data, status=422
            )
        return redirect(request, f"{BASE}/{case_id}", flash=Flash("success", _("已标记为非重复")))


def _merge_of(
    found: DuplicateCaseDetails, picked: Mapping[str, Any]
) -> tuple[UUID, dict[str, Any]]:
    """The survivor and the chosen values from the form: each `pick.<field>` names the
    side whose value is kept; values are read from the case as it is now."""
    sides = {side.key: side for side in sides_of(found)}
    leads = {str(lead.id) for lead in found.leads}
    survivor = str(picked.get("survivor_id", ""))
    if survivor not in leads:
        raise FormErrors({"survivor_id": _("请选择保留哪条线索")})
    chosen: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in differing_fields(list(sides.values())):
        side = sides.get(str(picked.get(f"{PICK}{key}", "")))
        if side is None:
            errors[f"{PICK}{key}"] = _("请选择保留哪个值")
            continue
        chosen[key] = side.values.get(key)
    if errors:
        raise FormErrors(errors)
    try:
        MergeCase(survivor_id=UUID(survivor), chosen=chosen)
    except ValidationError:
        raise FormErrors({"survivor_id": _("请选择保留哪条线索")}) from None
    return UUID(survivor), chosen


PAGES = (DuplicateCasePages,)
