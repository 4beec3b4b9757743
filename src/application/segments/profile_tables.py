"""The tables of the segments' profile read model (`SegmentProfiles`): one row per lead
with what filters read (the lead list's columns, the scores), its custom fields, tags,
consent and its behaviours (stitched to it as the lead timeline's are).

Filters compile to SQL over these tables (`segments_leads l`, EXISTS over the others)
and `ProfileQueries.facts_of` builds a lead's in-memory facts from the same rows, so
both ways of evaluating see the same data. Every table is tenant-first; ids are text,
times iso() text (text order is time order).

- Custom fields: `text_value, number_value` = `custom_field_columns(value)` of the
  filter language (text always: numbers as Python's `str`, booleans "true"/"false";
  the number when the text reads as one, `number_of`). In-memory facts carry the text
  (`custom.<key>` -> text_value) and read numbers from it with the same rule.
- Consent: the leads' state per channel as stored (subscribed, unsubscribed,
  suppressed); the filter language maps granted/withdrawn onto them; no row: nothing
  said (`unknown`).
- Behaviour `properties`: a JSON object of the behaviour's scalar, non-personal
  properties (NULL for identify and alias: traits and previous ids are personal).
- `changed` on a lead row is a position (BIGINT: microseconds, made strictly
  increasing across the whole view and across rebuilds) of the lead's latest change
  (any field, tag, consent, score or behaviour): group maintenance reads the leads
  changed after the position it has seen (`ProfileQueries.changed_after`).

The table names take a prefix so a test can keep a second copy next to the real one;
the real one is "segments" (`LEADS` = "segments_leads", …), which filter SQL names.
"""

from __future__ import annotations

from application.shared.lead_behaviours import stitched_indexes, stitched_tables
from domain.shared.filters import custom_field_columns, number_of

__all__ = ["custom_field_columns", "number_of", "profile_indexes", "profile_tables"]

PREFIX = "segments"
LEADS = f"{PREFIX}_leads"
FIELDS = f"{PREFIX}_fields"
TAGS = f"{PREFIX}_tags"
CONSENT = f"{PREFIX}_consent"
BEHAVIOURS_TABLE = f"{PREFIX}_behaviours"

# A behaviour row's own columns besides the stitching ones (LeadBehaviours).
BEHAVIOUR_COLUMNS = (
    "kind TEXT NOT NULL, name TEXT NOT NULL, channel TEXT NOT NULL, properties TEXT,"
)


def profile_tables(prefix: str = PREFIX) -> dict[str, str]:
    """The read model's tables (record tenants apart)."""
    return {
        f"{prefix}_leads": "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, "
        "live INTEGER NOT NULL, user_type TEXT, status TEXT, pool_state TEXT, owner_id TEXT, "
        "source_level1 TEXT, source_level2 TEXT, "
        "name TEXT, mobile TEXT, email TEXT, company TEXT, city TEXT, title TEXT, "
        "score INTEGER NOT NULL DEFAULT 0, behaviour_score INTEGER NOT NULL DEFAULT 0, "
        "profile_score INTEGER NOT NULL DEFAULT 0, behaviour_band TEXT, profile_band TEXT, "
        "stage TEXT, temperature TEXT, created_at TEXT NOT NULL, last_seen_at TEXT, "
        "changed BIGINT NOT NULL DEFAULT 0, "
        "PRIMARY KEY (tenant_id, lead_id)",
        # Custom fields, `key` without "custom."
        f"{prefix}_fields": "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, key TEXT NOT NULL, "
        "text_value TEXT, number_value REAL, PRIMARY KEY (tenant_id, lead_id, key)",
        f"{prefix}_tags": "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, tag TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, lead_id, tag)",
        f"{prefix}_consent": "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, "
        "channel TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (tenant_id, lead_id, channel)",
        # <prefix>_behaviours (tenant_id, position, at, user_visitor, anonymous_visitor,
        # given_lead_id, lead_id, linked_by, kind, name, channel, properties),
        # <prefix>_visitors, <prefix>_merges
        **stitched_tables(prefix, BEHAVIOUR_COLUMNS),
    }


def profile_indexes(prefix: str = PREFIX) -> dict[str, str]:
    """The lead indexes hold live leads only: every filter asks `l.live = 1`; updates go
    by the primary key."""
    leads, behaviours = f"{prefix}_leads", f"{prefix}_behaviours"
    return {
        f"{prefix}_leads_created": f"{leads} (tenant_id, created_at) WHERE live = 1",
        f"{prefix}_leads_seen": f"{leads} (tenant_id, last_seen_at) WHERE live = 1",
        f"{prefix}_leads_score": f"{leads} (tenant_id, score) WHERE live = 1",
        f"{prefix}_leads_bands": f"{leads} (tenant_id, behaviour_band, profile_band) "
        "WHERE live = 1",
        f"{prefix}_leads_stage": f"{leads} (tenant_id, stage) WHERE live = 1",
        f"{prefix}_leads_status": f"{leads} (tenant_id, status) WHERE live = 1",
        f"{prefix}_leads_owner": f"{leads} (tenant_id, owner_id) WHERE live = 1",
        f"{prefix}_leads_source": f"{leads} (tenant_id, source_level1, source_level2) "
        "WHERE live = 1",
        f"{prefix}_leads_changed": f"{leads} (changed)",
        f"{prefix}_fields_text": f"{prefix}_fields (tenant_id, key, text_value)",
        f"{prefix}_fields_number": f"{prefix}_fields (tenant_id, key, number_value)",
        f"{prefix}_tags_tag": f"{prefix}_tags (tenant_id, tag, lead_id)",
        f"{prefix}_consent_state": f"{prefix}_consent (tenant_id, channel, state, lead_id)",
        **stitched_indexes(prefix),  # <prefix>_by_lead: (tenant_id, lead_id, at, position) …
        # "did K (within N days)" from a lead, and "who did K lately" from the behaviours
        f"{prefix}_behaviours_lead_kind": f"{behaviours} (tenant_id, lead_id, kind, at)",
        f"{prefix}_behaviours_kind_at": f"{behaviours} (tenant_id, kind, at, lead_id)",
    }


TABLES = profile_tables()
INDEXES = profile_indexes()
