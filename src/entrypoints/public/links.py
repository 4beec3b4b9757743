"""Short links and e-mail tracking (TRK-2): public, outside /api, rate-limited per client
address like every public endpoint.

* `GET /s/{code}`: 302 to the promotion link's target (with `hk_link` and its UTM
  values), the click stored as a behaviour first; a code huoke did not sign answers 404
  and counts nothing, an archived link 410.
* `GET /o/{token}.gif`: the 1×1 open pixel of an e-mail (always the image, never an
  error a mail client would show; only a signed token counts).
* `GET /c/{token}`: a link in an e-mail, 302 to its signed target.

Visitors get a first-party `huoke_aid` cookie, their anonymous id for UV. Robots and
prefetches are redirected but never counted (`application.tracking.robots`).
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, route
from litestar.datastructures import Cookie

from application.tracking.clicks import Followed, LinkFollowing, Visit

VISITOR_COOKIE = "huoke_aid"
VISITOR_COOKIE_SECONDS = 2 * 365 * 24 * 3600
_VISITOR_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_LOCATION_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
# The smallest transparent GIF (43 bytes).
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
_NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer-when-downgrade"}
_NOT_FOUND = (
    "<!doctype html><html lang=zh-CN><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width,initial-scale=1'>"
    "<title>链接不存在 · Link not found</title>"
    "<main><h1>链接不存在</h1><p lang=en>This link does not exist.</p></main></html>"
)
_GONE = (
    "<!doctype html><html lang=zh-CN><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width,initial-scale=1'>"
    "<title>链接已失效 · Link no longer active</title>"
    "<main><h1>链接已失效</h1><p lang=en>This link is no longer active.</p></main></html>"
)


class ShortLinkController(Controller):
    path = "/"
    include_in_schema = False

    @route("/s/{code:str}", http_method=["GET", "HEAD"], sync_to_thread=True)
    def follow(
        self, request: Request[Any, Any, Any], code: str, link_following: LinkFollowing
    ) -> Response[Any]:
        visit, fresh = _visit(request)
        return _redirect(link_following.follow(code, visit), visit, fresh)

    @route("/c/{token:str}", http_method=["GET", "HEAD"], sync_to_thread=True)
    def click(
        self, request: Request[Any, Any, Any], token: str, link_following: LinkFollowing
    ) -> Response[Any]:
        visit, fresh = _visit(request)
        return _redirect(link_following.clicked(token, visit), visit, fresh)

    @route("/o/{pixel:str}", http_method=["GET", "HEAD"], sync_to_thread=True)
    def open_pixel(
        self, request: Request[Any, Any, Any], pixel: str, link_following: LinkFollowing
    ) -> Response[bytes]:
        if pixel.endswith(".gif"):
            visit, _ = _visit(request)
            link_following.opened(pixel[: -len(".gif")], visit)
        # No cookie: mail clients load images without one, and one open is one lead's.
        return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)


def _visit(request: Request[Any, Any, Any]) -> tuple[Visit, bool]:
    known = request.cookies.get(VISITOR_COOKIE, "")
    fresh = not _VISITOR_ID.match(known)
    anonymous_id = str(uuid.uuid4()) if fresh else known
    headers = {name.lower(): value for name, value in request.headers.items()}
    visit = Visit(
        anonymous_id=anonymous_id,
        user_agent=headers.get("user-agent", ""),
        headers=headers,
        ip=request.client.host if request.client else None,
        head_only=request.method == "HEAD",
    )
    return visit, fresh


def _redirect(followed: Followed, visit: Visit, fresh: bool) -> Response[Any]:
    if followed.url is None:
        body, status = (_GONE, 410) if followed.gone else (_NOT_FOUND, 404)
        return Response(body, status_code=status, media_type="text/html", headers=_NO_STORE)
    cookies = []
    if fresh or followed.counted:  # keep the visitor's id alive while they come back
        cookies.append(
            Cookie(
                key=VISITOR_COOKIE,
                value=visit.anonymous_id,
                max_age=VISITOR_COOKIE_SECONDS,
                path="/",
                httponly=True,
                samesite="lax",
            )
        )
    return Response(
        b"",
        status_code=302,
        headers={**_NO_STORE, "Location": quote(followed.url, safe=_LOCATION_SAFE)},
        cookies=cookies,
    )
