"""Contact details as every context keys them: mobiles in E.164 (default region CN),
e-mail addresses validated and lower-cased."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from application.shared.errors import InvalidInput

DEFAULT_REGION = "CN"


def normalise_mobile(raw: str, *, region: str = DEFAULT_REGION, field: str = "mobile") -> str:
    """A mobile number in E.164 (`13800138000` → `+8613800138000`); refused if invalid."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"{raw!r} is not a phone number", field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"{raw!r} is not a valid phone number", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str, *, field: str = "email") -> str:
    """A syntactically valid address, lower-cased (no DNS look-up here)."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(f"{raw!r} is not an e-mail address: {error}", field=field) from None
    return checked.normalized.lower()
