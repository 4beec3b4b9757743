"""A local archive gateway (ADR 0020): answers `POST /getchatdata` with GetChatData's
documented JSON ({"errcode", "errmsg", "chatdata": [{"seq", "msgid", "publickey_ver",
"encrypt_random_key", "encrypt_chat_msg"}]}), sealing each message of its archive
with the public key a test gives it, as WeCom seals them for the corp
(https://developer.work.weixin.qq.com/document/path/91774).

It checks the corp id and Secret (40001 otherwise), can answer any errcode to the next
N calls, can hand out a message twice or out of order in a batch, counts the messages
it handed out, and can wait before each answer (crash tests kill the puller then).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from adapters.archive.decryption import seal

INVALID_SECRET = 40001
PARAMETER_ERROR = 10000
NETWORK_ERROR = 10001


@dataclass
class ArchiveGateway:
    corpid: str
    secret: str
    public_keys: dict[int, str] = field(default_factory=dict)  # version → PEM
    version: int = 1  # the key the corp seals new messages with
    messages: list[tuple[int, dict[str, Any], int]] = field(default_factory=list)
    url: str = ""
    failures: list[tuple[int, str]] = field(default_factory=list)  # answered first, in order
    repeat_in_batch: bool = False  # hand the first message of each batch out twice
    delay: float = 0.0
    served: int = 0  # messages handed out
    calls: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seq: int, chat: dict[str, Any], version: int | None = None) -> None:
        """A message of the archive, sealed (when asked for) under `version`."""
        self.messages.append((seq, chat, version or self.version))
        self.messages.sort(key=lambda entry: entry[0])

    def handle(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.calls.append({k: v for k, v in body.items() if k != "secret"})
            if self.failures:
                errcode, errmsg = self.failures.pop(0)
                return {"errcode": errcode, "errmsg": errmsg}
            if body.get("corpid") != self.corpid or body.get("secret") != self.secret:
                return {"errcode": INVALID_SECRET, "errmsg": "invalid secret"}
            seq, limit = body.get("seq"), body.get("limit")
            if not isinstance(seq, int) or not isinstance(limit, int) or not 1 <= limit <= 1000:
                return {"errcode": PARAMETER_ERROR, "errmsg": "参数错误"}
            chosen = [entry for entry in self.messages if entry[0] > seq][:limit]
            if self.repeat_in_batch and chosen:
                chosen = [chosen[0], *chosen]
            self.served += len(chosen)
        chatdata = []
        for number, chat, version in chosen:
            wrapped, sealed = seal(chat, self.public_keys[version])
            chatdata.append(
                {"seq": number, "msgid": chat["msgid"], "publickey_ver": version,
                 "encrypt_random_key": wrapped, "encrypt_chat_msg": sealed}
            )  # fmt: skip
        return {"errcode": 0, "errmsg": "ok", "chatdata": chatdata}


def _handler(gateway: ArchiveGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path != "/getchatdata":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            data = json.dumps(gateway.handle(body), ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@contextmanager
def serving(gateway: ArchiveGateway) -> Iterator[ArchiveGateway]:
    """Run `gateway` on a free local port until the block ends."""
    server = _Server(("127.0.0.1", 0), _handler(gateway))
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
