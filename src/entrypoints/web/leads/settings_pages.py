"""Lead settings in the console (线索设置, LEAD-2/5/6/11, SEG-4): custom fields, sources
(two levels), statuses, tags in groups and user types, each a small table with forms to
add, change and remove (removal confirmed). Reading takes `leads` read; changing is the
tenant admin's (`tenant` update), exactly as the API's routes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from pydantic import BaseModel

from application.leads.settings import (
    AddSource,
    AddStatus,
    AddTag,
    AddTagGroup,
    AddUserType,
    ChangeCustomField,
    ChangeStatusSetting,
    DefineCustomField,
    LeadSettingsDetails,
    MoveTag,
    RenameTagGroup,
    RenameUserType,
    TenantLeadSettings,
)
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, NotFound
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, form_data, parse_form, refusal_errors, version_of
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.settings_forms import (
    Control,
    field_types,
    shown,
    submitted,
)
from entrypoints.web.pages import confirm_page, page, redirect, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import Cell, Column, Row, Table

BASE = "/console/lead-settings"


def _admin(request: Request[Any, Any, Any]) -> TenantCaller:
    """Changing the lead settings is the tenant admin's (`tenant` update), as in the API."""
    return tenant_may(request, "tenant", Action.UPDATE)


def _q(text: str) -> str:
    return quote(text, safe="")


def _custom_field_controls(*, new: bool) -> list[Control]:
    controls = (
        [
            Control(
                "key", _("字段键"), required=True, hint=_("英文字母、数字或下划线，创建后不能修改")
            )
        ]
        if new
        else []
    )
    return [
        *controls,
        Control("name", _("名称"), required=new),
        Control("type", _("类型"), kind="select", required=new, options=field_types()),
        Control("required", _("必填"), kind="checkbox", hint=_("新线索必须填写此字段")),
        Control("options", _("选项"), kind="lines", hint=_("单选字段的选项，每行一个")),
    ]


