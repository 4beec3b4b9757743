"""Commands and answers of saved searches (SEG-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from application.segments.filter_model import FilterTree
from application.shared.commands import Command
from domain.segments.saved_search import MAX_NAME

FILTER_DESCRIPTION = (
    "a filter tree: {'all': [...]}, {'any': [...]}, {'not': ...} or a condition "
    "({'field', 'op', 'value'} or {'behaviour': {...}, 'did': true})"
)


class SaveSearch(Command):
    name: str = Field(min_length=1, max_length=MAX_NAME, examples=["近30天活跃的高意向客户"])
    filter: FilterTree = Field(description=FILTER_DESCRIPTION)


class ReviseSearch(Command):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    filter: FilterTree | None = Field(default=None, description=FILTER_DESCRIPTION)


class SavedSearchDetails(BaseModel):
    id: UUID
    name: str
    filter: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
