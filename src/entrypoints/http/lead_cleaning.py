"""Data cleaning routes (LEAD-4): the duplicate queue, its scan, and the tenant's
automatic merge rules.

Cleaning is company-wide work: a caller whose data scope is narrower than the company
sees an empty queue, and a case with a lead outside the scope is not found.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put

from application.leads.cleaning import (
    DeleteFromCase,
    DismissCase,
    DuplicateCaseDetails,
    DuplicateCases,
    MergeCase,
    MergeRulesDetails,
    ScanResult,
    SetMergeRules,
)
from application.leads.cleaning_directory import CaseStatus, CaseSummary, DuplicateQueries
from application.leads.scope import owners_in_scope
from application.org.directory import OrgQueries
from application.shared.callers import TenantCaller
from application.shared.errors import NotFound, PermissionDenied
from application.shared.pages import DEFAULT_LIMIT, Page
from domain.shared.access import Action
from entrypoints.http.conventions import (
    ListOf,
    optional_if_match,
    page_of,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit


class DuplicateCaseController(Controller):
    path = "/api/v1/lead-duplicates"
    tags = ["lead cleaning"]

    @get(
        "/",
        operation_id="listDuplicateCases",
        guards=[tenant_may("leads", Action.READ)],
        sync_to_thread=True,
    )
    def list_cases(
        self,
        duplicate_queries: DuplicateQueries,
        org_queries: OrgQueries,
        caller: TenantCaller,
        status: CaseStatus = "open",
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[CaseSummary]:
        """Suspected duplicates in one state (open by default), oldest first."""
        if owners_in_scope(caller, org_queries) is not None:
            return page_of(Page([], None))
        return page_of(
            duplicate_queries.cases(caller.tenant_id, status=status, cursor=cursor, limit=limit)
        )

    @post(
        "/scan",
        operation_id="scanForDuplicates",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def scan(
        self, lead_cleaning: DuplicateCases, org_queries: OrgQueries, caller: TenantCaller
    ) -> ScanResult:
        """Queue leads with the same name at the same company (after folding case,
        width, spaces and legal forms such as 有限公司/科技/Co., Ltd.); merge rules apply."""
        _company_wide(caller, org_queries)
        return lead_cleaning.detect_duplicates(caller.tenant_id)

    @get(
        "/{case_id:uuid}",
        operation_id="getDuplicateCase",
        guards=[tenant_may("leads", Action.READ)],
        sync_to_thread=True,
    )
    def get_case(
        self,
        case_id: UUID,
        lead_cleaning: DuplicateCases,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[DuplicateCaseDetails]:
        """One case with its leads side by side (and the incoming record of an import)."""
        return with_etag(_visible(lead_cleaning, org_queries, caller, case_id))

    @post(
        "/{case_id:uuid}/merge",
        operation_id="mergeDuplicateCase",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def merge(
        self,
        case_id: UUID,
        data: MergeCase,
        lead_cleaning: DuplicateCases,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[DuplicateCaseDetails]:
        """Merge the case's leads into `survivor_id`, choosing field values."""
        _visible(lead_cleaning, org_queries, caller, case_id)
        return with_etag(lead_cleaning.merge(caller.tenant_id, case_id, data))

    @post(
        "/{case_id:uuid}/dismiss",
        operation_id="dismissDuplicateCase",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def dismiss(
        self,
        case_id: UUID,
        data: DismissCase,
        lead_cleaning: DuplicateCases,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[DuplicateCaseDetails]:
        """Not duplicates; the same leads are never queued again."""
        _visible(lead_cleaning, org_queries, caller, case_id)
        return with_etag(lead_cleaning.dismiss(caller.tenant_id, case_id, data))

    @post(
        "/{case_id:uuid}/delete",
        operation_id="deleteDuplicateLead",
        status_code=200,
        guards=[tenant_may("leads", Action.DELETE)],
        sync_to_thread=True,
    )
    def delete(
        self,
        case_id: UUID,
        data: DeleteFromCase,
        lead_cleaning: DuplicateCases,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[DuplicateCaseDetails]:
        """Resolve the case by deleting one of its leads."""
        _visible(lead_cleaning, org_queries, caller, case_id)
        return with_etag(lead_cleaning.delete_lead(caller.tenant_id, case_id, data))


class MergeRulesController(Controller):
    path = "/api/v1/lead-merge-rules"
    tags = ["lead cleaning"]

    @get(
        "/",
        operation_id="getMergeRules",
        guards=[tenant_may("leads", Action.READ)],
        sync_to_thread=True,
    )
    def get_rules(
        self, lead_cleaning: DuplicateCases, caller: TenantCaller
    ) -> Response[MergeRulesDetails]:
        """The automatic merge rules, tried in order when a duplicate case opens."""
        return with_etag(lead_cleaning.merge_rules(caller.tenant_id))

    @put(
        "/",
        operation_id="setMergeRules",
        guards=[tenant_may("leads", Action.DELETE)],
        sync_to_thread=True,
    )
    def set_rules(
        self,
        request: Request[Any, Any, Any],
        data: SetMergeRules,
        lead_cleaning: DuplicateCases,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> Response[MergeRulesDetails]:
        """Replace the rules, e.g. `{"match": ["mobile", "name"], "survivor": "oldest",
        "fields": "keep_non_empty"}`. A merge makes a lead disappear into another, so
        this takes the permission to delete leads. If-Match guards changing set rules."""
        _company_wide(caller, org_queries)
        version = optional_if_match(request)
        return with_etag(
            lead_cleaning.set_merge_rules(caller.tenant_id, data, expected_version=version)
        )


def _company_wide(caller: TenantCaller, org_queries: OrgQueries) -> None:
    if owners_in_scope(caller, org_queries) is not None:
        raise PermissionDenied("data cleaning needs a company-wide data scope")


def _visible(
    cleaning: DuplicateCases, org_queries: OrgQueries, caller: TenantCaller, case_id: UUID
) -> DuplicateCaseDetails:
    """The case if the caller's tenant owns it and all its leads are inside the scope."""
    case = cleaning.case(caller.tenant_id, case_id)
    owners = owners_in_scope(caller, org_queries)
    if owners is not None and any(lead.owner_id not in owners for lead in case.leads):
        raise NotFound(f"no DuplicateCase {case_id}")
    return case
