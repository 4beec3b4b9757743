"""One process's persistence: every application and read model on one connection pool.

Embedded default: one SQLite file per application and per read model under the var
directory (SQLite table names ignore the application name, so they cannot share a
file). PostgreSQL: one `PostgresDatastore`, so one pool of at most HUOKE_POOL_SIZE
connections, shared by every application, view, snapshot store and
read-your-writes wait of the process, however many contexts there are (ADR 0007).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from eventsourcing.persistence import BaseInfrastructureFactory, InfrastructureFactory
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import Environment

from adapters.persistence.behaviour_log import PostgresBehaviourLog, SQLiteBehaviourLog
from adapters.persistence.storage import Storage
from adapters.persistence.views import view_class_for
from application.shared.behaviours import BEHAVIOURS
from application.shared.clock import Clock
from application.shared.event_sourced import EventSourcedContext
from application.shared.views import ReadModel, View


class SharedPoolPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory on a datastore it does not own: recorders for
    one application or view, on the process's shared pool."""

    def __init__(self, env: Environment, datastore: PostgresDatastore) -> None:
        BaseInfrastructureFactory.__init__(self, env)  # not BasePostgresFactory: no pool
        self.datastore = datastore

    def close(self) -> None:
        """The pool outlives each application; `ProcessInfrastructure.close` closes it."""


class ProcessInfrastructure:
    """Factories, views and readers for every context of this process.

    `followers` maps an application's name to the read models (and policies) following
    it, so that a command asked to read its own writes waits for exactly those."""

    def __init__(self, storage: Storage, followers: Mapping[str, Sequence[type[ReadModel]]]):
        self.storage = storage
        self.followers = {name: tuple(models) for name, models in followers.items()}
        self._base_env = storage.base_env()
        self._lock = threading.Lock()
        self._query_views: dict[str, View] = {}
        self._behaviour_log: PostgresBehaviourLog | SQLiteBehaviourLog | None = None
        self.datastore: PostgresDatastore | None = None
        if storage.database_url is not None:
            postgres = PostgresFactory(Environment("huoke", self._base_env))
            self.datastore = postgres.datastore

    # --- the Infrastructure port of the applications --------------------------------------

    def application_env(self, name: str) -> dict[str, str]:
        return {**self._base_env, **self.storage.application_env(name)}

    def factory(self, env: Environment) -> InfrastructureFactory[Any]:
        if self.datastore is not None:
            return SharedPoolPostgresFactory(env, self.datastore)
        return InfrastructureFactory.construct(env)

    def wait_for_followers(self, application: str, position: int, timeout: float) -> bool:
        for model in self.followers.get(application, ()):
            try:
                self.query_view(model).wait(application, position, timeout=timeout)
            except TimeoutError:
                return False
        return True

    # --- views and readers ------------------------------------------------------------

    def open_view(self, read_model: type[ReadModel], *, create_table: bool | None = None) -> View:
        """A new connection to a read model's storage (a runner's own, or a rebuild's)."""
        env = {**self._base_env, **self.storage.view_env(read_model.name)}
        if create_table is not None:
            env["CREATE_TABLE"] = "y" if create_table else "n"
        factory = self.factory(
            Environment(read_model.name, ProjectionRunner._construct_env(read_model.name, env))
        )
        view = factory.tracking_recorder(
            view_class_for(read_model, postgres=self.datastore is not None)
        )
        assert isinstance(view, View)
        return view

    def query_view(self, read_model: type[ReadModel]) -> View:
        """The process's view of `read_model` for queries and read-your-writes waits."""
        with self._lock:
            found = self._query_views.get(read_model.name)
        if found is None:
            opened = self.open_view(read_model)
            with self._lock:
                found = self._query_views.setdefault(read_model.name, opened)
            if found is not opened:
                close_view(opened)
        return found

    def reader(self, application: str) -> Any:
        """A bare application over `application`'s events (followers only read, so they
        need none of its use cases' collaborators), or the behaviour log."""
        if application == BEHAVIOURS:
            return self._open_behaviour_log()
        cls = type(f"{application.title()}Events", (EventSourcedContext,), {"name": application})
        return cls(self)

    def behaviour_log(self, clock: Clock) -> PostgresBehaviourLog | SQLiteBehaviourLog:
        """The process's behaviour log (its tables created on first use if allowed)."""
        with self._lock:
            if self._behaviour_log is None:
                log = self._open_behaviour_log()
                if self.storage.create_tables:
                    log.create_tables(now=clock.now())
                self._behaviour_log = log
            return self._behaviour_log

    def _open_behaviour_log(self) -> PostgresBehaviourLog | SQLiteBehaviourLog:
        if self.datastore is not None:
            return PostgresBehaviourLog(self.datastore, self.storage.cipher_key)
        return SQLiteBehaviourLog(
            self.storage.var_dir / "behaviours.sqlite", self.storage.cipher_key
        )

    def close(self) -> None:
        with self._lock:
            views, self._query_views = list(self._query_views.values()), {}
            log, self._behaviour_log = self._behaviour_log, None
        if log is not None:
            log.close()
        for view in views:
            close_view(view)
        if self.datastore is not None:
            self.datastore.close()


def close_view(view: View) -> None:
    """Close a view's own SQLite connections (on PostgreSQL it has none of its own)."""
    if not isinstance(view.datastore, PostgresDatastore):  # type: ignore[attr-defined]
        view.datastore.close()  # type: ignore[attr-defined]
