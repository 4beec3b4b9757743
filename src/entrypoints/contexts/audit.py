"""Audit (AUD): the operation log of configuration changes across every context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from application.audit.operation_log import OperationLog, OperationLogQueries
from domain.audit.permissions import AUDIT_GRANTS
from entrypoints.http.audit import AdminOperationLogController, OperationLogController
from entrypoints.manifest import Manifest
from entrypoints.web.audit import audit_pages


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    return {
        # The follower itself: built with the catalogue every manifest contributed.
        OperationLog.name: providers.Factory(OperationLog, catalogue=c.configuration_events),
        "operation_log_queries": providers.Singleton(OperationLogQueries, c.operation_log_view),
    }


MANIFEST = Manifest(
    name="audit",
    providers=wire,
    followers=(OperationLog,),
    views={"operation_log_view": OperationLog},
    grants=(AUDIT_GRANTS,),
    controllers=(OperationLogController, AdminOperationLogController),
    dependencies=("operation_log_queries",),
    tags=(Tag(name="audit", description="操作日志 · the operation log of configuration changes"),),
    console=(*audit_pages.PAGES,),
    console_nav=(*audit_pages.NAV,),
)
