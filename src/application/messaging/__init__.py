"""Messaging (MAIL, SMS): tasks, templates, sending domains, signatures, the crash-safe
send pipeline, bounces, unsubscribes, receipts and reports (ADR 0015)."""
