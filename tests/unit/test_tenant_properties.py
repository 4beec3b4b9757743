"""Tenant properties: any mix of valid and invalid commands keeps the tenant's invariants."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.shared.errors import DomainError
from domain.tenancy import Tenant
from tests.unit.events import replay, topics

SETTING_KEY = re.compile(r"[a-z][a-z0-9_.]{0,63}")

texts = st.one_of(
    st.sampled_from(["Acme", " Acme ", "李雷", "", "   ", "x" * 100, "x" * 101, "y" * 255]),
    st.text(max_size=12),
)
timezones = st.sampled_from(
    ["Asia/Shanghai", "Europe/Berlin", "UTC", "America/New_York", "Mars/Base", "", "asia/shanghai"]
)
good_keys = st.one_of(st.sampled_from(["k0", "k1"]), st.sampled_from([f"k{i}" for i in range(60)]))
bad_keys = st.sampled_from(["Bad", "1st", "a-b", "ok\n", "ok ", "x" * 65])
good_values = st.one_of(st.none(), st.booleans(), st.integers(0, 1), st.integers(), st.text())
bad_values = st.one_of(st.just("z" * 1001), st.floats(allow_nan=False), st.just([1]))
bulk = st.tuples(st.integers(0, 59), st.integers(1, 55)).map(
    lambda span: {f"k{i % 60}": span[1] for i in range(span[0], span[0] + span[1])}
)
changes = st.one_of(
    bulk,
    st.dictionaries(good_keys, good_values, max_size=25),
    st.dictionaries(st.one_of(good_keys, bad_keys), good_values, max_size=3),
    st.dictionaries(st.one_of(good_keys, bad_keys), st.one_of(good_values, bad_values)),
)


class TenantCommands(RuleBasedStateMachine):
    """Drives one tenant with random commands and checks it after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.tenant = Tenant.register(
            tenant_id=uuid4(), name="Acme", owner_name="李雷", owner_contact="li@acme.cn"
        )
        self.history = list(self.tenant.collect_events())

    def attempt(self, command: Callable[[], None], topic: str) -> bool:
        """Run `command`: refused changes nothing; accepted emits at most its one event."""
        before = copy.deepcopy(self.tenant)
        try:
            command()
        except DomainError:
            assert self.tenant == before  # state and pending events alike
            return False
        emitted = self.tenant.collect_events()
        assert topics(emitted) in ([], [topic])
        assert self.tenant.version == before.version + len(emitted)
        self.history.extend(emitted)
        return True

    @rule(name=texts)
    def rename(self, name: str) -> None:
        self.attempt(lambda: self.tenant.rename(name), "tenancy.Tenant.Renamed")

    @rule(owner_name=texts, owner_contact=texts)
    def change_owner(self, owner_name: str, owner_contact: str) -> None:
        self.attempt(
            lambda: self.tenant.change_owner(owner_name, owner_contact),
            "tenancy.Tenant.OwnerChanged",
        )

    @rule(timezone=timezones)
    def move_to_timezone(self, timezone: str) -> None:
        self.attempt(
            lambda: self.tenant.move_to_timezone(timezone), "tenancy.Tenant.TimezoneChanged"
        )

    @rule(changes=changes)
    def update_settings(self, changes: dict[str, Any]) -> None:
        if self.attempt(
            lambda: self.tenant.update_settings(changes), "tenancy.Tenant.SettingsUpdated"
        ):
            # every named setting now holds exactly the value asked for, or is gone
            wanted = {key: (type(value), value) for key, value in changes.items()}
            held = {key: (type(value), value) for key, value in self.tenant.settings.items()}
            assert {key: held.get(key, (type(None), None)) for key in changes} == wanted

    @rule(reason=texts)
    def suspend(self, reason: str) -> None:
        self.attempt(lambda: self.tenant.suspend(reason), "tenancy.Tenant.Suspended")

    @rule()
    def reactivate(self) -> None:
        self.attempt(self.tenant.reactivate, "tenancy.Tenant.Reactivated")

    @invariant()
    def status_is_active_or_suspended(self) -> None:
        assert self.tenant.status in ("active", "suspended")
        assert self.tenant.is_active == (self.tenant.status == "active")

    @invariant()
    def settings_stay_few_flat_and_well_named(self) -> None:
        assert len(self.tenant.settings) <= 50
        for key, value in self.tenant.settings.items():
            assert SETTING_KEY.fullmatch(key), key
            assert isinstance(value, str | int | bool) and value is not None
            assert not isinstance(value, str) or len(value) <= 1000

    @invariant()
    def replaying_the_history_reproduces_the_tenant(self) -> None:
        rebuilt = replay(self.history, Tenant)
        assert vars(rebuilt) == vars(self.tenant)
        assert rebuilt.version == len(self.history)


TenantCommands.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAnyCommandSequenceKeepsTheTenantInvariants = TenantCommands.TestCase