class LeadSettingsPages(Controller):
    path = "/lead-settings"
    include_in_schema = False

    # --- the overview ------------------------------------------------------------------

    @get("/", sync_to_thread=True)
    def overview(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        caller = tenant_may(request, "leads")
        settings = lead_settings.settings(caller.tenant_id)
        may = caller.may("tenant", Action.UPDATE)
        return page(
            request,
            "leads/data/settings.html",
            title=_("线索设置"),
            sections=_sections(settings, may),
            may_configure=may,
        )

    # --- a form of its own, and its submission -----------------------------------------

    def _form(
        self,
        request: Request[Any, Any, Any],
        *,
        title: str,
        action: str,
        controls: Sequence[Control],
        values: dict[str, Any],
        version: int | None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        return page(
            request,
            "leads/data/setting_form.html",
            title=title,
            action=action,
            controls=controls,
            values=shown(values),
            version=version,
            errors=errors or {},
            status=status,
        )

    async def _submit(
        self,
        request: Request[Any, Any, Any],
        *,
        title: str,
        controls: Sequence[Control],
        model: type[BaseModel] | None,
        run: Callable[[Any, int | None], object],
        versioned: bool,
        done: str,
        exists: Callable[[], object] | None = None,
    ) -> Response[Any]:
        """Parse the form into `model`, `run(command, version)`, back to the overview;
        a refusal shows the form again with the error beside its field (422). `exists`
        looks the setting up first, so an unknown one is the 404 page whatever was sent."""
        _admin(request)
        if exists is not None:
            await in_thread(exists)
        data = await form_data(request)
        values = submitted(data, controls)
        version = None
        try:
            version = version_of(data) if versioned else None
            command = parse_form(model, values) if model is not None else None
            await change(lambda: run(command, version))
        except FormErrors as invalid:
            errors = invalid.errors
        except (InvalidInput, InvalidValue) as refused:
            errors = refusal_errors(refused).errors
        else:
            return redirect(request, BASE, flash=Flash("success", done))
        return self._form(
            request,
            title=title,
            action=request.url.path,
            controls=controls,
            values=values,
            version=version,
            errors=errors,
            status=422,
        )

    def _confirm(
        self,
        request: Request[Any, Any, Any],
        settings: LeadSettingsDetails,
        *,
        title: str,
        description: str,
    ) -> Response[Any]:
        return confirm_page(
            request,
            title=title,
            description=description,
            action=request.url.path,
            cancel=BASE,
            confirm_label=_("确认删除"),
            reason_required=None,
            fields={"version": settings.version},
        )

    async def _remove(
        self,
        request: Request[Any, Any, Any],
        run: Callable[[int], object],
        done: str,
        *,
        exists: Callable[[], object],
    ) -> Response[Any]:
        """Remove after the confirmation step; an unknown setting is the 404 page, a stale
        or refused removal goes back to the overview with the reason."""
        _admin(request)
        await in_thread(exists)
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(lambda: run(version))
        except FormErrors as invalid:
            return redirect(request, BASE, flash=Flash("error", "；".join(invalid.errors.values())))
        except (InvalidInput, InvalidValue) as refused:
            message = "；".join(refusal_errors(refused).errors.values())
            return redirect(request, BASE, flash=Flash("error", message))
        return redirect(request, BASE, flash=Flash("success", done))

    # --- custom fields ------------------------------------------------------------------

    @get("/custom-fields/new", sync_to_thread=True)
    def new_field(self, request: Request[Any, Any, Any]) -> Response[Any]:
        _admin(request)
        return self._form(
            request,
            title=_("新增自定义字段"),
            action=f"{BASE}/custom-fields",
            controls=_custom_field_controls(new=True),
            values={"type": "text"},
            version=None,
        )

    @post("/custom-fields")
    async def define_field(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._submit(
            request,
            title=_("新增自定义字段"),
            controls=_custom_field_controls(new=True),
            model=DefineCustomField,
            run=lambda command, _v: lead_settings.define_field(tenant_id, command),
            versioned=False,
            done=_("已新增自定义字段"),
        )

    @get("/custom-fields/{field_key:str}/edit", sync_to_thread=True)
    def edit_field(
        self, request: Request[Any, Any, Any], field_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        found = _one(settings.custom_fields, lambda f: f.key == field_key, field_key)
        return self._form(
            request,
            title=_("修改自定义字段：{name}").format(name=found.name),
            action=f"{BASE}/custom-fields/{_q(field_key)}/edit",
            controls=_custom_field_controls(new=False),
            values=found.model_dump(),
            version=settings.version,
        )

    @post("/custom-fields/{field_key:str}/edit")
    async def change_field(
        self, request: Request[Any, Any, Any], field_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._submit(
            request,
            exists=lambda: _look_up(lead_settings, tenant_id, "custom_field", field_key),
            title=_("修改自定义字段"),
            controls=_custom_field_controls(new=False),
            model=ChangeCustomField,
            run=lambda command, version: lead_settings.change_field(
                tenant_id, field_key, command, expected_version=version
            ),
            versioned=True,
            done=_("已保存"),
        )

    @get("/custom-fields/{field_key:str}/remove", sync_to_thread=True)
    def confirm_remove_field(
        self, request: Request[Any, Any, Any], field_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        found = _one(settings.custom_fields, lambda f: f.key == field_key, field_key)
        return self._confirm(
            request,
            settings,
            title=_("删除自定义字段：{name}").format(name=found.name),
            description=_("只有从未被任何线索填写过的字段可以删除。"),
        )

    @post("/custom-fields/{field_key:str}/remove")
    async def remove_field(
        self, request: Request[Any, Any, Any], field_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._remove(
            request,
            lambda version: lead_settings.remove_field(
                tenant_id, field_key, expected_version=version
            ),
            _("已删除自定义字段"),
            exists=lambda: _look_up(lead_settings, tenant_id, "custom_field", field_key),
        )

    # --- sources ------------------------------------------------------------------------

    @get("/sources/new", sync_to_thread=True)
    def new_source(self, request: Request[Any, Any, Any]) -> Response[Any]:
        _admin(request)
        return self._form(
            request,
            title=_("新增线索来源"),
            action=f"{BASE}/sources",
            controls=_source_controls(),
            values={},
            version=None,
        )

    @post("/sources")
    async def add_source(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._submit(
            request,
            title=_("新增线索来源"),
            controls=_source_controls(),
            model=AddSource,
            run=lambda command, _v: lead_settings.add_source(tenant_id, command),
            versioned=False,
            done=_("已新增线索来源"),
        )

    @get("/sources/{level1:str}/remove", sync_to_thread=True)
    def confirm_remove_source(
        self, request: Request[Any, Any, Any], level1: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        _one(settings.sources, lambda s: s.level1 == level1, level1)
        return self._confirm(
            request,
            settings,
            title=_("删除一级来源：{name}").format(name=level1),
            description=_("它的二级来源一并删除；已有线索保留原来的来源。"),
        )

    @post("/sources/{level1:str}/remove")
    async def remove_source(
        self, request: Request[Any, Any, Any], level1: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._remove(
            request,
            lambda version: lead_settings.remove_source(
                tenant_id, level1, None, expected_version=version
            ),
            _("已删除线索来源"),
            exists=lambda: _look_up(lead_settings, tenant_id, "source", level1),
        )

    @get("/sources/{level1:str}/{level2:str}/remove", sync_to_thread=True)
    def confirm_remove_sub_source(
        self,
        request: Request[Any, Any, Any],
        level1: str,
        level2: str,
        lead_settings: TenantLeadSettings,
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        _one(settings.sources, lambda s: s.level1 == level1 and level2 in s.level2, level2)
        return self._confirm(
            request,
            settings,
            title=_("删除二级来源：{name}").format(name=f"{level1} / {level2}"),
            description=_("已有线索保留原来的来源。"),
        )

    @post("/sources/{level1:str}/{level2:str}/remove")
    async def remove_sub_source(
        self,
        request: Request[Any, Any, Any],
        level1: str,
        level2: str,
        lead_settings: TenantLeadSettings,
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._remove(
            request,
            lambda version: lead_settings.remove_source(
                tenant_id, level1, level2, expected_version=version
            ),
            _("已删除线索来源"),
            exists=lambda: _look_up(lead_settings, tenant_id, "sub_source", level1, level2),
        )

    # --- statuses -----------------------------------------------------------------------

    @get("/statuses/new", sync_to_thread=True)
    def new_status(self, request: Request[Any, Any, Any]) -> Response[Any]:
        _admin(request)
        return self._form(
            request,
            title=_("新增线索状态"),
            action=f"{BASE}/statuses",
            controls=_status_controls(new=True),
            values={},
            version=None,
        )

    @post("/statuses")
    async def add_status(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._submit(
            request,
            title=_("新增线索状态"),
            controls=_status_controls(new=True),
            model=AddStatus,
            run=lambda command, _v: lead_settings.add_status(tenant_id, command),
            versioned=False,
            done=_("已新增线索状态"),
        )

    @get("/statuses/{status_key:str}/edit", sync_to_thread=True)
    def edit_status(
        self, request: Request[Any, Any, Any], status_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        found = _one(settings.statuses, lambda s: s.key == status_key, status_key)
        return self._form(
            request,
            title=_("修改线索状态：{name}").format(name=found.name),
            action=f"{BASE}/statuses/{_q(status_key)}/edit",
            controls=_status_controls(new=False),
            values={"name": found.name, "default": found.default},
            version=settings.version,
        )

    @post("/statuses/{status_key:str}/edit")
    async def change_status(
        self, request: Request[Any, Any, Any], status_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id

        def run(command: Any, version: int | None) -> object:
            # The checkbox only makes a status the default: unticking it changes nothing.
            wanted = ChangeStatusSetting(
                name=command.name, default=True if command.default else None
            )
            assert version is not None
            return lead_settings.change_status(
                tenant_id, status_key, wanted, expected_version=version
            )

        return await self._submit(
            request,
            exists=lambda: _look_up(lead_settings, tenant_id, "status", status_key),
            title=_("修改线索状态"),
            controls=_status_controls(new=False),
            model=_StatusForm,
            run=run,
            versioned=True,
            done=_("已保存"),
        )

    @get("/statuses/{status_key:str}/remove", sync_to_thread=True)
    def confirm_remove_status(
        self, request: Request[Any, Any, Any], status_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        found = _one(settings.statuses, lambda s: s.key == status_key, status_key)
        return self._confirm(
            request,
            settings,
            title=_("删除线索状态：{name}").format(name=found.name),
            description=_("线索不能再改为此状态；已处于此状态的线索保持不变。默认状态不能删除。"),
        )

    @post("/statuses/{status_key:str}/remove")
    async def remove_status(
        self, request: Request[Any, Any, Any], status_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._remove(
            request,
            lambda version: lead_settings.remove_status(
                tenant_id, status_key, expected_version=version
            ),
            _("已删除线索状态"),
            exists=lambda: _look_up(lead_settings, tenant_id, "status", status_key),
        )

    # --- tags and tag groups ------------------------------------------------------------

    @get("/tags/new", sync_to_thread=True)
    def new_tag(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        return self._form(
            request,
            title=_("新增标签"),
            action=f"{BASE}/tags",
            controls=_tag_controls(settings, new=True),
            values={},
            version=None,
        )

    @post("/tags")
    async def add_tag(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        settings = lead_settings.settings(tenant_id)
        return await self._submit(
            request,
            title=_("新增标签"),
            controls=_tag_controls(settings, new=True),
            model=AddTag,
            run=lambda command, _v: lead_settings.add_tag(tenant_id, command),
            versioned=False,
            done=_("已新增标签"),
        )

    @get("/tags/{tag:str}/edit", sync_to_thread=True)
    def edit_tag(
        self, request: Request[Any, Any, Any], tag: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        group = _one(settings.tag_groups, lambda g: any(t.name == tag for t in g.tags), tag)
        return self._form(
            request,
            title=_("移动标签：{name}").format(name=tag),
            action=f"{BASE}/tags/{_q(tag)}/edit",
            controls=_tag_controls(settings, new=False),
            values={"group_id": group.id},
            version=settings.version,
        )

    @post("/tags/{tag:str}/edit")
    async def move_tag(
        self, request: Request[Any, Any, Any], tag: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        settings = lead_settings.settings(tenant_id)
        return await self._submit(
            request,
            exists=lambda: _look_up(lead_settings, tenant_id, "tag", tag),
            title=_("移动标签"),
            controls=_tag_controls(settings, new=False),
            model=MoveTag,
            run=lambda command, version: lead_settings.move_tag(
                tenant_id, tag, command, expected_version=version
            ),
            versioned=True,
            done=_("已保存"),
        )

    @get("/tags/{tag:str}/remove", sync_to_thread=True)
    def confirm_remove_tag(
        self, request: Request[Any, Any, Any], tag: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        _one(settings.tag_groups, lambda g: any(t.name == tag for t in g.tags), tag)
        return self._confirm(
            request,
            settings,
            title=_("删除标签：{name}").format(name=tag),
            description=_("标签从标签库中删除；已打上此标签的线索保留它。"),
        )

    @post("/tags/{tag:str}/remove")
    async def remove_tag(
        self, request: Request[Any, Any, Any], tag: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._remove(
            request,
            lambda version: lead_settings.remove_tag(tenant_id, tag, expected_version=version),
            _("已删除标签"),
            exists=lambda: _look_up(lead_settings, tenant_id, "tag", tag),
        )

    @get("/tag-groups/new", sync_to_thread=True)
    def new_tag_group(self, request: Request[Any, Any, Any]) -> Response[Any]:
        _admin(request)
        return self._form(
            request,
            title=_("新增标签组"),
            action=f"{BASE}/tag-groups",
            controls=[Control("name", _("名称"), required=True)],
            values={},
            version=None,
        )

    @post("/tag-groups")
    async def add_tag_group(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._submit(
            request,
            title=_("新增标签组"),
            controls=[Control("name", _("名称"), required=True)],
            model=AddTagGroup,
            run=lambda command, _v: lead_settings.add_tag_group(tenant_id, command),
            versioned=False,
            done=_("已新增标签组"),
        )

    @get("/tag-groups/{group_id:str}/edit", sync_to_thread=True)
    def edit_tag_group(
        self, request: Request[Any, Any, Any], group_id: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        group = _one(settings.tag_groups, lambda g: g.id == group_id, group_id)
        return self._form(
            request,
            title=_("重命名标签组：{name}").format(name=group.name),
            action=f"{BASE}/tag-groups/{_q(group_id)}/edit",
            controls=[Control("name", _("名称"), required=True)],
            values={"name": group.name},
            version=settings.version,
        )

    @post("/tag-groups/{group_id:str}/edit")
    async def rename_tag_group(
        self, request: Request[Any, Any, Any], group_id: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._submit(
            request,
            exists=lambda: _look_up(lead_settings, tenant_id, "tag_group", group_id),
            title=_("重命名标签组"),
            controls=[Control("name", _("名称"), required=True)],
            model=RenameTagGroup,
            run=lambda command, version: lead_settings.rename_tag_group(
                tenant_id, group_id, command, expected_version=version
            ),
            versioned=True,
            done=_("已保存"),
        )

    @get("/tag-groups/{group_id:str}/remove", sync_to_thread=True)
    def confirm_remove_tag_group(
        self, request: Request[Any, Any, Any], group_id: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        group = _one(settings.tag_groups, lambda g: g.id == group_id, group_id)
        return self._confirm(
            request,
            settings,
            title=_("删除标签组：{name}").format(name=group.name),
            description=_("组内的标签变为未分组。"),
        )

    @post("/tag-groups/{group_id:str}/remove")
    async def remove_tag_group(
        self, request: Request[Any, Any, Any], group_id: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._remove(
            request,
            lambda version: lead_settings.remove_tag_group(
                tenant_id, group_id, expected_version=version
            ),
            _("已删除标签组"),
            exists=lambda: _look_up(lead_settings, tenant_id, "tag_group", group_id),
        )

    # --- user types ---------------------------------------------------------------------

    @get("/user-types/new", sync_to_thread=True)
    def new_user_type(self, request: Request[Any, Any, Any]) -> Response[Any]:
        _admin(request)
        return self._form(
            request,
            title=_("新增用户类型"),
            action=f"{BASE}/user-types",
            controls=_user_type_controls(new=True),
            values={},
            version=None,
        )

    @post("/user-types")
    async def add_user_type(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._submit(
            request,
            title=_("新增用户类型"),
            controls=_user_type_controls(new=True),
            model=AddUserType,
            run=lambda command, _v: lead_settings.add_user_type(tenant_id, command),
            versioned=False,
            done=_("已新增用户类型"),
        )

    @get("/user-types/{user_type:str}/edit", sync_to_thread=True)
    def edit_user_type(
        self, request: Request[Any, Any, Any], user_type: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        found = _one(settings.user_types, lambda u: u.key == user_type, user_type)
        return self._form(
            request,
            title=_("重命名用户类型：{name}").format(name=found.name),
            action=f"{BASE}/user-types/{_q(user_type)}/edit",
            controls=_user_type_controls(new=False),
            values={"name": found.name},
            version=settings.version,
        )

    @post("/user-types/{user_type:str}/edit")
    async def rename_user_type(
        self, request: Request[Any, Any, Any], user_type: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._submit(
            request,
            exists=lambda: _look_up(lead_settings, tenant_id, "user_type", user_type),
            title=_("重命名用户类型"),
            controls=_user_type_controls(new=False),
            model=RenameUserType,
            run=lambda command, version: lead_settings.rename_user_type(
                tenant_id, user_type, command, expected_version=version
            ),
            versioned=True,
            done=_("已保存"),
        )

    @get("/user-types/{user_type:str}/remove", sync_to_thread=True)
    def confirm_remove_user_type(
        self, request: Request[Any, Any, Any], user_type: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        settings = lead_settings.settings(_admin(request).tenant_id)
        found = _one(settings.user_types, lambda u: u.key == user_type, user_type)
        return self._confirm(
            request,
            settings,
            title=_("删除用户类型：{name}").format(name=found.name),
            description=_("新线索不能再使用此类型；已有的此类线索保持不变。"),
        )

    @post("/user-types/{user_type:str}/remove")
    async def remove_user_type(
        self, request: Request[Any, Any, Any], user_type: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request).tenant_id
        return await self._remove(
            request,
            lambda version: lead_settings.remove_user_type(
                tenant_id, user_type, expected_version=version
            ),
            _("已删除用户类型"),
            exists=lambda: _look_up(lead_settings, tenant_id, "user_type", user_type),
        )


class _StatusForm(BaseModel):
    """The status form: a new name, and whether it becomes the default."""

    name: str | None = None
    default: bool = False


def _look_up(
    lead_settings: TenantLeadSettings, tenant_id: Any, kind: str, key: str, key2: str = ""
) -> Any:
    """One setting of the tenant's, or NotFound (the 404 page) — checked before a form is
    read, so another tenant's or an unknown key answers alike whatever was sent."""
    settings = lead_settings.settings(tenant_id)
    finders: dict[str, tuple[Sequence[Any], Callable[[Any], bool]]] = {
        "custom_field": (settings.custom_fields, lambda f: f.key == key),
        "source": (settings.sources, lambda s: s.level1 == key),
        "sub_source": (settings.sources, lambda s: s.level1 == key and key2 in s.level2),
        "status": (settings.statuses, lambda s: s.key == key),
        "tag": (settings.tag_groups, lambda g: any(t.name == key for t in g.tags)),
        "tag_group": (settings.tag_groups, lambda g: g.id == key),
        "user_type": (settings.user_types, lambda u: u.key == key),
    }
    items, matches = finders[kind]
    return _one(items, matches, key2 or key)


def _one(items: Sequence[Any], matches: Callable[[Any], bool], key: str) -> Any:
    found = next((item for item in items if matches(item)), None)
    if found is None:
        raise NotFound(f"no setting {key!r}")
    return found


def _source_controls() -> list[Control]:
    return [
        Control("level1", _("一级来源"), required=True, hint=_("如：线上、线下")),
        Control("level2", _("二级来源"), hint=_("可选；如：官网（已有一级来源时添加到其下）")),
    ]


def _status_controls(*, new: bool) -> list[Control]:
    if new:
        return [
            Control("key", _("状态键"), required=True, hint=_("英文字母、数字或下划线")),
            Control("name", _("名称"), required=True),
        ]
    return [
        Control("name", _("名称")),
        Control("default", _("默认状态"), kind="checkbox", hint=_("设为新线索的默认状态")),
    ]


def _tag_controls(settings: LeadSettingsDetails, *, new: bool) -> list[Control]:
    groups = [(g.id, g.name) for g in settings.tag_groups if not g.system]
    group = Control("group_id", _("标签组"), kind="select", required=not new, options=groups)
    return [Control("name", _("名称"), required=True), group] if new else [group]


def _user_type_controls(*, new: bool) -> list[Control]:
    name = Control("name", _("名称"), required=True)
    if not new:
        return [name]
    return [Control("key", _("类型键"), required=True, hint=_("英文字母、数字或下划线")), name]


def _actions(may: bool, edit: str | None, remove: str | None) -> list[Cell]:
    if not may:
        return []
    return [
        Cell(_("修改"), href=edit) if edit else Cell("—"),
        Cell(_("删除"), href=remove) if remove else Cell("—"),
    ]


def _columns(may: bool, *columns: Column) -> list[Column]:
    if not may:
        return list(columns)
    return [*columns, Column("edit", N_("修改")), Column("remove", N_("删除"))]


class _Section:
    def __init__(self, id: str, title: str, adds: list[tuple[str, str]], table: Table) -> None:
        self.id, self.title, self.adds, self.table = id, title, adds, table


def _sections(settings: LeadSettingsDetails, may: bool) -> list[_Section]:
    types = dict(field_types())
    fields = Table(
        id="custom-fields",
        url=BASE,
        caption=N_("自定义字段"),
        columns=_columns(
            may,
            Column("key", N_("字段键")),
            Column("name", N_("名称")),
            Column("type", N_("类型")),
            Column("required", N_("必填")),
            Column("options", N_("选项")),
        ),
        rows=[
            Row(
                f.key,
                [
                    Cell(f.key),
                    Cell(f.name),
                    Cell(types.get(f.type, f.type)),
                    Cell(_("是") if f.required else _("否")),
                    Cell("、".join(f.options) or "—"),
                    *_actions(
                        may,
                        f"{BASE}/custom-fields/{_q(f.key)}/edit",
                        None if f.in_use else f"{BASE}/custom-fields/{_q(f.key)}/remove",
                    ),
                ],
            )
            for f in settings.custom_fields
        ],
        empty_message=N_("还没有自定义字段"),
    )
    source_rows = []
    for source in settings.sources:
        source_rows.append(
            Row(
                source.level1,
                [
                    Cell(source.level1),
                    Cell("—"),
                    *_actions(may, None, f"{BASE}/sources/{_q(source.level1)}/remove"),
                ],
            )
        )
        for level2 in source.level2:
            source_rows.append(
                Row(
                    f"{source.level1}/{level2}",
                    [
                        Cell(source.level1),
                        Cell(level2),
                        *_actions(
                            may, None, f"{BASE}/sources/{_q(source.level1)}/{_q(level2)}/remove"
                        ),
                    ],
                )
            )
    sources = Table(
        id="sources",
        url=BASE,
        caption=N_("线索来源"),
        columns=_columns(may, Column("level1", N_("一级来源")), Column("level2", N_("二级来源"))),
        rows=source_rows,
        empty_message=N_("未设置来源：线索的来源可自由填写"),
    )
    statuses = Table(
        id="statuses",
        url=BASE,
        caption=N_("线索状态"),
        columns=_columns(
            may,
            Column("key", N_("状态键")),
            Column("name", N_("名称")),
            Column("default", N_("默认")),
        ),
        rows=[
            Row(
                s.key,
                [
                    Cell(s.key),
                    Cell(s.name),
                    Cell(_("默认"), badge="ok") if s.default else Cell(""),
                    *_actions(
                        may,
                        f"{BASE}/statuses/{_q(s.key)}/edit",
                        None if s.default else f"{BASE}/statuses/{_q(s.key)}/remove",
                    ),
                ],
            )
            for s in settings.statuses
        ],
    )
    groups = Table(
        id="tag-groups",
        url=BASE,
        caption=N_("标签组"),
        columns=_columns(
            may, Column("name", N_("名称")), Column("tags", N_("标签数"), numeric=True)
        ),
        rows=[
            Row(
                g.id,
                [
                    Cell(g.name),
                    Cell(str(len(g.tags))),
                    *_actions(
                        may,
                        None if g.system else f"{BASE}/tag-groups/{_q(g.id)}/edit",
                        None
                        if g.system or g.id == "ungrouped"
                        else f"{BASE}/tag-groups/{_q(g.id)}/remove",
                    ),
                ],
            )
            for g in settings.tag_groups
        ],
    )
    tags = Table(
        id="tags",
        url=BASE,
        caption=N_("标签"),
        columns=_columns(
            may,
            Column("name", N_("标签")),
            Column("group", N_("标签组")),
            Column("kind", N_("类别")),
        ),
        rows=[
            Row(
                t.name,
                [
                    Cell(t.name),
                    Cell(g.name),
                    Cell(_("系统标签") if t.system else _("自定义")),
                    *_actions(
                        may,
                        None if t.system else f"{BASE}/tags/{_q(t.name)}/edit",
                        None if t.system else f"{BASE}/tags/{_q(t.name)}/remove",
                    ),
                ],
            )
            for g in settings.tag_groups
            for t in g.tags
        ],
    )
    user_types = Table(
        id="user-types",
        url=BASE,
        caption=N_("用户类型"),
        columns=_columns(may, Column("key", N_("类型键")), Column("name", N_("名称"))),
        rows=[
            Row(
                u.key,
                [
                    Cell(u.key),
                    Cell(u.name),
                    *_actions(
                        may,
                        f"{BASE}/user-types/{_q(u.key)}/edit",
                        f"{BASE}/user-types/{_q(u.key)}/remove",
                    ),
                ],
            )
            for u in settings.user_types
        ],
        empty_message=N_("除“个人”外还没有其他用户类型"),
    )
    return [
        _Section("fields", _("自定义字段"), [(_("新增字段"), f"{BASE}/custom-fields/new")], fields),
        _Section("sources", _("线索来源"), [(_("新增来源"), f"{BASE}/sources/new")], sources),
        _Section("statuses", _("线索状态"), [(_("新增状态"), f"{BASE}/statuses/new")], statuses),
        _Section(
            "tags",
            _("标签"),
            [(_("新增标签"), f"{BASE}/tags/new"), (_("新增标签组"), f"{BASE}/tag-groups/new")],
            tags,
        ),
        _Section("groups", _("标签组"), [], groups),
        _Section(
            "user-types", _("用户类型"), [(_("新增类型"), f"{BASE}/user-types/new")], user_types
        ),
    ]


PAGES = (LeadSettingsPages,)
