"""The first-party snippet `/t.js` in Chromium: a customer's page on another origin (a
local test server) includes it with a source's write key, and its page view (with UTM
and referrer), identify, custom events and dwell time arrive in the tenant's behaviour
log, under the visitor's first-party `huoke_aid` cookie; a visitor asking not to be
tracked sends nothing when the tag honours Do-Not-Track."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

from application.shared.behaviours import Behaviour
from tests.browser.conftest import LiveConsole

STUB = "window.huoke=window.huoke||function(){(huoke.q=huoke.q||[]).push(arguments)}"


def shop_page(huoke_url: str, key: str, *, honour_dnt: bool = False) -> str:
    dnt = " data-honour-dnt" if honour_dnt else ""
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>春季新品 · Acme 商城</title></head>
<body><h1>春季新品</h1><a id="next" href="/thanks">下一页</a>
<script>{STUB}; huoke('identify', 'member-42', {{"email": "li@acme.cn", "name": "李雷"}});</script>
<script async src="{huoke_url}/t.js" data-key="{key}"{dnt}></script>
</body></html>"""


@contextmanager
def customer_site(pages: dict[str, str]) -> Iterator[str]:
    """A web site of a customer's, on its own origin, serving `pages` by path."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            html = pages.get(self.path.split("?")[0], "<!doctype html><title>谢谢</title>")
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def website_source(live: LiveConsole, **settings: Any) -> tuple[UUID, dict[str, Any]]:
    tenant_id, token = live.api.tenant_with_key("tenant_admin")
    answer = live.api.client.post(
        "/api/v1/tracking/sources",
        json={"name": "Acme 商城", "kind": "website", **settings},
        headers={**live.api.key(token), "Prefer": "read-your-writes"},
    )
    assert answer.status_code == 201, answer.text
    return UUID(tenant_id), answer.json()


def logged_until(
    live: LiveConsole, tenant_id: UUID, done: Callable[[list[Behaviour]], bool]
) -> list[Behaviour]:
    """The tenant's rows once `done` holds for them (the browser posts on its own time)."""
    deadline = time.monotonic() + 15
    while True:
        rows = list(live.runtime.container.behaviours().behaviours_of(tenant_id, limit=500))
        if done(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def test_the_snippet_sends_page_identify_track_and_dwell_time(
    browser: Any, live_console: LiveConsole
) -> None:
    tenant_id, source = website_source(live_console)
    page_html = shop_page(live_console.url, source["write_key"])
    with customer_site({"/spring": page_html}) as site:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.goto(f"{site}/?from=home")  # the referrer of the next page
        page.set_content(
            f'<a id="go" href="{site}/spring?utm_source=wechat&utm_campaign=春季">go</a>'
        )
        page.click("#go")
        page.wait_for_load_state("load")
        page.wait_for_function("typeof window.huoke.anonymousId === 'function'")
        page.evaluate("huoke('track', '加入购物车', {sku: 'A-100', 数量: 2})")

        first = logged_until(live_console, tenant_id, lambda rows: len(rows) >= 3)
        cookie = next(c for c in context.cookies() if c["name"] == "huoke_aid")
        page.click("#next")  # leaving: the page is hidden, its dwell time is sent
        rows = logged_until(
            live_console, tenant_id, lambda rows: any("dwell_ms" in r.properties for r in rows)
        )
        context.close()

    kinds = sorted(row.kind for row in first)
    assert kinds == ["identify", "page", "track"], [(r.kind, r.name) for r in first]
    by_kind = {row.kind: row for row in first}
    identify, viewed, tracked = by_kind["identify"], by_kind["page"], by_kind["track"]
    assert identify.user_id == "member-42"
    assert identify.properties == {"email": "li@acme.cn", "name": "李雷"}
    assert viewed.name == "春季新品 · Acme 商城" and viewed.properties["path"] == "/spring"
    assert viewed.properties["referrer"].startswith(site)
    assert viewed.context["campaign"] == {"source": "wechat", "name": "春季"}
    assert viewed.user_id == "member-42"  # identified before the page view was sent
    assert (tracked.name, tracked.properties) == ("加入购物车", {"sku": "A-100", "数量": 2})
    assert all(row.anonymous_id == cookie["value"] for row in rows)
    assert all(row.channel == "web" and row.source_id == source["id"] for row in rows)
    assert cookie["sameSite"] == "Lax" and cookie["expires"] > time.time() + 360 * 24 * 3600
    dwell = [row for row in rows if "dwell_ms" in row.properties]
    assert len(dwell) == 1 and dwell[0].kind == "page" and dwell[0].properties["dwell_ms"] >= 0
    assert dwell[0].properties["view_id"] == viewed.message_id


def test_a_visitor_asking_not_to_be_tracked_sends_nothing(
    browser: Any, live_console: LiveConsole
) -> None:
    _, source = website_source(live_console, honour_do_not_track=True)
    page_html = shop_page(live_console.url, source["write_key"], honour_dnt=True)
    with customer_site({"/spring": page_html}) as site:
        context = browser.new_context(locale="zh-CN")
        context.add_init_script(
            "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})"
        )
        page = context.new_page()
        sent: list[str] = []
        page.on("request", lambda request: sent.append(request.url))
        page.goto(f"{site}/spring")
        page.wait_for_load_state("networkidle")
        page.evaluate("huoke('track', '加入购物车', {})")
        loaded = page.evaluate("typeof window.huoke === 'function' && window.__huoke_loaded")
        page.wait_for_load_state("networkidle")
        cookies = [c["name"] for c in context.cookies()]
        context.close()

    assert loaded is True  # the snippet ran, and chose to send nothing
    assert any(url.endswith("/t.js") for url in sent)
    assert not [url for url in sent if "/v1/" in url]
    assert "huoke_aid" not in cookies
