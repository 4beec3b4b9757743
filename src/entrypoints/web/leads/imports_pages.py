"""Lead imports in the console (导入线索, LEAD-3): upload a CSV/XLSX file, the list of
recent imports, and an import's page with its progress (polled every 2 s until it is
finished) and the rows it rejected."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile

from application.leads.import_list import LeadImportQueries
from application.leads.imports import MAX_FILE_BYTES, ImportOptions, LeadImportDetails, LeadImports
from application.leads.settings import TenantLeadSettings
from application.leads.spreadsheets import read_table
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from entrypoints.http.problems import translated
from entrypoints.web.forms import FormErrors, form_data, refusal_errors
from entrypoints.web.i18n import N_, current_language, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.import_mapping import mapping_for
from entrypoints.web.leads.import_runs import RUNS
from entrypoints.web.leads.lead_support import PROFILE_FIELDS
from entrypoints.web.pages import page, query_of, redirect, signed_in_viewer, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import Cell, Column, Row, Table

BASE = "/console/lead-imports"
SPREADSHEETS = (".csv", ".xlsx", ".xlsm")
FINISHED = ("completed", "failed")
STOP_POLLING = 286  # HTMX: the answer to a polling request that says "stop"
STATUS_LABELS = {
    "running": (N_("导入中"), "info"),
    "completed": (N_("已完成"), "ok"),
    "failed": (N_("已中断"), "bad"),
}
OUTCOME_LABELS = {
    "created": N_("新建"),
    "updated": N_("更新"),
    "duplicate": N_("重复"),
    "rejected": N_("拒绝"),
}
FIELD_LABELS = {
    "mobile": N_("手机号"),
    "email": N_("邮箱"),
    **PROFILE_FIELDS,
    "source.level1": N_("一级来源"),
    "source.level2": N_("二级来源"),
}


# Refusals of the import itself (the problems catalogue has the lead's own).
REASONS = {"missing identity: at least one of mobile/email": N_("缺少手机号或邮箱（至少需要一项）")}


def reason_text(reason: str | None) -> str:
    if not reason:
        return "—"
    return _(REASONS[reason]) if reason in REASONS else translated(reason, current_language())


def field_label(field: str | None) -> str:
    """A lead field as people call it (custom fields by their key)."""
    if not field:
        return "—"
    if field.startswith("custom:"):
        return field.removeprefix("custom:")
    return _(FIELD_LABELS.get(field, field))


class LeadImportPages(Controller):
    path = "/lead-imports"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def imports(
        self, request: Request[Any, Any, Any], lead_import_queries: LeadImportQueries
    ) -> Response[Any]:
        caller = tenant_may(request, "leads")
        return self._list(request, caller, lead_import_queries, errors={}, status=200)

    def _list(
        self,
        request: Request[Any, Any, Any],
        caller: TenantCaller,
        queries: LeadImportQueries,
        *,
        errors: dict[str, str],
        status: int,
    ) -> Response[Any]:
        query = query_of(request, ("cursor",))
        found = queries.recent(
            caller.tenant_id, cursor=query["cursor"] or None, limit=DEFAULT_LIMIT
        )
        timezone = signed_in_viewer(request).timezone
        rows = []
        for item in found.items:
            label, badge = STATUS_LABELS.get(item.status, (item.status, "info"))
            rows.append(
                Row(
                    str(item.id),
                    [
                        Cell(item.file_name, href=f"{BASE}/{item.id}"),
                        Cell(_(label), badge=badge),
                        Cell(str(item.rows)),
                        Cell(str(item.counts["created"])),
                        Cell(str(item.counts["updated"])),
                        Cell(str(item.counts["duplicate"])),
                        Cell(str(item.counts["rejected"])),
                        Cell(local_time(item.started_at, timezone)),
                    ],
                )
            )
        table = Table(
            id="lead-imports",
            url=BASE,
            caption=N_("最近的导入"),
            columns=[
                Column("file_name", N_("文件")),
                Column("status", N_("状态")),
                Column("rows", N_("行数"), numeric=True),
                Column("created", N_("新建"), numeric=True),
                Column("updated", N_("更新"), numeric=True),
                Column("duplicate", N_("重复"), numeric=True),
                Column("rejected", N_("拒绝"), numeric=True),
                Column("started_at", N_("开始时间")),
            ],
            rows=rows,
            next_cursor=found.next_cursor,
            query=query,
            empty_message=N_("还没有导入过线索"),
        )
        return page(
            request,
            "leads/data/imports.html",
            title=_("导入线索"),
            table=table,
            errors=errors,
            may_import=caller.may("leads", Action.CREATE),
            max_megabytes=MAX_FILE_BYTES // (1024 * 1024),
            status=status,
        )

    @post("/", request_max_body_size=MAX_FILE_BYTES + 256 * 1024)
    async def upload(
        self,
        request: Request[Any, Any, Any],
        lead_imports: LeadImports,
        lead_settings: TenantLeadSettings,
        lead_import_queries: LeadImportQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "leads", Action.CREATE)
        data = await form_data(request)
        try:
            upload = data.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise FormErrors({"file": _("请选择要导入的文件")})
            file_name = upload.filename
            if not file_name.lower().endswith(SPREADSHEETS):
                raise FormErrors({"file": _("请上传 CSV 或 XLSX 文件")})
            content = await upload.read()
            if len(content) > MAX_FILE_BYTES:
                raise FormErrors({"file": _("文件不能超过 5 MB")})
            tenant_id = caller.tenant_id

            def begin() -> UUID:
                columns = read_table(file_name, content).columns
                fields = lead_settings.settings(tenant_id).custom_fields
                mapping = mapping_for(columns, fields)
                if not any(target in ("mobile", "email") for target in mapping.values()):
                    raise FormErrors({"file": _("文件的表头里找不到“手机号”或“邮箱”列")})
                options = ImportOptions(
                    mapping=mapping, update_existing=bool(data.get("update_existing"))
                )
                return RUNS.start(lead_imports, tenant_id, file_name, content, options)

            import_id = await anyio.to_thread.run_sync(begin)
        except FormErrors as invalid:
            return await self._again(request, caller, lead_import_queries, invalid.errors)
        except (InvalidInput, InvalidValue) as refused:
            errors = refusal_errors(refused, field="file").errors
            return await self._again(request, caller, lead_import_queries, errors)
        return redirect(request, f"{BASE}/{import_id}", flash=Flash("success", _("导入已开始")))

    async def _again(
        self,
        request: Request[Any, Any, Any],
        caller: TenantCaller,
        queries: LeadImportQueries,
        errors: dict[str, str],
    ) -> Response[Any]:
        return await anyio.to_thread.run_sync(
            lambda: self._list(request, caller, queries, errors=errors, status=422)
        )

    @get("/{import_id:uuid}", sync_to_thread=True)
    def lead_import(
        self, request: Request[Any, Any, Any], import_id: UUID, lead_imports: LeadImports
    ) -> Response[Any]:
        caller = tenant_may(request, "leads")
        cursor = request.query_params.get("cursor") or None
        details = lead_imports.details(
            caller.tenant_id,
            import_id,
            outcome="rejected",
            cursor=cursor,
            limit=DEFAULT_LIMIT,
        )
        return page(
            request,
            "leads/data/import.html",
            title=_("导入：{name}").format(name=details.file_name),
            table=_rejected_rows(details, cursor),
            **_progress_context(details),
        )

    @get("/{import_id:uuid}/progress", sync_to_thread=True)
    def progress(
        self, request: Request[Any, Any, Any], import_id: UUID, lead_imports: LeadImports
    ) -> Response[Any]:
        """The progress part of the import's page, polled until the import is finished."""
        caller = tenant_may(request, "leads")
        details = lead_imports.details(
            caller.tenant_id, import_id, outcome="rejected", limit=DEFAULT_LIMIT
        )
        finished = details.status in FINISHED
        return page(
            request,
            "leads/data/import_progress.html",
            title=details.file_name,
            table=_rejected_rows(details, None),
            status=STOP_POLLING if finished else 200,
            **_progress_context(details),
        )


