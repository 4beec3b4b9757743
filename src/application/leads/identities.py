"""Normalising identities before they are matched (LEAD-1): mobiles as E.164 (default
region CN), e-mails validated and lower-cased, other ids trimmed."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from application.shared.errors import InvalidInput
from domain.leads.identity import IdentityKind, identity

DEFAULT_REGION = "CN"


def normalise_mobile(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """A mobile number in E.164 (`13800138000` → `+8613800138000`); refused if invalid."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"{raw!r} is not a phone number", field="mobile") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"{raw!r} is not a valid phone number", field="mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """A syntactically valid address, lower-cased (no DNS look-up here)."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(f"{raw!r} is not an e-mail address: {error}", field="email") from None
    return checked.normalized.lower()


def normalise(kind: str, raw: str) -> dict[str, str]:
    """One identity as the index keys it."""
    if kind == IdentityKind.MOBILE:
        return identity(kind, normalise_mobile(raw))
    if kind == IdentityKind.EMAIL:
        return identity(kind, normalise_email(raw))
    return identity(kind, raw)
