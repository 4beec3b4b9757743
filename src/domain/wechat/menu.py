"""A custom menu (自定义菜单, WX-6) checked against WeChat's rules before it is saved:
at most 3 buttons, each a sub-menu of at most 5, names of at most 16 bytes (60 for a
sub-button), a click's key at most 128 bytes, a page's URL at most 1024 bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.shared.errors import InvalidValue

MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
MAX_NAME_BYTES = 16
MAX_SUB_NAME_BYTES = 60
MAX_KEY_BYTES = 128
MAX_URL_BYTES = 1024
# The types a button may have: a click pushes CLICK with its key; view opens a page;
# the scan-code types push their event with the key.
KEYED = frozenset({"click", "scancode_push", "scancode_waitmsg"})
TYPES = KEYED | {"view"}
FIELD = "buttons"


def checked_menu(buttons: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The menu as WeChat's `button` list, or `InvalidValue` naming the button."""
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        raise InvalidValue(f"a menu has 1 to {MAX_BUTTONS} buttons", field=FIELD)
    return [
        _button(button, f"buttons[{i}]", MAX_NAME_BYTES, top=True)
        for i, button in enumerate(buttons)
    ]


def _button(button: Mapping[str, Any], where: str, max_name: int, *, top: bool) -> dict[str, Any]:
    name = str(button.get("name") or "").strip()
    if not name or len(name.encode()) > max_name:
        raise InvalidValue(f"{where}.name must be 1 to {max_name} bytes", field=FIELD)
    subs = button.get("sub_button") or []
    if top and subs:
        if len(subs) > MAX_SUB_BUTTONS:
            raise InvalidValue(f"{where} has more than {MAX_SUB_BUTTONS} sub-buttons", field=FIELD)
        return {
            "name": name,
            "sub_button": [
                _button(sub, f"{where}.sub_button[{j}]", MAX_SUB_NAME_BYTES, top=False)
                for j, sub in enumerate(subs)
            ],
        }
    if subs:
        raise InvalidValue(f"{where}: a sub-button cannot have sub-buttons", field=FIELD)
    kind = str(button.get("type") or "")
    if kind not in TYPES:
        raise InvalidValue(f"{where}.type must be one of {', '.join(sorted(TYPES))}", field=FIELD)
    if kind == "view":
        url = str(button.get("url") or "").strip()
        if not url.startswith(("http://", "https://")) or len(url.encode()) > MAX_URL_BYTES:
            raise InvalidValue(f"{where}.url must be an http(s) URL", field=FIELD)
        return {"type": kind, "name": name, "url": url}
    key = str(button.get("key") or "").strip()
    if not key or len(key.encode()) > MAX_KEY_BYTES:
        raise InvalidValue(f"{where}.key must be 1 to {MAX_KEY_BYTES} bytes", field=FIELD)
    return {"type": kind, "name": name, "key": key}
