"""Scoring pages (营销 · 打分规则, 评分矩阵, 打分设置): the rules on attributes and
behaviours with points, frequency, validity and caps; the 16-cell matrix with the stage
of each cell, the stage funnel, temperature, value groups and recent conversions; the
bands, stages, temperature and category switches (SCORE-1…5)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.scoring.board import BoardQueries
from application.scoring.commands import (
    AddRule,
    ChangeRule,
    ChangeSettings,
    RuleDetails,
    SettingsDetails,
)
from application.scoring.scoring import Scoring
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, VersionConflict
from domain.scoring.rules import ATTRIBUTE_FIELDS, BEHAVIOUR_KINDS, CATEGORIES
from domain.scoring.scheme import BEHAVIOUR_BANDS, CELLS, PROFILE_BANDS
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.charts import Bar, bar_chart
from entrypoints.web.forms import GENERAL, FormErrors, errors_of, form_data, parse_form
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import confirm_page, page, redirect, signed_in_viewer, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import Cell, Column, Row, Table

RULES = "/console/scoring/rules"
MATRIX = "/console/scoring/matrix"
SETTINGS = "/console/scoring/settings"
FREQUENCIES = {"once": N_("仅一次"), "per_day": N_("每天一次"), "unlimited": N_("不限次数")}
OPS = {"equals": N_("等于"), "contains": N_("包含")}
FIELD_NAMES = {
    "title": N_("职位"),
    "city": N_("城市"),
    "company": N_("公司"),
    "industry": N_("行业"),
    "gender": N_("性别"),
    "name": N_("姓名"),
    "user_type": N_("用户类型"),
    "status": N_("状态"),
    "source_level1": N_("一级来源"),
    "source_level2": N_("二级来源"),
    "tags": N_("标签"),
}
KIND_NAMES = {
    "page": N_("浏览网页"),
    "track": N_("自定义事件"),
    "click": N_("点击链接"),
    "open": N_("打开邮件"),
    "screen": N_("浏览 App 页面"),
    "identify": N_("留下身份"),
    "alias": N_("关联身份"),
    "group": N_("加入组织"),
    "email_sent": N_("邮件已发出"),
    "email_delivered": N_("邮件已送达"),
    "email_bounced": N_("邮件退信"),
    "email_complained": N_("邮件被投诉"),
    "unsubscribed": N_("退订"),
    "sms_sent": N_("短信已发出"),
    "sms_delivered": N_("短信已送达"),
    "sms_failed": N_("短信发送失败"),
    "sms_replied": N_("回复短信"),
    "wechat_followed": N_("关注公众号"),
    "wechat_unfollowed": N_("取消关注公众号"),
    "wechat_scanned": N_("扫描公众号二维码"),
    "wechat_menu_clicked": N_("点击公众号菜单"),
    "wechat_location": N_("上报地理位置"),
    "wechat_message": N_("给公众号发消息"),
    "wechat_replied": N_("公众号回复"),
    "wechat_mass_sent": N_("收到公众号群发"),
    "wechat_template_sent": N_("收到模板消息"),
    "wechat_fan_synced": N_("同步粉丝资料"),
    "wechat_job_finished": N_("公众号发送任务完成"),
    "wechat_material_synced": N_("同步素材"),
    "flow_owner_notified": N_("流程通知负责人"),
    "wecom_customer_added": N_("添加企业微信好友"),
    "wecom_customer_lost": N_("删除了企业微信员工"),
    "wecom_customer_removed": N_("被企业微信员工删除"),
    "wecom_customer_edited": N_("企业微信客户资料变更"),
    "wecom_customer_transferred": N_("企业微信客户被继承"),
    "wecom_group_changed": N_("客户群变更"),
    "wecom_welcome_sent": N_("收到企业微信欢迎语"),
    "archive_message": N_("会话存档消息"),
    "archive_alert": N_("会话存档告警"),
    "*": N_("任何行为"),
}
CATEGORY_NAMES = {
    "profile": N_("基础属性"),
    "website": N_("网站行为"),
    "email": N_("邮件行为"),
    "sms": N_("短信行为"),
    "wechat": N_("公众号互动"),
    "content": N_("内容行为"),
    "meeting": N_("会议行为"),
    "form": N_("表单"),
    "event": N_("自定义事件"),
}
TEMPERATURES = {"hot": N_("热"), "warm": N_("温"), "cold": N_("冷")}


class ScoreRulePages(Controller):
    path = "/scoring/rules"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def rules(self, request: Request[Any, Any, Any], scoring: Scoring) -> Response[Any]:
        caller = tenant_may(request, "scoring", Action.READ)
        rules = scoring.rules(caller.tenant_id)
        rows = [
            Row(
                rule.id,
                [
                    Cell(rule.title, href=f"{RULES}/{rule.id}"),
                    Cell(_("属性") if rule.part == "profile" else _("行为")),
                    Cell(_(CATEGORY_NAMES.get(rule.category, rule.category))),
                    Cell(_condition(rule)),
                    Cell(f"{rule.points:+d}"),
                    Cell(_(FREQUENCIES[rule.frequency])),
                    Cell(
                        _("{n} 天").format(n=rule.validity_days)
                        if rule.validity_days
                        else _("长期")
                    ),
                    Cell(str(rule.cap) if rule.cap else "—"),
                    Cell(_("启用"), badge="ok") if rule.active else Cell(_("停用"), badge="bad"),
                ],
            )
            for rule in rules
        ]
        may_create = caller.may("scoring", Action.CREATE)
        table = Table(
            id="score-rules",
            url=RULES,
            columns=[
                Column("title", "规则"),
                Column("part", "维度"),
                Column("category", "类别"),
                Column("condition", "条件"),
                Column("points", "分值", numeric=True),
                Column("frequency", "频率"),
                Column("validity", "有效期"),
                Column("cap", "上限", numeric=True),
                Column("state", "状态"),
            ],
            rows=rows,
            caption="打分规则",
            empty_message="还没有打分规则",
            empty_action=(_("新建打分规则"), f"{RULES}/new") if may_create else None,
        )
        return page(
            request, "scoring/rules.html", title=_("打分规则"), table=table, may_create=may_create
        )

    @get("/new", sync_to_thread=True)
    def new_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        tenant_may(request, "scoring", Action.CREATE)
        return _rule_form(request, None, {"part": "behaviour", "points": "10"}, {})

    @post("/new")
    async def create(self, request: Request[Any, Any, Any], scoring: Scoring) -> Response[Any]:
        caller = tenant_may(request, "scoring", Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(AddRule, _rule_fields(data))
            made = await change(lambda: scoring.add_rule(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = _form_errors(refusal)
        else:
            message = _("已新建打分规则「{title}」").format(title=made.title)
            return redirect(request, RULES, flash=Flash("success", message))
        return await in_thread(lambda: _rule_form(request, None, data, errors, status=422))

    @get("/{rule_id:uuid}", sync_to_thread=True)
    def detail(
        self, request: Request[Any, Any, Any], rule_id: UUID, scoring: Scoring
    ) -> Response[Any]:
        caller = tenant_may(request, "scoring", Action.READ)
        rule = scoring.rule(caller.tenant_id, rule_id)  # 404 for another tenant's
        return _rule_form(request, rule, _values_of(rule), {}, caller=caller)

    @post("/{rule_id:uuid}")
    async def change_rule(
        self, request: Request[Any, Any, Any], rule_id: UUID, scoring: Scoring
    ) -> Response[Any]:
        caller = tenant_may(request, "scoring", Action.UPDATE)
        rule = await in_thread(lambda: scoring.rule(caller.tenant_id, rule_id))
        data = await form_data(request)
        try:
            parsed = parse_form(ChangeRule, _rule_fields(data))
            command = ChangeRule.model_validate(
                {**parsed.model_dump(exclude_unset=True), **_cleared(data)}
            )
            version = _version(data)
            await change(
                lambda: scoring.change_rule(
                    caller.tenant_id, rule_id, command, expected_version=version
                )
            )
        except VersionConflict:
            errors = {GENERAL: _("规则已被他人修改，请刷新页面后重试。")}
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = _form_errors(refusal)
        else:
            return redirect(request, RULES, flash=Flash("success", _("规则已保存")))
        return await in_thread(
            lambda: _rule_form(request, rule, data, errors, caller=caller, status=422)
        )

    @get("/{rule_id:uuid}/remove", sync_to_thread=True)
    def remove_confirmation(
        self, request: Request[Any, Any, Any], rule_id: UUID, scoring: Scoring
    ) -> Response[Any]:
        caller = tenant_may(request, "scoring", Action.DELETE)
        return _remove_page(request, scoring.rule(caller.tenant_id, rule_id), {})

    @post("/{rule_id:uuid}/remove")
    async def remove(
        self, request: Request[Any, Any, Any], rule_id: UUID, scoring: Scoring
    ) -> Response[Any]:
        caller = tenant_may(request, "scoring", Action.DELETE)
        rule = await in_thread(lambda: scoring.rule(caller.tenant_id, rule_id))
        data = await form_data(request)
        try:
            version = _version(data)
            await change(
                lambda: scoring.remove_rule(caller.tenant_id, rule_id, expected_version=version)
            )
        except VersionConflict:
            errors = {GENERAL: _("规则已被他人修改，请返回后重试。")}
            return _remove_page(request, rule, errors, status=409)
        message = _("已删除打分规则「{title}」").format(title=rule.title)
        return redirect(request, RULES, flash=Flash("success", message))


class ScoreMatrixPages(Controller):
    path = "/scoring/matrix"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def matrix(
        self,
        request: Request[Any, Any, Any],
        scoring: Scoring,
        score_board: BoardQueries,
        width: int = 10,
    ) -> Response[Any]:
        caller = tenant_may(request, "scoring", Action.READ)
        timezone = signed_in_viewer(request).timezone
        scheme = scoring.rulebook(caller.tenant_id).scheme
        matrix = score_board.matrix(caller.tenant_id, scheme)
        by_cell = {cell.cell: cell for cell in matrix.cells}
        grid = [[by_cell[f"{b}{p}"] for b in BEHAVIOUR_BANDS] for p in reversed(PROFILE_BANDS)]
        funnel = score_board.funnel(caller.tenant_id, scheme)
        width = width if width in (5, 10, 20) else 10
        groups = score_board.value_groups(caller.tenant_id, width)
        conversions = score_board.conversions(caller.tenant_id, cursor=None, limit=20)
        return page(
            request,
            "scoring/matrix.html",
            title=_("评分矩阵"),
            grid=grid,
            matrix=matrix,
            funnel=funnel,
            funnel_chart=bar_chart(
                _("各营销阶段的线索"), [Bar(s.stage, s.count) for s in funnel.stages]
            ),
            temperatures=[
                (_(TEMPERATURES[key]), matrix.temperature.get(key, 0))
                for key in ("hot", "warm", "cold")
            ],
            groups=groups,
            width=width,
            conversions=[
                (c, local_time(c.at, timezone), str(c.lead_id)) for c in conversions.items
            ],
        )


class ScoringSettingsPages(Controller):
    path = "/scoring/settings"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def settings(self, request: Request[Any, Any, Any], scoring: Scoring) -> Response[Any]:
        caller = tenant_may(request, "scoring", Action.READ)
        return _settings_page(request, caller, scoring.settings(caller.tenant_id), None, {})

    @post("/")
    async def save(self, request: Request[Any, Any, Any], scoring: Scoring) -> Response[Any]:
        caller = tenant_may(request, "scoring", Action.UPDATE)
        data = await form_data(request)
        current = await in_thread(lambda: scoring.settings(caller.tenant_id))
        try:
            version = _version(data)
            command = _settings_command(data, current)
            await change(
                lambda: scoring.change_settings(caller.tenant_id, command, expected_version=version)
            )
        except VersionConflict:
            errors = {GENERAL: _("设置已被他人修改，请刷新页面后重试。")}
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = _form_errors(refusal)
        else:
            return redirect(request, SETTINGS, flash=Flash("success", _("设置已保存")))
        return await in_thread(
            lambda: _settings_page(request, caller, current, data, errors, status=422)
        )


# --- forms ---------------------------------------------------------------------------------


def _rule_form(
    request: Request[Any, Any, Any],
    rule: RuleDetails | None,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    caller: TenantCaller | None = None,
    status: int = 200,
) -> Response[Any]:
    return page(
        request,
        "scoring/rule_form.html",
        title=rule.title if rule else _("新建打分规则"),
        rule=rule,
        action=f"{RULES}/{rule.id}" if rule else f"{RULES}/new",
        values=values,
        errors=errors,
        may_change=rule is None or (caller is not None and caller.may("scoring", Action.UPDATE)),
        may_remove=rule is not None and caller is not None and caller.may("scoring", Action.DELETE),
        category_options=[(k, _(CATEGORY_NAMES.get(k, k))) for k in CATEGORIES],
        frequency_options=[(k, _(v)) for k, v in FREQUENCIES.items()],
        op_options=[(k, _(v)) for k, v in OPS.items()],
        field_options=[(f, _(FIELD_NAMES[f])) for f in ATTRIBUTE_FIELDS],
        kind_options=[(k, _(KIND_NAMES[k])) for k in (*sorted(BEHAVIOUR_KINDS), "*")],
        status=status,
    )


def _rule_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The command's fields of the rule form (one condition, by the chosen dimension)."""
    fields: dict[str, Any] = {
        key: data.get(key)
        for key in ("title", "category", "points", "frequency", "validity_days", "cap")
        if data.get(key) not in (None, "")
    }
    fields["active"] = bool(data.get("active"))
    if data.get("part") == "profile":
        fields.pop("frequency", None)
        fields["attribute"] = {
            "field": _custom_or(data.get("attr_field"), data.get("attr_custom")),
            "op": data.get("attr_op") or "equals",
            "value": data.get("attr_value") or "",
        }
    else:
        behaviour = {"kind": data.get("beh_kind") or "page", "op": data.get("beh_op") or "equals"}
        for key in ("name", "channel", "property", "value"):
            if data.get(f"beh_{key}"):
                behaviour[key] = data[f"beh_{key}"]
        fields["behaviour"] = behaviour
    return fields


