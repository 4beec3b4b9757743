"""Routes of WeCom follow-up tasks and to-dos (跟进任务, WECOM-2), the chat-sidebar
material library (侧边栏素材) and what the chat sidebar shows.

The library is marketing content: it is managed by whoever manages mass sends (the
`wecom_mass_sends` resource); the sidebar and the to-dos are the front line's
(`wecom_tasks`, each caller within their data scope)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from application.wecom.follow_up_commands import (
    AssignFollowUp,
    CancelFollowUp,
    CompleteFollowUp,
    FollowUpDetails,
    FollowUpRow,
    ReopenFollowUp,
    RescheduleFollowUp,
    ToDo,
)
from application.wecom.follow_ups import FollowUps
from application.wecom.sidebar_commands import (
    AddMaterial,
    ReviseMaterial,
    SidebarFolder,
    SidebarMaterialDetails,
    SidebarView,
    SwitchMaterial,
)
from application.wecom.sidebar_materials import SidebarMaterials
from domain.shared.access import Action
from entrypoints.http.conventions import (
    OPTIONAL_IF_MATCH,
    ListOf,
    get,
    page_of,
    patch,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

ToDoStatus = Annotated[
    Literal["open", "overdue", "done", "all"],
    Parameter(query="status", description="open, overdue (open past due), done or all"),
]
Userid = Annotated[str | None, Parameter(query="userid", max_length=64)]
AboutId = Annotated[
    str | None,
    Parameter(query="about_id", max_length=128, description="a customer's or group's id"),
]
Folder = Annotated[str | None, Parameter(query="folder", max_length=200)]
Query = Annotated[str | None, Parameter(query="q", max_length=50)]


class WecomFollowUpController(Controller):
    path = "/api/v1/wecom/follow-ups"
    tags = ["wecom"]
    guards = [tenant_may("wecom_tasks")]
    dependencies = OPTIONAL_IF_MATCH

    @get("/", operation_id="listWecomFollowUps")
    def list_tasks(
        self,
        wecom_follow_ups: FollowUps,
        caller: TenantCaller,
        in_state: Annotated[
            Literal["open", "done", "cancelled"] | None, Parameter(query="state")
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[FollowUpRow]:
        """Tasks with an assignee in the caller's scope, newest first."""
        return page_of(wecom_follow_ups.tasks(caller, state=in_state, cursor=cursor, limit=limit))

    @post("/", operation_id="assignWecomFollowUp", may=Action.CREATE)
    def assign(
        self, data: AssignFollowUp, wecom_follow_ups: FollowUps, caller: TenantCaller
    ) -> Response[FollowUpDetails]:
        """Assign a to-do (or an SOP step) about a customer or a group to employees
        (WeCom userids), each doing their own part; 403 naming one outside the
        caller's data scope."""
        return with_etag(wecom_follow_ups.assign(caller, data), status_code=201)

    @get("/to-dos", operation_id="listWecomToDos")
    def to_dos(
        self,
        wecom_follow_ups: FollowUps,
        caller: TenantCaller,
        status: ToDoStatus = "open",
        userid: Userid = None,
        about_id: AboutId = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[ToDo]:
        """To-dos of the caller's scope by due time (none due last)."""
        return page_of(
            wecom_follow_ups.to_dos(
                caller, status=status, userid=userid, about_id=about_id, cursor=cursor,
                limit=limit,
            )
        )  # fmt: skip

    @get("/to-do-counts", operation_id="countWecomToDos")
    def counts(
        self, wecom_follow_ups: FollowUps, caller: TenantCaller
    ) -> dict[str, dict[str, int]]:
        """Open, overdue and done to-dos per employee of the caller's scope."""
        return wecom_follow_ups.counts(caller)

    @get("/{follow_up_id:uuid}", operation_id="getWecomFollowUp")
    def get_task(
        self, follow_up_id: UUID, wecom_follow_ups: FollowUps, caller: TenantCaller
    ) -> Response[FollowUpDetails]:
        """One task with each assignee's result."""
        return with_etag(wecom_follow_ups.task(caller, follow_up_id))

    @post(
        "/{follow_up_id:uuid}/done",
        operation_id="completeWecomFollowUp",
        status_code=200,
        may=Action.CLOSE,
    )
    def complete(
        self,
        follow_up_id: UUID,
        data: CompleteFollowUp,
        wecom_follow_ups: FollowUps,
        caller: TenantCaller,
    ) -> Response[FollowUpDetails]:
        """One assignee's part done (the caller's own member when `userid` is omitted);
        a repeat changes nothing."""
        return with_etag(wecom_follow_ups.complete(caller, follow_up_id, data))

    @post("/{follow_up_id:uuid}/reopen", operation_id="reopenWecomFollowUp", status_code=200)
    def reopen(
        self,
        follow_up_id: UUID,
        data: ReopenFollowUp,
        wecom_follow_ups: FollowUps,
        caller: TenantCaller,
    ) -> Response[FollowUpDetails]:
        """Take back an assignee's done mark: their part is open again."""
        return with_etag(wecom_follow_ups.reopen(caller, follow_up_id, data))

    @post(
        "/{follow_up_id:uuid}/reschedule", operation_id="rescheduleWecomFollowUp", status_code=200
    )
    def reschedule(
        self,
        follow_up_id: UUID,
        data: RescheduleFollowUp,
        wecom_follow_ups: FollowUps,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[FollowUpDetails]:
        """A new due time and reminder (If-Match optional)."""
        return with_etag(
            wecom_follow_ups.reschedule(
                caller, follow_up_id, data, expected_version=expected_version
            )
        )

    @post("/{follow_up_id:uuid}/cancel", operation_id="cancelWecomFollowUp", status_code=200)
    def cancel(
        self,
        follow_up_id: UUID,
        data: CancelFollowUp,
        wecom_follow_ups: FollowUps,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[FollowUpDetails]:
        """Cancel an open follow-up task: nobody is to do it any more (what was done
        stays)."""
        return with_etag(
            wecom_follow_ups.cancel(caller, follow_up_id, data, expected_version=expected_version)
        )


class WecomSidebarMaterialController(Controller):
    path = "/api/v1/wecom/sidebar-materials"
    tags = ["wecom"]
    guards = [tenant_may("wecom_mass_sends")]
    dependencies = OPTIONAL_IF_MATCH

    @get("/", operation_id="listWecomSidebarMaterials")
    def list_materials(
        self,
        wecom_sidebar_materials: SidebarMaterials,
        caller: TenantCaller,
        folder: Folder = None,
        kind: Literal["script", "image", "link", "file", "miniprogram"] | None = None,
        enabled: bool | None = None,
        q: Query = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[SidebarMaterialDetails]:
        """The library by folder and place."""
        return page_of(
            wecom_sidebar_materials.materials(
                caller.tenant_id, folder=folder, kind=kind, enabled=enabled, query=q,
                cursor=cursor, limit=limit,
            )
        )  # fmt: skip

    @get("/folders", operation_id="listWecomSidebarFolders")
    def folders(
        self, wecom_sidebar_materials: SidebarMaterials, caller: TenantCaller
    ) -> list[SidebarFolder]:
        """The library's folders, each with how many materials it holds."""
        return wecom_sidebar_materials.folders(caller.tenant_id)

    @post("/", operation_id="addWecomSidebarMaterial", may=Action.CREATE)
    def add(
        self, data: AddMaterial, wecom_sidebar_materials: SidebarMaterials, caller: TenantCaller
    ) -> Response[SidebarMaterialDetails]:
        """Add a sidebar material: a script, image, link, file or mini-program card
        (话术、图片、链接、文件、小程序), in a folder."""
        return with_etag(wecom_sidebar_materials.add(caller.tenant_id, data), status_code=201)

    @get("/{material_id:uuid}", operation_id="getWecomSidebarMaterial")
    def get_material(
        self, material_id: UUID, wecom_sidebar_materials: SidebarMaterials, caller: TenantCaller
    ) -> Response[SidebarMaterialDetails]:
        """One sidebar material of the library."""
        return with_etag(wecom_sidebar_materials.material(caller.tenant_id, material_id))

    @patch("/{material_id:uuid}", operation_id="reviseWecomSidebarMaterial")
    def revise(
        self,
        material_id: UUID,
        data: ReviseMaterial,
        wecom_sidebar_materials: SidebarMaterials,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[SidebarMaterialDetails]:
        """New title, text or references, folder or place (If-Match optional)."""
        return with_etag(
            wecom_sidebar_materials.revise(
                caller.tenant_id, material_id, data, expected_version=expected_version
            )
        )

    @post("/{material_id:uuid}/switch", operation_id="switchWecomSidebarMaterial", status_code=200)
    def switch(
        self,
        material_id: UUID,
        data: SwitchMaterial,
        wecom_sidebar_materials: SidebarMaterials,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[SidebarMaterialDetails]:
        """Show a material in the sidebar, or not."""
        return with_etag(
            wecom_sidebar_materials.switch(
                caller.tenant_id, material_id, data.enabled, expected_version=expected_version
            )
        )


class WecomSidebarController(Controller):
    path = "/api/v1/wecom/sidebar"
    tags = ["wecom"]
    guards = [tenant_may("wecom_tasks", Action.READ)]

    @get("/", operation_id="getWecomSidebar")
    def sidebar(
        self,
        wecom_sidebar_materials: SidebarMaterials,
        caller: TenantCaller,
        folder: Folder = None,
        q: Query = None,
        external_userid: Annotated[
            str | None,
            Parameter(query="external_userid", max_length=128, description="the chat's customer"),
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> SidebarView:
        """What the chat sidebar shows the caller, an H5 page WeCom opens beside a chat:
        the folders of enabled materials, the materials of `folder` and its sub-folders (or
        a search over all), and in a chat with `external_userid` the caller's open
        to-dos about that customer."""
        return wecom_sidebar_materials.sidebar(
            caller, folder=folder or "", query=q, external_userid=external_userid,
            cursor=cursor, limit=limit,
        )  # fmt: skip
