"""Imports started from the console run in the background, so that the person sees the
import's page at once and watches it fill (the API's POST answers when it is done).

The run itself is `LeadImports.start`, batch by batch in its own transactions; this only
keeps, per import, how many rows the file has and how many were read so far, which the
import's page shows as a progress bar. That is process memory: after a restart the page
still shows the import's state and applied rows from the import itself, only the total
is unknown.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from application.leads.imports import ImportOptions, LeadImports

log = logging.getLogger("huoke.console.imports")
REMEMBERED = 1000  # imports whose progress is kept (the latest started)
START_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Progress:
    read: int  # rows read so far
    total: int | None  # about how many rows the file has, if known


class ImportRuns:
    """Starts imports on a thread of their own and remembers how far each has read."""

    def __init__(self) -> None:
        self._progress: OrderedDict[UUID, Progress] = OrderedDict()
        self._lock = threading.Lock()

    def start(
        self,
        lead_imports: LeadImports,
        tenant_id: UUID,
        file_name: str,
        content: bytes,
        options: ImportOptions,
    ) -> UUID:
        """Start the import and answer its id once it is stored; a file refused as a
        whole (unreadable, a bad mapping) raises here, as the use case raises it."""
        started = threading.Event()
        found: dict[str, object] = {}

        def progress(import_id: UUID, read: int, total: int | None) -> None:
            self._record(import_id, Progress(read, total))
            found.setdefault("id", import_id)
            started.set()

        def run() -> None:
            try:
                details = lead_imports.start(
                    tenant_id, file_name, content, options, progress=progress
                )
                found.setdefault("id", details.id)
            except BaseException as error:  # told to the request that waits, else logged
                if not started.is_set():
                    found["error"] = error
                else:
                    log.exception("lead import of tenant %s stopped", tenant_id)
            finally:
                started.set()

        # The thread acts as the person who started it (actor, request id on the events).
        context = contextvars.copy_context()
        threading.Thread(target=context.run, args=(run,), daemon=True).start()
        if not started.wait(START_TIMEOUT_SECONDS):
            raise TimeoutError("the import did not start in time")
        error = found.get("error")
        if isinstance(error, BaseException):
            raise error
        import_id = found["id"]
        assert isinstance(import_id, UUID)
        return import_id

    def progress(self, import_id: UUID) -> Progress | None:
        with self._lock:
            return self._progress.get(import_id)

    def _record(self, import_id: UUID, progress: Progress) -> None:
        with self._lock:
            self._progress[import_id] = progress
            self._progress.move_to_end(import_id)
            while len(self._progress) > REMEMBERED:
                self._progress.popitem(last=False)


# One per process: the imports it runs are its own threads.
RUNS = ImportRuns()
