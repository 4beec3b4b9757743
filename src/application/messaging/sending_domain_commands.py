"""Commands and answers of sending domains (MAIL-3)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command


class AddSendingDomain(Command):
    domain: str = Field(
        min_length=4,
        max_length=253,
        description="a subdomain to send from (not the company's own domain)",
        examples=["mail.acme.cn"],
    )


class DomainRecord(BaseModel):
    """A DNS record to publish, and what the last check found there."""

    purpose: str = Field(description="spf, dkim, mx (the return path for bounces), tracking")
    type: str = Field(description="TXT, MX or CNAME")
    host: str
    value: str
    ok: bool | None = Field(description="found by the last check; null: not checked yet")
    found: list[str] = Field(description="what the last check found at the host")


class SendingDomainDetails(BaseModel):
    id: UUID
    domain: str
    selector: str = Field(description="the DKIM selector")
    state: str = Field(description="pending (not checked), verified, failed")
    may_send: bool
    records: list[DomainRecord]
    missing: list[str] = Field(
        description="purposes of the records the last check did not find (spf, dkim, mx, "
        "tracking); empty before the first check and once verified"
    )
    note: str = Field(description="how long records take to be seen")
    checked_at: datetime | None
    verified_at: datetime | None
    version: int
    created_at: datetime


class SendingDomainSummary(BaseModel):
    id: UUID
    domain: str
    state: str
    version: int
    created_at: datetime
    updated_at: datetime


class SigningIdentity(BaseModel):
    """What the e-mail channel signs and addresses bounces with (never shown)."""

    domain: str
    selector: str
    private_key_pem: str
    return_path_domain: str
