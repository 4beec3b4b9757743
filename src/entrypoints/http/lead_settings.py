"""Lead settings routes (LEAD-2, LEAD-5, LEAD-6, LEAD-11, SEG-4): each tenant's custom
fields, sources and default owners, statuses, tags and user types.

Every answer is the whole settings with their version as ETag; changing or removing
an entry takes If-Match with that version, adding one does not (adding what is there
already changes nothing). Reading needs `leads` read; changing is the tenant admin's
(`tenant` update), since it changes what every lead write accepts, except the tag
catalogue, which those who may manage `tags` change (marketers, sales managers: SEG-4).
"""

from __future__ import annotations

from litestar import Controller, Response

from application.leads.settings import (
    AddSource,
    AddStatus,
    AddTag,
    AddTagGroup,
    AddUserType,
    ChangeCustomField,
    ChangeStatusSetting,
    DefineCustomField,
    LeadSettingsDetails,
    MarketingTarget,
    MarketingTargets,
    MoveTag,
    RenamedTag,
    RenameTag,
    RenameTagGroup,
    RenameUserType,
    SetDefaultOwner,
    TagRenames,
    TenantLeadSettings,
)
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.leads.permissions import TAGS
from domain.shared.access import Action
from entrypoints.http.conventions import (
    IF_MATCH,
    ListOf,
    delete,
    get,
    page_of,
    patch,
    post,
    put,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

READ = tenant_may("leads", Action.READ)
CONFIGURE = tenant_may("tenant", Action.UPDATE)
ADD_TAGS = tenant_may(TAGS, Action.CREATE)
CHANGE_TAGS = tenant_may(TAGS, Action.UPDATE)
REMOVE_TAGS = tenant_may(TAGS, Action.DELETE)
Answer = Response[LeadSettingsDetails]


class LeadSettingsController(Controller):
    path = "/api/v1/lead-settings"
    tags = ["lead settings"]
    dependencies = IF_MATCH

    @get("/", operation_id="getLeadSettings", guards=[READ])
    def get_settings(self, lead_settings: TenantLeadSettings, caller: TenantCaller) -> Answer:
        """The tenant's lead settings.

        Custom fields, sources, default owners, statuses, tag groups and user types; the
        `ETag` is the version every change to them sends as `If-Match`."""
        return with_etag(lead_settings.settings(caller.tenant_id))

    # --- custom fields -------------------------------------------------------------------

    @post("/custom-fields", operation_id="defineCustomField", guards=[CONFIGURE])
    def define_field(
        self, data: DefineCustomField, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """Define a custom field: text, number, date or single-select (with `options`)."""
        return with_etag(lead_settings.define_field(caller.tenant_id, data), 201)

    @patch("/custom-fields/{field_key:str}", operation_id="changeCustomField", guards=[CONFIGURE])
    def change_field(
        self,
        field_key: str,
        data: ChangeCustomField,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Change a custom field: its name, type, whether it is required, its options.

        A field leads hold values of keeps its type and options (409)."""
        return with_etag(
            lead_settings.change_field(
                caller.tenant_id, field_key, data, expected_version=expected_version
            )
        )

    @delete(
        "/custom-fields/{field_key:str}",
        operation_id="removeCustomField",
        status_code=200,
        guards=[CONFIGURE],
    )
    def remove_field(
        self,
        field_key: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Remove a custom field that no lead ever held a value for (else 409)."""
        return with_etag(
            lead_settings.remove_field(
                caller.tenant_id, field_key, expected_version=expected_version
            )
        )

    # --- sources and default owners ------------------------------------------------------

    @post("/sources", operation_id="addLeadSource", guards=[CONFIGURE])
    def add_source(
        self, data: AddSource, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """Add a lead source: a level-1 source (线上), or a level-2 source under it (官网)."""
        return with_etag(lead_settings.add_source(caller.tenant_id, data), 201)

    @delete(
        "/sources/{level1:str}",
        operation_id="removeLeadSource",
        status_code=200,
        guards=[CONFIGURE],
    )
    def remove_source(
        self,
        level1: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Remove a level-1 source and its level-2 sources (leads keep theirs)."""
        return with_etag(
            lead_settings.remove_source(
                caller.tenant_id, level1, None, expected_version=expected_version
            )
        )

    @delete(
        "/sources/{level1:str}/{level2:str}",
        operation_id="removeLeadSubSource",
        status_code=200,
        guards=[CONFIGURE],
    )
    def remove_sub_source(
        self,
        level1: str,
        level2: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Remove one level-2 source (leads keep theirs)."""
        return with_etag(
            lead_settings.remove_source(
                caller.tenant_id, level1, level2, expected_version=expected_version
            )
        )

    @put("/owner-rules/{channel:str}", operation_id="setDefaultOwner", guards=[CONFIGURE])
    def set_owner(
        self,
        channel: str,
        data: SetDefaultOwner,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Set the default owner of a channel's new leads.

        New leads from this channel (or level-2 / level-1 source) that name no owner go
        to this employee."""
        return with_etag(
            lead_settings.set_default_owner(
                caller.tenant_id, channel, data, expected_version=expected_version
            )
        )

    @delete(
        "/owner-rules/{channel:str}",
        operation_id="clearDefaultOwner",
        status_code=200,
        guards=[CONFIGURE],
    )
    def clear_owner(
        self,
        channel: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Clear the default owner of a channel (or source)."""
        return with_etag(
            lead_settings.clear_default_owner(
                caller.tenant_id, channel, expected_version=expected_version
            )
        )

    # --- statuses ------------------------------------------------------------------------

    @post("/statuses", operation_id="addLeadStatus", guards=[CONFIGURE])
    def add_status(
        self, data: AddStatus, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """Add a sales status that leads can move to."""
        return with_etag(lead_settings.add_status(caller.tenant_id, data), 201)

    @patch("/statuses/{status_key:str}", operation_id="changeLeadStatusSetting", guards=[CONFIGURE])
    def change_status(
        self,
        status_key: str,
        data: ChangeStatusSetting,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Rename a sales status, or make it the status of new leads (`default: true`)."""
        return with_etag(
            lead_settings.change_status(
                caller.tenant_id, status_key, data, expected_version=expected_version
            )
        )

    @delete(
        "/statuses/{status_key:str}",
        operation_id="removeLeadStatus",
        status_code=200,
        guards=[CONFIGURE],
    )
    def remove_status(
        self,
        status_key: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Remove a sales status: no lead can move to it any more.

        The default status cannot go (409); leads in it keep it."""
        return with_etag(
            lead_settings.remove_status(
                caller.tenant_id, status_key, expected_version=expected_version
            )
        )

    # --- tags ----------------------------------------------------------------------------

    @post("/tag-groups", operation_id="addTagGroup", guards=[ADD_TAGS])
    def add_tag_group(
        self, data: AddTagGroup, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """Add a tag group, a category of tags."""
        return with_etag(lead_settings.add_tag_group(caller.tenant_id, data), 201)

    @patch("/tag-groups/{group_id:str}", operation_id="renameTagGroup", guards=[CHANGE_TAGS])
    def rename_tag_group(
        self,
        group_id: str,
        data: RenameTagGroup,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Rename a tag group."""
        return with_etag(
            lead_settings.rename_tag_group(
                caller.tenant_id, group_id, data, expected_version=expected_version
            )
        )

    @delete(
        "/tag-groups/{group_id:str}",
        operation_id="removeTagGroup",
        status_code=200,
        guards=[REMOVE_TAGS],
    )
    def remove_tag_group(
        self,
        group_id: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Remove a tag group; its tags become ungrouped (built-in groups: 409)."""
        return with_etag(
            lead_settings.remove_tag_group(
                caller.tenant_id, group_id, expected_version=expected_version
            )
        )

    @post("/tags", operation_id="addTag", guards=[ADD_TAGS])
    def add_tag(
        self, data: AddTag, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """Add a tag to the catalogue, in a group (未分组 when none is named)."""
        return with_etag(lead_settings.add_tag(caller.tenant_id, data), 201)

    @patch("/tags/{tag:str}", operation_id="moveTag", guards=[CHANGE_TAGS])
    def move_tag(
        self,
        tag: str,
        data: MoveTag,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Move a tag into another group (system tags: 409)."""
        return with_etag(
            lead_settings.move_tag(caller.tenant_id, tag, data, expected_version=expected_version)
        )

    @post(
        "/tags/{tag:str}/rename",
        operation_id="renameTag",
        status_code=200,
        guards=[CHANGE_TAGS],
    )
    def rename_tag(
        self,
        tag: str,
        data: RenameTag,
        tag_renames: TagRenames,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[RenamedTag]:
        """Rename a tag, on the leads that carry it too.

        System tags keep their names, and the new name must not be in use (409). Each
        live lead with the old name gets the new one; `relabelled` says how many."""
        return with_etag(
            tag_renames.rename(caller.tenant_id, tag, data, expected_version=expected_version)
        )

    @delete("/tags/{tag:str}", operation_id="removeTag", status_code=200, guards=[REMOVE_TAGS])
    def remove_tag(
        self,
        tag: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Remove a tag from the catalogue (system tags: 409); leads keep it."""
        return with_etag(
            lead_settings.remove_tag(caller.tenant_id, tag, expected_version=expected_version)
        )

    # --- custom marketing user types -----------------------------------------------------

    @post("/user-types", operation_id="addUserType", guards=[CONFIGURE])
    def add_user_type(
        self, data: AddUserType, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """Add a user type: a kind of marketing user besides people (供应商, 代理商…)."""
        return with_etag(lead_settings.add_user_type(caller.tenant_id, data), 201)

    @patch("/user-types/{user_type:str}", operation_id="renameUserType", guards=[CONFIGURE])
    def rename_user_type(
        self,
        user_type: str,
        data: RenameUserType,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Rename a user type."""
        return with_etag(
            lead_settings.rename_user_type(
                caller.tenant_id, user_type, data, expected_version=expected_version
            )
        )

    @delete(
        "/user-types/{user_type:str}",
        operation_id="removeUserType",
        status_code=200,
        guards=[CONFIGURE],
    )
    def remove_user_type(
        self,
        user_type: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Answer:
        """Remove a user type: no new lead can be of it; leads of it keep it."""
        return with_etag(
            lead_settings.remove_user_type(
                caller.tenant_id, user_type, expected_version=expected_version
            )
        )

    @get("/user-types/{user_type:str}/targets", operation_id="userTypeTargets", guards=[READ])
    def targets(
        self,
        user_type: str,
        lead_settings: TenantLeadSettings,
        lead_targets: MarketingTargets,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[MarketingTarget]:
        """Mobiles and e-mails of a user type's live leads, for SMS and e-mail sends.

        Only leads in the caller's data scope; the sends still honour each lead's
        consent."""
        lead_settings.require_user_type(caller.tenant_id, user_type)
        return page_of(lead_targets.targets(caller, user_type, cursor=cursor, limit=limit))
