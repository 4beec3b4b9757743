"""Ports of the tracking context (TRK): what its use cases need from outside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class SourceOfKey:
    """The tracking source a live write key belongs to."""

    tenant_id: UUID
    source_id: UUID
    kind: str  # website | server | app
    honour_do_not_track: bool


class WriteKeys(Protocol):
    """Finds the source of a write key (the tracking API's credential)."""

    def source_for_key(self, write_key: str) -> SourceOfKey | None:
        """The live source whose key this is; None for an unknown or revoked key."""
        ...


class EmployeeRoster(Protocol):
    """Tells whether an employee currently works for a tenant (the org context knows):
    a promotion link names its promoting employee only if so."""

    def is_current_employee(self, tenant_id: UUID, employee_id: UUID) -> bool:
        """True for an employee of `tenant_id` who has not left."""
        ...


class QrCodes(Protocol):
    """Draws QR codes of URLs (a promotion link's short URL on posters and screens)."""

    def png(self, url: str, *, scale: int = 8) -> bytes:
        """The QR code of `url` as a PNG image, each module `scale` pixels wide."""
        ...

    def svg(self, url: str) -> bytes:
        """The QR code of `url` as an SVG document."""
        ...


# --- identity stitching (the leads context answers) ---------------------------------------


@dataclass(frozen=True)
class PersonSeen:
    """Who a behaviour says its visitor is: identities as sent (not yet normalised) by
    kind (mobile, email, wechat_openid, wechat_unionid, member_id), profile traits
    (name, company, city, title), and where they were seen."""

    tenant_id: UUID
    identities: dict[str, str]
    profile: dict[str, str]
    channel: str
    landing_url: str | None = None
    referrer: str | None = None
    # The lead the visitor's anonymous id is already linked to: identities no lead
    # holds yet (a member id at the first login) join it instead of making a new lead.
    known_lead_id: UUID | None = None


@dataclass(frozen=True)
class LeadFound:
    """The lead a person is (None: no valid identity), and the identity kinds whose
    values were refused (an invalid mobile or e-mail) and left out."""

    lead_id: UUID | None
    refused: tuple[str, ...] = ()


class LeadIdentities(Protocol):
    """Finds the lead of a person by their identities (LEAD-1's identity index)."""

    def lead_for(self, person: PersonSeen) -> LeadFound:
        """The lead holding any of these identities, with the new ones attached; else
        the known lead with them attached; else a new lead (source 网站追踪, channel
        from the behaviour). Never a second lead for a known identity. Invalid values
        are skipped and reported, not raised, so one bad trait cannot stop a visitor's
        other identities."""
        ...
