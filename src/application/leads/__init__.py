"""Leads (LEAD): intake, identities, cleaning, pool, timeline and consent."""
