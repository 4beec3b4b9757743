"""The base of every bounded context's application: stamped events, group commit,
tenant-scoped loading and idempotent creation."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, Mapper
from eventsourcing.utils import Environment

from application.shared.context import current_context
from application.shared.errors import NotFound, VersionConflict
from application.shared.stamping import StampingMapper, stamp
from application.shared.writer import GroupCommitWriter

A = TypeVar("A", bound=Aggregate)
log = logging.getLogger("huoke.application")
READ_YOUR_WRITES_TIMEOUT_SECONDS = 5.0


class Infrastructure(Protocol):
    """Where a process keeps its events and who follows them: one connection pool shared
    by every application and read model of the process (the composition root builds it)."""

    def application_env(self, name: str) -> dict[str, str]:
        """The library settings of the application called `name`."""
        ...

    def factory(self, env: Environment) -> InfrastructureFactory[Any]:
        """Recorders for `env.name` on the process's shared database connections."""
        ...

    def wait_for_followers(self, application: str, position: int, timeout: float) -> bool:
        """Wait until every read model following `application` has processed `position`;
        False when one still lags at the timeout."""
        ...


class EventSourcedContext(Application[UUID]):
    """One bounded context's event-sourced application (one events table of its own)."""

    def __init__(self, infrastructure: Infrastructure) -> None:
        self.infrastructure = infrastructure
        super().__init__(infrastructure.application_env(self.name))
        self.writer = GroupCommitWriter(self.recorder)

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        return self.infrastructure.factory(env)

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=StampingMapper
        )

    def close(self) -> None:
        self.writer.close()
        super().close()

    # --- writing -------------------------------------------------------------------------

    def commit(self, *aggregates: Aggregate) -> int | None:
        """Store the pending events of `aggregates` in one transaction (group-committed with
        concurrent commands). Returns the notification position, or None if nothing changed.

        An aggregate whose class has a snapshotting interval and whose version reached a
        multiple of it in this commit is snapshotted once the events are stored.

        Raises `VersionConflict` when a concurrent command already saved one of them.
        """
        events = []
        due: list[Aggregate] = []
        for aggregate in aggregates:
            tenant_id = getattr(aggregate, "tenant_id", None)
            pending = aggregate.collect_events()
            for event in pending:
                stamp(event, tenant_id=tenant_id)
                events.append(event)
            if pending and self._snapshot_due(aggregate, pending[0].originator_version):
                due.append(aggregate)
        if not events:
            return None
        # Map (stamp, transcode, encrypt) here, in the command's own context.
        stored = [self.mapper.to_stored_event(event) for event in events]
        try:
            position = self.writer.write(stored)
        except IntegrityError:
            raise VersionConflict(
                "the record was changed by someone else; reload and retry"
            ) from None
        for aggregate in due:
            self._snapshot(aggregate)
        if current_context().read_your_writes:
            self.wait_for_views(position)
        return position

    def _snapshot_due(self, aggregate: Aggregate, first_version: int) -> bool:
        """Whether the versions `first_version`…`aggregate.version` reach a multiple of the
        class's interval (the library's rule, once per commit however many events)."""
        interval = type(self).snapshotting_intervals.get(type(aggregate))
        if not interval or self.snapshots is None:
            return False
        return (first_version - 1) // interval < aggregate.version // interval

    def _snapshot(self, aggregate: Aggregate) -> None:
        """Store the state of a just-committed aggregate as a snapshot at its version, so
        that loading it reads the snapshot and only the events after it.

        The state is taken from the aggregate in memory, which the events just stored
        describe exactly (event bodies are its only writers; the integration tests compare
        snapshot + tail with a full replay for every class given an interval), instead of
        the library's reload of every event since the last snapshot. The events are
        committed already: a snapshot that cannot be stored only costs a longer replay
        later, so the command still succeeds."""
        assert self.snapshots is not None
        try:
            self.snapshots.put([type(aggregate).Snapshot.take(aggregate)])
        except Exception:
            log.warning(
                "%s: no snapshot of %s %s at version %s",
                self.name,
                type(aggregate).__name__,
                aggregate.id,
                aggregate.version,
                exc_info=True,
            )

    def create(self, aggregate: A, *companions: Aggregate) -> A:
        """Commit a new aggregate with its companions (e.g. unique-key claims).

        When the request carries an Idempotency-Key and the same creation was already
        committed, answer with the record as that first request created it.
        """
        try:
            self.commit(aggregate, *companions)
        except VersionConflict:
            first = self._first_version(aggregate.id, type(aggregate))
            if first is None:
                raise
            return first
        return aggregate

    def new_id(self, kind: str) -> UUID:
        """An id for a new `kind` record: derived from the Idempotency-Key when one was sent,
        so that a repeated request collides with its first attempt instead of duplicating it."""
        context = current_context()
        if context.idempotency_key is None:
            return uuid.uuid4()
        actor = context.actor
        return uuid.uuid5(
            uuid.NAMESPACE_URL,
            f"/huoke/idempotency/{actor.kind}/{actor.id}/{kind}/{context.idempotency_key}",
        )

    def _first_version(self, aggregate_id: UUID, cls: type[A]) -> A | None:
        if current_context().idempotency_key is None:
            return None
        try:
            first: Aggregate = self.repository.get(aggregate_id, version=1)
        except AggregateNotFoundError:
            return None
        return first if isinstance(first, cls) else None

    def wait_for_views(self, position: int) -> bool:
        """Wait until every read model following this application has processed `position`.

        The command has already committed, so a view that lags beyond the timeout is not
        an error of the command: answer False and let the caller read a moment later.
        """
        return self.infrastructure.wait_for_followers(
            self.name, position, READ_YOUR_WRITES_TIMEOUT_SECONDS
        )

    # --- reading for a command -----------------------------------------------------------

    def load(
        self,
        aggregate_id: UUID,
        cls: type[A],
        *,
        tenant_id: UUID | None,
        expected_version: int | None = None,
    ) -> A:
        """Load a record of type `cls` that the tenant owns (`tenant_id=None`: platform staff).

        Another tenant's record, a record of another type and a missing record all answer
        `NotFound`, so a caller learns nothing about ids it does not own. When
        `expected_version` is given (If-Match), a different version is a `VersionConflict`.
        """
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {cls.__name__} {aggregate_id}") from None
        if not isinstance(aggregate, cls) or (
            tenant_id is not None and getattr(aggregate, "tenant_id", None) != tenant_id
        ):
            raise NotFound(f"no {cls.__name__} {aggregate_id}")
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(
                f"{cls.__name__} is at version {aggregate.version}, not {expected_version}"
            )
        return aggregate

    def history(self, aggregate_id: UUID) -> Sequence[Any]:
        """Every stored event of one record, oldest first (decrypted, with its `_meta`)."""
        return list(self.events.get(aggregate_id))
