"""The report of an e-mail task (MAIL-5, seed 003 §8.5): delivery, bounces, opens,
clicks and unsubscribes, by recipient domain, system, device and link."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller

from application.messaging.email_reports import EmailReport, ReportQueries
from application.shared.callers import TenantCaller
from entrypoints.http.conventions import get, tenant_may


class EmailReportController(Controller):
    path = "/api/v1/email-tasks"
    tags = ["email"]
    guards = [tenant_may("email_tasks")]

    @get("/{email_task_id:uuid}/report", operation_id="getEmailTaskReport")
    def report(
        self, email_task_id: UUID, email_report_queries: ReportQueries, caller: TenantCaller
    ) -> EmailReport:
        """What became of an e-mail task's messages, by domain, system, device and link.

        Sent, delivered, hard and soft bounces (软退 retried for up to 5 days),
        complaints, unsubscribes, total and unique (per message) opens and clicks, with
        their rates. Opens and clicks come from the tracking pixel and links; a reader
        whose mail client blocks images opens nothing."""
        return email_report_queries.report(caller.tenant_id, email_task_id)
