"""WeChat Official Accounts (WX-1…7, TRK-3): accounts, callbacks, fans and conversations
(`core`), mass and template sends (`sends`), parameter QR codes, menus and material
(`assets`), and the console pages (`console`)."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from application.wechat.wechat import Wechat
from domain.wechat.permissions import WECHAT_GRANTS
from entrypoints.contexts.parts import manifest_of_parts
from entrypoints.contexts.wechat import console, core, sends

PARTS = (core.PART, console.PART, sends.PART)

MANIFEST = manifest_of_parts(
    name="wechat",
    application=Wechat,
    parts=PARTS,
    grants=(WECHAT_GRANTS,),
    tags=(
        Tag(
            name="wechat",
            description="微信公众号：绑定、粉丝、消息 · WeChat Official Accounts (WX)",
        ),
    ),
)
