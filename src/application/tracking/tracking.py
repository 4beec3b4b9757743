"""The tracking context's event store: its decisions (sources and write keys, promotion
links, visitors identified, ad campaigns), one application as for every context.

The use cases are families of their own (`sources.TrackingSources`,
`links.PromotionLinks`, `stitching.Visitors`…) that commit through this application,
so each family reads in one file. Observations never come here: they go to the
behaviour log (`application.shared.behaviours`).
"""

from __future__ import annotations

from application.shared.event_sourced import EventSourcedContext


class Tracking(EventSourcedContext):
    """The event store of the tracking context."""

    name = "tracking"
