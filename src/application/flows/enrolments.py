"""Enrolling leads (FLOW-5): a start condition met admits a lead into a flow under its
enrolment rule, and the run is walked at once up to its first wait, so a trigger's
first action follows its cause within the policy's own hop.

The cause (the upstream event's position) is remembered on the enrolment: the same
cause seen again after a crash admits nobody a second time, and a crash before the
commit walks the same run again with the same effect keys (`stepping.py`).
"""

from __future__ import annotations

import threading
from datetime import datetime
from uuid import UUID

from application.flows.flows import Flows
from application.flows.stepping import Stepping, Walked
from application.shared.errors import NotFound, VersionConflict
from domain.flows.enrolment import Enrolment, enrolment_id
from domain.flows.flow import Flow

ATTEMPTS = 3


class Enrolments:
    """Admits leads into flows and walks their runs."""

    def __init__(self, flows: Flows, stepping: Stepping) -> None:
        self.flows = flows
        self.stepping = stepping
        self._cache: dict[UUID, Flow] = {}
        self._lock = threading.Lock()

    def enrol(
        self,
        tenant_id: UUID,
        flow_id: UUID,
        lead_id: UUID,
        *,
        cause: str,
        at: datetime,
        flow_version: int | None = None,
    ) -> Walked | None:
        """Admit the lead if the flow is enabled and its rule allows; answers what the
        walk did, or None when the lead was not admitted. `flow_version` is the flow's
        aggregate version the caller knows of (a newer cached one is kept)."""
        flow = self.flow(tenant_id, flow_id, flow_version)
        live = flow.live
        if not flow.enabled or live is None or live["graph"].get("start") is None:
            return None
        for _ in range(ATTEMPTS):
            enrolment = self._enrolment(tenant_id, flow_id, lead_id)
            admitted = enrolment.start(
                cause=cause,
                at=at,
                flow_version=flow.live_version,
                first_node=live["graph"]["start"],
                rule=flow.enrolment_rule,
                every_days=flow.every_days,
            )
            if not admitted:
                return None
            walked = self.stepping.walk(enrolment, flow)
            try:
                self.flows.commit(enrolment)
            except VersionConflict:  # the worker moved this enrolment meanwhile
                continue
            return walked
        raise VersionConflict(f"enrolment of lead {lead_id} in flow {flow_id} is busy")

    def flow(self, tenant_id: UUID, flow_id: UUID, version: int | None = None) -> Flow:
        """The flow, from memory unless `version` is newer than the one kept."""
        with self._lock:
            kept = self._cache.get(flow_id)
        if (
            kept is not None
            and kept.tenant_id == tenant_id
            and (version is None or kept.version >= version)
        ):
            return kept
        flow = self.flows.flow_of(tenant_id, flow_id)
        with self._lock:
            self._cache[flow_id] = flow
        return flow

    def _enrolment(self, tenant_id: UUID, flow_id: UUID, lead_id: UUID) -> Enrolment:
        try:
            return self.flows.enrolment_of(tenant_id, enrolment_id(flow_id, lead_id))
        except NotFound:
            return Enrolment.open(flow_id=flow_id, lead_id=lead_id, tenant_id=tenant_id)