def _cleared(data: dict[str, Any]) -> dict[str, Any]:
    """Emptied validity or cap fields remove them from the rule."""
    return {key: None for key in ("validity_days", "cap") if data.get(key) in (None, "")}


def _custom_or(field: Any, custom: Any) -> Any:
    return f"custom.{custom}" if field == "custom" and custom else field


def _values_of(rule: RuleDetails) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": rule.title,
        "category": rule.category,
        "points": rule.points,
        "frequency": rule.frequency,
        "validity_days": rule.validity_days or "",
        "cap": rule.cap or "",
        "active": rule.active,
        "part": rule.part,
        "version": rule.version,
    }
    if rule.attribute:
        field = str(rule.attribute["field"])
        custom = field.startswith("custom.")
        values |= {
            "attr_field": "custom" if custom else field,
            "attr_custom": field.removeprefix("custom.") if custom else "",
            "attr_op": rule.attribute.get("op", "equals"),
            "attr_value": rule.attribute.get("value", ""),
        }
    if rule.behaviour:
        values |= {f"beh_{k}": v for k, v in rule.behaviour.items()}
    return values


def _form_errors(refusal: Exception) -> dict[str, str]:
    errors = errors_of(refusal)
    renamed = {
        "attribute.field": "attr_field",
        "attribute.value": "attr_value",
        "attribute.op": "attr_op",
        "behaviour.kind": "beh_kind",
        "behaviour.name": "beh_name",
        "behaviour.property": "beh_property",
        "behaviour.value": "beh_value",
    }
    return {renamed.get(key, key): message for key, message in errors.items()}


