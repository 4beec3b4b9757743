"""Lead settings routes (LEAD-2, LEAD-5, LEAD-6, LEAD-11, SEG-4): each tenant's custom
fields, sources and default owners, statuses, tags and user types.

Every answer is the whole settings with their version as ETag; changing or removing
an entry takes If-Match with that version, adding one does not (adding what is there
already changes nothing). Reading needs `leads` read; changing is the tenant admin's
(`tenant` update), since it changes what every lead write accepts.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put

from application.leads.scope import owners_in_scope
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
    RenameTagGroup,
    RenameUserType,
    SetDefaultOwner,
    TenantLeadSettings,
)
from application.org.directory import OrgQueries
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import ListOf, if_match, page_of, tenant_may, with_etag
from entrypoints.http.tenant import Cursor, Limit

READ = tenant_may("leads", Action.READ)
CONFIGURE = tenant_may("tenant", Action.UPDATE)
Answer = Response[LeadSettingsDetails]
AnyRequest = Request[Any, Any, Any]


class LeadSettingsController(Controller):
    path = "/api/v1/lead-settings"
    tags = ["lead settings"]

    @get("/", operation_id="getLeadSettings", guards=[READ], sync_to_thread=True)
    def get_settings(self, lead_settings: TenantLeadSettings, caller: TenantCaller) -> Answer:
        """Custom fields, sources, default owners, statuses, tag groups and user types."""
        return with_etag(lead_settings.settings(caller.tenant_id))

    # --- custom fields -------------------------------------------------------------------

    @post(
        "/custom-fields",
        operation_id="defineCustomField",
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def define_field(
        self, data: DefineCustomField, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """A custom field: text, number, date or single-select (with options)."""
        return with_etag(lead_settings.define_field(caller.tenant_id, data), 201)

    @patch(
        "/custom-fields/{field_key:str}",
        operation_id="changeCustomField",
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def change_field(
        self,
        request: AnyRequest,
        field_key: str,
        data: ChangeCustomField,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """Rename, retype, (un)require or re-option a field; a field leads hold values
        of keeps its type and options (409)."""
        version = if_match(request)
        return with_etag(
            lead_settings.change_field(caller.tenant_id, field_key, data, expected_version=version)
        )

    @delete(
        "/custom-fields/{field_key:str}",
        operation_id="removeCustomField",
        status_code=200,
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def remove_field(
        self,
        request: AnyRequest,
        field_key: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """Remove a field no lead ever held a value for (else 409)."""
        version = if_match(request)
        return with_etag(
            lead_settings.remove_field(caller.tenant_id, field_key, expected_version=version)
        )

    # --- sources and default owners ------------------------------------------------------

    @post("/sources", operation_id="addLeadSource", guards=[CONFIGURE], sync_to_thread=True)
    def add_source(
        self, data: AddSource, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """A level-1 source (线上), or a level-2 source under it (官网)."""
        return with_etag(lead_settings.add_source(caller.tenant_id, data), 201)

    @delete(
        "/sources/{level1:str}",
        operation_id="removeLeadSource",
        status_code=200,
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def remove_source(
        self,
        request: AnyRequest,
        level1: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """Remove a level-1 source and its level-2 sources (leads keep theirs)."""
        version = if_match(request)
        return with_etag(
            lead_settings.remove_source(caller.tenant_id, level1, None, expected_version=version)
        )

    @delete(
        "/sources/{level1:str}/{level2:str}",
        operation_id="removeLeadSubSource",
        status_code=200,
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def remove_sub_source(
        self,
        request: AnyRequest,
        level1: str,
        level2: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """Remove one level-2 source."""
        version = if_match(request)
        return with_etag(
            lead_settings.remove_source(caller.tenant_id, level1, level2, expected_version=version)
        )

    @put(
        "/owner-rules/{channel:str}",
        operation_id="setDefaultOwner",
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def set_owner(
        self,
        request: AnyRequest,
        channel: str,
        data: SetDefaultOwner,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """New leads from this channel (or level-2 / level-1 source) that name no owner go
        to this employee."""
        version = if_match(request)
        return with_etag(
            lead_settings.set_default_owner(
                caller.tenant_id, channel, data, expected_version=version
            )
        )

    @delete(
        "/owner-rules/{channel:str}",
        operation_id="clearDefaultOwner",
        status_code=200,
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def clear_owner(
        self,
        request: AnyRequest,
        channel: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        version = if_match(request)
        return with_etag(
            lead_settings.clear_default_owner(caller.tenant_id, channel, expected_version=version)
        )

    # --- statuses ------------------------------------------------------------------------

    @post("/statuses", operation_id="addLeadStatus", guards=[CONFIGURE], sync_to_thread=True)
    def add_status(
        self, data: AddStatus, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """A sales status leads can move to."""
        return with_etag(lead_settings.add_status(caller.tenant_id, data), 201)

    @patch(
        "/statuses/{status_key:str}",
        operation_id="changeLeadStatusSetting",
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def change_status(
        self,
        request: AnyRequest,
        status_key: str,
        data: ChangeStatusSetting,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """Rename a status, or make it the status of new leads (`default: true`)."""
        version = if_match(request)
        return with_etag(
            lead_settings.change_status(
                caller.tenant_id, status_key, data, expected_version=version
            )
        )

    @delete(
        "/statuses/{status_key:str}",
        operation_id="removeLeadStatus",
        status_code=200,
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def remove_status(
        self,
        request: AnyRequest,
        status_key: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """No lead can move to it any more (not the default status: 409)."""
        version = if_match(request)
        return with_etag(
            lead_settings.remove_status(caller.tenant_id, status_key, expected_version=version)
        )

    # --- tags ----------------------------------------------------------------------------

    @post("/tag-groups", operation_id="addTagGroup", guards=[CONFIGURE], sync_to_thread=True)
    def add_tag_group(
        self, data: AddTagGroup, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """A tag category (send Idempotency-Key to make a repeat harmless)."""
        return with_etag(lead_settings.add_tag_group(caller.tenant_id, data), 201)

    @patch(
        "/tag-groups/{group_id:str}",
        operation_id="renameTagGroup",
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def rename_tag_group(
        self,
        request: AnyRequest,
        group_id: str,
        data: RenameTagGroup,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        version = if_match(request)
        return with_etag(
            lead_settings.rename_tag_group(
                caller.tenant_id, group_id, data, expected_version=version
            )
        )

    @delete(
        "/tag-groups/{group_id:str}",
        operation_id="removeTagGroup",
        status_code=200,
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def remove_tag_group(
        self,
        request: AnyRequest,
        group_id: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """Remove a group; its tags become ungrouped (built-in groups: 409)."""
        version = if_match(request)
        return with_etag(
            lead_settings.remove_tag_group(caller.tenant_id, group_id, expected_version=version)
        )

    @post("/tags", operation_id="addTag", guards=[CONFIGURE], sync_to_thread=True)
    def add_tag(
        self, data: AddTag, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """A tag in a group (未分组 when none is named)."""
        return with_etag(lead_settings.add_tag(caller.tenant_id, data), 201)

    @patch("/tags/{tag:str}", operation_id="moveTag", guards=[CONFIGURE], sync_to_thread=True)
    def move_tag(
        self,
        request: AnyRequest,
        tag: str,
        data: MoveTag,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """Put a tag into another group (system tags: 409)."""
        version = if_match(request)
        return with_etag(
            lead_settings.move_tag(caller.tenant_id, tag, data, expected_version=version)
        )

    @delete(
        "/tags/{tag:str}",
        operation_id="removeTag",
        status_code=200,
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def remove_tag(
        self,
        request: AnyRequest,
        tag: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """Take a tag out of the catalogue (system tags: 409); leads keep it."""
        version = if_match(request)
        return with_etag(lead_settings.remove_tag(caller.tenant_id, tag, expected_version=version))

    # --- custom marketing user types -----------------------------------------------------

    @post("/user-types", operation_id="addUserType", guards=[CONFIGURE], sync_to_thread=True)
    def add_user_type(
        self, data: AddUserType, lead_settings: TenantLeadSettings, caller: TenantCaller
    ) -> Answer:
        """A kind of marketing user besides people (供应商, 代理商…)."""
        return with_etag(lead_settings.add_user_type(caller.tenant_id, data), 201)

    @patch(
        "/user-types/{user_type:str}",
        operation_id="renameUserType",
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def rename_user_type(
        self,
        request: AnyRequest,
        user_type: str,
        data: RenameUserType,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        version = if_match(request)
        return with_etag(
            lead_settings.rename_user_type(
                caller.tenant_id, user_type, data, expected_version=version
            )
        )

    @delete(
        "/user-types/{user_type:str}",
        operation_id="removeUserType",
        status_code=200,
        guards=[CONFIGURE],
        sync_to_thread=True,
    )
    def remove_user_type(
        self,
        request: AnyRequest,
        user_type: str,
        lead_settings: TenantLeadSettings,
        caller: TenantCaller,
    ) -> Answer:
        """No new lead can be of this type; leads of it keep it."""
        version = if_match(request)
        return with_etag(
            lead_settings.remove_user_type(caller.tenant_id, user_type, expected_version=version)
        )

    @get(
        "/user-types/{user_type:str}/targets",
        operation_id="userTypeTargets",
        guards=[READ],
        sync_to_thread=True,
    )
    def targets(
        self,
        user_type: str,
        lead_settings: TenantLeadSettings,
        lead_targets: MarketingTargets,
        org_queries: OrgQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[MarketingTarget]:
        """Mobiles and e-mails of the type's live leads in the caller's data scope, for
        SMS and e-mail sends (which still honour each lead's consent)."""
        lead_settings.require_user_type(caller.tenant_id, user_type)
        owners = owners_in_scope(caller, org_queries)
        return page_of(
            lead_targets.targets(
                caller.tenant_id, user_type, owners=owners, cursor=cursor, limit=limit
            )
        )
