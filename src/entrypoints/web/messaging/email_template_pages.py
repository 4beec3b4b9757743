"""E-mail template pages (营销触达 · 邮件模板, MAIL-2, seed 003 §4.2): the library by
scene and industry; write a template (subject, HTML, defaults for missing fields),
starting from a frame template; a template's page with a preview for a chosen lead in a
sandboxed frame (no script, no access to the console); edit, archive, and write an
e-mail task from it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.leads.queries import LeadFilter, LeadQueries
from application.messaging.email_template_commands import (
    CreateEmailTemplate,
    EmailTemplateDetails,
    ReviseEmailTemplate,
)
from application.messaging.email_templates import EmailTemplates, TemplatePreviews
from application.shared.errors import ApplicationError, InvalidInput
from application.shared.history import RecordHistory
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    GENERAL,
    FormErrors,
    errors_of,
    form_data,
    optional_id,
    parse_form,
    version_of,
)
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.messaging.common import choices
from entrypoints.web.messaging.frames import BY_KEY, FRAMES
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import (
    confirm_page,
    history_for,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table

BASE = "/console/messaging/email-templates"
TASKS = "/console/messaging/email-tasks"
RESOURCE = "email_templates"
FORM_FIELDS = ("name", "subject", "html", "scene", "industry", "defaults")


class EmailTemplatePages(Controller):
    path = "/messaging/email-templates"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def templates(
        self,
        request: Request[Any, Any, Any],
        email_templates: EmailTemplates,
        scene: str | None = None,
        industry: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        timezone = signed_in_viewer(request).timezone
        listed = email_templates.templates(
            caller.tenant_id,
            scene=scene or None,
            industry=industry or None,
            cursor=cursor or None,
            limit=PAGE_SIZE,
        )
        rows = [
            Row(
                str(template.id),
                [
                    Cell(template.name, href=f"{BASE}/{template.id}"),
                    Cell(template.subject),
                    Cell(template.scene or "—"),
                    Cell(template.industry or "—"),
                    Cell(local_time(template.updated_at, timezone)),
                ],
            )
            for template in listed.items
        ]
        scenes, industries = _labels(email_templates, caller.tenant_id)
        filters = [
            Filter("scene", "场景", kind="select", options=scenes),
            Filter("industry", "行业", kind="select", options=industries),
        ]
        may_create = caller.may(RESOURCE, Action.CREATE)
        table = Table(
            id="email-templates",
            url=BASE,
            columns=[
                Column("name", "名称"),
                Column("subject", "邮件主题"),
                Column("scene", "场景"),
                Column("industry", "行业"),
                Column("updated", "更新时间"),
            ],
            rows=rows,
            caption="邮件模板",
            next_cursor=listed.next_cursor,
            filters=filters,
            query=query_of(request, ("scene", "industry", "cursor")),
            empty_message="还没有邮件模板",
            empty_action=("新建邮件模板", f"{BASE}/new") if may_create else None,
        )
        return page(
            request,
            "messaging/email_templates.html",
            title=_("邮件模板"),
            table=table,
            may_create=may_create,
            frames=[(frame.key, _(frame.label)) for frame in FRAMES],
        )

    @get("/new", sync_to_thread=True)
    def new_form(self, request: Request[Any, Any, Any], frame: str | None = None) -> Response[Any]:
        tenant_may(request, RESOURCE, Action.CREATE)
        chosen = BY_KEY.get(frame or "") or FRAMES[0]
        values = {"subject": chosen.subject, "html": chosen.html, "defaults": "name=客户"}
        return _form(request, None, values, {})

    @post("/new")
    async def create(
        self, request: Request[Any, Any, Any], email_templates: EmailTemplates
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(CreateEmailTemplate, _content_of(data))
            created = await change(lambda: email_templates.create(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _form(request, None, data, _shown(refusal))
        return redirect(request, f"{BASE}/{created.id}", flash=Flash("success", _("已保存")))

    @get("/{email_template_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        email_template_id: UUID,
        email_templates: EmailTemplates,
        email_template_previews: TemplatePreviews,
        lead_queries: LeadQueries,
        history: RecordHistory,
        lead_id: str | None = None,
        q: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        template = email_templates.template(caller.tenant_id, email_template_id)
        values = {"lead_id": lead_id or "", "q": (q or "").strip()[:100]}
        preview, errors, status = None, {}, 200
        found = []
        if values["q"]:
            found = lead_queries.search(caller, LeadFilter(q=values["q"]), limit=10).items
        if lead_id:
            try:
                chosen = optional_id(values, "lead_id")
                assert chosen is not None
                preview = email_template_previews.preview(
                    caller.tenant_id, email_template_id, chosen
                )
            except (FormErrors, InvalidInput, DomainError) as refusal:
                errors, status = _shown(refusal, ("lead_id",)), 422
        return page(
            request,
            "messaging/email_template.html",
            title=template.name,
            email_template=template,
            defaults=_defaults_text(template.defaults),
            preview=preview,
            found=found,
            values=values,
            errors=errors,
            may_update=caller.may(RESOURCE, Action.UPDATE) and not template.archived,
            may_archive=caller.may(RESOURCE, Action.DELETE) and not template.archived,
            may_use=caller.may("email_tasks", Action.CREATE) and not template.archived,
            tasks_url=TASKS,
            history=history_for(history, caller, template.id),
            status=status,
        )

    @get("/{email_template_id:uuid}/edit", sync_to_thread=True)
    def edit_form(
        self,
        request: Request[Any, Any, Any],
        email_template_id: UUID,
        email_templates: EmailTemplates,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        template = email_templates.template(caller.tenant_id, email_template_id)
        values = {
            "name": template.name,
            "subject": template.subject,
            "html": template.html,
            "scene": template.scene or "",
            "industry": template.industry or "",
            "defaults": _defaults_text(template.defaults),
            "version": str(template.version),
        }
        return _form(request, template, values, {})

    @post("/{email_template_id:uuid}/edit")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        email_template_id: UUID,
        email_templates: EmailTemplates,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        template = await in_thread(
            lambda: email_templates.template(caller.tenant_id, email_template_id)
        )
        data = await form_data(request)
        try:
            version = version_of(data)
            content = _content_of(data)
            given = parse_form(ReviseEmailTemplate, content).model_dump(exclude_unset=True)
            # Emptied scene, industry or defaults are taken away, not kept.
            cleared = {"scene": None, "industry": None, "defaults": {}}
            command = ReviseEmailTemplate.model_validate(
                {**{k: v for k, v in cleared.items() if not content.get(k)}, **given}
            )
            await change(
                lambda: email_templates.revise(
                    caller.tenant_id, email_template_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _form(request, template, data, _shown(refusal))
        url = f"{BASE}/{email_template_id}"
        return redirect(request, url, flash=Flash("success", _("已保存")))

    @get("/{email_template_id:uuid}/archive", sync_to_thread=True)
    def archive_confirmation(
        self,
        request: Request[Any, Any, Any],
        email_template_id: UUID,
        email_templates: EmailTemplates,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        template = email_templates.template(caller.tenant_id, email_template_id)
        return _archive_page(request, template, {})

    @post("/{email_template_id:uuid}/archive")
    async def archive(
        self,
        request: Request[Any, Any, Any],
        email_template_id: UUID,
        email_templates: EmailTemplates,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        template = await in_thread(
            lambda: email_templates.template(caller.tenant_id, email_template_id)
        )
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: email_templates.archive(
                    caller.tenant_id, email_template_id, expected_version=version
                )
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return _archive_page(request, template, errors_of(refusal), status=409)
        return redirect(request, BASE, flash=Flash("success", _("邮件模板已归档")))


def _labels(
    email_templates: EmailTemplates, tenant_id: UUID
) -> tuple[tuple[Option, ...], tuple[Option, ...]]:
    """The scenes and industries the library uses (the list's filters offer them)."""
    found = choices(
        lambda cursor, limit: email_templates.templates(tenant_id, cursor=cursor, limit=limit)
    )
    scenes = sorted({t.scene for t in found if t.scene})
    industries = sorted({t.industry for t in found if t.industry})
    return (
        tuple(Option(scene, scene) for scene in scenes),
        tuple(Option(industry, industry) for industry in industries),
    )


def _content_of(data: Mapping[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {
        name: data.get(name) for name in ("name", "subject", "html", "scene", "industry")
    }
    content["defaults"] = defaults_of(data.get("defaults"))
    return content


def defaults_of(text: Any) -> dict[str, str]:
    """`field=text` lines (`name=客户`, `custom.level=会员`) as the template's defaults."""
    defaults: dict[str, str] = {}
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            message = _("第 {n} 行应写成 字段=默认值，如 name=客户").format(n=number)
            raise FormErrors({"defaults": message})
        defaults[key.strip()] = value.strip()
    return defaults


def _defaults_text(defaults: Mapping[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in defaults.items())


def _shown(refusal: Exception, fields: tuple[str, ...] = FORM_FIELDS) -> dict[str, str]:
    """Errors on the form's fields: a default's (`defaults.city`) on the defaults box
    with its name; anything else at the top of the form."""
    shown: dict[str, str] = {}
    for name, message in errors_of(refusal).items():
        target = "defaults" if name.startswith("defaults.") else name
        if target not in fields and target != GENERAL:
            target, message = GENERAL, f"{name}: {message}"
        shown.setdefault(target, message)
    return shown


def _form(
    request: Request[Any, Any, Any],
    template: EmailTemplateDetails | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Response[Any]:
    return page(
        request,
        "messaging/email_template_form.html",
        title=_("编辑邮件模板") if template else _("新建邮件模板"),
        email_template=template,
        values=values,
        errors=errors,
        frames=[(frame.key, _(frame.label)) for frame in FRAMES],
        status=422 if errors else 200,
    )


def _archive_page(
    request: Request[Any, Any, Any],
    template: EmailTemplateDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("归档邮件模板"),
        description=_("归档「{name}」：它不再出现在模板库中，已使用它的邮件任务照常发送。").format(
            name=template.name
        ),
        action=f"{BASE}/{template.id}/archive",
        confirm_label=_("确认归档"),
        reason_required=None,
        fields={"version": template.version},
        errors=errors,
        cancel=f"{BASE}/{template.id}",
        status=status,
    )


PAGES: tuple[Any, ...] = (EmailTemplatePages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="邮件模板",
        path=BASE,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section="营销触达",
        action=Action.READ,
        order=11,
    ),
)
