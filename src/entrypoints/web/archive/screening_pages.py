"""Console pages of screening and reply timeouts (审计 · 会话存档; ARCH-3, ARCH-4):
敏感词 (the word lists, a list's words with a form to add them, from typed lines or an
imported text file, and to remove them; renaming and archiving a list), 敏感行为与白名单
(which behaviours are watched, whose messages are not screened), 告警 (the alerts with
filters and their counts per word, employee and day) and 回复超时 (the rules form, the
records of customers not answered in time and per-employee stats). Days and times are
the tenant's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile

from application.archive.alert_board import AlertQueries
from application.archive.reply_settings import ReplyRulesSettings
from application.archive.reply_timeouts import ReplyTimeoutQueries
from application.archive.screening_commands import (
    AddWords,
    ChangeReplyRules,
    ChangeScreeningRules,
    MakeWordList,
    RemoveWords,
    ReplyRulesDetails,
    ReviseWordList,
    WordListDetails,
)
from application.archive.screening_settings import ScreeningSettings
from application.archive.word_list_directory import WordListQueries
from application.archive.word_lists import WordLists
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput
from domain.archive.screening_rules import SENSITIVE_BEHAVIOURS
from domain.archive.word_lists import CATEGORIES
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.charts import Bar, bar_chart
from entrypoints.web.forms import FormErrors, errors_of, form_data, listed, parse_form, version_of
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import (
    confirm_page,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Row, Table

BASE = "/console/archive"
WORD_LISTS = f"{BASE}/word-lists"
SETTINGS = "archive_settings"
REPORTS = "archive_reports"
MAX_IMPORT_BYTES = 1024 * 1024  # an imported word file: 10,000 long words fit
BEHAVIOUR_NAMES = {
    "mobile": N_("发送手机号"),
    "email": N_("发送邮箱地址"),
    "bank_card": N_("发送银行卡号"),
    "red_packet": N_("发红包"),
    "file": N_("发送文件"),
    "link": N_("发送外部链接"),
}
RULE_NAMES = {"word": N_("敏感词"), **BEHAVIOUR_NAMES}
WEEKDAYS = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))
PERIODS_SHOWN = 2  # working periods a weekday has on the form (a morning and an afternoon)
ALERT_FIELDS = ("day_from", "day_to", "rule", "match", "employee", "category", "cursor")
TIMEOUT_FIELDS = ("day_from", "day_to", "employee", "state", "cursor")
STATES = {"answered": N_("已回复（超时）"), "open": N_("未回复（已超时）")}
DATE_ERROR = N_("日期格式应为 YYYY-MM-DD")


def rule_name(rule: str) -> str:
    return _(RULE_NAMES[rule]) if rule in RULE_NAMES else rule


def conversation_url(conversation: str, msgid: str) -> str:
    """The chat around the message, on the archive's reading pages."""
    around = urlencode({"around": msgid})
    return f"{BASE}/conversations/{quote(conversation, safe=':')}?{around}#m-{msgid}"


