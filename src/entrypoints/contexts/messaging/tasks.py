"""Messaging part: tasks (see __init__)."""

from __future__ import annotations

from entrypoints.contexts.messaging.part import Part

PART = Part()
