"""Messaging (MAIL-1…5, SMS-1…4, LEAD-9): e-mail and SMS tasks, templates, sending
domains, SMS signatures, and the lifecycle every send task shares."""
