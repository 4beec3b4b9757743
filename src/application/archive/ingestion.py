"""Archive ingestion (ARCH-1, ADR 0020): a tenant's archived chats pulled by sequence
number into the behaviour log, decrypted and screened on the way.

One pull: the tenant's cursor (the highest seq stored), a batch of what comes after it
from the source (GetChatData), each message opened with the private key of its
`publickey_ver`, the batch screened for sensitive words and behaviours (ARCH-3), and
the messages and their alerts appended to the behaviour log in ONE store call. Only
then does the cursor move, to the highest seq of the batch.

- No duplicates: a message's row is keyed by its msgid (`archive:<msgid>`), so a batch
  pulled again after a crash between the append and the cursor, or by two pullers at
  once, stores nothing twice; the cursor never moves back.
- No gaps: the cursor passes only seqs whose messages are stored. A message that will
  not open is stored too, as type `undecryptable` with its sealed text and the reason,
  rather than skipped: it is counted, shown, and can be opened later with the right key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from application.archive.chat_documents import MALFORMED, message_of_chat, undecryptable_message
from application.archive.messages import ArchivedMessage, MessageScreen, behaviour_of
from application.archive.ports import (
    ARCHIVE_FEATURE,
    MAX_LIMIT,
    ArchiveSource,
    ChatCipher,
    EditionGate,
    EncryptedChat,
    IngestionLedger,
)
from application.archive.setup import ArchiveSetup
from application.archive.setup_commands import IngestionStatus, PullReport
from application.shared.behaviours import BehaviourLog
from application.shared.clock import Clock
from domain.archive.settings import ArchiveSettings
from domain.shared.errors import StateConflict

Progress = Callable[[PullReport], None]


@dataclass(frozen=True)
class Batch:
    """One batch as pulled: its chats (repeats within it dropped, ascending by seq) and
    the cursor it was pulled after."""

    tenant_id: UUID
    after: int
    chats: list[EncryptedChat]
    answered: int  # how many entries the source answered (repeats included)


class ArchiveIngestion:
    """Pulls tenants' archives into the behaviour log."""

    def __init__(
        self,
        setup: ArchiveSetup,
        source: ArchiveSource,
        cipher: ChatCipher,
        screen: MessageScreen,
        log: BehaviourLog,
        ledger: IngestionLedger,
        gate: EditionGate,
        clock: Clock,
        *,
        batch_size: int = MAX_LIMIT,
    ) -> None:
        if not 1 <= batch_size <= MAX_LIMIT:
            raise ValueError(f"batch_size must be 1 to {MAX_LIMIT}")
        self.setup = setup
        self.source = source
        self.cipher = cipher
        self.screen = screen
        self.log = log
        self.ledger = ledger
        self.gate = gate
        self.clock = clock
        self.batch_size = batch_size
        self._locks: dict[UUID, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def pull_once(self, tenant_id: UUID) -> PullReport:
        """Pull, store and screen one batch of the tenant's archive (enabled only: 409
        otherwise); a failure is recorded on the tenant's status and raised, and then
        nothing was stored and the cursor stayed."""
        settings = self._enabled(tenant_id)
        with self._lock_of(tenant_id):  # one puller per tenant in a process; others dedup
            try:
                self.gate.require_feature(tenant_id, ARCHIVE_FEATURE)
                batch = self.fetch(settings)
                return self.store(settings, batch)
            except Exception as failure:
                self.ledger.failed(tenant_id, error=_said(failure), at=self.clock.now())
                raise

    def pull(
        self, tenant_id: UUID, *, batches: int | None = None, progress: Progress | None = None
    ) -> PullReport:
        """Pull batch after batch until the source has no more (or `batches` are done);
        `progress` hears the running total after each."""
        total = PullReport()
        while batches is None or total.batches < batches:
            done = self.pull_once(tenant_id)
            total = PullReport(
                batches=total.batches + 1,
                fetched=total.fetched + done.fetched,
                stored=total.stored + done.stored,
                repeated=total.repeated + done.repeated,
                undecryptable=total.undecryptable + done.undecryptable,
                alerts=total.alerts + done.alerts,
                seq=done.seq,
                more=done.more,
            )
            if progress is not None:
                progress(total)
            if not done.more:
                break
        return total

    def pull_now(self, tenant_id: UUID, *, batches: int) -> IngestionStatus:
        """Pull up to `batches` batches at once (the console's button): a tenant whose
        archive is off pulls nothing, and the answer says it is off."""
        self.gate.require_feature(tenant_id, ARCHIVE_FEATURE)
        settings = self.setup.stored(tenant_id)
        pulled = PullReport()
        if settings is not None and settings.enabled:
            pulled = self.pull(tenant_id, batches=batches)
        return self.status(tenant_id, pulled=pulled)

    def status(self, tenant_id: UUID, *, pulled: PullReport | None = None) -> IngestionStatus:
        """How far the tenant's archive is pulled, and how the last pull went."""
        settings = self.setup.stored(tenant_id)
        state = self.ledger.state(tenant_id)
        return IngestionStatus(
            enabled=bool(settings and settings.enabled),
            seq=state.seq,
            stored=state.stored,
            undecryptable=state.undecryptable,
            alerts=state.alerts,
            pulls=state.pulls,
            last_pull_at=state.last_pull_at,
            last_error=state.last_error,
            last_error_at=state.last_error_at,
            pulled=pulled,
        )

    # --- the two steps of a pull -----------------------------------------------------------

    def fetch(self, settings: ArchiveSettings) -> Batch:
        """The batch after the tenant's cursor, as the source answers it."""
        after = self.ledger.state(settings.tenant_id).seq
        answered = self.source.chat_data(self.setup.account_of(settings), after, self.batch_size)
        unique: dict[str, EncryptedChat] = {}
        for chat in answered:
            unique.setdefault(chat.msgid, chat)
        chats = sorted(unique.values(), key=lambda chat: chat.seq)
        return Batch(settings.tenant_id, after, chats, len(answered))

    def store(self, settings: ArchiveSettings, batch: Batch) -> PullReport:
        """Open, screen and append a batch in one store call, then move the cursor."""
        tenant_id = batch.tenant_id
        received = self.clock.now()
        versions = {chat.publickey_ver for chat in batch.chats}
        keys = {v: pem for v in versions if (pem := settings.private_key_of(v)) is not None}
        opened = self.cipher.open(batch.chats, keys)
        messages: list[ArchivedMessage] = []
        readable: list[ArchivedMessage] = []
        for chat, result in zip(batch.chats, opened, strict=True):
            message = message_of_chat(chat, result.document) if result.document else None
            if message is None:
                failure = result.failure or MALFORMED
                messages.append(undecryptable_message(chat, failure, received))
            else:
                messages.append(message)
                readable.append(message)
        alerts = self.screen.alerts(tenant_id, readable) if readable else []
        by_msgid = {message.msgid: message for message in readable}
        rows = [behaviour_of(tenant_id, message, received_at=received) for message in messages]
        rows += [
            alert.behaviour(tenant_id, by_msgid[alert.msgid], received)
            for alert in alerts
            if alert.msgid in by_msgid
        ]
        positions = self.log.append(rows)  # the one store call: all of the batch or none
        fresh = [message for message, at in zip(messages, positions, strict=False) if at]
        stored_alerts = sum(1 for at in positions[len(messages) :] if at)
        undecryptable = sum(1 for message in fresh if message.msgtype == "undecryptable")
        highest = max((chat.seq for chat in batch.chats), default=batch.after)
        state = self.ledger.advance(
            tenant_id,
            seq=highest,
            stored=len(fresh),
            undecryptable=undecryptable,
            alerts=stored_alerts,
            at=received,
        )
        return PullReport(
            batches=1,
            fetched=batch.answered,
            stored=len(fresh),
            repeated=batch.answered - len(fresh),
            undecryptable=undecryptable,
            alerts=stored_alerts,
            seq=state.seq,
            more=batch.answered >= self.batch_size,
        )

    # --- helpers -------------------------------------------------------------------------

    def _enabled(self, tenant_id: UUID) -> ArchiveSettings:
        settings = self.setup.stored(tenant_id)
        if settings is None or not settings.enabled:
            raise StateConflict("the archive is not enabled", field="enabled")
        return settings

    def _lock_of(self, tenant_id: UUID) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(tenant_id, threading.Lock())


def _said(failure: Exception) -> str:
    message = getattr(failure, "message", None) or str(failure) or type(failure).__name__
    code = getattr(failure, "code", None)
    return f"{code}: {message}" if code else str(message)
