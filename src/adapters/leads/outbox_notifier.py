"""The sandbox owner notifier (embedded default): notices go to a JSON-lines outbox
under the var directory instead of WeCom or e-mail."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

log = logging.getLogger("huoke.notifications")


class OutboxNotifier:
    """Appends one line per notice to `<var>/outbox/notifications.jsonl`."""

    def __init__(self, outbox: Path) -> None:
        self.path = outbox / "notifications.jsonl"
        self._lock = threading.Lock()

    def owner_assigned(self, tenant_id: UUID, lead_id: UUID, owner_id: UUID) -> None:
        self._write("lead.assigned", tenant_id, lead_id, owner_id)

    def owner_notified(self, tenant_id: UUID, lead_id: UUID, owner_id: UUID, text: str) -> None:
        """A flow's notify-owner step (FLOW-3)."""
        self._write("flow.owner_notified", tenant_id, lead_id, owner_id, text=text)

    def _write(
        self, kind: str, tenant_id: UUID, lead_id: UUID, owner_id: UUID, **extra: str
    ) -> None:
        notice = {
            "at": datetime.now(UTC).isoformat(),
            "kind": kind,
            "tenant_id": str(tenant_id),
            "lead_id": str(lead_id),
            "to_employee_id": str(owner_id),
            **extra,
        }
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(notice) + "\n")
        except OSError:  # the assignment stands even when the notice cannot be written
            log.exception("could not write the %s notice for lead %s", kind, lead_id)
