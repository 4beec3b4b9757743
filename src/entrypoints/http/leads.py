"""Lead routes (LEAD-1…10): intake, one lead's changes, lists within the caller's data
scope, and the timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from pydantic import Field

from application.leads.commands import (
    AssignLead,
    AttachIdentity,
    ChangeConsent,
    ChangeStatus,
    CloseLead,
    CreateLead,
    DeleteLead,
    FieldValue,
    FollowUpLead,
    IntakeResult,
    LeadDetails,
    ReleaseLead,
    TagLead,
    UpdateLead,
)
from application.leads.consent import ConsentDetails, LeadConsent
from application.leads.leads import Leads
from application.leads.queries import LeadFilter, LeadQueries, LeadSummary, SortKey, TimelineEntry
from application.leads.scope import owners_in_scope, require_in_scope
from application.org.directory import OrgQueries
from application.shared.callers import TenantCaller
from application.shared.commands import Command
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import ListOf, if_match, page_of, tenant_may, with_etag
from entrypoints.http.tenant import Cursor, Limit


class MergeLeads(Command):
    merged_id: UUID = Field(description="the duplicate that is merged away")
    chosen: dict[str, FieldValue] = Field(
        default_factory=dict, description="field values to keep where the two differ"
    )


class LeadController(Controller):
    path = "/api/v1/leads"
    tags = ["leads"]

    @get(
        "/",
        operation_id="listLeads",
        guards=[tenant_may("leads", Action.READ)],
        sync_to_thread=True,
    )
    def list_leads(
        self,
        lead_queries: LeadQueries,
        org_queries: OrgQueries,
        caller: TenantCaller,
        lead_filter: LeadFilter,
        sort: SortKey = "created_at",
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[LeadSummary]:
        """Live leads in the caller's data scope, newest first (20 a page by default)."""
        found = lead_filter
        owners = owners_in_scope(caller, org_queries)
        return page_of(
            lead_queries.search(
                caller.tenant_id, found, owners=owners, sort=sort, cursor=cursor, limit=limit
            )
        )

    @post(
        "/",
        operation_id="createLead",
        guards=[tenant_may("leads", Action.CREATE)],
        sync_to_thread=True,
    )
    def create_lead(
        self, data: CreateLead, leads: Leads, caller: TenantCaller
    ) -> Response[IntakeResult]:
        """Create a lead, or attach to the one its identities match (200, outcome
        `matched`): one marketing user per person (LEAD-1)."""
        result = leads.create_lead(caller.tenant_id, data)
        status = 201 if result.outcome == "created" else 200
        return Response(result, status_code=status, headers={"ETag": f'"{result.lead.version}"'})

    @get(
        "/{lead_id:uuid}",
        operation_id="getLead",
        guards=[tenant_may("leads", Action.READ)],
        sync_to_thread=True,
    )
    def get_lead(
        self, lead_id: UUID, leads: Leads, org_queries: OrgQueries, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """One lead; a merged-away lead shows `merged_into`, the survivor's id."""
        return with_etag(_visible(leads, org_queries, caller, lead_id))

    @patch(
        "/{lead_id:uuid}",
        operation_id="updateLead",
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def update_lead(
        self,
        request: Request[Any, Any, Any],
        lead_id: UUID,
        data: UpdateLead,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Change profile fields (If-Match required)."""
        _visible(leads, org_queries, caller, lead_id)
        version = if_match(request)
        return with_etag(
            leads.update_lead(caller.tenant_id, lead_id, data, expected_version=version)
        )

    @get(
        "/{lead_id:uuid}/timeline",
        operation_id="leadTimeline",
        guards=[tenant_may("leads", Action.READ)],
        sync_to_thread=True,
    )
    def timeline(
        self,
        lead_id: UUID,
        leads: Leads,
        lead_queries: LeadQueries,
        org_queries: OrgQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[TimelineEntry]:
        """Everything that happened to the lead, newest first (LEAD-8)."""
        _visible(leads, org_queries, caller, lead_id)
        return page_of(lead_queries.timeline(caller.tenant_id, lead_id, cursor=cursor, limit=limit))


class LeadActionController(Controller):
    """Actions on one lead; each answers the lead as it now is."""

    path = "/api/v1/leads/{lead_id:uuid}"
    tags = ["leads"]

    @post(
        "/identities",
        operation_id="attachIdentity",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def attach_identity(
        self,
        lead_id: UUID,
        data: AttachIdentity,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Add a mobile, e-mail, WeChat/WeCom id or member id (409 if another lead has it)."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(leads.attach_identity(caller.tenant_id, lead_id, data))

    @post(
        "/assign",
        operation_id="assignLead",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def assign(
        self,
        lead_id: UUID,
        data: AssignLead,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Give the lead to an employee, who is notified (LEAD-7)."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(leads.assign_owner(caller.tenant_id, lead_id, data))

    @post(
        "/release",
        operation_id="releaseLead",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def release(
        self,
        lead_id: UUID,
        data: ReleaseLead,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Back to the shared pool, with a reason."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(leads.release_to_pool(caller.tenant_id, lead_id, data.reason))

    @post(
        "/follow-ups",
        operation_id="followUpLead",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def follow_up(
        self,
        lead_id: UUID,
        data: FollowUpLead,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Record a follow-up by the owner."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(leads.follow_up(caller.tenant_id, lead_id, data.note))

    @post(
        "/close",
        operation_id="closeLead",
        status_code=200,
        guards=[tenant_may("leads", Action.CLOSE)],
        sync_to_thread=True,
    )
    def close(
        self,
        lead_id: UUID,
        data: CloseLead,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Won, lost or closed, with a reason."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(leads.close_lead(caller.tenant_id, lead_id, data))

    @post(
        "/status",
        operation_id="changeLeadStatus",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def status(
        self,
        lead_id: UUID,
        data: ChangeStatus,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Move to another sales status (LEAD-6)."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(leads.change_status(caller.tenant_id, lead_id, data.status))

    @post(
        "/tags",
        operation_id="tagLead",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def tag(
        self,
        lead_id: UUID,
        data: TagLead,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Add tags."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(leads.tag(caller.tenant_id, lead_id, data.tags, add=True))

    @post(
        "/tags/remove",
        operation_id="untagLead",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def untag(
        self,
        lead_id: UUID,
        data: TagLead,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Remove tags."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(leads.tag(caller.tenant_id, lead_id, data.tags, add=False))

    @post(
        "/consent",
        operation_id="changeLeadConsent",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def consent(
        self,
        lead_id: UUID,
        data: ChangeConsent,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Subscribed, unsubscribed or suppressed on e-mail, SMS or WeChat (LEAD-9)."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(leads.change_consent(caller.tenant_id, lead_id, data))

    @get(
        "/consent",
        operation_id="getLeadConsent",
        guards=[tenant_may("leads", Action.READ)],
        sync_to_thread=True,
    )
    def consent_of(
        self,
        lead_id: UUID,
        leads: Leads,
        lead_consent: LeadConsent,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[ConsentDetails]:
        """Consent on e-mail, SMS and WeChat, with whether a send may go out on each (never
        to a merged-away or deleted lead), as every sender honours it (LEAD-9)."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(lead_consent.consent(caller.tenant_id, lead_id))

    @post(
        "/merge",
        operation_id="mergeLeads",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def merge(
        self,
        lead_id: UUID,
        data: MergeLeads,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Merge a duplicate into this lead (LEAD-4), choosing field values."""
        _visible(leads, org_queries, caller, lead_id)
        _visible(leads, org_queries, caller, data.merged_id)
        return with_etag(leads.merge(caller.tenant_id, lead_id, data.merged_id, data.chosen))

    @post(
        "/delete",
        operation_id="deleteLead",
        status_code=200,
        guards=[tenant_may("leads", Action.DELETE)],
        sync_to_thread=True,
    )
    def delete(
        self,
        lead_id: UUID,
        data: DeleteLead,
        leads: Leads,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[LeadDetails]:
        """Delete the lead (its history stays; its identities are freed)."""
        _visible(leads, org_queries, caller, lead_id)
        return with_etag(leads.delete(caller.tenant_id, lead_id, data.reason))


def lead_filter_from_query(
    q: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    tag: str | None = None,
    owner_id: UUID | None = None,
    status: str | None = None,
    pool_state: str | None = None,
    source_level1: str | None = None,
    source_level2: str | None = None,
    user_type: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> LeadFilter:
    """The lead list's filters from the query string (the list and the export share them)."""
    return LeadFilter(
        q=q,
        mobile=mobile,
        email=email,
        tag=tag,
        owner_id=owner_id,
        status=status,
        pool_state=pool_state,
        source_level1=source_level1,
        source_level2=source_level2,
        user_type=user_type,
        created_from=created_from,
        created_to=created_to,
    )


def _visible(
    leads: Leads, org_queries: OrgQueries, caller: TenantCaller, lead_id: UUID
) -> LeadDetails:
    """The lead if the caller's tenant owns it and it is inside the data scope."""
    lead = leads.lead(caller.tenant_id, lead_id)
    require_in_scope(lead.owner_id, owners_in_scope(caller, org_queries), lead_id)
    return lead
