"""Chat-sidebar materials (聊天侧边栏素材, WECOM-2): what an employee picks from the
sidebar of a WeCom chat and sends to the customer — text scripts (话术), images, links,
files and mini-program cards — filed in folders (分类), each on or off.

A material holds references, not the bytes: an image or file is a WeCom media_id or a
URL, a link its URL and cover, a mini program its appid, page and cover media_id.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue
from domain.shared.text import required_text

MAX_TITLE = 64
MAX_SCRIPT = 4000  # a script is sent as a text message: WeCom's 4,000-byte text
MAX_DESC = 512
MAX_URL = 2048
MAX_FOLDER = 64
FOLDER_DEPTH = 3
MAX_REF = 256
ROOT = ""  # materials outside any folder


class MaterialKind(StrEnum):
    SCRIPT = "script"  # 话术: text the employee sends (or edits, then sends)
    IMAGE = "image"
    LINK = "link"
    FILE = "file"
    MINIPROGRAM = "miniprogram"


_REFS = ("url", "picurl", "desc", "media_id", "appid", "page", "file_name")
_NEEDS = {
    MaterialKind.SCRIPT: ("text",),
    MaterialKind.IMAGE: (),  # media_id or url
    MaterialKind.LINK: ("url",),
    MaterialKind.FILE: (),  # media_id or url
    MaterialKind.MINIPROGRAM: ("appid", "page", "media_id"),
}


def checked_folder(folder: str | None) -> str:
    """A folder path such as "产品介绍/价格" (up to 3 levels); "" is the top."""
    parts = [p.strip() for p in (folder or "").split("/") if p.strip()]
    if len(parts) > FOLDER_DEPTH:
        raise InvalidValue(f"folders nest at most {FOLDER_DEPTH} deep", field="folder")
    for part in parts:
        if len(part) > MAX_FOLDER:
            raise InvalidValue(f"a folder name is at most {MAX_FOLDER} characters", field="folder")
    return "/".join(parts)


def checked_body(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The material's kind, text and references, refused when a sidebar could not send
    it (a script without text, a link without URL, …)."""
    try:
        chosen = MaterialKind(kind)
    except ValueError:
        raise InvalidValue(
            "kind must be script, image, link, file or miniprogram", field="kind"
        ) from None
    text = str(fields.get("text") or "").strip()
    if len(text.encode("utf-8")) > MAX_SCRIPT:
        raise InvalidValue(f"the text is at most {MAX_SCRIPT} bytes", field="text")
    refs = {name: str(fields.get(name) or "").strip() for name in _REFS}
    for name in ("url", "picurl"):
        value = refs[name]
        if value and (len(value) > MAX_URL or not value.startswith(("https://", "http://"))):
            raise InvalidValue(f"{name} must be a web address", field=name)
    for name in ("desc",):
        if len(refs[name]) > MAX_DESC:
            raise InvalidValue(f"{name} is at most {MAX_DESC} characters", field=name)
    for name in ("media_id", "appid", "page", "file_name"):
        if len(refs[name]) > MAX_REF:
            raise InvalidValue(f"{name} is at most {MAX_REF} characters", field=name)
    for name in _NEEDS[chosen]:
        if not (text if name == "text" else refs[name]):
            raise InvalidValue(f"a {chosen.value} material needs {name}", field=name)
    if chosen in (MaterialKind.IMAGE, MaterialKind.FILE) and not (refs["media_id"] or refs["url"]):
        raise InvalidValue(f"a {chosen.value} needs a media_id or a url", field="media_id")
    return {"kind": chosen.value, "text": text, **{k: v for k, v in refs.items() if v}}


class SidebarMaterial(Aggregate):
    """One material of the chat sidebar."""

    TOPIC = "wecom.SidebarMaterial"
    Created = None  # type: ignore[assignment]
    if TYPE_CHECKING:
        Added: ClassVar[type[AggregateEvent]]
        Revised: ClassVar[type[AggregateEvent]]
        Enabled: ClassVar[type[AggregateEvent]]
        Disabled: ClassVar[type[AggregateEvent]]

    @classmethod
    def add(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        title: str,
        kind: str,
        fields: Mapping[str, Any],
        folder: str = ROOT,
        position: int = 0,
        enabled: bool = True,
    ) -> SidebarMaterial:
        return cls(
            id=id,
            tenant_id=tenant_id,
            title=required_text(title, field="title", max_length=MAX_TITLE),
            body=checked_body(kind, fields),
            folder=checked_folder(folder),
            position=_position(position),
            enabled=bool(enabled),
        )

    @event("Added", topic="wecom.SidebarMaterial.Added")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        title: str,
        body: dict[str, Any],
        folder: str,
        position: int,
        enabled: bool,
    ) -> None:
        self.tenant_id = tenant_id
        self.title = title
        self.body = body
        self.folder = folder
        self.position = position
        self.enabled = enabled

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    def revise(
        self,
        *,
        title: str | None = None,
        fields: Mapping[str, Any] | None = None,
        folder: str | None = None,
        position: int | None = None,
    ) -> bool:
        """New title, text and references (of the same kind), folder or place; what is
        omitted stays. True when anything changed."""
        new_title = required_text(title, field="title", max_length=MAX_TITLE) if title else None
        body = checked_body(self.kind, {**self.body, **fields}) if fields is not None else None
        new_folder = checked_folder(folder) if folder is not None else None
        new_position = _position(position) if position is not None else None
        after = (
            new_title or self.title,
            body or self.body,
            self.folder if new_folder is None else new_folder,
            self.position if new_position is None else new_position,
        )
        if after == (self.title, self.body, self.folder, self.position):
            return False
        self._revised(title=after[0], body=after[1], folder=after[2], position=after[3])
        return True

    @event("Revised", topic="wecom.SidebarMaterial.Revised")
    def _revised(self, title: str, body: dict[str, Any], folder: str, position: int) -> None:
        self.title = title
        self.body = body
        self.folder = folder
        self.position = position

    def switch(self, enabled: bool) -> bool:
        """On (shown in the sidebar) or off; False when it already was."""
        if enabled == self.enabled:
            return False
        if enabled:
            self._enabled()
        else:
            self._disabled()
        return True

    @event("Enabled", topic="wecom.SidebarMaterial.Enabled")
    def _enabled(self) -> None:
        self.enabled = True

    @event("Disabled", topic="wecom.SidebarMaterial.Disabled")
    def _disabled(self) -> None:
        self.enabled = False


def _position(position: int) -> int:
    if isinstance(position, bool) or not 0 <= int(position) <= 100_000:
        raise InvalidValue("position is 0 to 100000", field="position")
    return int(position)
