"""The tables of the segments' profile read model (`SegmentProfiles`): one row per lead
with what filters read (the lead list's columns, the scores), its custom fields, tags,
consent and its behaviours (stitched to it as the lead timeline's are).

Filters compile to SQL over these tables (`segments_leads l`, EXISTS over the others)
and `ProfileQueries.facts_of` builds a lead's in-memory facts from the same rows, so
both ways of evaluating see the same data. Every table is tenant-first; ids are text,
times iso() text (text order is time order).

Consent states are the filter language's: `granted` (subscribed) or `withdrawn`
(unsubscribed, suppressed); no row: nothing said (`unknown`).

`changed` on a lead row is a position, increasing across the whole view, of the lead's
latest change (any field, tag, consent, score or behaviour): group maintenance reads
the leads changed after the position it has seen (`ProfileQueries.changed_after`).
"""

from __future__ import annotations

from application.shared.lead_behaviours import stitched_indexes, stitched_tables
from application.shared.tenant_rows import RecordTenants

PREFIX = "segments"
LEADS = "segments_leads"
FIELDS = "segments_fields"
TAGS = "segments_tags"
CONSENT = "segments_consent"
BEHAVIOURS_TABLE = "segments_behaviours"

# A behaviour row's own columns besides the stitching ones (LeadBehaviours).
BEHAVIOUR_COLUMNS = (
    "kind TEXT NOT NULL, name TEXT NOT NULL, channel TEXT NOT NULL, properties TEXT,"
)

RECORD_TENANTS = RecordTenants("segments_record_tenants")

TABLES: dict[str, str] = {
    LEADS: "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, live INTEGER NOT NULL, "
    "user_type TEXT, status TEXT, pool_state TEXT, owner_id TEXT, "
    "source_level1 TEXT, source_level2 TEXT, "
    "name TEXT, mobile TEXT, email TEXT, company TEXT, city TEXT, title TEXT, "
    "score INTEGER NOT NULL DEFAULT 0, behaviour_score INTEGER NOT NULL DEFAULT 0, "
    "profile_score INTEGER NOT NULL DEFAULT 0, behaviour_band TEXT, profile_band TEXT, "
    "stage TEXT, temperature TEXT, created_at TEXT NOT NULL, last_seen_at TEXT, "
    "changed INTEGER NOT NULL DEFAULT 0, "
    "PRIMARY KEY (tenant_id, lead_id)",
    # Custom fields, `key` without "custom."; number_value when the value is a number
    # or numeric text (range compares numbers then), text_value always.
    FIELDS: "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, key TEXT NOT NULL, "
    "text_value TEXT, number_value REAL, PRIMARY KEY (tenant_id, lead_id, key)",
    TAGS: "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, tag TEXT NOT NULL, "
    "PRIMARY KEY (tenant_id, lead_id, tag)",
    CONSENT: "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, channel TEXT NOT NULL, "
    "state TEXT NOT NULL, PRIMARY KEY (tenant_id, lead_id, channel)",
    # segments_behaviours (tenant_id, position, at, user_visitor, anonymous_visitor,
    # given_lead_id, lead_id, linked_by, kind, name, channel, properties),
    # segments_visitors, segments_merges
    **stitched_tables(PREFIX, BEHAVIOUR_COLUMNS),
    **RECORD_TENANTS.definition,
}

# The lead indexes hold live leads only: every filter asks `l.live = 1`; updates go by
# the primary key.
INDEXES: dict[str, str] = {
    "segments_leads_created": f"{LEADS} (tenant_id, created_at) WHERE live = 1",
    "segments_leads_seen": f"{LEADS} (tenant_id, last_seen_at) WHERE live = 1",
    "segments_leads_score": f"{LEADS} (tenant_id, score) WHERE live = 1",
    "segments_leads_bands": f"{LEADS} (tenant_id, behaviour_band, profile_band) WHERE live = 1",
    "segments_leads_stage": f"{LEADS} (tenant_id, stage) WHERE live = 1",
    "segments_leads_status": f"{LEADS} (tenant_id, status) WHERE live = 1",
    "segments_leads_owner": f"{LEADS} (tenant_id, owner_id) WHERE live = 1",
    "segments_leads_source": f"{LEADS} (tenant_id, source_level1, source_level2) WHERE live = 1",
    "segments_leads_changed": f"{LEADS} (changed)",
    "segments_fields_text": f"{FIELDS} (tenant_id, key, text_value)",
    "segments_fields_number": f"{FIELDS} (tenant_id, key, number_value)",
    "segments_tags_tag": f"{TAGS} (tenant_id, tag, lead_id)",
    "segments_consent_state": f"{CONSENT} (tenant_id, channel, state, lead_id)",
    **stitched_indexes(PREFIX),  # segments_by_lead: (tenant_id, lead_id, at, position) …
    # "did K (within N days)" from a lead, and "who did K lately" from the behaviours
    "segments_behaviours_lead_kind": f"{BEHAVIOURS_TABLE} (tenant_id, lead_id, kind, at)",
    "segments_behaviours_kind_at": f"{BEHAVIOURS_TABLE} (tenant_id, kind, at, lead_id)",
}
