"""Leads adapters: how owners are notified."""
