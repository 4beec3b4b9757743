"""The composition root: every concrete class is chosen here, and only here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from dependency_injector import containers, providers

from adapters.persistence.runners import ProjectionWorker, open_view
from adapters.persistence.storage import Storage, load_or_create_cipher_key
from adapters.security.argon2_hasher import Argon2SecretHasher
from application.org.directory import OrgDirectory, OrgQueries
from application.org.organisation import Organisation
from application.shared.event_sourced import EventSourcedContext
from application.shared.history import RecordHistory
from application.shared.views import ReadModel, View
from application.tenancy.directory import TenancyDirectory, TenancyQueries
from application.tenancy.tenancy import Tenancy
from entrypoints.settings import Settings

APPLICATIONS: tuple[type[EventSourcedContext], ...] = (Tenancy, Organisation)
READ_MODELS: tuple[type[ReadModel], ...] = (TenancyDirectory, OrgDirectory)


def build_storage(settings: Settings) -> Storage:
    return Storage(
        var_dir=settings.var_dir,
        cipher_key=load_or_create_cipher_key(
            settings.cipher_key,
            settings.var_dir / "cipher.key",
            shared_database=settings.database_url is not None,
        ),
        database_url=settings.database_url,
        create_tables=settings.auto_migrate,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
    )


def build_env(storage: Storage) -> dict[str, str]:
    return storage.env([app.name for app in APPLICATIONS], [model.name for model in READ_MODELS])


def following(application: EventSourcedContext, *views: View) -> Any:
    """Let `application` wait for `views` when a caller asks to read its own writes."""
    application.views.extend(views)
    return application


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    storage = providers.Singleton(build_storage, settings)
    env = providers.Singleton(build_env, storage)
    hasher = providers.Singleton(Argon2SecretHasher, fast=settings.provided.fast_hashing)

    tenancy_view = providers.Singleton(open_view, TenancyDirectory, storage, env)
    org_view = providers.Singleton(open_view, OrgDirectory, storage, env)

    org = providers.Singleton(following, providers.Singleton(Organisation, env), org_view)
    tenancy = providers.Singleton(
        following, providers.Singleton(Tenancy, env, hasher=hasher, roster=org), tenancy_view
    )

    tenancy_queries = providers.Singleton(TenancyQueries, tenancy_view)
    org_queries = providers.Singleton(OrgQueries, org_view)
    history = providers.Singleton(RecordHistory, providers.List(tenancy, org))


class Runtime:
    """A running huoke: the container plus projection workers when they run in-process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.container = Container(settings=settings)
        self.workers: list[ProjectionWorker] = []

    @property
    def applications(self) -> Sequence[EventSourcedContext]:
        return [self.container.tenancy(), self.container.org()]

    @property
    def views(self) -> Sequence[View]:
        return [self.container.tenancy_view(), self.container.org_view()]

    def start(self) -> Runtime:
        """Open every application and view; start projection runners if in-process."""
        self.applications  # noqa: B018 - construct (and on first run create) the stores now
        self.views  # noqa: B018
        if self.settings.in_process_projections:
            self.start_workers()
        return self

    def start_workers(self) -> list[ProjectionWorker]:
        storage, env = self.container.storage(), self.container.env()
        self.workers = [ProjectionWorker(model, storage, env) for model in READ_MODELS]
        for worker in self.workers:
            worker.start()
        return self.workers

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        for application in self.applications:
            application.close()
        for view in self.views:
            close = getattr(view.datastore, "close", None)  # type: ignore[attr-defined]
            if close:
                close()
        self.container.unwire()
        self.container.reset_singletons()


def migrate(settings: Settings) -> list[str]:
    """Create every events table and read-model table (CREATE_TABLE=y once)."""
    runtime = Runtime(replace(settings, auto_migrate=True, in_process_projections=False))
    try:
        runtime.start()
        return [app.name for app in runtime.applications] + [m.name for m in READ_MODELS]
    finally:
        runtime.close()
