"""VERP return paths (MAIL-5): each message's envelope sender names the message, so a
bounce — whoever sends it and in whatever format — says which message failed.

`b-<message id hex>.<signature>@<sending domain>`: the signature (an HMAC with a key
derived from the process's cipher key) keeps forged bounces from suppressing anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

SIGNATURE_HEX = 10
_LOCAL = re.compile(r"^b-([0-9a-f]{32})\.([0-9a-f]{" + str(SIGNATURE_HEX) + r"})$")


def derive_key(cipher_key: bytes) -> bytes:
    return hashlib.sha256(b"huoke return path\x00" + cipher_key).digest()


class ReturnPaths:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def address(self, message_id: str, domain: str) -> str:
        """The envelope sender of `message_id` sent from `domain`."""
        hexed = uuid.UUID(message_id).hex
        return f"b-{hexed}.{self._signature(hexed)}@{domain}"

    def message_of(self, address: str) -> str | None:
        """The message a bounce to `address` is about; None for anything we did not make."""
        local = address.strip().strip("<>").rpartition("@")[0].lower()
        found = _LOCAL.match(local)
        if found is None or not hmac.compare_digest(found[2], self._signature(found[1])):
            return None
        return str(uuid.UUID(found[1]))

    def _signature(self, hexed: str) -> str:
        return hmac.new(self.key, hexed.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_HEX]
