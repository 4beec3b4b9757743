"""The filter textarea that saved-search and smart-group forms share: its JSON, and the
filter language's refusals shown on it with the bad node's path."""

from __future__ import annotations

import json
from typing import Any

from entrypoints.web.forms import FormErrors, errors_of
from entrypoints.web.i18n import gettext as _


def filter_tree_of(data: dict[str, Any]) -> Any:
    """The filter textarea as JSON (the filter language checks its nodes)."""
    text = str(data.get("filter") or "").strip()
    if not text:
        raise FormErrors({"filter": _("必填")})
    try:
        return json.loads(text)
    except ValueError:
        raise FormErrors({"filter": _("不是有效的 JSON")}) from None


def filter_errors(refusal: Exception) -> dict[str, str]:
    """A refused node of the tree (`filter.all[2].op`) shows on the filter field, with
    the node's path."""
    shown: dict[str, str] = {}
    for name, message in errors_of(refusal).items():
        if name.startswith("filter."):
            shown.setdefault("filter", f"{name}: {message}")
        else:
            shown.setdefault(name, message)
    return shown
