"""Chat-sidebar materials (聊天侧边栏素材, WECOM-2): head office files scripts, images,
links, files and mini-program cards in folders; employees pick them from the sidebar of
a WeCom chat (an H5 page WeCom opens beside the chat, which calls `sidebar`), where the
employee's open to-dos about the customer of the chat show too."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from application.shared.callers import TenantCaller
from application.shared.errors import VersionConflict
from application.shared.pages import Page
from application.wecom.follow_up_commands import ToDo
from application.wecom.sidebar_commands import (
    AddMaterial,
    MaterialFields,
    ReviseMaterial,
    SidebarFolder,
    SidebarMaterialDetails,
    SidebarView,
)
from application.wecom.sidebar_directory import SidebarQueries
from application.wecom.wecom import Wecom
from domain.wecom.sidebar import SidebarMaterial

SIDEBAR_TO_DOS = 20


class CustomerToDos(Protocol):
    """The caller's open to-dos about one customer (`FollowUps.to_dos`)."""

    def to_dos(
        self,
        caller: TenantCaller,
        *,
        status: str = "open",
        userid: str | None = None,
        about_id: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[ToDo]: ...


class SidebarMaterials:
    """The materials' use cases, and what the chat sidebar shows."""

    def __init__(self, wecom: Wecom, queries: SidebarQueries, to_dos: CustomerToDos) -> None:
        self.wecom = wecom
        self.queries = queries
        self.to_dos = to_dos

    def add(self, tenant_id: UUID, command: AddMaterial) -> SidebarMaterialDetails:
        material_id = self.wecom.new_id("wecom_sidebar_material")
        if material_id in self.wecom.repository:  # a repeated Idempotency-Key
            return self.material(tenant_id, material_id)
        material = SidebarMaterial.add(
            id=material_id,
            tenant_id=tenant_id,
            title=command.title,
            kind=command.kind,
            fields=command.fields.model_dump(),
            folder=command.folder,
            position=command.position,
            enabled=command.enabled,
        )
        return material_details(self.wecom.create(material))

    def material(self, tenant_id: UUID, material_id: UUID) -> SidebarMaterialDetails:
        return material_details(self._load(tenant_id, material_id))

    def revise(
        self,
        tenant_id: UUID,
        material_id: UUID,
        command: ReviseMaterial,
        *,
        expected_version: int | None = None,
    ) -> SidebarMaterialDetails:
        material = self._load(tenant_id, material_id, expected_version)
        fields = command.fields.model_dump(exclude_unset=True) if command.fields else None
        if material.revise(
            title=command.title, fields=fields, folder=command.folder, position=command.position
        ):
            self.wecom.commit(material)
        return material_details(material)

    def switch(
        self,
        tenant_id: UUID,
        material_id: UUID,
        enabled: bool,
        *,
        expected_version: int | None = None,
    ) -> SidebarMaterialDetails:
        """Show it in the sidebar, or not (it stays in the library)."""
        material = self._load(tenant_id, material_id, expected_version)
        if material.switch(enabled):
            self.wecom.commit(material)
        return material_details(material)

    def materials(
        self,
        tenant_id: UUID,
        *,
        folder: str | None = None,
        kind: str | None = None,
        enabled: bool | None = None,
        query: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[SidebarMaterialDetails]:
        page = self.queries.materials(
            tenant_id,
            folder=folder,
            kind=kind,
            enabled=enabled,
            query=query,
            cursor=cursor,
            limit=limit,
        )
        return Page([_listed(row) for row in page.items], page.next_cursor)

    def folders(self, tenant_id: UUID) -> list[SidebarFolder]:
        return [
            SidebarFolder(folder=f, materials=n)
            for f, n in self.queries.folders(tenant_id, enabled_only=False).items()
        ]

    def sidebar(
        self,
        caller: TenantCaller,
        *,
        folder: str = "",
        query: str | None = None,
        external_userid: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> SidebarView:
        """What the chat sidebar shows the caller: the folders of enabled materials,
        those of `folder` and its sub-folders (or, searching, of every folder), and in
        a chat with `external_userid` the caller's open to-dos about that customer."""
        page = self.queries.materials(
            caller.tenant_id,
            folder=None if query else folder,
            within=True,
            enabled=True,
            query=query,
            cursor=cursor,
            limit=limit,
        )
        to_dos: list[ToDo] = []
        if external_userid:
            to_dos = self.to_dos.to_dos(
                caller, about_id=external_userid, cursor=None, limit=SIDEBAR_TO_DOS
            ).items
        return SidebarView(
            folders=[
                SidebarFolder(folder=f, materials=n)
                for f, n in self.queries.folders(caller.tenant_id, enabled_only=True).items()
            ],
            materials=[_listed(row) for row in page.items],
            next_cursor=page.next_cursor,
            to_dos=to_dos,
        )

    def _load(
        self, tenant_id: UUID, material_id: UUID, expected_version: int | None = None
    ) -> SidebarMaterial:
        material = self.wecom.load(material_id, SidebarMaterial, tenant_id=tenant_id)
        if expected_version is not None and material.version != expected_version:
            raise VersionConflict(
                f"SidebarMaterial is at version {material.version}, not {expected_version}"
            )
        return material


def material_details(material: SidebarMaterial) -> SidebarMaterialDetails:
    return SidebarMaterialDetails(
        id=material.id,
        title=material.title,
        kind=material.kind,  # type: ignore[arg-type]
        fields=MaterialFields(**{k: v for k, v in material.body.items() if k != "kind"}),
        folder=material.folder,
        position=material.position,
        enabled=material.enabled,
        version=material.version,
        created_at=material.created_on,
    )


def _listed(row: dict[str, object]) -> SidebarMaterialDetails:
    return SidebarMaterialDetails.model_validate(row)