def _progress_context(details: LeadImportDetails) -> dict[str, Any]:
    run = RUNS.progress(details.id)
    finished = details.status in FINISHED
    total = details.rows if finished else (run.total if run and run.total else None)
    label, badge = STATUS_LABELS.get(details.status, (details.status, "info"))
    return {
        "lead_import": details,
        "finished": finished,
        "status_label": _(label),
        "status_badge": badge,
        "applied": details.rows,
        "total": max(total, details.rows) if total is not None else None,
        "outcomes": [
            (_(OUTCOME_LABELS[key]), details.counts.get(key, 0)) for key in OUTCOME_LABELS
        ],
        "mapping": [(column, field_label(target)) for column, target in details.mapping.items()],
        "failure": translated(details.failure, current_language()) if details.failure else None,
        "progress_url": f"{BASE}/{details.id}/progress",
    }


def _rejected_rows(details: LeadImportDetails, cursor: str | None) -> Table:
    return Table(
        id="rejected-rows",
        url=f"{BASE}/{details.id}",
        caption=N_("被拒绝的行"),
        columns=[
            Column("row", N_("行号"), numeric=True),
            Column("field", N_("字段")),
            Column("reason", N_("原因")),
        ],
        rows=[
            Row(
                str(result.row),
                [
                    Cell(str(result.row)),
                    Cell(field_label(result.field)),
                    Cell(reason_text(result.reason)),
                ],
            )
            for result in details.results
        ],
        next_cursor=details.next_cursor,
        query={"cursor": cursor or ""},
        empty_message=N_("没有被拒绝的行"),
    )


PAGES = (LeadImportPages,)