def _version(data: dict[str, Any]) -> int | None:
    text = str(data.get("version") or "")
    return int(text) if text.isdigit() else None


def _condition(rule: RuleDetails) -> str:
    if rule.attribute:
        field = str(rule.attribute["field"])
        name = _(FIELD_NAMES.get(field, field))
        return f"{name} {_(OPS[rule.attribute.get('op', 'equals')])} {rule.attribute['value']}"
    assert rule.behaviour is not None
    behaviour = rule.behaviour
    text = _(KIND_NAMES.get(behaviour["kind"], behaviour["kind"]))
    if behaviour.get("name"):
        text += f" · {behaviour['name']}"
    if behaviour.get("channel"):
        text += f" · {behaviour['channel']}"
    if behaviour.get("property"):
        op = _(OPS[behaviour.get("op", "equals")])
        text += f" · {behaviour['property']} {op} {behaviour.get('value')}"
    return text


def _remove_page(
    request: Request[Any, Any, Any],
    rule: RuleDetails,
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("删除打分规则"),
        description=_(
            "删除后「{title}」不再给线索加分；属性规则已给的分数会收回，行为规则已给的分数保留到有效期结束。"
        ).format(title=rule.title),
        action=f"{RULES}/{rule.id}/remove",
        confirm_label=_("确认删除"),
        reason_required=False,
        fields={"version": rule.version},
        errors=errors,
        cancel=f"{RULES}/{rule.id}",
        status=status,
    )


