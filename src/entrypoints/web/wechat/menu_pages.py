"""Custom menu pages (自定义菜单; WX-6): an editor that works without script — three fixed
top-level rows, each with up to five sub rows (name, click or page, its key or URL) —
whose refusal names the button; the saved draft beside what fans see now, and publishing
the draft to WeChat after a confirmation step."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, ProviderUnavailable
from application.wechat.accounts import OfficialAccounts
from application.wechat.commands import AccountDetails, DraftMenu
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.http.problems import translated
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form, version_of
from entrypoints.web.i18n import N_, current_language
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import confirm_page, page, redirect, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.wechat.common import ACCOUNTS

RESOURCE = "wechat_accounts"
TOP_ROWS = 3
SUB_ROWS = 5
TYPES = {"click": N_("点击（推送关键词）"), "view": N_("打开网页")}
# Where a refusal of the use case names a button: `buttons[0].sub_button[1].url ...`
_WHERE = re.compile(r"buttons\[(\d+)\](?:\.sub_button\[(\d+)\])?(?:\.(name|type|url|key))?")
_LOC = re.compile(r"buttons\.(\d+)(?:\.sub_button\.(\d+))?(?:\.(name|type|url|key))?")


class WechatMenuPages(Controller):
    path = "/wechat/accounts/{account_id:uuid}/menu"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def editor(
        self, request: Request[Any, Any, Any], account_id: UUID, wechat_accounts: OfficialAccounts
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        account = wechat_accounts.account(caller.tenant_id, account_id)  # 404 for another's
        return _menu_page(request, caller, account, rows_of(account.menu), {})

    @post("/")
    async def save(
        self, request: Request[Any, Any, Any], account_id: UUID, wechat_accounts: OfficialAccounts
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        # another tenant's account: the 404 page, before the form is read
        await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        data = await form_data(request)
        rows = typed_rows(data)
        try:
            version = version_of(data)
            command = parse_form(DraftMenu, {"buttons": buttons_of(rows)})
            await change(
                lambda: wechat_accounts.draft_menu(
                    caller.tenant_id, account_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            input_error = isinstance(refusal, FormErrors | InvalidInput | InvalidValue)
            errors = menu_errors(refusal, rows)

            def shown() -> Response[Any]:
                account = wechat_accounts.account(caller.tenant_id, account_id)
                return _menu_page(
                    request, caller, account, rows, errors, status=422 if input_error else 409
                )

            return await in_thread(shown)
        flash = Flash("success", _("菜单草稿已保存：发布后粉丝才能看到"))
        return redirect(request, f"{ACCOUNTS}/{account_id}/menu", flash=flash)

    @get("/publish", sync_to_thread=True)
    def publish_confirmation(
        self, request: Request[Any, Any, Any], account_id: UUID, wechat_accounts: OfficialAccounts
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        account = wechat_accounts.account(caller.tenant_id, account_id)
        return _publish_page(request, account, {})

    @post("/publish")
    async def publish(
        self, request: Request[Any, Any, Any], account_id: UUID, wechat_accounts: OfficialAccounts
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        account = await in_thread(lambda: wechat_accounts.account(caller.tenant_id, account_id))
        data = await form_data(request)
        status = 409
        try:
            version = version_of(data)
            await change(
                lambda: wechat_accounts.publish_menu(
                    caller.tenant_id, account_id, expected_version=version
                )
            )
        except (FormErrors, DomainError) as refusal:  # no draft, unbound
            errors = {"__all__": next(iter(errors_of(refusal).values()))}
        except ProviderUnavailable as unavailable:  # WeChat refused or could not be reached
            errors, status = {"__all__": next(iter(errors_of(unavailable).values()))}, 503
        else:
            flash = Flash("success", _("菜单已发布：粉丝重新进入公众号后可见"))
            return redirect(request, f"{ACCOUNTS}/{account_id}/menu", flash=flash)
        return _publish_page(request, account, errors, status=status)


def rows_of(menu: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The editor's three rows (each with five sub rows) filled from a saved menu."""
    rows = []
    for i in range(TOP_ROWS):
        button = menu[i] if i < len(menu) else {}
        subs = list(button.get("sub_button") or [])
        rows.append(
            {
                **_row(button),
                "subs": [_row(subs[j] if j < len(subs) else {}) for j in range(SUB_ROWS)],
            }
        )
    return rows


def _row(button: Mapping[str, Any]) -> dict[str, str]:
    kind = str(button.get("type") or "")
    return {
        "name": str(button.get("name") or ""),
        "type": kind,
        "value": str((button.get("url") if kind == "view" else button.get("key")) or ""),
    }


