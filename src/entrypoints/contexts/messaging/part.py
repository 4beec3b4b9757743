"""One part of the messaging context (tasks, mail transport, content, SMS): what it adds
to the context's manifest. The parts are summed in `__init__`, so each can be read and
grown on its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dependency_injector import containers, providers

from application.shared.views import ReadModel
from entrypoints.web.nav import NavItem

PartProviders = Callable[
    [containers.DynamicContainer, providers.Provider[Any]], Mapping[str, providers.Provider[Any]]
]


def _none(c: containers.DynamicContainer, messaging: providers.Provider[Any]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Part:
    """`providers(c, messaging)` gets the container and the messaging application."""

    providers: PartProviders = _none
    followers: tuple[type[ReadModel], ...] = ()
    views: Mapping[str, type[ReadModel]] = field(default_factory=dict)
    controllers: tuple[Any, ...] = ()
    dependencies: tuple[str, ...] = ()
    configuration_events: Mapping[str, str] = field(default_factory=dict)
    console: tuple[Any, ...] = ()
    console_nav: tuple[NavItem, ...] = ()
