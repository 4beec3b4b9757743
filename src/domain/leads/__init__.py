"""Leads (LEAD, SEG, SCORE): marketing users, their identities, pool and consent."""
