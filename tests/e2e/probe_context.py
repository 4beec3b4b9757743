"""A whole bounded context that exists only in the tests, wired by its manifest alone:
an application (`probe`), a read model of it, a policy that greets every newly
registered tenant (following another context's events), a controller and permissions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from uuid import UUID

from dependency_injector import containers, providers
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic
from litestar import Controller, get, post
from litestar.openapi.spec import Tag
from pydantic import BaseModel, Field

from application.shared.callers import TenantCaller
from application.shared.commands import Command
from application.shared.event_sourced import EventSourcedContext
from application.shared.policies import Policy
from application.shared.stamping import tenant_of
from application.shared.views import ReadModel, View
from domain.shared.access import WORK, Action, tenant_grants
from entrypoints.http.conventions import tenant_may
from entrypoints.manifest import Manifest


class Greeting(Aggregate):
    TOPIC = "probe.Greeting"
    Created = None  # type: ignore[assignment]

    @event("Written", topic="probe.Greeting.Written")
    def __init__(self, id: UUID, tenant_id: UUID, text: str) -> None:
        self.tenant_id = tenant_id
        self.text = text


class Greetings(EventSourcedContext):
    name = "probe"
    created_by_policy: ClassVar[int] = 0

    def write(self, tenant_id: UUID, text: str) -> Greeting:
        return self.create(Greeting(id=self.new_id("greeting"), tenant_id=tenant_id, text=text))

    def greeting(self, tenant_id: UUID, greeting_id: UUID) -> Greeting:
        return self.load(greeting_id, Greeting, tenant_id=tenant_id)


class GreetingList(ReadModel):
    name = "probe_greetings"
    follows = ("probe",)
    tables = {
        "probe_greetings": "tenant_id TEXT NOT NULL, greeting_id TEXT NOT NULL, "
        "text TEXT NOT NULL, PRIMARY KEY (tenant_id, greeting_id)"
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, Greeting.Written):  # type: ignore[attr-defined]
            self.skip(tracking)
            return
        self.view.write(
            tracking,
            [
                (
                    "INSERT INTO probe_greetings (tenant_id, greeting_id, text) VALUES (?, ?, ?)",
                    (
                        str(domain_event.tenant_id),
                        str(domain_event.originator_id),
                        domain_event.text,
                    ),
                )
            ],
        )


class WelcomeTenants(Policy):
    """Greets every tenant once when it is registered (a policy over tenancy's events)."""

    name = "probe_welcomes"
    follows = ("tenancy",)

    def __init__(self, view: View, *, greetings: Greetings) -> None:
        super().__init__(view=view)
        self.greetings = greetings

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if get_topic(type(domain_event)) == "tenancy.Tenant.Registered":
            welcome = Greeting(
                id=self.derived_id("welcome", tracking),
                tenant_id=tenant_of(domain_event) or domain_event.originator_id,
                text=f"欢迎 {domain_event.name}",
            )
            self.create_once(self.greetings, welcome)
        self.skip(tracking)


class WriteGreeting(Command):
    text: str = Field(min_length=1, max_length=50, examples=["你好"])


class GreetingDetails(BaseModel):
    id: UUID
    text: str


class GreetingController(Controller):
    path = "/api/v1/probe-greetings"
    tags = ["probe"]

    @post(
        "/",
        operation_id="writeProbeGreeting",
        guards=[tenant_may("probe", Action.CREATE)],
        sync_to_thread=True,
    )
    def write(self, data: WriteGreeting, probe: Greetings, caller: TenantCaller) -> GreetingDetails:
        """Write a greeting."""
        greeting = probe.write(caller.tenant_id, data.text)
        return GreetingDetails(id=greeting.id, text=greeting.text)

    @get(
        "/{greeting_id:uuid}",
        operation_id="getProbeGreeting",
        guards=[tenant_may("probe", Action.READ)],
        sync_to_thread=True,
    )
    def read(self, greeting_id: UUID, probe: Greetings, caller: TenantCaller) -> GreetingDetails:
        """One greeting of the caller's tenant."""
        greeting = probe.greeting(caller.tenant_id, greeting_id)
        return GreetingDetails(id=greeting.id, text=greeting.text)


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    greetings = providers.Singleton(Greetings, c.infrastructure)
    return {
        "probe": greetings,
        WelcomeTenants.name: providers.Factory(WelcomeTenants, greetings=greetings),
    }


PROBE = Manifest(
    name="probe",
    providers=wire,
    applications=("probe",),
    followers=(GreetingList, WelcomeTenants),
    views={"probe_view": GreetingList},
    grants=({"probe": tenant_grants(marketer=WORK)},),
    controllers=(GreetingController,),
    dependencies=("probe",),
    tags=(Tag(name="probe", description="a context registered by its manifest only"),),
)
SAMPLE_BODIES = {("POST", "/api/v1/probe-greetings"): {"text": "你好"}}
