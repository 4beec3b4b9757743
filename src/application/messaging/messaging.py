"""The messaging application: one events table for every messaging aggregate."""

from __future__ import annotations

from application.shared.event_sourced import EventSourcedContext


class Messaging(EventSourcedContext):
    """Keeps e-mail and SMS tasks, templates, sending domains and SMS signatures."""

    name = "messaging"