def _settings_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    settings: SettingsDetails,
    values: dict[str, Any] | None,
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    stage_of = {cell: s["name"] for s in settings.stages for cell in s["cells"]}
    if values is None:
        values = {
            **{f"b{i}": v for i, v in enumerate(settings.behaviour_bands)},
            **{f"p{i}": v for i, v in enumerate(settings.profile_bands)},
            "hot": settings.temperature["hot"],
            "warm": settings.temperature["warm"],
            **{f"cell_{cell}": stage_of.get(cell, "") for cell in CELLS},
            **{f"cap_{c.key}": c.cap or "" for c in settings.categories},
            "enabled": [c.key for c in settings.categories if c.enabled],
        }
    return page(
        request,
        "scoring/settings.html",
        title=_("打分设置"),
        settings=settings,
        values=values,
        errors=errors,
        may_change=caller.may("scoring", Action.UPDATE),
        bands=list(enumerate(zip(BEHAVIOUR_BANDS, PROFILE_BANDS, strict=True))),
        grid=[[f"{b}{p}" for b in BEHAVIOUR_BANDS] for p in reversed(PROFILE_BANDS)],
        stage_options=[(s["name"], s["name"]) for s in settings.stages],
        categories=[(c.key, _(CATEGORY_NAMES.get(c.key, c.key))) for c in settings.categories],
        status=status,
    )


