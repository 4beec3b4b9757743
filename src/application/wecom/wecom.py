"""The WeCom application: one events table for the SCRM context's decisions (the bound
corp, live codes, mass-send tasks, follow-up tasks, customer transfers). Callbacks and
customers' actions are observations and go to the behaviour log."""

from __future__ import annotations

from application.shared.event_sourced import EventSourcedContext


class Wecom(EventSourcedContext):
    """The event store of the WeCom SCRM context."""

    name = "wecom"
