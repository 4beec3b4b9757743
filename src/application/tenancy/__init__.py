"""Tenancy (TEN): tenants, API keys, staff accounts and who is calling."""
