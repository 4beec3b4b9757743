"""The leads application as identity stitching's `LeadIdentities`: a person seen by the
tracking context becomes, or matches, a lead through the one intake every other channel
uses (`Leads.create_lead`, company-wide: it is the system's own work)."""

from __future__ import annotations

import logging
from uuid import UUID

from pydantic import ValidationError

from application.leads.commands import AttachIdentity, CreateLead
from application.leads.leads import Leads
from application.leads.scope import LeadScope
from application.shared.errors import AlreadyExists, InvalidInput, NotFound
from application.tracking.ports import LeadFound, PersonSeen
from domain.shared.errors import InvalidValue, StateConflict

log = logging.getLogger("huoke.tracking.stitching")

TRACKING_SOURCE = "网站追踪"  # level-1 source of leads first seen by tracking
# The longest value LeadInput takes for each identity: a longer one is refused, never cut
# (a cut identity would be somebody else's).
IDENTITY_LENGTHS = {
    "mobile": 32,
    "email": 254,
    "wechat_openid": 128,
    "wechat_unionid": 128,
    "member_id": 128,
}
PROFILE_LENGTHS = {"name": 100, "company": 200, "city": 100, "title": 100}
SOURCE_LENGTH = 500


class LeadsAsIdentities:
    """Finds or creates the lead of a person for identity stitching."""

    def __init__(self, leads: Leads) -> None:
        self.leads = leads

    def lead_for(self, person: PersonSeen) -> LeadFound:
        refused = [k for k, v in person.identities.items() if len(v) > IDENTITY_LENGTHS.get(k, 0)]
        identities = {k: v for k, v in person.identities.items() if k not in refused}
        profile = {
            key: value[: PROFILE_LENGTHS[key]]
            for key, value in person.profile.items()
            if key in PROFILE_LENGTHS
        }
        source = {
            "level1": TRACKING_SOURCE,
            "channel": person.channel,
            "landing_url": person.landing_url,
            "referrer": person.referrer,
        }
        source = {k: v[:SOURCE_LENGTH] for k, v in source.items() if v}
        scope = LeadScope.whole_company(person.tenant_id)
        if person.known_lead_id is not None:
            joined = self._join(scope, person.known_lead_id, identities, refused)
            if joined is not None:
                return LeadFound(joined, tuple(refused))
        # Each refusal takes one thing out (an identity, the profile, the source's
        # level 1) and tries again, so this ends after a few attempts.
        while identities:
            try:
                command = CreateLead.model_validate({**identities, **profile, "source": source})
                return LeadFound(self.leads.create_lead(scope, command).lead.id, tuple(refused))
            except (InvalidInput, InvalidValue) as error:
                field = error.field or ""
            except ValidationError as error:
                field = str(error.errors()[0]["loc"][0]) if error.errors() else ""
            if field in identities:
                refused.append(field)
                del identities[field]
            elif field.startswith("source") and "level1" in source:
                # The tenant keeps its own list of sources and 网站追踪 is not on it.
                source = {k: v for k, v in source.items() if k not in ("level1", "level2")}
            elif profile:
                profile = {}
            else:
                log.warning(
                    "tenant %s: no lead for a tracked person: %s refused", person.tenant_id, field
                )
                break
        return LeadFound(None, tuple(refused))

    def _join(
        self, scope: LeadScope, known: UUID, identities: dict[str, str], refused: list[str]
    ) -> UUID | None:
        """The known lead with `identities` attached; None when one of them is another
        lead's (then matching decides) or the known lead is gone."""
        lead_id = self._live(scope, known)
        if lead_id is None:
            return None
        for kind, value in list(identities.items()):
            try:
                self.leads.attach_identity(scope, lead_id, AttachIdentity(kind=kind, value=value))  # type: ignore[arg-type]
            except AlreadyExists:
                return None
            except (InvalidInput, InvalidValue, ValidationError):
                refused.append(kind)
                del identities[kind]
            except StateConflict:
                return None
        return lead_id if identities else None

    def _live(self, scope: LeadScope, lead_id: UUID) -> UUID | None:
        """The live lead `lead_id` is now (a merged one's survivor); None if deleted."""
        for _ in range(10):
            try:
                details = self.leads.lead(scope, lead_id)
            except NotFound:
                return None
            if details.merged_into is None:
                return None if details.deleted else lead_id
            lead_id = details.merged_into
        return None
