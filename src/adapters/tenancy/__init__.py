"""Tenancy adapters: the plan catalogue file and the payment providers (WeChat Pay, Alipay)."""
