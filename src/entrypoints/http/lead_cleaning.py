"""Data cleaning routes (LEAD-4): the duplicate queue, its scan, and the tenant's
automatic merge rules.

Cleaning is company-wide work: a caller whose data scope is narrower than the company
sees an empty queue, and a case with a lead outside the scope is not found (the use
cases decide both).
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response

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
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import (
    OPTIONAL_IF_MATCH,
    ListOf,
    delete,
    get,
    page_of,
    post,
    put,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit


class DuplicateCaseController(Controller):
    path = "/api/v1/lead-duplicates"
    tags = ["lead cleaning"]
    guards = [tenant_may("leads")]

    @get("/", operation_id="listDuplicateCases")
    def list_cases(
        self,
        duplicate_queries: DuplicateQueries,
        caller: TenantCaller,
        status: CaseStatus = "open",
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[CaseSummary]:
        """Suspected duplicates in one `status` (open by default), oldest first."""
        return page_of(duplicate_queries.cases(caller, status=status, cursor=cursor, limit=limit))

    @post("/scan", operation_id="scanForDuplicates", status_code=200)
    def scan(self, lead_cleaning: DuplicateCases, caller: TenantCaller) -> ScanResult:
        """Scan for duplicates: leads with the same name at the same company.

        Names and companies are compared after folding case, width, spaces and legal forms
        such as 有限公司/科技/Co., Ltd.; each new case is queued, or merged at once where a
        merge rule applies."""
        return lead_cleaning.detect_duplicates(caller)

    @get("/{case_id:uuid}", operation_id="getDuplicateCase")
    def get_case(
        self, case_id: UUID, lead_cleaning: DuplicateCases, caller: TenantCaller
    ) -> Response[DuplicateCaseDetails]:
        """One duplicate case, with its leads side by side.

        An import's case also shows the incoming record."""
        return with_etag(lead_cleaning.case(caller, case_id))

    @post("/{case_id:uuid}/merge", operation_id="mergeDuplicateCase", status_code=200)
    def merge(
        self, case_id: UUID, data: MergeCase, lead_cleaning: DuplicateCases, caller: TenantCaller
    ) -> Response[DuplicateCaseDetails]:
        """Resolve a case by merging its leads into `survivor_id`, choosing field values."""
        return with_etag(lead_cleaning.merge(caller, case_id, data))

    @post("/{case_id:uuid}/dismiss", operation_id="dismissDuplicateCase", status_code=200)
    def dismiss(
        self,
        case_id: UUID,
        data: DismissCase,
        lead_cleaning: DuplicateCases,
        caller: TenantCaller,
    ) -> Response[DuplicateCaseDetails]:
        """Dismiss a case: the leads are not duplicates and are never queued together again."""
        return with_etag(lead_cleaning.dismiss(caller, case_id, data))

    @post(
        "/{case_id:uuid}/delete",
        operation_id="deleteDuplicateLead",
        status_code=200,
        may=Action.DELETE,
    )
    def delete(
        self,
        case_id: UUID,
        data: DeleteFromCase,
        lead_cleaning: DuplicateCases,
        caller: TenantCaller,
    ) -> Response[DuplicateCaseDetails]:
        """Resolve a case by deleting one of its leads, with a reason."""
        return with_etag(lead_cleaning.delete_lead(caller, case_id, data))


class MergeRulesController(Controller):
    path = "/api/v1/lead-merge-rules"
    tags = ["lead cleaning"]
    guards = [tenant_may("leads")]
    dependencies = OPTIONAL_IF_MATCH

    @get("/", operation_id="getMergeRules")
    def get_rules(
        self, lead_cleaning: DuplicateCases, caller: TenantCaller
    ) -> Response[MergeRulesDetails]:
        """The automatic merge rules, tried in order when a duplicate case opens."""
        return with_etag(lead_cleaning.merge_rules(caller))

    # A merge makes a lead disappear into another: setting rules takes `delete`.
    @put("/", operation_id="setMergeRules", may=Action.DELETE)
    def set_rules(
        self,
        data: SetMergeRules,
        lead_cleaning: DuplicateCases,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[MergeRulesDetails]:
        """Replace the automatic merge rules.

        For example `{"match": ["mobile", "name"], "survivor": "oldest", "fields":
        "keep_non_empty"}`. A merge makes a lead disappear into another, so this takes
        the permission to delete leads. An empty list turns automatic merging off."""
        return with_etag(
            lead_cleaning.set_merge_rules(caller, data, expected_version=expected_version)
        )

    @delete("/", operation_id="clearMergeRules", status_code=200)
    def clear_rules(
        self,
        lead_cleaning: DuplicateCases,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[MergeRulesDetails]:
        """Delete every automatic merge rule: duplicates are only queued for cleaning.

        The same as setting an empty list of rules; like setting them, it takes the
        permission to delete leads."""
        return with_etag(
            lead_cleaning.set_merge_rules(
                caller, SetMergeRules(rules=[]), expected_version=expected_version
            )
        )
