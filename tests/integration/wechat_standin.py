"""A local HTTP server that answers like WeChat's Official Account API (`/cgi-bin/…`), so
the adapter's wechatpy client talks the real protocol over a real socket (WX-1…6).

It issues access_tokens (`/cgi-bin/token`, counting the requests), checks the token of
every other call (unknown → 40001, one a test expired → the code it chose, 40001 or
42001), can answer 45009 a number of times, or any errcode for one path, records each
call's JSON body, and answers in WeChat's documented JSON:
https://developers.weixin.qq.com/doc/offiaccount/en/Getting_Started/Getting_Started_Guide.html
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

OK = {"errcode": 0, "errmsg": "ok"}


@dataclass
class Call:
    """One API call the stand-in took (not the token requests)."""

    path: str  # e.g. "message/mass/send", without /cgi-bin/
    query: dict[str, str]
    body: Any


@dataclass
class WechatStandIn:
    """State a test sets and reads. `accounts` is appid → secret."""

    accounts: dict[str, str]
    url: str = ""  # the API base, ".../cgi-bin/"
    token_delay: float = 0.0  # seconds each token request takes (to make callers overlap)
    expires_in: int = 7200
    token_requests: int = 0
    calls: list[Call] = field(default_factory=list)
    followers: dict[str, list[str]] = field(default_factory=dict)  # appid → openids
    page_size: int = 10_000
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # openid → user/info
    materials: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # type → items
    busy: int = 0  # answer 45009 to this many more API calls
    token_busy: int = 0  # answer 45009 to this many more token requests
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)  # path → errcode
    _mass_clients: dict[tuple[str, str], int] = field(default_factory=dict)  # clientmsgid
    _tokens: dict[str, str] = field(default_factory=dict)  # token → appid
    _expired: dict[str, int] = field(default_factory=dict)  # token → 40001 | 42001
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expire(self, token: str, errcode: int = 42001) -> None:
        """From now on WeChat answers `errcode` to calls made with `token`."""
        with self.lock:
            self._expired[token] = errcode

    def expire_all(self, errcode: int = 42001) -> None:
        with self.lock:
            for token in self._tokens:
                self._expired[token] = errcode

    def issued(self) -> list[str]:
        with self.lock:
            return list(self._tokens)

    def calls_to(self, path: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path == path]

    # --- answering ----------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Any:
        endpoint = path.removeprefix("/cgi-bin/")
        if endpoint == "token":
            return self._token(query)
        with self.lock:
            token = query.get("access_token", "")
            if not token:
                return {"errcode": 41001, "errmsg": "access_token missing"}
            if token not in self._tokens:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
            if token in self._expired:
                code = self._expired[token]
                return {"errcode": code, "errmsg": "access_token expired"}
            if self.busy > 0:
                self.busy -= 1
                return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
            parsed = json.loads(body) if body else None
            self.calls.append(Call(endpoint, query, parsed))
            if endpoint in self.failures:
                code, message = self.failures[endpoint]
                return {"errcode": code, "errmsg": message}
            appid = self._tokens[token]
            number = next(self._numbers)
        answer = getattr(self, "_" + endpoint.replace("/", "_"), None)
        if answer is None:
            return {"errcode": 404, "errmsg": f"no such API: {endpoint}"}  # never WeChat's
        return answer(appid, query, parsed, number)

    def _token(self, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            self.token_requests += 1
        if self.token_delay:
            time.sleep(self.token_delay)
        with self.lock:
            if self.token_busy > 0:
                self.token_busy -= 1
                return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
        if query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        appid = query.get("appid", "")
        if appid not in self.accounts:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.accounts[appid]:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        with self.lock:
            token = f"token-{appid}-{next(self._numbers)}"
            self._tokens[token] = appid
        return {"access_token": token, "expires_in": self.expires_in}

    def _message_custom_send(self, appid: str, q: Any, body: Any, n: int) -> Any:
        return OK

    def _message_mass_send(self, appid: str, q: Any, body: Any, n: int) -> Any:
        client = str(body.get("clientmsgid") or "")
        with self.lock:
            first = self._mass_clients.get((appid, client)) if client else None
            if client and first is None:
                self._mass_clients[(appid, client)] = n
        if first is not None:  # WeChat: this clientmsgid was sent; here is its msg_id
            return {"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": 1000 + first}
        return {
            "errcode": 0,
            "errmsg": "send job submission success",
            "msg_id": 1000 + n,
            "msg_data_id": 2000 + n,
        }

    def _message_mass_preview(self, appid: str, q: Any, body: Any, n: int) -> Any:
        return {"errcode": 0, "errmsg": "preview success", "msg_id": 1000 + n}

    def _message_template_send(self, appid: str, q: Any, body: Any, n: int) -> Any:
        return {"errcode": 0, "errmsg": "ok", "msgid": 3000 + n}

    def _user_get(self, appid: str, query: dict[str, str], body: Any, n: int) -> Any:
        everyone = self.followers.get(appid, [])
        after = query.get("next_openid", "")
        start = everyone.index(after) + 1 if after in everyone else 0
        page = everyone[start : start + self.page_size]
        if not page:  # WeChat: nothing more, and no "data"
            return {"total": len(everyone), "count": 0, "next_openid": ""}
        return {
            "total": len(everyone),
            "count": len(page),
            "data": {"openid": page},
            "next_openid": page[-1],
        }

    def _user_info_batchget(self, appid: str, q: Any, body: Any, n: int) -> Any:
        users = [entry["openid"] for entry in body["user_list"]]
        return {
            "user_info_list": [
                self.profiles.get(o, {"subscribe": 0, "openid": o, "tagid_list": []}) for o in users
            ]
        }

    def _qrcode_create(self, appid: str, q: Any, body: Any, n: int) -> Any:
        answer: dict[str, Any] = {
            "ticket": f"gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL{n}==",
            "url": f"http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI{n}",
        }
        if "expire_seconds" in body:
            answer["expire_seconds"] = body["expire_seconds"]
        return answer

    def _menu_create(self, appid: str, q: Any, body: Any, n: int) -> Any:
        return OK

    def _tags_members_batchtagging(self, appid: str, q: Any, body: Any, n: int) -> Any:
        return OK

    def _tags_get(self, appid: str, q: Any, body: Any, n: int) -> Any:
        return {
            "tags": [
                {"id": 2, "name": "星标组", "count": 12},
                {"id": 101, "name": "展会客户", "count": 3},
            ]
        }

    def _material_batchget_material(self, appid: str, q: Any, body: Any, n: int) -> Any:
        items = self.materials.get(body["type"], [])
        page = items[body["offset"] : body["offset"] + body["count"]]
        return {"total_count": len(items), "item_count": len(page), "item": page}


def _handler(stand_in: WechatStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as WeChat's servers

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            answer = stand_in.handle(self.command, parts.path, dict(parse_qsl(parts.query)), body)
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(200)  # WeChat answers errors with 200 and an errcode
            self.send_header("Content-Type", "application/json; encoding=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 50 callers connect at once (the default backlog is 5)


@contextmanager
def serving(stand_in: WechatStandIn) -> Iterator[WechatStandIn]:
    """Run `stand_in` on a free local port (its `url` is the API base) until the block ends."""
    server = _Server(("127.0.0.1", 0), _handler(stand_in))
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
