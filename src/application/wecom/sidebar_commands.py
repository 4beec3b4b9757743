"""Commands and answers of chat-sidebar materials (聊天侧边栏素材, WECOM-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from application.wecom.follow_up_commands import ToDo

MaterialKind = Literal["script", "image", "link", "file", "miniprogram"]


class MaterialFields(Command):
    """A script's text (话术, ≤ 4,000 bytes; a link's or file's description), and the
    references a sidebar sends: url, picurl (a link's cover), desc, media_id (uploaded
    to WeCom: an image, a file, a mini program's cover), appid and page (a mini
    program), file_name."""

    text: str = Field(default="", max_length=4000, examples=["您好，我是火客科技的顾问"])
    url: str = Field(default="", max_length=2048)
    picurl: str = Field(default="", max_length=2048)
    desc: str = Field(default="", max_length=512)
    media_id: str = Field(default="", max_length=256)
    appid: str = Field(default="", max_length=64)
    page: str = Field(default="", max_length=256)
    file_name: str = Field(default="", max_length=256)


class AddMaterial(Command):
    title: str = Field(min_length=1, max_length=64, examples=["开场白"])
    kind: MaterialKind = "script"
    fields: MaterialFields = Field(default_factory=MaterialFields)
    folder: str = Field(default="", max_length=200, description='"产品介绍/价格": ≤ 3 levels')
    position: int = Field(default=0, ge=0, le=100_000)
    enabled: bool = True


class ReviseMaterial(Command):
    """What to change; omitted stays (the kind stays)."""

    title: str | None = Field(default=None, min_length=1, max_length=64)
    fields: MaterialFields | None = None
    folder: str | None = Field(default=None, max_length=200)
    position: int | None = Field(default=None, ge=0, le=100_000)


class SwitchMaterial(Command):
    enabled: bool


class SidebarMaterialDetails(BaseModel):
    id: UUID
    title: str
    kind: MaterialKind
    fields: MaterialFields
    folder: str
    position: int
    enabled: bool
    version: int
    created_at: datetime


class SidebarFolder(BaseModel):
    folder: str  # "" is the top
    materials: int


class SidebarView(BaseModel):
    """What the chat sidebar (an H5 page inside WeCom) shows: the folders, the enabled
    materials of the chosen one (or of a search), and, in a chat with a customer, the
    employee's open to-dos about them."""

    folders: list[SidebarFolder]
    materials: list[SidebarMaterialDetails]
    next_cursor: str | None
    to_dos: list[ToDo]
