"""The composition root: every concrete class is chosen here, and only here.

The platform's own providers (settings, storage, the process's one connection pool,
clock, permissions) are built first; then each context's manifest adds its providers
(`entrypoints/contexts/<name>.py`), in the order of `entrypoints.registry.CONTEXTS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dependency_injector import containers, providers

from adapters.persistence.idempotency import create_idempotency_table
from adapters.persistence.infrastructure import ProcessInfrastructure, close_view
from adapters.persistence.runners import (
    FollowerRunner,
    NamedGuard,
    exclusive,
    rebuild,
    upstreams_of,
)
from adapters.persistence.storage import Storage, load_or_create_cipher_key
from adapters.shared.clock import SystemClock
from application.shared.behaviours import BEHAVIOURS
from application.shared.event_sourced import EventSourcedContext
from application.shared.history import RecordHistory
from application.shared.views import ReadModel, View
from domain.shared.access import HISTORY_GRANTS, PermissionMatrix
from entrypoints.manifest import Manifest
from entrypoints.registry import CONTEXTS
from entrypoints.scheduler import Scheduler
from entrypoints.send_worker import SendWorker
from entrypoints.settings import Settings


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
    )


def application_names(contexts: Sequence[Manifest]) -> list[str]:
    return [name for manifest in contexts for name in manifest.applications]


def upstream_names(contexts: Sequence[Manifest]) -> list[str]:
    """What followers may follow: every application, and the behaviour log."""
    return [*application_names(contexts), BEHAVIOURS]


def followers_of(contexts: Sequence[Manifest]) -> list[type[ReadModel]]:
    return [model for manifest in contexts for model in manifest.followers]


def followers_by_upstream(contexts: Sequence[Manifest]) -> dict[str, list[type[ReadModel]]]:
    """For each application, the followers that read-your-writes waits for."""
    names = upstream_names(contexts)
    by_upstream: dict[str, list[type[ReadModel]]] = {name: [] for name in names}
    for model in followers_of(contexts):
        for upstream in upstreams_of(model, names):
            by_upstream[upstream].append(model)
    return by_upstream


def build_container(settings: Settings, contexts: Sequence[Manifest]) -> Any:
    """The platform's providers, then every context's, by its manifest alone."""
    c = containers.DynamicContainer()
    c.settings = providers.Object(settings)
    c.storage = providers.Singleton(build_storage, settings)
    c.infrastructure = providers.Singleton(
        ProcessInfrastructure, c.storage, followers_by_upstream(contexts)
    )
    c.clock = providers.Singleton(SystemClock)
    # The behaviour log: every context appends its observations here (ADR 0013).
    c.behaviours = providers.Singleton(_behaviour_log, c.infrastructure, c.clock)
    c.tenant_permissions = providers.Singleton(
        PermissionMatrix, [HISTORY_GRANTS, *(g for m in contexts for g in m.grants)]
    )
    c.configuration_events = providers.Object(
        {topic: text for m in contexts for topic, text in m.configuration_events.items()}
    )
    for manifest in contexts:
        for alias, model in manifest.views.items():
            setattr(c, alias, providers.Singleton(_query_view, c.infrastructure, model))
    needed = {name for manifest in contexts for name in manifest.needs}
    for name in needed:  # a placeholder now, the list of implementations once all are wired
        setattr(c, name, providers.Dependency())
    for manifest in contexts:
        for name, provider in manifest.providers(c).items():
            if name in c.providers:
                raise ValueError(f"context {manifest.name} redefines provider {name!r}")
            setattr(c, name, provider)
    offered: dict[str, list[providers.Provider[Any]]] = {name: [] for name in needed}
    for manifest in contexts:
        for name, provider in manifest.offers(c).items():
            if name not in offered:
                raise ValueError(f"context {manifest.name} offers {name!r}, which none needs")
            offered[name].append(provider)
    for name, implementations in offered.items():
        c.providers[name].override(providers.List(*implementations))
    c.history = providers.Singleton(
        RecordHistory, providers.List(*(c.providers[n] for n in application_names(contexts)))
    )
    return c


def _silent(done: int, total: int) -> None:
    """No progress to show."""


def _behaviour_log(infrastructure: ProcessInfrastructure, clock: Any) -> Any:
    return infrastructure.behaviour_log(clock)


def _query_view(infrastructure: ProcessInfrastructure, model: type[ReadModel]) -> View:
    return infrastructure.query_view(model)


@dataclass(frozen=True)
class FollowerPosition:
    follower: str
    upstream: str
    position: int
    head: int


class Runtime:
    """A running huoke: the container of every registered context, plus the follower
    runner and the scheduler when they run in-process."""

    def __init__(self, settings: Settings, contexts: Sequence[Manifest] = CONTEXTS) -> None:
        self.settings = settings
        self.contexts = tuple(contexts)
        self.container = build_container(settings, self.contexts)
        self.runner: FollowerRunner | None = None
        self.scheduler: Scheduler | None = None
        self.sender: SendWorker | None = None
        self.workers: list[Any] = []  # the contexts' background workers, once started
        self.bounces: Any = None

    @property
    def application_names(self) -> list[str]:
        return application_names(self.contexts)

    @property
    def upstream_names(self) -> list[str]:
        return upstream_names(self.contexts)

    @property
    def applications(self) -> Sequence[EventSourcedContext]:
        return [self.container.providers[name]() for name in self.application_names]

    @property
    def followers(self) -> list[type[ReadModel]]:
        return followers_of(self.contexts)

    @property
    def views(self) -> Sequence[View]:
        """The query view of every follower (policies' hold only their positions)."""
        infrastructure = self.container.infrastructure()
        return [infrastructure.query_view(model) for model in self.followers]

    def make_follower(self, model: type[ReadModel], view: View) -> ReadModel:
        """A follower over `view`: by its own provider when it has collaborators."""
        provider = self.container.providers.get(model.name)
        return provider(view=view) if provider is not None else model(view=view)

    def start(self) -> Runtime:
        """Open every application and view; start the follower runner if in-process."""
        self.applications  # noqa: B018 - construct (and on first run create) the stores now
        self.views  # noqa: B018
        self.container.behaviours()
        if self.settings.in_process_projections:
            self.start_workers()
            self.start_scheduler()
            self.start_sender()
        return self

    def start_sender(self) -> SendWorker | None:
        """The send pipelines' worker threads: messaging's, and every worker the contexts'
        manifests declare (any number of processes may run them)."""
        for context in self.contexts:
            for name in context.workers:
                worker = self.container.providers[name]()
                worker.start()
                self.workers.append(worker)
        if "send_dispatch" not in self.container.providers:
            return None
        messaging = self.settings.messaging
        self.sender = SendWorker(
            self.container.send_dispatch(),
            messaging.send_interval_seconds,
            messaging.send_rate_per_second,
        )
        self.sender.start()
        self.bounces = self.container.bounce_receiver()  # None unless HUOKE_BOUNCE_LISTEN
        if self.bounces is not None:
            self.bounces.start()
        return self.sender

    def start_workers(self) -> FollowerRunner:
        """One thread keeping every follower this process can hold up to date."""
        self.runner = FollowerRunner(
            self.followers,
            self.container.infrastructure(),
            self.upstream_names,
            self.make_follower,
        )
        self.runner.start()
        return self.runner

    def start_scheduler(self) -> Scheduler | None:
        """Expiry and refund sweeps in a background thread (one process at a time)."""
        if "billing" not in self.application_names:
            return None
        container = self.container
        self.scheduler = Scheduler(
            container.billing(),
            container.billing_queries(),
            container.clock(),
            NamedGuard(container.storage(), "scheduler"),
            self.settings.scheduler_interval_seconds,
            retention=container.behaviour_retention()
            if "behaviour_retention" in container.providers
            else None,
            score_expiry=container.score_expiry()
            if "score_expiry" in container.providers
            else None,
            time_relative_groups=container.time_relative_groups()
            if "time_relative_groups" in container.providers
            else None,
        )
        self.scheduler.start()
        return self.scheduler

    def follower(self, name: str) -> type[ReadModel]:
        models = {model.name: model for model in self.followers}
        if name not in models:
            raise KeyError(f"unknown read model {name!r}; one of: {', '.join(models)}")
        return models[name]

    def rebuild(self, name: str, progress: Callable[[int, int], None] | None = None) -> int:
        """Empty one follower's view and replay its upstreams into it (refused with
        `FollowerHeld` while a runner keeps it); answers how many events it replayed."""
        model = self.follower(name)
        infrastructure = self.container.infrastructure()
        with exclusive(infrastructure.storage, model.name):
            view = infrastructure.open_view(model)
            try:
                upstreams = [
                    self.container.providers[n]() for n in upstreams_of(model, self.upstream_names)
                ]
                view.ensure_version()  # type: ignore[attr-defined]
                follower = self.make_follower(model, view)
                return rebuild(
                    follower, view, upstreams, **({"progress": progress} if progress else {})
                )
            finally:
                close_view(view)

    def positions(self) -> list[FollowerPosition]:
        """How far each follower is behind each of its upstreams."""
        infrastructure = self.container.infrastructure()
        upstreams = [*self.applications, self.container.behaviours()]
        heads = {a.name: a.recorder.max_notification_id() or 0 for a in upstreams}
        return [
            FollowerPosition(
                model.name,
                upstream,
                infrastructure.query_view(model).max_tracking_id(upstream) or 0,
                heads[upstream],
            )
            for model in self.followers
            for upstream in upstreams_of(model, self.upstream_names)
        ]

    def close(self) -> None:
        if self.sender is not None:
            self.sender.stop()
        for worker in reversed(self.workers):
            worker.stop()
        if self.bounces is not None:
            self.bounces.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.runner is not None:
            self.runner.stop()
        for application in self.applications:
            application.close()
        self.container.infrastructure().close()
        self.container.reset_singletons()


def migrate(settings: Settings, contexts: Sequence[Manifest] = CONTEXTS) -> list[str]:
    """Create every events table and read-model table (CREATE_TABLE=y once)."""
    runtime = Runtime(replace(settings, auto_migrate=True, in_process_projections=False), contexts)
    try:
        runtime.start()
        keys = create_idempotency_table(runtime.container.storage())
        queues = []
        if "send_queue" in runtime.container.providers:  # messaging's durable work items
            runtime.container.send_queue().create_tables()
            queues.append("messaging_queue")
        if "sms_sent_texts" in runtime.container.providers:  # provider ids of sent texts
            runtime.container.sms_sent_texts().create_tables()
            queues.append("messaging_sms_sent")
        if "wechat_send_ledger" in runtime.container.providers:  # WeChat's send rows
            runtime.container.wechat_send_ledger().create_tables()
            queues.append("wechat_send_ledger")
        if "wechat_access_tokens" in runtime.container.providers:  # shared access tokens
            runtime.container.wechat_access_tokens().create_tables()
            queues.append("wechat_access_tokens")
        return [
            *runtime.upstream_names,
            *(model.name for model in runtime.followers),
            keys,
            *queues,
        ]
    finally:
        runtime.close()


# Kept for the CLI: the followers every registered context brings.
READ_MODELS: tuple[type[ReadModel], ...] = tuple(followers_of(CONTEXTS))
