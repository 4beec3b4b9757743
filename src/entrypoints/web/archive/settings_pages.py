"""Console page of the archive's setup (审计 · 会话存档设置, ARCH-1): the public key in use to
copy into WeCom's admin under its version, the key pairs (generate one, import one by
its private key, retire an older one), the corp and the archive's Secret with the
switch, and the ingestion status with a "pull now" button. The same use cases as the
API's `/api/v1/archive/settings` and `/api/v1/archive/ingestion`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post

from application.archive.ingestion import ArchiveIngestion
from application.archive.setup import ArchiveSetup
from application.archive.setup_commands import ChangeArchiveSettings, GenerateKey, ImportKey
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, NotFound, ProviderUnavailable
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.http.archive_settings import PULL_NOW_BATCHES
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    GENERAL,
    FormErrors,
    errors_of,
    form_data,
    parse_form,
    version_of,
)
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import page, redirect, tenant_may
from entrypoints.web.sessions import Flash

BASE = "/console/archive/settings"
RESOURCE = "archive_settings"


class ArchiveSettingsPages(Controller):
    path = "/archive/settings"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def settings(
        self,
        request: Request[Any, Any, Any],
        archive_setup: ArchiveSetup,
        archive_ingestion: ArchiveIngestion,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        return _settings_page(request, caller, archive_setup, archive_ingestion)

    @post("/keys")
    async def generate_key(
        self,
        request: Request[Any, Any, Any],
        archive_setup: ArchiveSetup,
        archive_ingestion: ArchiveIngestion,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            version = version_of(data)
            command = parse_form(GenerateKey, data)
            await change(
                lambda: archive_setup.generate_key(
                    caller.tenant_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return await _again(
                request, caller, archive_setup, archive_ingestion, "generate", data, refusal
            )
        flash = Flash(
            "success",
            _("已生成密钥（版本 {version}）：请将公钥复制到企业微信管理后台").format(
                version=command.publickey_ver
            ),
        )
        return redirect(request, f"{BASE}#keys", flash=flash)

    @post("/keys/import")
    async def import_key(
        self,
        request: Request[Any, Any, Any],
        archive_setup: ArchiveSetup,
        archive_ingestion: ArchiveIngestion,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            version = version_of(data)
            command = parse_form(ImportKey, data)
            await change(
                lambda: archive_setup.import_key(
                    caller.tenant_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            values = {k: v for k, v in data.items() if k != "private_key_pem"}  # never echoed
            return await _again(
                request, caller, archive_setup, archive_ingestion, "import", values, refusal
            )
        flash = Flash(
            "success", _("已导入密钥（版本 {version}）").format(version=command.publickey_ver)
        )
        return redirect(request, f"{BASE}#keys", flash=flash)

    @post("/keys/{publickey_ver:int}/retire")
    async def retire_key(
        self,
        request: Request[Any, Any, Any],
        publickey_ver: int,
        archive_setup: ArchiveSetup,
        archive_ingestion: ArchiveIngestion,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        kept = await in_thread(lambda: archive_setup.settings(caller.tenant_id))
        if publickey_ver not in {key.publickey_ver for key in kept.keys}:
            raise NotFound(f"no archive key version {publickey_ver}")  # before the form
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: archive_setup.retire_key(
                    caller.tenant_id, publickey_ver, expected_version=version
                )
            )
        except (FormErrors, DomainError, InvalidInput) as refusal:
            said = FormErrors({GENERAL: next(iter(errors_of(refusal).values()))})  # no field
            return await _again(
                request, caller, archive_setup, archive_ingestion, "keys", {}, said,
                status=409 if isinstance(refusal, DomainError) else 422,
            )  # fmt: skip
        flash = Flash("success", _("已停用密钥版本 {version}").format(version=publickey_ver))
        return redirect(request, f"{BASE}#keys", flash=flash)

    @post("/source")
    async def change_source(
        self,
        request: Request[Any, Any, Any],
        archive_setup: ArchiveSetup,
        archive_ingestion: ArchiveIngestion,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        data = await form_data(request)
        try:
            version = version_of(data)
            command = parse_form(
                ChangeArchiveSettings, {**data, "enabled": bool(data.get("enabled"))}
            )
            await change(
                lambda: archive_setup.change(caller.tenant_id, command, expected_version=version)
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            values = {"corpid": data.get("corpid", ""), "enabled": data.get("enabled", "")}
            return await _again(
                request, caller, archive_setup, archive_ingestion, "source", values, refusal
            )
        message = _("已保存，会话存档已开启") if command.enabled else _("已保存，会话存档未开启")
        return redirect(request, f"{BASE}#source", flash=Flash("success", message))

    @post("/pull")
    async def pull(
        self,
        request: Request[Any, Any, Any],
        archive_ingestion: ArchiveIngestion,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        try:
            status = await change(
                lambda: archive_ingestion.pull_now(caller.tenant_id, batches=PULL_NOW_BATCHES)
            )
        except (DomainError, ProviderUnavailable) as refusal:
            message = next(iter(errors_of(refusal).values()))
            return redirect(request, f"{BASE}#status", flash=Flash("error", message))
        pulled = status.pulled
        if not status.enabled or pulled is None:
            flash = Flash("error", _("会话存档未开启，没有拉取"))
        else:
            flash = Flash(
                "success",
                _("已拉取 {fetched} 条，新存档 {stored} 条，无法解密 {undecryptable} 条").format(
                    fetched=pulled.fetched,
                    stored=pulled.stored,
                    undecryptable=pulled.undecryptable,
                ),
            )
        return redirect(request, f"{BASE}#status", flash=flash)


async def _again(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    setup: ArchiveSetup,
    ingestion: ArchiveIngestion,
    form: str,
    values: Mapping[str, Any],
    refusal: Exception,
    *,
    status: int | None = None,
) -> Response[Any]:
    """The page again with the refused form's errors and what was typed (422 for input
    to correct, 409 for a state that does not allow it)."""
    input_error = isinstance(refusal, FormErrors | InvalidInput | InvalidValue)
    status = status or (422 if input_error else 409)

    def shown() -> Response[Any]:
        return _settings_page(
            request, caller, setup, ingestion,
            form=form, values=values, errors=errors_of(refusal), status=status,
        )  # fmt: skip

    return await in_thread(shown)


def _settings_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    setup: ArchiveSetup,
    ingestion: ArchiveIngestion,
    *,
    form: str | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    settings = setup.settings(caller.tenant_id)
    in_use = next((key for key in settings.keys if key.in_use), None)
    versions = [key.publickey_ver for key in settings.keys] + settings.retired_versions
    return page(
        request,
        "archive/settings.html",
        title=_("会话存档设置"),
        settings=settings,
        in_use=in_use,
        next_version=max(versions, default=0) + 1,
        status_of=ingestion.status(caller.tenant_id),
        may_update=caller.may(RESOURCE, Action.UPDATE) and settings.edition_includes_archive,
        may_retire=caller.may(RESOURCE, Action.DELETE) and settings.edition_includes_archive,
        form=form,
        values=values or {},
        errors=errors or {},
        status=status,
    )


NAV: tuple[NavItem, ...] = (
    NavItem(
        label="会话存档设置",
        path=BASE,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section="审计",
        order=59,
    ),
)
PAGES: tuple[Any, ...] = (ArchiveSettingsPages,)
