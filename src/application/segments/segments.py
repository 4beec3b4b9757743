"""The segments context's event store: groups, memberships and saved searches, one
application as for every context.

The use cases are families of their own (`groups`, `saved_searches`…) that commit
through this application, so each family reads in one file.
"""

from __future__ import annotations

from application.shared.event_sourced import EventSourcedContext


class Segments(EventSourcedContext):
    """The event store of the segments context."""

    name = "segments"