def _day(value: str, errors: dict[str, str], name: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        errors[name] = _(DATE_ERROR)
        return None


# --- word lists ------------------------------------------------------------------------------


class ArchiveWordListPages(Controller):
    path = "/archive/word-lists"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def lists(
        self, request: Request[Any, Any, Any], archive_word_list_queries: WordListQueries
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS)
        return _lists_page(request, caller, archive_word_list_queries, {}, {})

    @post("/")
    async def make(
        self,
        request: Request[Any, Any, Any],
        archive_word_lists: WordLists,
        archive_word_list_queries: WordListQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS, Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(
                MakeWordList,
                {
                    "name": data.get("name", ""),
                    "category": data.get("category", ""),
                    "words": str(data.get("words", "") or "").splitlines(),
                },
            )
            made = await change(lambda: archive_word_lists.make(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            values = {name: data.get(name, "") for name in ("name", "category", "words")}
            errors = errors_of(refusal)
            return await in_thread(
                lambda: _lists_page(
                    request, caller, archive_word_list_queries, values, errors, status=422
                )
            )
        flash = Flash("success", _("敏感词库已创建，共 {n} 个词").format(n=made.words))
        return redirect(request, f"{WORD_LISTS}/{made.id}", flash=flash)

    @get("/{word_list_id:uuid}", sync_to_thread=True)
    def word_list(
        self,
        request: Request[Any, Any, Any],
        word_list_id: UUID,
        archive_word_lists: WordLists,
        archive_word_list_queries: WordListQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS)
        shown = archive_word_lists.word_list(caller.tenant_id, word_list_id)  # 404: another's
        return _list_page(request, caller, shown, archive_word_list_queries)

    @post("/{word_list_id:uuid}")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        word_list_id: UUID,
        archive_word_lists: WordLists,
        archive_word_list_queries: WordListQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS, Action.UPDATE)
        await in_thread(lambda: archive_word_lists.word_list(caller.tenant_id, word_list_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            command = parse_form(ReviseWordList, data)
            await change(
                lambda: archive_word_lists.revise(
                    caller.tenant_id, word_list_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return await self._again(
                request, caller, word_list_id, archive_word_lists, archive_word_list_queries,
                refusal, "rename", {name: data.get(name, "") for name in ("name", "category")},
            )  # fmt: skip
        return redirect(
            request, f"{WORD_LISTS}/{word_list_id}", flash=Flash("success", _("已保存"))
        )

    @post("/{word_list_id:uuid}/words", request_max_body_size=MAX_IMPORT_BYTES + 256 * 1024)
    async def add_words(
        self,
        request: Request[Any, Any, Any],
        word_list_id: UUID,
        archive_word_lists: WordLists,
        archive_word_list_queries: WordListQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS, Action.UPDATE)
        await in_thread(lambda: archive_word_lists.word_list(caller.tenant_id, word_list_id))
        data = await form_data(request)
        try:
            lines = str(data.get("lines", "") or "")
            upload = data.get("file")
            if isinstance(upload, UploadFile) and upload.filename:
                lines += "\n" + _text_of(await upload.read())
            command = parse_form(AddWords, {"lines": lines})
            if not command.all_words() or not any(w.strip() for w in command.all_words()):
                raise FormErrors({"lines": _("请填写敏感词（每行一个），或选择一个文本文件")})
            changed = await change(
                lambda: archive_word_lists.add_words(caller.tenant_id, word_list_id, command)
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return await self._again(
                request, caller, word_list_id, archive_word_lists, archive_word_list_queries,
                refusal, "add", {"lines": data.get("lines", "")},
            )  # fmt: skip
        flash = Flash(
            "success",
            _("已添加 {n} 个敏感词，词库现有 {total} 个").format(
                n=len(changed.changed), total=changed.words
            ),
        )
        return redirect(request, f"{WORD_LISTS}/{word_list_id}", flash=flash)

    @post("/{word_list_id:uuid}/words/remove")
    async def remove_words(
        self,
        request: Request[Any, Any, Any],
        word_list_id: UUID,
        archive_word_lists: WordLists,
        archive_word_list_queries: WordListQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS, Action.DELETE)
        await in_thread(lambda: archive_word_lists.word_list(caller.tenant_id, word_list_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            words = [w for w in str(data.get("remove", "") or "").splitlines() if w.strip()]
            if not words:
                raise FormErrors({"remove": _("请填写要删除的词（每行一个）")})
            command = parse_form(RemoveWords, {"words": words})
            changed = await change(
                lambda: archive_word_lists.remove_words(
                    caller.tenant_id, word_list_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return await self._again(
                request, caller, word_list_id, archive_word_lists, archive_word_list_queries,
                refusal, "remove", {"remove": data.get("remove", "")},
            )  # fmt: skip
        flash = Flash("success", _("已删除 {n} 个敏感词").format(n=len(changed.changed)))
        return redirect(request, f"{WORD_LISTS}/{word_list_id}", flash=flash)

    @get("/{word_list_id:uuid}/archive", sync_to_thread=True)
    def archive_confirmation(
        self, request: Request[Any, Any, Any], word_list_id: UUID, archive_word_lists: WordLists
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS, Action.DELETE)
        return _archive_page(request, archive_word_lists.word_list(caller.tenant_id, word_list_id))

    @post("/{word_list_id:uuid}/archive")
    async def archive(
        self, request: Request[Any, Any, Any], word_list_id: UUID, archive_word_lists: WordLists
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS, Action.DELETE)
        shown = await in_thread(
            lambda: archive_word_lists.word_list(caller.tenant_id, word_list_id)
        )
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: archive_word_lists.archive_list(
                    caller.tenant_id, word_list_id, expected_version=version
                )
            )
        except (FormErrors, DomainError) as refusal:  # archived already, changed meanwhile
            errors = {"__all__": next(iter(errors_of(refusal).values()))}
            return _archive_page(request, shown, errors, status=409)
        flash = Flash("success", _("敏感词库已停用：不再用它筛查新消息，已有告警保留"))
        return redirect(request, f"{WORD_LISTS}/{word_list_id}", flash=flash)

    async def _again(
        self,
        request: Request[Any, Any, Any],
        caller: TenantCaller,
        word_list_id: UUID,
        lists: WordLists,
        queries: WordListQueries,
        refusal: Exception,
        form: str,
        values: Mapping[str, Any],
    ) -> Response[Any]:
        errors = errors_of(refusal)
        status = 422 if isinstance(refusal, FormErrors | InvalidInput | InvalidValue) else 409

        def shown() -> Response[Any]:
            word_list = lists.word_list(caller.tenant_id, word_list_id)
            return _list_page(
                request, caller, word_list, queries,
                form=form, values=values, errors=errors, status=status,
            )  # fmt: skip

        return await in_thread(shown)


def _text_of(content: bytes) -> str:
    if len(content) > MAX_IMPORT_BYTES:
        raise FormErrors({"file": _("文件不能超过 1 MB")})
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FormErrors({"file": _("请上传 UTF-8 或 GBK 编码的文本文件")})


def _lists_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    queries: WordListQueries,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int | None = None,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    query = query_of(request, ("archived", "cursor"))
    listed_lists = queries.lists(
        caller.tenant_id,
        include_archived=bool(query["archived"]),
        cursor=query["cursor"] or None,
        limit=PAGE_SIZE,
    )
    rows = [
        Row(
            str(item.id),
            [
                Cell(item.name, href=f"{WORD_LISTS}/{item.id}"),
                Cell(item.category),
                Cell(f"{item.words:,}"),
                Cell(_("已停用"), badge="bad") if item.archived else Cell(_("使用中"), badge="ok"),
                Cell(local_time(item.created_at, timezone)),
            ],
        )
        for item in listed_lists.items
    ]
    table = Table(
        id="archive-word-lists",
        url=WORD_LISTS,
        columns=[
            Column("name", "词库名称"),
            Column("category", "分类"),
            Column("words", "词数", numeric=True),
            Column("state", "状态"),
            Column("created_at", "创建时间"),
        ],
        rows=rows,
        caption="敏感词库",
        filters=[Filter("archived", "显示已停用的词库", kind="checkbox")],
        next_cursor=listed_lists.next_cursor,
        query=query,
        empty_message="还没有敏感词库",
    )
    return page(
        request,
        "archive/word_lists.html",
        title=_("敏感词"),
        table=table,
        may_make=caller.may(SETTINGS, Action.CREATE),
        categories=[_(c) for c in CATEGORIES],
        values=values,
        errors=errors,
        status=status or (422 if errors else 200),
    )


def _list_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    word_list: WordListDetails,
    queries: WordListQueries,
    *,
    form: str = "",
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    query = query_of(request, ("q", "cursor"))
    words = queries.words(
        caller.tenant_id,
        word_list.id,
        containing=query["q"] or None,
        cursor=query["cursor"] or None,
        limit=PAGE_SIZE,
    )
    table = Table(
        id="archive-words",
        url=f"{WORD_LISTS}/{word_list.id}",
        columns=[Column("word", "敏感词")],
        rows=[Row(word, [Cell(word)]) for word in words.items],
        caption="词库中的敏感词",
        filters=[Filter("q", "查找", kind="search", placeholder="词中的文字")],
        next_cursor=words.next_cursor,
        query=query,
        empty_message="词库中还没有词",
    )
    live = not word_list.archived
    return page(
        request,
        "archive/word_list.html",
        title=word_list.name,
        word_list=word_list,
        table=table,
        created=local_time(word_list.created_at, signed_in_viewer(request).timezone),
        may_add=live and caller.may(SETTINGS, Action.UPDATE),
        may_remove=live and caller.may(SETTINGS, Action.DELETE),
        categories=[_(c) for c in CATEGORIES],
        form=form,
        values=values or {},
        errors=errors or {},
        status=status,
    )


def _archive_page(
    request: Request[Any, Any, Any],
    word_list: WordListDetails,
    errors: Mapping[str, str] | None = None,
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("停用敏感词库"),
        description=_(
            "停用后不再用「{name}」筛查新消息；它已触发的告警和统计保留。停用不可撤销。"
        ).format(name=word_list.name),
        action=f"{WORD_LISTS}/{word_list.id}/archive",
        confirm_label=_("确认停用"),
        reason_required=None,
        fields={"version": word_list.version},
        errors=errors or {},
        cancel=f"{WORD_LISTS}/{word_list.id}",
        status=status,
    )


# --- behaviours and the allow-list -----------------------------------------------------------


class ArchiveScreeningRulesPages(Controller):
    path = "/archive/screening-rules"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def rules(
        self, request: Request[Any, Any, Any], archive_screening_settings: ScreeningSettings
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS)
        rules = archive_screening_settings.rules(caller.tenant_id)
        values = {
            "behaviours": rules.behaviours,
            "allowed": "\n".join(rules.allowed_employees),
            "version": rules.version,
        }
        return _rules_page(request, caller, values, {})

    @post("/")
    async def change_rules(
        self, request: Request[Any, Any, Any], archive_screening_settings: ScreeningSettings
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS, Action.UPDATE)
        data = await form_data(request)
        try:
            version = version_of(data)
            command = parse_form(
                ChangeScreeningRules,
                {
                    "behaviours": listed(data.get("behaviours", [])),
                    "allowed_employees": str(data.get("allowed", "") or "").split(),
                },
            )
            await change(
                lambda: archive_screening_settings.change(
                    caller.tenant_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = errors_of(refusal)
            if "allowed_employees" in errors:
                errors["allowed"] = errors.pop("allowed_employees")
            values = {
                "behaviours": listed(data.get("behaviours", [])),
                "allowed": data.get("allowed", ""),
                "version": data.get("version", ""),
            }
            status = 422 if isinstance(refusal, FormErrors | InvalidInput | InvalidValue) else 409
            return _rules_page(request, caller, values, errors, status=status)
        flash = Flash("success", _("敏感行为与白名单已保存，对之后存档的消息生效"))
        return redirect(request, f"{BASE}/screening-rules", flash=flash)


def _rules_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return page(
        request,
        "archive/screening_rules.html",
        title=_("敏感行为与白名单"),
        behaviours=[(b, _(BEHAVIOUR_NAMES[b])) for b in SENSITIVE_BEHAVIOURS],
        may_change=caller.may(SETTINGS, Action.UPDATE),
        values=values,
        errors=errors,
        status=status,
    )


# --- alerts ----------------------------------------------------------------------------------


class ArchiveAlertPages(Controller):
    path = "/archive/alerts"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def alerts(
        self, request: Request[Any, Any, Any], archive_alerts: AlertQueries
    ) -> Response[Any]:
        caller = tenant_may(request, REPORTS)
        timezone = signed_in_viewer(request).timezone
        query = dict(query_of(request, ALERT_FIELDS))
        errors: dict[str, str] = {}
        day_from = _day(query["day_from"], errors, "day_from")
        day_to = _day(query["day_to"], errors, "day_to")
        chosen: dict[str, Any] = {
            "day_from": day_from,
            "day_to": day_to,
            "rule": query["rule"] or None,
            "employee": query["employee"].strip() or None,
            "category": query["category"].strip() or None,
        }
        counts: dict[str, Any] = {}
        alerts: list[Any] = []
        next_cursor = None
        if not errors:
            try:
                found = archive_alerts.alerts(
                    caller.tenant_id,
                    **chosen,
                    match=query["match"].strip() or None,
                    cursor=query["cursor"] or None,
                    limit=PAGE_SIZE,
                )
                for by in ("word", "behaviour", "employee", "day"):
                    counts[by] = archive_alerts.counts(caller.tenant_id, by=by, **chosen)
            except InvalidInput as invalid:
                errors[invalid.field] = invalid.message
            else:
                alerts, next_cursor = found.items, found.next_cursor
        reader = caller.may("archive_messages", Action.READ)
        rows = [
            Row(
                f"{a.msgid}:{a.rule}:{a.match}",
                [
                    Cell(local_time(a.at, timezone)),
                    Cell(rule_name(a.rule), badge="bad" if a.rule == "word" else "warn"),
                    Cell(a.match),
                    Cell(a.category or "—"),
                    Cell(a.employee or "—"),
                    Cell(a.sender),
                    Cell(_("查看会话"), href=conversation_url(a.conversation, a.msgid))
                    if reader
                    else Cell(_("群聊") if a.roomid else _("单聊")),
                ],
            )
            for a in alerts
        ]
        table = Table(
            id="archive-alerts",
            url=f"{BASE}/alerts",
            columns=[
                Column("at", "时间"),
                Column("rule", "类型"),
                Column("match", "命中内容"),
                Column("category", "分类"),
                Column("employee", "员工"),
                Column("sender", "发送人"),
                Column("chat", "会话"),
            ],
            rows=rows,
            caption="告警明细",
            next_cursor=next_cursor,
            query=query,
            empty_message="没有符合条件的告警",
        )
        charts = {}
        if counts:
            charts["word"] = bar_chart(
                _("敏感词触发次数"),
                [Bar(c.key, c.hits) for c in counts["word"].items[:10]],
                unit=_("次"),
            )
            charts["day"] = bar_chart(
                _("每日告警"), [Bar(c.key, c.hits) for c in counts["day"].items[-14:]], unit=_("次")
            )
        return page(
            request,
            "archive/alerts.html",
            title=_("告警"),
            table=table,
            query=query,
            errors=errors,
            status=422 if errors else 200,
            rules=[(rule, _(label)) for rule, label in RULE_NAMES.items()],
            counts=counts,
            charts=charts,
            rule_name=rule_name,
            timezone=timezone,
        )


# --- reply timeouts --------------------------------------------------------------------------


class ArchiveReplyPages(Controller):
    path = "/archive/reply-timeouts"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def timeouts(
        self,
        request: Request[Any, Any, Any],
        archive_reply_timeouts: ReplyTimeoutQueries,
        archive_reply_settings: ReplyRulesSettings,
    ) -> Response[Any]:
        caller = tenant_may(request, REPORTS)
        rules = archive_reply_settings.rules(caller.tenant_id)
        return _replies_page(
            request, caller, archive_reply_timeouts, rules, _rules_values(rules), {}
        )

    @post("/rules")
    async def change_rules(
        self,
        request: Request[Any, Any, Any],
        archive_reply_timeouts: ReplyTimeoutQueries,
        archive_reply_settings: ReplyRulesSettings,
    ) -> Response[Any]:
        caller = tenant_may(request, SETTINGS, Action.UPDATE)
        data = await form_data(request)
        try:
            version = version_of(data)
            command = parse_form(ChangeReplyRules, _rules_command(data))
            await change(
                lambda: archive_reply_settings.change(
                    caller.tenant_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = errors_of(refusal)
            if any(name.startswith("working_hours") for name in errors):
                errors["working_hours"] = next(
                    message for name, message in errors.items() if name.startswith("working_hours")
                )
            status = 422 if isinstance(refusal, FormErrors | InvalidInput | InvalidValue) else 409

            def shown() -> Response[Any]:
                rules = archive_reply_settings.rules(caller.tenant_id)
                values = {**_rules_values(rules), **data}
                return _replies_page(
                    request, caller, archive_reply_timeouts, rules, values, errors, status=status
                )

            return await in_thread(shown)
        flash = Flash("success", _("回复超时设置已保存"))
        return redirect(request, f"{BASE}/reply-timeouts", flash=flash)


def _rules_values(rules: ReplyRulesDetails) -> dict[str, Any]:
    values: dict[str, Any] = {
        "enabled": "1" if rules.enabled else "",
        "threshold_minutes": str(rules.threshold_minutes),
        "include_groups": "1" if rules.include_groups else "",
        "version": str(rules.version),
    }
    slots: dict[int, int] = {}
    for period in rules.working_hours:
        day = period.weekday
        values[f"day{day}"] = "1"
        slots[day] = slot = slots.get(day, 0) + 1
        if slot <= PERIODS_SHOWN:  # a third period (set through the API) is not shown
            values[f"start{day}_{slot}"] = period.start
            values[f"end{day}_{slot}"] = period.end
    return values


def _rules_command(data: Mapping[str, Any]) -> dict[str, Any]:
    periods = []
    for day in range(1, 8):
        if not data.get(f"day{day}"):
            continue
        for slot in range(1, PERIODS_SHOWN + 1):
            start = str(data.get(f"start{day}_{slot}", "") or "").strip()
            end = str(data.get(f"end{day}_{slot}", "") or "").strip()
            if not start and not end:
                continue
            if not start or not end:
                raise FormErrors(
                    {"working_hours": _("{day}的工作时段需要开始和结束时间").format(
                        day=_(WEEKDAYS[day - 1])
                    )}
                )  # fmt: skip
            periods.append({"weekday": day, "start": start, "end": end})
    return {
        "enabled": bool(data.get("enabled")),
        "threshold_minutes": data.get("threshold_minutes", ""),
        "include_groups": bool(data.get("include_groups")),
        "working_hours": periods,
    }


def _replies_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    queries: ReplyTimeoutQueries,
    rules: ReplyRulesDetails,
    values: Mapping[str, Any],
    rule_errors: Mapping[str, str],
    *,
    status: int | None = None,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    query = dict(query_of(request, TIMEOUT_FIELDS))
    errors: dict[str, str] = {}
    day_from = _day(query["day_from"], errors, "day_from")
    day_to = _day(query["day_to"], errors, "day_to")
    employee = query["employee"].strip() or None
    state = query["state"] if query["state"] in STATES else None
    timeouts: list[Any] = []
    stats: list[Any] = []
    next_cursor = None
    if not errors:
        try:
            found = queries.timeouts(
                caller.tenant_id,
                day_from=day_from,
                day_to=day_to,
                employee=employee,
                answered=None if state is None else state == "answered",
                cursor=query["cursor"] or None,
                limit=PAGE_SIZE,
            )
            stats = queries.stats(
                caller.tenant_id, day_from=day_from, day_to=day_to, cursor=None, limit=100
            ).items
        except InvalidInput as invalid:
            errors[invalid.field] = invalid.message
        else:
            timeouts, next_cursor = found.items, found.next_cursor
    reader = caller.may("archive_messages", Action.READ)
    rows = [
        Row(
            t.msgid,
            [
                Cell(local_time(t.opened_at, timezone)),
                Cell(t.customer),
                Cell(t.employee or "—"),
                Cell(_("群聊") if t.roomid else _("单聊")),
                Cell(str(t.messages), badge=None),
                Cell(
                    _("{at} 回复").format(at=local_time(t.answered_at, timezone))
                    if t.answered
                    else _("未回复"),
                    badge="warn" if t.answered else "bad",
                ),
                Cell(_("{n} 分钟").format(n=f"{t.waited_minutes:g}")),
                Cell(_("查看会话"), href=conversation_url(t.conversation, t.msgid))
                if reader
                else Cell("—"),
            ],
        )
        for t in timeouts
    ]
    table = Table(
        id="archive-reply-timeouts",
        url=f"{BASE}/reply-timeouts",
        columns=[
            Column("opened_at", "客户发消息时间"),
            Column("customer", "客户"),
            Column("employee", "员工"),
            Column("chat", "会话类型"),
            Column("messages", "客户消息数", numeric=True),
            Column("answered", "回复"),
            Column("waited", "等待（工作时间）"),
            Column("link", "会话"),
        ],
        rows=rows,
        caption="回复超时记录",
        next_cursor=next_cursor,
        query=query,
        empty_message="没有回复超时的记录",
    )
    return page(
        request,
        "archive/reply_timeouts.html",
        title=_("回复超时"),
        table=table,
        query=query,
        errors=errors,
        states=[(value, _(label)) for value, label in STATES.items()],
        stats=stats,
        rules=rules,
        weekdays=[(day, _(name)) for day, name in enumerate(WEEKDAYS, start=1)],
        periods=range(1, PERIODS_SHOWN + 1),
        may_change=caller.may(SETTINGS, Action.UPDATE),
        values=values,
        rule_errors=rule_errors,
        hours=_hours_text(rules),
        status=status or (422 if errors else 200),
    )


def _hours_text(rules: ReplyRulesDetails) -> str:
    by_day: dict[int, list[str]] = {}
    for period in rules.working_hours:
        by_day.setdefault(period.weekday, []).append(f"{period.start}–{period.end}")
    if not by_day:
        return _("未设置工作时间")
    return "；".join(
        f"{_(WEEKDAYS[day - 1])} {'、'.join(spans)}" for day, spans in sorted(by_day.items())
    )


PAGES: tuple[Any, ...] = (
    ArchiveWordListPages,
    ArchiveScreeningRulesPages,
    ArchiveAlertPages,
    ArchiveReplyPages,
)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="敏感词",
        path=WORD_LISTS,
        resource=SETTINGS,
        audience=Audience.TENANT,
        section="审计",
        order=63,
    ),
    NavItem(
        label="敏感行为与白名单",
        path=f"{BASE}/screening-rules",
        resource=SETTINGS,
        audience=Audience.TENANT,
        section="审计",
        order=64,
    ),
    NavItem(
        label="告警",
        path=f"{BASE}/alerts",
        resource=REPORTS,
        audience=Audience.TENANT,
        section="审计",
        order=65,
    ),
    NavItem(
        label="回复超时",
        path=f"{BASE}/reply-timeouts",
        resource=REPORTS,
        audience=Audience.TENANT,
        section="审计",
        order=66,
    ),
)
