"""Credential hashing."""
