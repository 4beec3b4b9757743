"""Unsubscribe links (MAIL-4, LEAD-9): public, outside /api, rate-limited per client
address like every public endpoint.

* `GET /u/{token}`: a small page (zh-CN, English beside) asking to confirm, with a button
  that posts back. A GET never unsubscribes: mail scanners and link previews follow
  links.
* `POST /u/{token}`: unsubscribes and answers a confirmation page. The page's button
  and a mailbox provider's one click (RFC 8058: `List-Unsubscribe=One-Click` in the body,
  no cookie, no CSRF token — the signed link is the credential) both land here.

A token huoke did not sign answers 404 and changes nothing.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs

from litestar import Controller, Response, route

from application.messaging.unsubscribe import Unsubscribing

_NO_STORE = {
    "Cache-Control": "no-store, private",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
_MULTIPART_ONE_CLICK = re.compile(
    rb'name="?List-Unsubscribe"?\r?\n(?:[^\r\n]+\r?\n)*\r?\nOne-Click\r?\n', re.IGNORECASE
)
_CHANNELS = {"email": ("邮件", "e-mails"), "sms": ("短信", "text messages"),
             "wechat": ("微信消息", "WeChat messages")}  # fmt: skip
_PAGE = (
    "<!doctype html><html lang=zh-CN><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width,initial-scale=1'>"
    "<meta name=robots content=noindex><title>{title}</title>"
    "<style>body{{font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;"
    "max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222;line-height:1.6}}"
    "button{{font-size:1rem;padding:.6rem 1.4rem;border:0;border-radius:4px;"
    "background:#c0392b;color:#fff;cursor:pointer}}[lang=en]{{color:#666}}</style>"
    "<main>{body}</main></html>"
)


def _page(title: str, body: str, status: int = 200) -> Response[str]:
    return Response(
        _PAGE.format(title=html.escape(title), body=body),
        status_code=status,
        media_type="text/html",
        headers=_NO_STORE,
    )


def _not_found() -> Response[str]:
    return _page(
        "链接不存在 · Link not found",
        "<h1>链接不存在</h1><p lang=en>This unsubscribe link does not exist.</p>",
        404,
    )


def _one_click(body: bytes) -> bool:
    """Whether the POST is RFC 8058's one click (form-encoded or multipart)."""
    if _MULTIPART_ONE_CLICK.search(body):
        return True
    fields = parse_qs(body.decode("latin-1"), keep_blank_values=True)
    return "One-Click" in fields.get("List-Unsubscribe", [])


class UnsubscribeController(Controller):
    path = "/"
    include_in_schema = False

    @route("/u/{token:str}", http_method=["GET", "HEAD"], sync_to_thread=True)
    def ask(self, token: str, unsubscribing: Unsubscribing) -> Response[str]:
        read = unsubscribing.read(token)
        if read is None:
            return _not_found()
        chinese, english = _CHANNELS.get(read.channel, _CHANNELS["email"])
        action = html.escape(f"/u/{token}")
        return _page(
            "退订 · Unsubscribe",
            f"<h1>退订{chinese}</h1><p>确认后，您将不再收到此发件方的营销{chinese}。</p>"
            f"<p lang=en>Confirm to stop receiving marketing {english} from this sender.</p>"
            f"<form method=post action='{action}'><input type=hidden name=confirm value=yes>"
            "<button type=submit>确认退订 · Unsubscribe</button></form>",
        )

    @route("/u/{token:str}", http_method=["POST"], sync_to_thread=True, status_code=200)
    def confirm(self, token: str, body: bytes, unsubscribing: Unsubscribing) -> Response[Any]:
        done = unsubscribing.confirm(token, one_click=_one_click(body[:4096]))
        if done is None:
            return _not_found()
        chinese, english = _CHANNELS.get(done.channel, _CHANNELS["email"])
        return _page(
            "已退订 · Unsubscribed",
            f"<h1>您已退订</h1><p>您将不再收到此发件方的营销{chinese}。</p>"
            f"<p lang=en>You are unsubscribed and will receive no more marketing "
            f"{english} from this sender.</p>",
        )
