"""Audit (AUD): the operation log of configuration changes, over every event store."""
