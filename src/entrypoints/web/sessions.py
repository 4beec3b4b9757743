"""Console cookies: the signed session, the CSRF nonce and one-shot flash messages.

Nothing secret lives in a cookie: the session names a login and the password epoch it
was opened in (a password change or revocation ends every older session), signed with
a key derived from the store's cipher key so that every API node accepts it. CSRF
tokens are HMACs of a per-browser nonce, checked on every unsafe console request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.logins.commands import Session

SESSION_COOKIE = "huoke_session"
NONCE_COOKIE = "huoke_csrf"
FLASH_COOKIE = "huoke_flash"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_LIFETIME_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Flash:
    kind: str  # success | error | info
    message: str


class ConsoleCookies:
    """Signs and reads the console's cookies with one key."""

    def __init__(self, cipher_key: str) -> None:
        self._key = hmac.new(base64.b64decode(cipher_key), b"huoke-console", "sha256").digest()

    # --- signing ----------------------------------------------------------------------

    def _sign(self, payload: dict[str, Any]) -> str:
        # No padding: '=' would make the cookie value quoted, and quoting is read back
        # differently by browsers and parsers.
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
        body = body.rstrip(b"=")
        mac = hmac.new(self._key, body, hashlib.sha256).hexdigest()
        return f"{body.decode()}.{mac}"

    def _read(self, value: str | None) -> dict[str, Any] | None:
        if not value or "." not in value:
            return None
        body, _, mac = value.rpartition(".")
        expected = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body.encode() + b"=" * (-len(body) % 4)))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    # --- the session ------------------------------------------------------------------

    def session_value(self, session: Session, *, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        return self._sign({"l": str(session.login_id), "e": session.epoch, "t": issued})

    def session_of(self, value: str | None, *, now: float | None = None) -> Session | None:
        payload = self._read(value)
        if payload is None:
            return None
        issued = payload.get("t")
        current = now if now is not None else time.time()
        if not isinstance(issued, int) or current - issued > SESSION_LIFETIME_SECONDS:
            return None
        try:
            return Session(login_id=UUID(str(payload["l"])), epoch=int(payload["e"]))
        except (KeyError, ValueError, TypeError):
            return None

    # --- CSRF -------------------------------------------------------------------------

    def new_nonce(self) -> str:
        return self._sign({"n": secrets.token_urlsafe(16)})

    def nonce_is_valid(self, value: str | None) -> bool:
        return self._read(value) is not None

    def csrf_token(self, nonce_value: str) -> str:
        return hmac.new(self._key, b"csrf|" + nonce_value.encode(), hashlib.sha256).hexdigest()

    def csrf_matches(self, nonce_value: str | None, token: str | None) -> bool:
        if not nonce_value or not token or not self.nonce_is_valid(nonce_value):
            return False
        return hmac.compare_digest(self.csrf_token(nonce_value), token)

    # --- flash ------------------------------------------------------------------------

    def flash_value(self, flash: Flash) -> str:
        return self._sign({"k": flash.kind, "m": flash.message})

    def flash_of(self, value: str | None) -> Flash | None:
        payload = self._read(value)
        if payload is None:
            return None
        return Flash(kind=str(payload.get("k", "info")), message=str(payload.get("m", "")))
