"""Normalising identities before they are matched (LEAD-1): mobiles as E.164 (default
region CN), e-mails validated and lower-cased, other ids trimmed."""

from __future__ import annotations

from application.shared.contacts import DEFAULT_REGION, normalise_email, normalise_mobile
from domain.leads.identity import IdentityKind, identity

__all__ = ["DEFAULT_REGION", "normalise", "normalise_email", "normalise_mobile"]


def normalise(kind: str, raw: str) -> dict[str, str]:
    """One identity as the index keys it."""
    if kind == IdentityKind.MOBILE:
        return identity(kind, normalise_mobile(raw))
    if kind == IdentityKind.EMAIL:
        return identity(kind, normalise_email(raw))
    return identity(kind, raw)
