"""The send worker (ADR 0015): runs a send pipeline's rounds in a thread, back to back
while there is work and every `idle_seconds` when there is none (messaging's pipeline,
and WeChat's, ADR 0017).

Claims are leased rows (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one
`BEGIN IMMEDIATE` transaction), so any number of processes may run one; a crashed
worker's claims run out and are taken again.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from application.shared.context import Actor, ActorKind, RequestContext, acting

log = logging.getLogger("huoke.send_worker")


class Round(Protocol):
    @property
    def busy(self) -> bool: ...

    sent: int


class Pipeline(Protocol):
    def run_once(self) -> Round: ...


class SendWorker:
    def __init__(
        self,
        dispatch: Pipeline,
        idle_seconds: float,
        rate_per_second: float | None = None,
        *,
        name: str = "send-worker",
        actor: str = "sender",
    ) -> None:
        self.dispatch = dispatch
        self.idle_seconds = idle_seconds
        self.rate_per_second = rate_per_second
        self.name = name
        self._actor = Actor(ActorKind.SYSTEM, actor)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopping.is_set():
            busy = False
            started = time.monotonic()
            try:
                with acting(RequestContext(actor=self._actor, request_id=self.name)):
                    done = self.dispatch.run_once()
                busy = done.busy
                if busy:
                    log.debug("%s round: %s", self.name, done)
                    self._pace(done.sent, time.monotonic() - started)
            except Exception:  # the next round tries again; claimed rows' leases run out
                log.exception("%s round failed", self.name)
            if not busy:
                self._stopping.wait(self.idle_seconds)

    def _pace(self, sent: int, took: float) -> None:
        """Keep to the providers' rate: wait out what this round sent too fast."""
        if self.rate_per_second and sent:
            self._stopping.wait(max(0.0, sent / self.rate_per_second - took))
