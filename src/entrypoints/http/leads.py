"""Lead routes (LEAD-1…10): intake, one lead's changes, lists within the caller's data
scope, and the timeline. The data scope (ORG-2) is the use cases' business: a lead
outside it answers 404 from them, like another tenant's."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
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
from application.shared.callers import TenantCaller
from application.shared.commands import Command
from application.shared.context import current_context
from application.shared.errors import InvalidInput
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import (
    IF_MATCH,
    ListOf,
    delete,
    get,
    page_of,
    patch,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit


class MergeLeads(Command):
    merged_id: UUID = Field(description="the duplicate that is merged away")
    chosen: dict[str, FieldValue] = Field(
        default_factory=dict, description="field values to keep where the two differ"
    )


class LeadController(Controller):
    path = "/api/v1/leads"
    tags = ["leads"]
    guards = [tenant_may("leads")]
    dependencies = IF_MATCH

    @get("/", operation_id="listLeads")
    def list_leads(
        self,
        lead_queries: LeadQueries,
        caller: TenantCaller,
        lead_filter: LeadFilter,
        sort: SortKey = "created_at",
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        filter: FilterParameter = None,
        saved_search_id: Annotated[
            UUID | None, Parameter(description="list what a saved search (SEG-2) selects")
        ] = None,
    ) -> ListOf[LeadSummary]:
        """Live leads in the caller's data scope, newest first.

        Filter by text (`q`), identity, tag, owner, status, pool state, source, user type
        and creation time; `sort` orders by another key. Or give `filter`, a filter tree
        as JSON (custom fields, AND/OR, ranges, tags, scores, behaviours: see
        `POST /api/v1/saved-searches`), or `saved_search_id`; then the other filters are
        part of the tree and the list is newest first."""
        return page_of(
            lead_queries.search(
                caller,
                lead_filter,
                sort=sort,
                cursor=cursor,
                limit=limit,
                tree=filter_tree(filter),
                saved_search_id=saved_search_id,
            )
        )

    @post(
        "/",
        operation_id="createLead",
        may=Action.CREATE,
        responses={
            200: ResponseSpec(
                data_container=IntakeResult,
                description="Matched: the identities belong to an existing lead, which the "
                "answer shows with the new details merged in (`outcome: matched`).",
            )
        },
    )
    def create_lead(
        self, data: CreateLead, leads: Leads, caller: TenantCaller
    ) -> Response[IntakeResult]:
        """Create a lead, or update the one its identities match.

        One marketing user per person (LEAD-1): a new person answers 201 (`outcome:
        created`), a known mobile, e-mail or other identity 200 (`outcome: matched`). A
        match outside the caller's data scope (a colleague's customer) is 409 and changes
        nothing. `custom` keys are the tenant's custom fields; `source` takes `level1`,
        `level2`, `channel`, `utm_*`, `referrer`, `landing_url`."""
        result = leads.create_lead(caller, data)
        status = 201 if result.outcome == "created" else 200
        return Response(result, status_code=status, headers={"ETag": f'"{result.lead.version}"'})

    @get("/{lead_id:uuid}", operation_id="getLead")
    def get_lead(self, lead_id: UUID, leads: Leads, caller: TenantCaller) -> Response[LeadDetails]:
        """One lead, with its identities, profile, owner, status and tags.

        A merged-away lead shows `merged_into`, the survivor's id."""
        return with_etag(leads.lead(caller, lead_id))

    @patch("/{lead_id:uuid}", operation_id="updateLead")
    def update_lead(
        self,
        lead_id: UUID,
        data: UpdateLead,
        leads: Leads,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[LeadDetails]:
        """Change a lead's profile fields.

        Only the fields sent change; `custom` values are checked against the tenant's
        custom fields."""
        return with_etag(
            leads.update_lead(caller, lead_id, data, expected_version=expected_version)
        )

    @delete(
        "/{lead_id:uuid}",
        operation_id="deleteLead",
        status_code=200,
        opt={"required_headers": ["X-Reason"]},
    )
    def delete_lead(
        self, lead_id: UUID, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Delete a lead, with the reason in `X-Reason`.

        Its history stays; its identities are freed for another lead. Without `X-Reason`
        it answers 422 and changes nothing."""
        reason = current_context().reason
        if not reason:
            leads.lead(caller, lead_id)  # an unknown lead is 404 first, as everywhere
            raise InvalidInput("send why the lead is deleted in X-Reason", field="X-Reason")
        return with_etag(leads.delete(caller, lead_id, reason))

    @get("/{lead_id:uuid}/timeline", operation_id="leadTimeline")
    def timeline(
        self,
        lead_id: UUID,
        lead_queries: LeadQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[TimelineEntry]:
        """Everything that happened to the lead, newest first (LEAD-8)."""
        return page_of(lead_queries.timeline(caller, lead_id, cursor=cursor, limit=limit))


class LeadActionController(Controller):
    """Actions on one lead; each answers the lead as it now is."""

    path = "/api/v1/leads/{lead_id:uuid}"
    tags = ["leads"]
    guards = [tenant_may("leads")]

    @post("/identities", operation_id="attachIdentity", status_code=200)
    def attach_identity(
        self, lead_id: UUID, data: AttachIdentity, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Add an identity to a lead: a mobile, e-mail, WeChat/WeCom id or member id.

        409 if another lead has it (merge them instead)."""
        return with_etag(leads.attach_identity(caller, lead_id, data))

    @post("/assign", operation_id="assignLead", status_code=200)
    def assign(
        self, lead_id: UUID, data: AssignLead, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Assign a lead to an employee, who is notified (LEAD-7)."""
        return with_etag(leads.assign_owner(caller, lead_id, data))

    @post("/release", operation_id="releaseLead", status_code=200)
    def release(
        self, lead_id: UUID, data: ReleaseLead, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Release a lead back to the shared pool, with a reason."""
        return with_etag(leads.release_to_pool(caller, lead_id, data.reason))

    @post("/follow-ups", operation_id="followUpLead", status_code=200)
    def follow_up(
        self, lead_id: UUID, data: FollowUpLead, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Record a follow-up on an owned lead (a call, a visit), with a note."""
        return with_etag(leads.follow_up(caller, lead_id, data.note))

    @post("/close", operation_id="closeLead", status_code=200, may=Action.CLOSE)
    def close(
        self, lead_id: UUID, data: CloseLead, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Close a lead as won, lost or closed, with a reason."""
        return with_etag(leads.close_lead(caller, lead_id, data))

    @post("/status", operation_id="changeLeadStatus", status_code=200)
    def status(
        self, lead_id: UUID, data: ChangeStatus, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Move a lead to another of the tenant's sales statuses (LEAD-6)."""
        return with_etag(leads.change_status(caller, lead_id, data.status))

    @post("/tags", operation_id="tagLead", status_code=200)
    def tag(
        self, lead_id: UUID, data: TagLead, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Add tags from the tenant's catalogue to a lead."""
        return with_etag(leads.tag(caller, lead_id, data.tags, add=True))

    @post("/tags/remove", operation_id="untagLead", status_code=200)
    def untag(
        self, lead_id: UUID, data: TagLead, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Remove tags from a lead."""
        return with_etag(leads.tag(caller, lead_id, data.tags, add=False))

    @post("/consent", operation_id="changeLeadConsent", status_code=200)
    def consent(
        self, lead_id: UUID, data: ChangeConsent, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Change a lead's consent on e-mail, SMS or WeChat (LEAD-9).

        `subscribed`, `unsubscribed` or `suppressed`, with how we learnt it (`source`)."""
        return with_etag(leads.change_consent(caller, lead_id, data))

    @get("/consent", operation_id="getLeadConsent")
    def consent_of(
        self, lead_id: UUID, lead_consent: LeadConsent, caller: TenantCaller
    ) -> Response[ConsentDetails]:
        """A lead's consent on e-mail, SMS and WeChat (LEAD-9).

        With whether a send may go out on each channel, as every sender honours it (never
        to a merged-away or deleted lead)."""
        return with_etag(lead_consent.consent(caller, lead_id))

    @post("/merge", operation_id="mergeLeads", status_code=200)
    def merge(
        self, lead_id: UUID, data: MergeLeads, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Merge a duplicate into this lead (LEAD-4), choosing field values.

        Both leads must be inside the caller's data scope; the duplicate's identities,
        tags and history move to this lead."""
        return with_etag(leads.merge(caller, lead_id, data.merged_id, data.chosen))

    @post(
        "/delete",
        operation_id="deleteLeadAction",
        status_code=200,
        may=Action.DELETE,
        deprecated=True,
    )
    def delete_action(
        self, lead_id: UUID, data: DeleteLead, leads: Leads, caller: TenantCaller
    ) -> Response[LeadDetails]:
        """Delete a lead, with the reason in the body (the former route).

        The same as `DELETE /api/v1/leads/{lead_id}` with `X-Reason`."""
        return with_etag(leads.delete(caller, lead_id, data.reason))


FilterParameter = Annotated[
    str | None,
    Parameter(
        max_length=8000,
        description='a filter tree as JSON, e.g. {"all": [{"field": "custom.industry", '
        '"op": "equals", "value": "制造业"}, {"field": "score", "op": "range", '
        '"value": {"from": 60}}]}',
    ),
]


def filter_tree(text: str | None) -> dict[str, Any] | None:
    """The `filter` query parameter as a JSON object (its nodes are checked downstream)."""
    if text is None or not text.strip():
        return None
    try:
        tree = json.loads(text)
    except ValueError as error:
        raise InvalidInput(f"filter is not JSON: {error}", field="filter") from None
    if not isinstance(tree, dict):
        raise InvalidInput("filter must be a JSON object", field="filter")
    return tree


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
