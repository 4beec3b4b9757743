"""Throwaway RSA keys and a local HTTP server that answers like a payment provider.

Each test decides the provider's answer (`ProviderServer.answer`) and inspects what our
adapter sent (`ProviderServer.received`), so the adapters talk the real protocol over a
real socket with nothing of ours mocked.
"""

from __future__ import annotations

import base64
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


@dataclass(frozen=True)
class KeyPair:
    """An RSA-2048 key pair as PEM text, with the SHA256withRSA (PKCS#1 v1.5) signatures
    that both WeChat Pay v3 and Alipay RSA2 use."""

    private_key: rsa.RSAPrivateKey

    @property
    def private_pem(self) -> str:
        """PKCS#8, as WeChat Pay's apiclient_key.pem and Alipay's key tool give it."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    @property
    def public_base64(self) -> str:
        """The public key as Alipay's console shows it: base64 without PEM armour."""
        return "".join(line for line in self.public_pem.splitlines() if "-----" not in line)

    def sign(self, message: str) -> str:
        signature = self.private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def verifies(self, message: str, signature: str) -> bool:
        try:
            self.private_key.public_key().verify(
                base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return False
        return True


@functools.cache
def key_pair(role: str) -> KeyPair:
    """One key per role ("merchant", "platform", ...) for the whole session: generating
    RSA keys is the slowest thing these tests do."""
    return KeyPair(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@dataclass(frozen=True)
class Received:
    """One request as the provider's server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class ProviderServer:
    """An HTTP server on 127.0.0.1 that records each request and answers `answer(request)`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer: Callable[[Received], Reply] = lambda _: Reply(500, b"no answer set")
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._http.server_port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                url = urlsplit(self.path)
                request = Received(
                    method=self.command,
                    path=url.path,
                    query=dict(parse_qsl(url.query, keep_blank_values=True)),
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length),
                )
                server.received.append(request)
                reply = server.answer(request)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep pytest output quiet

        return Handler

    @property
    def last(self) -> Received:
        assert self.received, "the adapter sent nothing"
        return self.received[-1]


@contextmanager
def provider_server() -> Iterator[ProviderServer]:
    """A running ProviderServer, shut down afterwards."""
    server = ProviderServer()
    # A short poll interval: shutdown() waits for the serving loop's next poll.
    thread = threading.Thread(
        target=server._http.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server._http.shutdown()
        server._http.server_close()
        thread.join()
