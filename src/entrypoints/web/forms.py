"""Console forms: read a submitted form into a command, and turn a refusal into the
error shown next to its field (the form is shown again with what was typed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from litestar import Request
from pydantic import BaseModel, ValidationError

from entrypoints.http.problems import translated
from entrypoints.web.i18n import current_language
from entrypoints.web.i18n import gettext as _

M = TypeVar("M", bound=BaseModel)
GENERAL = "__all__"


class FormErrors(Exception):
    """What to show on a form: messages by field name (`__all__` for the form itself)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


async def form_data(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The submitted fields; a field given several times (checkboxes) becomes a list."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        if key.startswith("_"):
            continue  # _csrf and other form plumbing
        values = form.getall(key)
        data[key] = values if len(values) > 1 or key.endswith("[]") else values[0]
    return {key.removesuffix("[]"): value for key, value in data.items()}


def parse_form(model: type[M], data: Mapping[str, Any]) -> M:
    """The command, or `FormErrors` naming each bad field. Only the command's fields are
    read (a form also carries `next`, `reason`...); empty ones are left out so that the
    command's defaults apply."""
    given = {
        key: value
        for key, value in data.items()
        if key in model.model_fields and value not in ("", None)
    }
    try:
        return model.model_validate(given)
    except ValidationError as error:
        errors: dict[str, str] = {}
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"]) or GENERAL
            errors.setdefault(name, _validation_message(item))
        raise FormErrors(errors) from None


def refusal_errors(refusal: Exception, *, field: str | None = None) -> FormErrors:
    """A use case's refusal as form errors: next to `field`, else the field it names
    (InvalidInput, InvalidValue, AlreadyExists), else on the form; in the page's language
    (the API's problem catalogue translates the message)."""
    named = field or getattr(refusal, "field", None) or GENERAL
    return FormErrors({named: translated(str(refusal), current_language())})


def errors_of(refusal: Exception) -> dict[str, str]:
    """What to show on the form for a refusal: a form's own errors, or the use case's
    refusal on its field (`refusal_errors`)."""
    if isinstance(refusal, FormErrors):
        return refusal.errors
    return refusal_errors(refusal).errors


def version_of(data: Mapping[str, Any]) -> int:
    """The version the form was shown with: a change made since then is refused (409)."""
    try:
        return int(str(data.get("version", "")))
    except ValueError:
        raise FormErrors({GENERAL: _("表单已过期，请刷新页面后重试。")}) from None


def reason_of(data: Mapping[str, Any], *, required: bool = False) -> str:
    """The reason typed on a confirmation step ("" when left empty), or FormErrors when
    the step asks for one."""
    reason = str(data.get("reason", "") or "").strip()
    if required and not reason:
        raise FormErrors({"reason": _("请填写原因")})
    return reason


def optional_id(data: Mapping[str, Any], name: str) -> UUID | None:
    """The record chosen in a select (empty: none)."""
    raw = str(data.get(name, "") or "").strip()
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise FormErrors({name: _("请选择一项")}) from None


def listed(value: Any) -> list[str]:
    """The ticked checkboxes of one name (a single one arrives as a plain value)."""
    values = value if isinstance(value, list) else [value]
    return [str(item) for item in values if item]


def _validation_message(item: Mapping[str, Any]) -> str:
    kind = item.get("type", "")
    context = item.get("ctx") or {}
    if kind == "missing":
        return _("必填")
    if kind == "string_too_long":
        return _("最多 {n} 个字符").format(n=context.get("max_length"))
    if kind == "string_too_short":
        return _("至少 {n} 个字符").format(n=context.get("min_length"))
    if kind in ("int_parsing", "int_type", "float_parsing"):
        return _("请输入数字")
    if kind == "uuid_parsing":
        return _("请选择一项")
    return str(item.get("msg", kind))
