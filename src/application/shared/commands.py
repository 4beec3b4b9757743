"""The base of every context's commands: validated at the edge, frozen, no extra fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
