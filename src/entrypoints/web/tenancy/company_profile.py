"""企业信息: the tenant's profile as GET/PATCH /api/v1/tenant read and change it (TEN-1)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from application.tenancy.commands import SettingValue, TenantDetails, UpdateTenant
from application.tenancy.tenancy import Tenancy
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, form_data, parse_form, refusal_errors, version_of
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import page, redirect, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tenancy.record_pages import record_page

PROFILE = "/console/company/profile"
REQUIRED = ("name", "owner_name", "owner_contact", "timezone")
NEW_KEY, NEW_VALUE = "new_setting_key", "new_setting_value"
# Offered in the form; any other IANA zone the tenant already has is offered too.
TIMEZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "Asia/Urumqi",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)


class CompanyProfileController(Controller):
    path = "/company/profile"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def profile(
        self, request: Request[Any, Any, Any], tenancy: Tenancy, history: RecordHistory
    ) -> Response[Any]:
        caller = tenant_may(request, "tenant", Action.READ)
        tenant = tenancy.tenant(caller.tenant_id)
        return record_page(
            request,
            "tenancy/company/profile.html",
            title=_("企业信息"),
            record_id=tenant.id,
            caller=caller,
            history=history,
            tenant=tenant,
            may_edit=caller.may("tenant", Action.UPDATE),
        )

    @get("/edit", sync_to_thread=True)
    def edit_form(self, request: Request[Any, Any, Any], tenancy: Tenancy) -> Response[Any]:
        caller = tenant_may(request, "tenant", Action.UPDATE)
        tenant = tenancy.tenant(caller.tenant_id)
        return _form(request, tenant, _values_of(tenant), {}, 200)

    @post("/edit")
    async def edit(self, request: Request[Any, Any, Any], tenancy: Tenancy) -> Response[Any]:
        caller = tenant_may(request, "tenant", Action.UPDATE)
        data = await form_data(request)
        tenant = await in_thread(lambda: tenancy.tenant(caller.tenant_id))
        values = {**_values_of(tenant), **{k: str(v) for k, v in data.items()}}
        try:
            command = _command(data, tenant)
            version = version_of(data)
            await change(
                lambda: tenancy.update_tenant(caller.tenant_id, command, expected_version=version)
            )
        except FormErrors as invalid:
            return _form(request, tenant, values, invalid.errors, 422)
        except (InvalidInput, InvalidValue) as refused:
            errors = _on_form(refusal_errors(refused).errors, data, tenant)
            return _form(request, tenant, values, errors, 422)
        return redirect(request, PROFILE, flash=Flash("success", _("已保存")))


def _values_of(tenant: TenantDetails) -> dict[str, str]:
    values = {
        "name": tenant.name,
        "owner_name": tenant.owner_name,
        "owner_contact": tenant.owner_contact,
        "timezone": tenant.timezone,
        "version": str(tenant.version),
    }
    return values | {f"settings.{k}": _shown(v) for k, v in tenant.settings.items()}


def _shown(value: SettingValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _command(data: dict[str, Any], tenant: TenantDetails) -> UpdateTenant:
    """UpdateTenant from the form: every field is sent (unchanged ones change nothing);
    a setting emptied is removed (null), as PATCH /api/v1/tenant does."""
    missing = {name: _("必填") for name in REQUIRED if not str(data.get(name, "")).strip()}
    if missing:
        raise FormErrors(missing)
    settings: dict[str, SettingValue] = {}
    for key, old in tenant.settings.items():
        raw = str(data.get(f"settings.{key}", _shown(old))).strip()
        settings[key] = _typed(raw, old) if raw else None
    new_key = str(data.get(NEW_KEY, "")).strip()
    new_value = str(data.get(NEW_VALUE, "")).strip()
    if new_key and not new_value:
        raise FormErrors({NEW_VALUE: _("必填")})
    if new_value and not new_key:
        raise FormErrors({NEW_KEY: _("必填")})
    if new_key:
        settings[new_key] = _typed(new_value, None)
    fields = {name: str(data[name]).strip() for name in REQUIRED}
    return parse_form(UpdateTenant, {**fields, "settings": settings})


def _on_form(errors: dict[str, str], data: dict[str, Any], tenant: TenantDetails) -> dict[str, str]:
    """A refusal names `settings.<key>`: a new setting's is shown next to its name."""
    new_key = f"settings.{str(data.get(NEW_KEY, '')).strip()}"
    if new_key in errors and new_key.removeprefix("settings.") not in tenant.settings:
        errors = {**errors, NEW_KEY: errors[new_key]}
    return errors


def _typed(raw: str, old: SettingValue) -> SettingValue:
    """Text typed for a setting, as the kind of value it held (number, yes/no, text);
    a new setting is a number or yes/no when it reads as one."""
    lowered = raw.lower()
    if (old is None or isinstance(old, bool)) and lowered in ("true", "false"):
        return lowered == "true"
    if (old is None or (isinstance(old, int) and not isinstance(old, bool))) and _is_int(raw):
        return int(raw)
    return raw


def _is_int(raw: str) -> bool:
    return raw.lstrip("-").isdigit() and len(raw) < 19


def _form(
    request: Request[Any, Any, Any],
    tenant: TenantDetails,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response[Any]:
    zones = list(TIMEZONES)
    if tenant.timezone not in zones:
        zones.insert(0, tenant.timezone)
    return page(
        request,
        "tenancy/company/profile_edit.html",
        title=_("编辑企业信息"),
        tenant=tenant,
        values=values,
        errors=errors,
        timezones=[(zone, zone) for zone in zones],
        status=status,
    )
