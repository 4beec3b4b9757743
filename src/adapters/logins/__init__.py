"""Adapters of the logins context."""
