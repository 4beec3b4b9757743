"""The WeChat send worker (ADR 0016): runs the WeChat pipeline's rounds in a thread,
back to back while there is work and every `idle_seconds` when there is none.

Batches are leased rows (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one
`BEGIN IMMEDIATE` transaction), so any number of processes may run one; a crashed
worker's batches are claimed again when their lease lapses.
"""

from __future__ import annotations

import logging
import threading

from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.wechat.send_pipeline import WechatDispatch

log = logging.getLogger("huoke.wechat_send_worker")
SENDER = Actor(ActorKind.SYSTEM, "wechat-sender")


class WechatSendWorker:
    def __init__(self, dispatch: WechatDispatch, idle_seconds: float) -> None:
        self.dispatch = dispatch
        self.idle_seconds = idle_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wechat-send-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopping.is_set():
            busy = False
            try:
                with acting(RequestContext(actor=SENDER, request_id="wechat-send-worker")):
                    done = self.dispatch.run_once()
                busy = done.busy
                if busy:
                    log.debug("wechat send round: %s", done)
            except Exception:  # the next round tries again; claimed batches' leases run out
                log.exception("wechat send round failed")
            if not busy:
                self._stopping.wait(self.idle_seconds)
