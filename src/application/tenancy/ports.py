"""Ports the tenancy use cases need from the outside world."""

from __future__ import annotations

from typing import Protocol


class SecretHasher(Protocol):
    """Slow, salted hashing of API-key and staff-token secrets (argon2 in production)."""

    def hash(self, secret: str) -> str:
        """A self-describing hash of `secret` (algorithm, parameters, salt)."""
        ...

    def verify(self, secret_hash: str, secret: str) -> bool:
        """Whether `secret` matches `secret_hash`."""
        ...