def _settings_command(data: dict[str, Any], current: SettingsDetails) -> ChangeSettings:
    def number(name: str) -> int:
        text = str(data.get(name) or "").strip()
        if not text.lstrip("-").isdigit():
            raise FormErrors({name: _("请填写整数")})
        return int(text)

    names = [s["name"] for s in current.stages]
    cells: dict[str, list[str]] = {name: [] for name in names}
    for cell in CELLS:
        chosen = data.get(f"cell_{cell}")
        if chosen not in cells:
            raise FormErrors({f"cell_{cell}": _("请选择营销阶段")})
        cells[chosen].append(cell)
    enabled = data.get("enabled") or []
    enabled = enabled if isinstance(enabled, list) else [enabled]
    categories = []
    for category in current.categories:
        cap = str(data.get(f"cap_{category.key}") or "").strip()
        categories.append(
            {
                "key": category.key,
                "enabled": category.key in enabled,
                "cap": int(cap) if cap.isdigit() else None,
            }
        )
    return parse_form(
        ChangeSettings,
        {
            "behaviour_bands": [number(f"b{i}") for i in range(4)],
            "profile_bands": [number(f"p{i}") for i in range(4)],
            "temperature": {"hot": number("hot"), "warm": number("warm")},
            "stages": [{"name": n, "cells": c} for n, c in cells.items() if c],
            "categories": categories,
        },
    )


PAGES: tuple[Any, ...] = (ScoreRulePages, ScoreMatrixPages, ScoringSettingsPages)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="评分矩阵",
        path=MATRIX,
        resource="scoring",
        audience=Audience.TENANT,
        section="营销",
        action=Action.READ,
        order=50,
    ),
    NavItem(
        label="打分规则",
        path=RULES,
        resource="scoring",
        audience=Audience.TENANT,
        section="营销",
        action=Action.READ,
        order=51,
    ),
    NavItem(
        label="打分设置",
        path=SETTINGS,
        resource="scoring",
        audience=Audience.TENANT,
        section="营销",
        action=Action.READ,
        order=52,
    ),
)
