"""Console pages (审计): record histories and the operation log (read-only)."""

from __future__ import annotations

from typing import Any

from entrypoints.web.audit.history_pages import AdminHistoryPage, HistoryPage
from entrypoints.web.audit.operation_log_pages import AdminOperationLogPage, OperationLogPage
from entrypoints.web.nav import Audience, NavItem

PAGES: tuple[Any, ...] = (HistoryPage, AdminHistoryPage, OperationLogPage, AdminOperationLogPage)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="操作日志",
        path="/console/operation-log",
        resource="audit",
        audience=Audience.TENANT,
        section="审计",
    ),
    NavItem(
        label="平台操作日志",
        path="/console/admin/operation-log",
        resource="history",
        audience=Audience.STAFF,
        section="审计",
    ),
)
