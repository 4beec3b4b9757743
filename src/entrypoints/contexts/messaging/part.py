"""One part of the messaging context (tasks, mail transport, content, SMS): the shared
`Part` of contexts wired in parts."""

from __future__ import annotations

from entrypoints.contexts.parts import Part

__all__ = ["Part"]
