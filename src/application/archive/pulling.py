"""The pulling round (ARCH-1): every tenant whose archive is switched on, one batch each,
run by a background worker every few seconds (back to back while a tenant's batches
come full). A tenant whose pull fails (its gateway down, its edition lapsed) has the
failure recorded on its status and does not hold up the others."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from application.archive.ingestion import ArchiveIngestion
from application.archive.source_directory import ArchiveSourceQueries
from application.shared.errors import ApplicationError
from domain.shared.errors import DomainError

log = logging.getLogger("huoke.archive")


@dataclass(frozen=True)
class PullRound:
    """What one round did: `busy` when some tenant has more waiting."""

    tenants: int = 0
    sent: int = 0  # messages stored (the worker's pacing counts these)
    failed: int = 0
    busy: bool = False


class ArchivePulling:
    """One batch for each enabled tenant."""

    def __init__(self, ingestion: ArchiveIngestion, sources: ArchiveSourceQueries) -> None:
        self.ingestion = ingestion
        self.sources = sources

    def tenants(self) -> list[UUID]:
        """The tenants whose archive is switched on."""
        return self.sources.enabled_tenants()

    def run_once(self) -> PullRound:
        tenants = stored = failed = 0
        busy = False
        for tenant_id in self.sources.enabled_tenants():
            tenants += 1
            try:
                report = self.ingestion.pull_once(tenant_id)
            except (ApplicationError, DomainError) as refusal:  # recorded on its status
                failed += 1
                log.info("archive pull of tenant %s refused: %s", tenant_id, refusal)
                continue
            except Exception:  # the store failed: recorded too; the next round retries
                failed += 1
                log.exception("archive pull of tenant %s failed", tenant_id)
                continue
            stored += report.stored
            busy = busy or report.more
        return PullRound(tenants=tenants, sent=stored, failed=failed, busy=busy)
