"""Adapters every context shares (the system clock)."""
