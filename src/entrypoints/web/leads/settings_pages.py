"""Lead settings in the console (线索设置, LEAD-2/5/6/11, SEG-4): custom fields, sources
(two levels), statuses, tags in groups and user types, each a small table with forms to
add, change and remove (removal confirmed). Reading takes `leads` read; changing is the
tenant admin's (`tenant` update), but the tag catalogue is theirs who may manage `tags`
(marketers, sales managers), exactly as the API's routes. Tags show how many live leads
carry them, and can be renamed (the leads that carry one are relabelled).

Each kind of setting is described once (`_Kind`: how one is found by the keys in its
address, its forms and the use cases they run); the routes are thin and share one
handler per step: show a form, submit it, confirm a removal, remove."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote
from uuid import UUID

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
    RenameTag,
    RenameTagGroup,
    RenameUserType,
    TagRenames,
    TenantLeadSettings,
)
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, NotFound
from domain.leads.permissions import TAGS
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

Keys = tuple[str, ...]  # what names one setting in its address: (field_key,), (level1, level2)…
V = TypeVar("V", bound=int | None)  # the version a form was shown with; adding needs none
T = TypeVar("T")


def _admin(
    request: Request[Any, Any, Any], kind: _Kind | None = None, action: Action = Action.UPDATE
) -> TenantCaller:
    """Changing the lead settings is the tenant admin's (`tenant` update), the tag
    catalogue theirs who may `action` `tags`, as in the API."""
    if kind is not None and kind.resource == TAGS:
        return tenant_may(request, TAGS, action)
    return tenant_may(request, "tenant", Action.UPDATE)


def _q(text: str) -> str:
    return quote(text, safe="")


# --- the kinds of setting ----------------------------------------------------------------


@dataclass(frozen=True)
class _Adding:
    """The form that adds one (titles and messages are msgids, translated when shown)."""

    title: str
    controls: Callable[[LeadSettingsDetails], list[Control]]
    model: type[BaseModel]
    add: Callable[[TenantLeadSettings, UUID, Any], object]
    done: str
    defaults: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Changing:
    """The form that changes one: `titled` names it when first shown, `title` heads the
    form shown again after a refusal."""

    title: str
    titled: str
    controls: Callable[[LeadSettingsDetails], list[Control]]
    model: type[BaseModel]
    values: Callable[[Any], dict[str, Any]]
    change: Callable[[TenantLeadSettings, UUID, Keys, Any, int], object]


@dataclass(frozen=True)
class _Removal:
    """The confirmation step of a removal and the use case it runs."""

    title: str
    description: str
    remove: Callable[[TenantLeadSettings, UUID, Keys, int], object]
    done: str


@dataclass(frozen=True)
class _Kind:
    """One kind of setting: its address under BASE, how one is found by its keys (None:
    not the tenant's, the 404 page) and the name its titles show, and what it offers."""

    path: str
    find: Callable[[LeadSettingsDetails, Keys], Any]
    name: Callable[[Any, Keys], str]
    removal: _Removal
    adding: _Adding | None = None
    changing: _Changing | None = None
    resource: str = "tenant"  # whose permission changes it: `tenant` update, or `tags`

    def address(self, keys: Keys) -> str:
        return "/".join([BASE, self.path, *(_q(key) for key in keys)])


def _first(items: Sequence[Any], matches: Callable[[Any], bool]) -> Any:
    return next((item for item in items if matches(item)), None)


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


def _rename_controls() -> list[Control]:
    return [Control("name", _("新名称"), required=True, hint=_("打了此标签的线索一并改用新名称"))]


def _rename_path(tag: str) -> str:
    return f"{BASE}/tags/{_q(tag)}/rename"


def _tag_group_controls(_settings: LeadSettingsDetails) -> list[Control]:
    return [Control("name", _("名称"), required=True)]


def _user_type_controls(*, new: bool) -> list[Control]:
    name = Control("name", _("名称"), required=True)
    if not new:
        return [name]
    return [Control("key", _("类型键"), required=True, hint=_("英文字母、数字或下划线")), name]


class _StatusForm(BaseModel):
    """The status form: a new name, and whether it becomes the default."""

    name: str | None = None
    default: bool = False


def _change_status(
    lead_settings: TenantLeadSettings, tenant_id: UUID, keys: Keys, form: Any, version: int
) -> object:
    # The checkbox only makes a status the default: unticking it changes nothing.
    wanted = ChangeStatusSetting(name=form.name, default=True if form.default else None)
    return lead_settings.change_status(tenant_id, keys[0], wanted, expected_version=version)


CUSTOM_FIELDS = _Kind(
    path="custom-fields",
    find=lambda s, keys: _first(s.custom_fields, lambda f: f.key == keys[0]),
    name=lambda found, _keys: found.name,
    adding=_Adding(
        title=N_("新增自定义字段"),
        controls=lambda _s: _custom_field_controls(new=True),
        model=DefineCustomField,
        add=TenantLeadSettings.define_field,
        done=N_("已新增自定义字段"),
        defaults={"type": "text"},
    ),
    changing=_Changing(
        title=N_("修改自定义字段"),
        titled=N_("修改自定义字段：{name}"),
        controls=lambda _s: _custom_field_controls(new=False),
        model=ChangeCustomField,
        values=lambda found: found.model_dump(),
        change=lambda ls, tenant_id, keys, command, version: ls.change_field(
            tenant_id, keys[0], command, expected_version=version
        ),
    ),
    removal=_Removal(
        title=N_("删除自定义字段：{name}"),
        description=N_("只有从未被任何线索填写过的字段可以删除。"),
        remove=lambda ls, tenant_id, keys, version: ls.remove_field(
            tenant_id, keys[0], expected_version=version
        ),
        done=N_("已删除自定义字段"),
    ),
)

SOURCES = _Kind(
    path="sources",
    find=lambda s, keys: _first(s.sources, lambda source: source.level1 == keys[0]),
    name=lambda _found, keys: keys[0],
    adding=_Adding(
        title=N_("新增线索来源"),
        controls=lambda _s: _source_controls(),
        model=AddSource,
        add=TenantLeadSettings.add_source,
        done=N_("已新增线索来源"),
    ),
    removal=_Removal(
        title=N_("删除一级来源：{name}"),
        description=N_("它的二级来源一并删除；已有线索保留原来的来源。"),
        remove=lambda ls, tenant_id, keys, version: ls.remove_source(
            tenant_id, keys[0], None, expected_version=version
        ),
        done=N_("已删除线索来源"),
    ),
)

SUB_SOURCES = _Kind(
    path="sources",
    find=lambda s, keys: _first(
        s.sources, lambda source: source.level1 == keys[0] and keys[1] in source.level2
    ),
    name=lambda _found, keys: f"{keys[0]} / {keys[1]}",
    removal=_Removal(
        title=N_("删除二级来源：{name}"),
        description=N_("已有线索保留原来的来源。"),
        remove=lambda ls, tenant_id, keys, version: ls.remove_source(
            tenant_id, keys[0], keys[1], expected_version=version
        ),
        done=N_("已删除线索来源"),
    ),
)

STATUSES = _Kind(
    path="statuses",
    find=lambda s, keys: _first(s.statuses, lambda status: status.key == keys[0]),
    name=lambda found, _keys: found.name,
    adding=_Adding(
        title=N_("新增线索状态"),
        controls=lambda _s: _status_controls(new=True),
        model=AddStatus,
        add=TenantLeadSettings.add_status,
        done=N_("已新增线索状态"),
    ),
    changing=_Changing(
        title=N_("修改线索状态"),
        titled=N_("修改线索状态：{name}"),
        controls=lambda _s: _status_controls(new=False),
        model=_StatusForm,
        values=lambda found: {"name": found.name, "default": found.default},
        change=_change_status,
    ),
    removal=_Removal(
        title=N_("删除线索状态：{name}"),
        description=N_("线索不能再改为此状态；已处于此状态的线索保持不变。默认状态不能删除。"),
        remove=lambda ls, tenant_id, keys, version: ls.remove_status(
            tenant_id, keys[0], expected_version=version
        ),
        done=N_("已删除线索状态"),
    ),
)

TAG_KIND = _Kind(  # a tag is found as the group it is in
    path="tags",
    resource=TAGS,
    find=lambda s, keys: _first(s.tag_groups, lambda g: any(t.name == keys[0] for t in g.tags)),
    name=lambda _group, keys: keys[0],
    adding=_Adding(
        title=N_("新增标签"),
        controls=lambda settings: _tag_controls(settings, new=True),
        model=AddTag,
        add=TenantLeadSettings.add_tag,
        done=N_("已新增标签"),
    ),
    changing=_Changing(
        title=N_("移动标签"),
        titled=N_("移动标签：{name}"),
        controls=lambda settings: _tag_controls(settings, new=False),
        model=MoveTag,
        values=lambda group: {"group_id": group.id},
        change=lambda ls, tenant_id, keys, command, version: ls.move_tag(
            tenant_id, keys[0], command, expected_version=version
        ),
    ),
    removal=_Removal(
        title=N_("删除标签：{name}"),
        description=N_("标签从标签库中删除；已打上此标签的线索保留它。"),
        remove=lambda ls, tenant_id, keys, version: ls.remove_tag(
            tenant_id, keys[0], expected_version=version
        ),
        done=N_("已删除标签"),
    ),
)

TAG_GROUPS = _Kind(
    path="tag-groups",
    resource=TAGS,
    find=lambda s, keys: _first(s.tag_groups, lambda g: g.id == keys[0]),
    name=lambda group, _keys: group.name,
    adding=_Adding(
        title=N_("新增标签组"),
        controls=_tag_group_controls,
        model=AddTagGroup,
        add=TenantLeadSettings.add_tag_group,
        done=N_("已新增标签组"),
    ),
    changing=_Changing(
        title=N_("重命名标签组"),
        titled=N_("重命名标签组：{name}"),
        controls=_tag_group_controls,
        model=RenameTagGroup,
        values=lambda group: {"name": group.name},
        change=lambda ls, tenant_id, keys, command, version: ls.rename_tag_group(
            tenant_id, keys[0], command, expected_version=version
        ),
    ),
    removal=_Removal(
        title=N_("删除标签组：{name}"),
        description=N_("组内的标签变为未分组。"),
        remove=lambda ls, tenant_id, keys, version: ls.remove_tag_group(
            tenant_id, keys[0], expected_version=version
        ),
        done=N_("已删除标签组"),
    ),
)

USER_TYPES = _Kind(
    path="user-types",
    find=lambda s, keys: _first(s.user_types, lambda u: u.key == keys[0]),
    name=lambda found, _keys: found.name,
    adding=_Adding(
        title=N_("新增用户类型"),
        controls=lambda _s: _user_type_controls(new=True),
        model=AddUserType,
        add=TenantLeadSettings.add_user_type,
        done=N_("已新增用户类型"),
    ),
    changing=_Changing(
        title=N_("重命名用户类型"),
        titled=N_("重命名用户类型：{name}"),
        controls=lambda _s: _user_type_controls(new=False),
        model=RenameUserType,
        values=lambda found: {"name": found.name},
        change=lambda ls, tenant_id, keys, command, version: ls.rename_user_type(
            tenant_id, keys[0], command, expected_version=version
        ),
    ),
    removal=_Removal(
        title=N_("删除用户类型：{name}"),
        description=N_("新线索不能再使用此类型；已有的此类线索保持不变。"),
        remove=lambda ls, tenant_id, keys, version: ls.remove_user_type(
            tenant_id, keys[0], expected_version=version
        ),
        done=N_("已删除用户类型"),
    ),
)


# --- the steps every kind shares ---------------------------------------------------------


def _look_up(
    lead_settings: TenantLeadSettings, tenant_id: UUID, kind: _Kind, keys: Keys
) -> tuple[LeadSettingsDetails, Any]:
    """The tenant's settings and the one named by `keys`, or NotFound (the 404 page) —
    checked before a form is read, so another tenant's or an unknown key answers alike
    whatever was sent."""
    settings = lead_settings.settings(tenant_id)
    found = kind.find(settings, keys)
    if found is None:
        raise NotFound(f"no setting {keys[-1]!r}")
    return settings, found


def _offered(step: T | None) -> T:
    """The kind's form for this step; every route asks only for one its kind has."""
    if step is None:
        raise NotFound("no such form")
    return step


def _form(
    request: Request[Any, Any, Any],
    *,
    title: str,
    action: str,
    controls: Sequence[Control],
    values: Mapping[str, Any],
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
    request: Request[Any, Any, Any],
    *,
    title: str,
    controls: Sequence[Control],
    model: type[BaseModel],
    version: Callable[[Mapping[str, Any]], V],
    run: Callable[[Any, V], object],
    done: str,
) -> Response[Any]:
    """Parse the form into `model`, `run(command, version)`, back to the overview; a
    refusal shows the form again with the error beside its field (422)."""
    data = await form_data(request)
    values = submitted(data, controls)
    shown_version: int | None = None
    try:
        expected = version(data)
        shown_version = expected
        command = parse_form(model, values)
        await change(lambda: run(command, expected))
    except FormErrors as invalid:
        errors = invalid.errors
    except (InvalidInput, InvalidValue) as refused:
        errors = refusal_errors(refused).errors
    else:
        return redirect(request, BASE, flash=Flash("success", done))
    return _form(
        request,
        title=title,
        action=request.url.path,
        controls=controls,
        values=values,
        version=shown_version,
        errors=errors,
        status=422,
    )


def _unversioned(_data: Mapping[str, Any]) -> None:
    """Adding needs no version: what is there already is left alone."""
    return None


def _new_form(
    request: Request[Any, Any, Any], lead_settings: TenantLeadSettings, kind: _Kind
) -> Response[Any]:
    adding = _offered(kind.adding)
    settings = lead_settings.settings(_admin(request, kind, Action.CREATE).tenant_id)
    return _form(
        request,
        title=_(adding.title),
        action=f"{BASE}/{kind.path}",
        controls=adding.controls(settings),
        values=adding.defaults,
        version=None,
    )


async def _add(
    request: Request[Any, Any, Any], lead_settings: TenantLeadSettings, kind: _Kind
) -> Response[Any]:
    adding = _offered(kind.adding)
    tenant_id = _admin(request, kind, Action.CREATE).tenant_id
    settings = await in_thread(lambda: lead_settings.settings(tenant_id))
    return await _submit(
        request,
        title=_(adding.title),
        controls=adding.controls(settings),
        model=adding.model,
        version=_unversioned,
        run=lambda command, _v: adding.add(lead_settings, tenant_id, command),
        done=_(adding.done),
    )


def _edit_form(
    request: Request[Any, Any, Any], lead_settings: TenantLeadSettings, kind: _Kind, keys: Keys
) -> Response[Any]:
    changing = _offered(kind.changing)
    settings, found = _look_up(lead_settings, _admin(request, kind).tenant_id, kind, keys)
    return _form(
        request,
        title=_(changing.titled).format(name=kind.name(found, keys)),
        action=f"{kind.address(keys)}/edit",
        controls=changing.controls(settings),
        values=changing.values(found),
        version=settings.version,
    )


async def _change(
    request: Request[Any, Any, Any], lead_settings: TenantLeadSettings, kind: _Kind, keys: Keys
) -> Response[Any]:
    changing = _offered(kind.changing)
    tenant_id = _admin(request, kind).tenant_id
    settings, _found = await in_thread(lambda: _look_up(lead_settings, tenant_id, kind, keys))
    return await _submit(
        request,
        title=_(changing.title),
        controls=changing.controls(settings),
        model=changing.model,
        version=version_of,
        run=lambda command, version: changing.change(
            lead_settings, tenant_id, keys, command, version
        ),
        done=_("已保存"),
    )


def _confirm_removal(
    request: Request[Any, Any, Any], lead_settings: TenantLeadSettings, kind: _Kind, keys: Keys
) -> Response[Any]:
    tenant_id = _admin(request, kind, Action.DELETE).tenant_id
    settings, found = _look_up(lead_settings, tenant_id, kind, keys)
    return confirm_page(
        request,
        title=_(kind.removal.title).format(name=kind.name(found, keys)),
        description=_(kind.removal.description),
        action=request.url.path,
        cancel=BASE,
        confirm_label=_("确认删除"),
        reason_required=None,
        fields={"version": settings.version},
    )


async def _remove(
    request: Request[Any, Any, Any], lead_settings: TenantLeadSettings, kind: _Kind, keys: Keys
) -> Response[Any]:
    """Remove after the confirmation step; an unknown setting is the 404 page, a stale
    or refused removal goes back to the overview with the reason."""
    tenant_id = _admin(request, kind, Action.DELETE).tenant_id
    await in_thread(lambda: _look_up(lead_settings, tenant_id, kind, keys))
    data = await form_data(request)
    try:
        version = version_of(data)
        await change(lambda: kind.removal.remove(lead_settings, tenant_id, keys, version))
    except FormErrors as invalid:
        return redirect(request, BASE, flash=Flash("error", "；".join(invalid.errors.values())))
    except (InvalidInput, InvalidValue) as refused:
        message = "；".join(refusal_errors(refused).errors.values())
        return redirect(request, BASE, flash=Flash("error", message))
    return redirect(request, BASE, flash=Flash("success", _(kind.removal.done)))


# --- the routes ----------------------------------------------------------------------------


class LeadSettingsPages(Controller):
    path = "/lead-settings"
    include_in_schema = False

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
            sections=_sections(settings, may, may_tags=caller.may(TAGS, Action.UPDATE)),
            may_configure=may,
        )

    # --- custom fields --------------------------------------------------------------

    @get("/custom-fields/new", sync_to_thread=True)
    def new_field(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _new_form(request, lead_settings, CUSTOM_FIELDS)

    @post("/custom-fields")
    async def define_field(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _add(request, lead_settings, CUSTOM_FIELDS)

    @get("/custom-fields/{field_key:str}/edit", sync_to_thread=True)
    def edit_field(
        self, request: Request[Any, Any, Any], field_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _edit_form(request, lead_settings, CUSTOM_FIELDS, (field_key,))

    @post("/custom-fields/{field_key:str}/edit")
    async def change_field(
        self, request: Request[Any, Any, Any], field_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _change(request, lead_settings, CUSTOM_FIELDS, (field_key,))

    @get("/custom-fields/{field_key:str}/remove", sync_to_thread=True)
    def confirm_remove_field(
        self, request: Request[Any, Any, Any], field_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _confirm_removal(request, lead_settings, CUSTOM_FIELDS, (field_key,))

    @post("/custom-fields/{field_key:str}/remove")
    async def remove_field(
        self, request: Request[Any, Any, Any], field_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _remove(request, lead_settings, CUSTOM_FIELDS, (field_key,))

    # --- sources --------------------------------------------------------------------

    @get("/sources/new", sync_to_thread=True)
    def new_source(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _new_form(request, lead_settings, SOURCES)

    @post("/sources")
    async def add_source(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _add(request, lead_settings, SOURCES)

    @get("/sources/{level1:str}/remove", sync_to_thread=True)
    def confirm_remove_source(
        self, request: Request[Any, Any, Any], level1: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _confirm_removal(request, lead_settings, SOURCES, (level1,))

    @post("/sources/{level1:str}/remove")
    async def remove_source(
        self, request: Request[Any, Any, Any], level1: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _remove(request, lead_settings, SOURCES, (level1,))

    @get("/sources/{level1:str}/{level2:str}/remove", sync_to_thread=True)
    def confirm_remove_sub_source(
        self,
        request: Request[Any, Any, Any],
        level1: str,
        level2: str,
        lead_settings: TenantLeadSettings,
    ) -> Response[Any]:
        return _confirm_removal(request, lead_settings, SUB_SOURCES, (level1, level2))

    @post("/sources/{level1:str}/{level2:str}/remove")
    async def remove_sub_source(
        self,
        request: Request[Any, Any, Any],
        level1: str,
        level2: str,
        lead_settings: TenantLeadSettings,
    ) -> Response[Any]:
        return await _remove(request, lead_settings, SUB_SOURCES, (level1, level2))

    # --- statuses -------------------------------------------------------------------

    @get("/statuses/new", sync_to_thread=True)
    def new_status(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _new_form(request, lead_settings, STATUSES)

    @post("/statuses")
    async def add_status(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _add(request, lead_settings, STATUSES)

    @get("/statuses/{status_key:str}/edit", sync_to_thread=True)
    def edit_status(
        self, request: Request[Any, Any, Any], status_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _edit_form(request, lead_settings, STATUSES, (status_key,))

    @post("/statuses/{status_key:str}/edit")
    async def change_status(
        self, request: Request[Any, Any, Any], status_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _change(request, lead_settings, STATUSES, (status_key,))

    @get("/statuses/{status_key:str}/remove", sync_to_thread=True)
    def confirm_remove_status(
        self, request: Request[Any, Any, Any], status_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _confirm_removal(request, lead_settings, STATUSES, (status_key,))

    @post("/statuses/{status_key:str}/remove")
    async def remove_status(
        self, request: Request[Any, Any, Any], status_key: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _remove(request, lead_settings, STATUSES, (status_key,))

    # --- tags -----------------------------------------------------------------------

    @get("/tags/new", sync_to_thread=True)
    def new_tag(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _new_form(request, lead_settings, TAG_KIND)

    @post("/tags")
    async def add_tag(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _add(request, lead_settings, TAG_KIND)

    @get("/tags/{tag:str}/edit", sync_to_thread=True)
    def edit_tag(
        self, request: Request[Any, Any, Any], tag: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _edit_form(request, lead_settings, TAG_KIND, (tag,))

    @post("/tags/{tag:str}/edit")
    async def move_tag(
        self, request: Request[Any, Any, Any], tag: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _change(request, lead_settings, TAG_KIND, (tag,))

    @get("/tags/{tag:str}/remove", sync_to_thread=True)
    def confirm_remove_tag(
        self, request: Request[Any, Any, Any], tag: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _confirm_removal(request, lead_settings, TAG_KIND, (tag,))

    @post("/tags/{tag:str}/remove")
    async def remove_tag(
        self, request: Request[Any, Any, Any], tag: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _remove(request, lead_settings, TAG_KIND, (tag,))

    @get("/tags/{tag:str}/rename", sync_to_thread=True)
    def rename_tag_form(
        self, request: Request[Any, Any, Any], tag: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        tenant_id = _admin(request, TAG_KIND).tenant_id
        settings, _group = _look_up(lead_settings, tenant_id, TAG_KIND, (tag,))
        return _form(
            request,
            title=_("重命名标签：{name}").format(name=tag),
            action=_rename_path(tag),
            controls=_rename_controls(),
            values={"name": tag},
            version=settings.version,
        )

    @post("/tags/{tag:str}/rename")
    async def rename_tag(
        self,
        request: Request[Any, Any, Any],
        tag: str,
        lead_settings: TenantLeadSettings,
        tag_renames: TagRenames,
    ) -> Response[Any]:
        """Rename the tag; the leads that carry it are relabelled before the answer."""
        tenant_id = _admin(request, TAG_KIND).tenant_id
        await in_thread(lambda: _look_up(lead_settings, tenant_id, TAG_KIND, (tag,)))
        return await _submit(
            request,
            title=_("重命名标签"),
            controls=_rename_controls(),
            model=RenameTag,
            version=version_of,
            run=lambda command, version: tag_renames.rename(
                tenant_id, tag, command, expected_version=version
            ),
            done=_("已重命名标签，打了此标签的线索已一并更新"),
        )

    # --- tag groups -----------------------------------------------------------------

    @get("/tag-groups/new", sync_to_thread=True)
    def new_tag_group(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _new_form(request, lead_settings, TAG_GROUPS)

    @post("/tag-groups")
    async def add_tag_group(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _add(request, lead_settings, TAG_GROUPS)

    @get("/tag-groups/{group_id:str}/edit", sync_to_thread=True)
    def edit_tag_group(
        self, request: Request[Any, Any, Any], group_id: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _edit_form(request, lead_settings, TAG_GROUPS, (group_id,))

    @post("/tag-groups/{group_id:str}/edit")
    async def rename_tag_group(
        self, request: Request[Any, Any, Any], group_id: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _change(request, lead_settings, TAG_GROUPS, (group_id,))

    @get("/tag-groups/{group_id:str}/remove", sync_to_thread=True)
    def confirm_remove_tag_group(
        self, request: Request[Any, Any, Any], group_id: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _confirm_removal(request, lead_settings, TAG_GROUPS, (group_id,))

    @post("/tag-groups/{group_id:str}/remove")
    async def remove_tag_group(
        self, request: Request[Any, Any, Any], group_id: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _remove(request, lead_settings, TAG_GROUPS, (group_id,))

    # --- user types -----------------------------------------------------------------

    @get("/user-types/new", sync_to_thread=True)
    def new_user_type(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _new_form(request, lead_settings, USER_TYPES)

    @post("/user-types")
    async def add_user_type(
        self, request: Request[Any, Any, Any], lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _add(request, lead_settings, USER_TYPES)

    @get("/user-types/{user_type:str}/edit", sync_to_thread=True)
    def edit_user_type(
        self, request: Request[Any, Any, Any], user_type: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _edit_form(request, lead_settings, USER_TYPES, (user_type,))

    @post("/user-types/{user_type:str}/edit")
    async def rename_user_type(
        self, request: Request[Any, Any, Any], user_type: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _change(request, lead_settings, USER_TYPES, (user_type,))

    @get("/user-types/{user_type:str}/remove", sync_to_thread=True)
    def confirm_remove_user_type(
        self, request: Request[Any, Any, Any], user_type: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return _confirm_removal(request, lead_settings, USER_TYPES, (user_type,))

    @post("/user-types/{user_type:str}/remove")
    async def remove_user_type(
        self, request: Request[Any, Any, Any], user_type: str, lead_settings: TenantLeadSettings
    ) -> Response[Any]:
        return await _remove(request, lead_settings, USER_TYPES, (user_type,))


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
    def __init__(
        self, id: str, title: str, adds: list[tuple[str, str]], table: Table, *, may: bool
    ) -> None:
        self.id, self.title, self.adds, self.table, self.may = id, title, adds, table, may


def _sections(settings: LeadSettingsDetails, may: bool, *, may_tags: bool) -> list[_Section]:
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
            may_tags, Column("name", N_("名称")), Column("tags", N_("标签数"), numeric=True)
        ),
        rows=[
            Row(
                g.id,
                [
                    Cell(g.name),
                    Cell(str(len(g.tags))),
                    *_actions(
                        may_tags,
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
            may_tags,
            Column("name", N_("标签")),
            Column("group", N_("标签组")),
            Column("kind", N_("类别")),
            Column("leads", N_("线索数"), numeric=True),
            *([Column("rename", N_("重命名"))] if may_tags else []),
        ),
        rows=[
            Row(
                t.name,
                [
                    Cell(t.name),
                    Cell(g.name),
                    Cell(_("系统标签") if t.system else _("自定义")),
                    Cell(str(t.leads)),
                    *(
                        [Cell("—") if t.system else Cell(_("重命名"), href=_rename_path(t.name))]
                        if may_tags
                        else []
                    ),
                    *_actions(
                        may_tags,
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
        _Section(
            "fields",
            _("自定义字段"),
            [(_("新增字段"), f"{BASE}/custom-fields/new")],
            fields,
            may=may,
        ),
        _Section(
            "sources", _("线索来源"), [(_("新增来源"), f"{BASE}/sources/new")], sources, may=may
        ),
        _Section(
            "statuses", _("线索状态"), [(_("新增状态"), f"{BASE}/statuses/new")], statuses, may=may
        ),
        _Section(
            "tags",
            _("标签"),
            [(_("新增标签"), f"{BASE}/tags/new"), (_("新增标签组"), f"{BASE}/tag-groups/new")],
            tags,
            may=may_tags,
        ),
        _Section("groups", _("标签组"), [], groups, may=may_tags),
        _Section(
            "user-types",
            _("用户类型"),
            [(_("新增类型"), f"{BASE}/user-types/new")],
            user_types,
            may=may,
        ),
    ]


PAGES = (LeadSettingsPages,)
