"""What a bounded context brings to huoke: the one place a context is wired.

The container, `Runtime`, `create_app`, `huoke db migrate`, `/readyz`, the follower
workers, the OpenAPI tags, the permission matrix, the operation log's catalogue and the
isolation tests' route catalogue are all derived from the registry of manifests
(`entrypoints.registry.CONTEXTS`), so adding a context adds its own files and one line
there (ADR 0007).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from application.shared.views import ReadModel
from domain.shared.access import Grants
from entrypoints.web.nav import NavItem

# A context's providers, given the container built so far (the platform's providers
# and those of the contexts registered before it).
Providers = Callable[[containers.DynamicContainer], Mapping[str, providers.Provider[Any]]]


@dataclass(frozen=True)
class Manifest:
    """One bounded context: its applications, followers, permissions, HTTP surface."""

    name: str
    providers: Providers
    # Provider names of its event-sourced applications (each the application's `name`).
    applications: tuple[str, ...] = ()
    # Read models and policies; a follower whose provider exists under its `name` is
    # built by it (policies need their application), others from their view alone.
    followers: tuple[type[ReadModel], ...] = ()
    # Read models whose query views get a provider `<alias>` (names kept for callers).
    views: Mapping[str, type[ReadModel]] = field(default_factory=dict)
    grants: tuple[Grants, ...] = ()
    controllers: tuple[Any, ...] = ()
    # Providers handed to HTTP handlers under the same parameter name.
    dependencies: tuple[str, ...] = ()
    # Request-scoped HTTP dependencies that are not in the container (name -> callable).
    request_dependencies: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    tags: tuple[Tag, ...] = ()
    # Event topics that change configuration (AUD-4), with what the operation log says.
    configuration_events: Mapping[str, str] = field(default_factory=dict)
    # Console pages (controllers under /console) and their sidebar entries.
    console: tuple[Any, ...] = ()
    console_nav: tuple[NavItem, ...] = ()
    # Providers of background workers (threads with start() and stop(): due waits,
    # scheduled sends, pulls) that `huoke serve` and `huoke worker sender` run.
    workers: tuple[str, ...] = ()
    # Ports this context declares and other contexts may implement, by provider name:
    # each becomes a provider of the list of every implementation offered (maybe none),
    # so a context wired early can use what a later one brings (e.g. the lead timeline
    # shows tracking's behaviours) without knowing that context.
    needs: tuple[str, ...] = ()
    # Implementations of other contexts' `needs`: port name -> provider, given the
    # container once every context is wired.
    offers: Providers = field(default=lambda c: {})
