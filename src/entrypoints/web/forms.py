"""Console forms: read a submitted form into a command, and turn a refusal into the
error shown next to its field (the form is shown again with what was typed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from litestar import Request
from pydantic import BaseModel, ValidationError

from application.shared.errors import InvalidInput
from domain.shared.errors import InvalidValue
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


def refusal_errors(refusal: Exception) -> FormErrors:
    """A use case's refusal as form errors, on its field when it names one."""
    if isinstance(refusal, InvalidInput | InvalidValue):
        return FormErrors({refusal.field or GENERAL: str(refusal)})
    return FormErrors({GENERAL: str(refusal)})


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
