"""The WeChat application: one events table for the Official Account context's
decisions (accounts, mass sends). Callbacks, fans' actions and sends are observations
and go to the behaviour log (DESIGN "Two kinds of facts")."""

from __future__ import annotations

from application.shared.event_sourced import EventSourcedContext


class Wechat(EventSourcedContext):
    """The event store of the WeChat Official Account context."""

    name = "wechat"
