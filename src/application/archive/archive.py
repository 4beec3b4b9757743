"""The archive application: one events table for the archive's decisions (settings and
keys, word lists, reply rules, the record of reads). Messages go to the behaviour log."""

from __future__ import annotations

from application.shared.event_sourced import EventSourcedContext


class Archive(EventSourcedContext):
    """The event store of the session archive context."""

    name = "archive"
