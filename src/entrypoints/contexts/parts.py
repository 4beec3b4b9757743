"""A context wired in parts (messaging, wechat): each part file adds providers, read
models, routes and pages to its context's manifest, and the context's `__init__` sums
them, so each part can be read, and grown, on its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from application.shared.views import ReadModel
from domain.shared.access import Grants
from entrypoints.manifest import Manifest
from entrypoints.web.nav import NavItem

PartProviders = Callable[
    [containers.DynamicContainer, providers.Provider[Any]], Mapping[str, providers.Provider[Any]]
]


def _none(c: containers.DynamicContainer, application: providers.Provider[Any]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Part:
    """`providers(c, application)` gets the container and the context's application."""

    providers: PartProviders = _none
    followers: tuple[type[ReadModel], ...] = ()
    views: Mapping[str, type[ReadModel]] = field(default_factory=dict)
    controllers: tuple[Any, ...] = ()
    dependencies: tuple[str, ...] = ()
    configuration_events: Mapping[str, str] = field(default_factory=dict)
    console: tuple[Any, ...] = ()
    console_nav: tuple[NavItem, ...] = ()
    workers: tuple[str, ...] = ()  # provider names of the part's background workers


class _Parts:
    """The container as the parts see it: the providers of parts wired before, those of
    other contexts, and a late look-up for those of parts wired after (parts may use
    each other both ways)."""

    def __init__(self, c: containers.DynamicContainer, wired: dict[str, Any]) -> None:
        self._c = c
        self._wired = wired

    def __getattr__(self, name: str) -> Any:
        if name in self._wired:
            return self._wired[name]
        if name in self._c.providers:
            return getattr(self._c, name)
        return providers.Callable(_late, self._c, name)


def _late(c: containers.DynamicContainer, name: str) -> Any:
    return c.providers[name]()


def manifest_of_parts(
    *,
    name: str,
    application: Callable[[Any], Any],
    parts: Sequence[Part],
    grants: tuple[Grants, ...],
    tags: tuple[Tag, ...],
) -> Manifest:
    """The manifest of a context whose one event-sourced application (provider `name`,
    built by `application(infrastructure)`) is shared by `parts`."""

    def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
        app = providers.Singleton(application, c.infrastructure)
        wired: dict[str, providers.Provider[Any]] = {name: app}
        view = _Parts(c, wired)
        for part in parts:
            wired.update(part.providers(view, app))  # type: ignore[arg-type]
        return wired

    return Manifest(
        name=name,
        providers=wire,
        applications=(name,),
        followers=tuple(follower for part in parts for follower in part.followers),
        views={alias: view for part in parts for alias, view in part.views.items()},
        grants=grants,
        controllers=tuple(controller for part in parts for controller in part.controllers),
        dependencies=tuple(dependency for part in parts for dependency in part.dependencies),
        tags=tags,
        configuration_events={
            topic: label for part in parts for topic, label in part.configuration_events.items()
        },
        console=tuple(page for part in parts for page in part.console),
        console_nav=tuple(item for part in parts for item in part.console_nav),
        workers=tuple(worker for part in parts for worker in part.workers),
    )
