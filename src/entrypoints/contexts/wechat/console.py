"""WeChat part: the console (营销触达 · 微信公众号) — pages of the Official Accounts, their
fans and conversations, over the core part's services."""

from __future__ import annotations

from typing import Any

from dependency_injector import providers

from entrypoints.contexts.parts import Part
from entrypoints.web.wechat import (
    account_pages,
    fan_pages,
    menu_pages,
    qr_code_pages,
    send_pages,
    sync_pages,
    template_send_pages,
)
from entrypoints.web.wechat.common import WechatConsole

MODULES = (
    account_pages,
    fan_pages,
    send_pages,
    template_send_pages,
    qr_code_pages,
    menu_pages,
    sync_pages,
)


def _public_url(settings: Any) -> str:
    return str(settings.public_url)


def _providers(c: Any, wechat: providers.Provider[Any]) -> dict[str, providers.Provider[Any]]:
    return {
        "wechat_console": providers.Singleton(
            WechatConsole,
            providers.Singleton(_public_url, c.settings),
            c.clock,
            c.wechat_fan_view,
            c.behaviours,
            c.wechat_material_view,
        ),
    }


PART = Part(
    providers=_providers,
    dependencies=("wechat_console",),
    console=tuple(page for module in MODULES for page in module.PAGES),
    console_nav=(*account_pages.NAV, *send_pages.NAV, *template_send_pages.NAV),
)