def typed_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows as typed (b0_name, b0_type, b0_value; b0_s1_name …)."""

    def row(prefix: str) -> dict[str, str]:
        return {
            k: str(data.get(f"{prefix}_{k}", "") or "").strip() for k in ("name", "type", "value")
        }

    return [
        {**row(f"b{i}"), "subs": [row(f"b{i}_s{j}") for j in range(SUB_ROWS)]}
        for i in range(TOP_ROWS)
    ]


def buttons_of(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """WeChat's buttons from the rows: blank rows are left out; a top row with sub rows
    is a sub-menu (its own type unused)."""
    buttons: list[dict[str, Any]] = []
    for row in rows:
        subs = [_button(sub) for sub in row["subs"] if _filled(sub)]
        if not (_filled(row) or subs):
            continue
        if subs:
            buttons.append({"name": row["name"], "sub_button": subs})
        else:
            buttons.append(_button(row))
    return buttons


def _filled(row: Mapping[str, Any]) -> bool:
    """A row with a name or a value (its type select always sends one: not enough)."""
    return bool(row["name"] or row["value"])


def _button(row: Mapping[str, str]) -> dict[str, Any]:
    kind = row["type"] or "click"
    value = row["value"] or None
    if kind == "view":
        return {"name": row["name"], "type": kind, "url": value}
    return {"name": row["name"], "type": kind, "key": value}


def menu_errors(refusal: Exception, rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The refusal next to the row it names, the button named by what was typed (or its
    place, 菜单 1 · 子菜单 2), e.g. 「官网」：URL …; a menu-wide refusal on the form."""
    errors: dict[str, str] = {}
    buttons = _present(rows)
    for name, message in errors_of(refusal).items():
        found = _LOC.fullmatch(name) or _WHERE.search(message)
        if found is None:
            errors.setdefault("__all__", _("菜单：{message}").format(message=message))
            continue
        index, sub, part = int(found.group(1)), found.group(2), found.group(3)
        if index >= len(buttons):
            errors.setdefault("__all__", message)
            continue
        top = buttons[index]
        place = _("菜单 {i}").format(i=top + 1)
        field = f"b{top}"
        typed = rows[top]
        if sub is not None:
            subs = [j for j, s in enumerate(rows[top]["subs"]) if _filled(s)]
            j = subs[int(sub)] if int(sub) < len(subs) else int(sub)
            place = _("菜单 {i} · 子菜单 {j}").format(i=top + 1, j=j + 1)
            field = f"b{top}_s{j}"
            typed = rows[top]["subs"][j] if j < SUB_ROWS else {}
        label = f"「{typed.get('name')}」" if typed.get("name") else place
        target = "name" if part == "name" else ("type" if part == "type" else "value")
        text = rule_text(f"{part or ''} {_WHERE.sub('', message).strip(' .:')}".strip())
        errors.setdefault(f"{field}_{target}", f"{label}：{text}")
    return errors


def rule_text(message: str) -> str:
    """WeChat's menu rule a refusal states, in the page's language."""
    if message.startswith("url must be"):
        return _("网址须以 http:// 或 https:// 开头，最多 1024 个字节")
    if message.startswith("key must be"):
        return _("点击类型须填关键词，最多 128 个字节")
    if message.startswith("type must be"):
        return _("请选择类型")
    bytes_rule = re.fullmatch(r"name must be 1 to (\d+) bytes", message)
    if bytes_rule:
        return _("名称须为 1 到 {n} 个字节（一个汉字 3 个字节）").format(n=bytes_rule.group(1))
    return translated(message, current_language())


def _present(rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """The indexes of the rows that became buttons (blank rows are left out)."""
    return [i for i, row in enumerate(rows) if _filled(row) or any(_filled(s) for s in row["subs"])]


def _menu_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    account: AccountDetails,
    rows: Sequence[Mapping[str, Any]],
    errors: Mapping[str, str],
    *,
    status: int | None = None,
) -> Response[Any]:
    bound = not account.unbound
    return page(
        request,
        "wechat/menu.html",
        title=_("自定义菜单 · {name}").format(name=account.name),
        account=account,
        rows=rows,
        types=[(kind, _(label)) for kind, label in TYPES.items()],
        published=account.published_menu == account.menu and bool(account.menu),
        may_update=caller.may(RESOURCE, Action.UPDATE) and bound,
        errors=errors,
        status=status or (422 if errors else 200),
    )


def _publish_page(
    request: Request[Any, Any, Any],
    account: AccountDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("发布菜单"),
        description=_(
            "把「{name}」保存的菜单草稿发布到微信，替换粉丝现在看到的菜单；粉丝重新进入公众号后可见。"
        ).format(name=account.name),
        action=f"{ACCOUNTS}/{account.id}/menu/publish",
        confirm_label=_("确认发布"),
        reason_required=None,
        fields={"version": account.version},
        errors=errors,
        cancel=f"{ACCOUNTS}/{account.id}/menu",
        status=status,
    )


PAGES: tuple[Any, ...] = (WechatMenuPages,)
