"""Intake at scale (LEAD-3): paste a list of mobiles/e-mails, import a CSV/XLSX file, and
read what became of each row.

Files travel as base64 in a JSON body rather than multipart: the mapping and options are
then one pydantic model that Litestar validates like every other body (problem+json
naming the field, unknown fields refused), `Idempotency-Key` and the route suites work
unchanged, and there is no form field holding JSON to parse by hand. The cost is a third
more bytes on the wire, so these routes accept bodies up to that size of a 5 MB file.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter
from pydantic import Field

from application.leads.imports import (
    MAX_FILE_BYTES,
    ImportOptions,
    LeadImportDetails,
    LeadImports,
    PasteLeads,
    PasteResult,
    RowOutcome,
)
from application.shared.callers import TenantCaller
from application.shared.commands import Command
from application.shared.errors import InvalidInput
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import get, post, tenant_may
from entrypoints.http.tenant import Cursor, Limit

# Base64 of the largest file allowed, plus room for the mapping and options.
MAX_ENCODED_CHARS = (MAX_FILE_BYTES + 2) // 3 * 4
UPLOAD_BODY_BYTES = MAX_ENCODED_CHARS + 256 * 1024


class UploadLeadImport(ImportOptions):
    file_name: str = Field(min_length=1, max_length=255, examples=["leads.xlsx"])
    # No max_length: the body limit bounds it, and the use case refuses a file over 5 MB
    # naming the file, which says more than a length of base64 text would.
    content_base64: str = Field(
        min_length=1,
        description="the CSV (UTF-8 or GBK) or XLSX file, base64-encoded; at most 5 MB",
    )


class ResumeLeadImport(Command):
    content_base64: str = Field(min_length=1, description="the same file, base64-encoded")


def _content(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("content_base64 is not base64", field="content_base64") from None


class LeadPasteController(Controller):
    path = "/api/v1/leads/paste"
    tags = ["leads"]
    guards = [tenant_may("leads")]

    @post("/", operation_id="pasteLeads", status_code=200, may=Action.CREATE)
    def paste(
        self, data: PasteLeads, lead_imports: LeadImports, caller: TenantCaller
    ) -> PasteResult:
        """Paste up to 500 mobiles or e-mails at once.

        Each line is created, updated (with `update_existing`), a duplicate (left for
        cleaning) or rejected with its reason."""
        return lead_imports.paste(caller.tenant_id, data)


class LeadImportController(Controller):
    path = "/api/v1/lead-imports"
    tags = ["leads"]
    guards = [tenant_may("leads")]

    @post(
        "/",
        operation_id="importLeads",
        may=Action.CREATE,
        request_max_body_size=UPLOAD_BODY_BYTES,
    )
    def start(
        self, data: UploadLeadImport, lead_imports: LeadImports, caller: TenantCaller
    ) -> Response[LeadImportDetails]:
        """Import a CSV or XLSX file (≤ 5 MB) with a column mapping.

        Answers the import with its counts and the first page of row results. A bad file
        or mapping is 422 naming it; bad rows are rejected one by one. `mapping` maps a
        column heading to `mobile`, `email`, `name`, `company`…, `custom:<key>` or
        `source.level1`…"""
        options = ImportOptions(
            mapping=data.mapping, update_existing=data.update_existing, source=data.source
        )
        details = lead_imports.start(
            caller.tenant_id, data.file_name, _content(data.content_base64), options
        )
        return Response(details, status_code=201)

    @post(
        "/{import_id:uuid}/resume",
        operation_id="resumeLeadImport",
        status_code=200,
        may=Action.CREATE,
        request_max_body_size=UPLOAD_BODY_BYTES,
    )
    def resume(
        self,
        import_id: UUID,
        data: ResumeLeadImport,
        lead_imports: LeadImports,
        caller: TenantCaller,
    ) -> LeadImportDetails:
        """Resume a failed or interrupted import with the same file.

        It continues after the last row applied; a completed import answers 409."""
        return lead_imports.resume(caller.tenant_id, import_id, _content(data.content_base64))

    @get("/{import_id:uuid}", operation_id="getLeadImport")
    def get_import(
        self,
        import_id: UUID,
        lead_imports: LeadImports,
        caller: TenantCaller,
        outcome: Annotated[
            RowOutcome | None, Parameter(description="only rows with this outcome")
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> LeadImportDetails:
        """One import: its status, counts and a page of per-row results.

        Each row is created, updated, a duplicate (with the lead it matched) or rejected
        (with the reason); `outcome` lists one kind."""
        return lead_imports.details(
            caller.tenant_id, import_id, outcome=outcome, cursor=cursor, limit=limit
        )
