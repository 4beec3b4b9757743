"""The first-party tracking snippet, `/t.js` (TRK-1): plain JavaScript of huoke's own,
served by huoke (no third-party code, nothing from a CDN).

It sends page views (with the dwell time when the page is hidden), `identify` and custom
events to the tracking API's `/v1/batch` with the write key of its `data-key`, keeps the
anonymous id in the first-party cookie `huoke_aid`, captures UTM parameters and the
referrer, and sends nothing when the tag says `data-honour-dnt` and the browser asks
not to be tracked (the server refuses such requests too, for a source that honours it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get

SNIPPET = (Path(__file__).parent / "static" / "t.js").read_bytes()
ETAG = '"' + hashlib.sha256(SNIPPET).hexdigest()[:16] + '"'
# An hour: a changed snippet reaches every site within one, and a page view costs at
# most a conditional request.
CACHE_CONTROL = "public, max-age=3600"


class SnippetController(Controller):
    path = "/t.js"
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def snippet(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The tracking snippet's script."""
        headers = {"Cache-Control": CACHE_CONTROL, "ETag": ETAG}
        if request.headers.get("if-none-match") == ETAG:
            return Response(b"", status_code=304, headers=headers)
        return Response(
            SNIPPET,
            media_type="text/javascript; charset=utf-8",
            headers={**headers, "Access-Control-Allow-Origin": "*"},
        )
