"""Tenant-first keys in every read model (DESIGN "Tenancy and access", "Scale"): every
primary key and index leads with tenant_id, every statement a projection makes names the
tenant first, and events stored before they were stamped with their tenant land in the
same rows as stamped ones."""

from __future__ import annotations

import copy
import importlib
import pkgutil
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking

import application
from adapters.tenancy.catalogue import load_catalogue
from application.leads.cleaning_directory import DuplicateQueue
from application.leads.counts import LeadCounts
from application.leads.directory import LeadDirectory
from application.org.directory import OrgDirectory
from application.shared.stamping import METADATA_KEY, stamp
from application.shared.views import ReadModel, Statement, View
from application.tenancy.billing_directory import BillingDirectory
from application.tenancy.directory import TenancyDirectory
from domain.leads.duplicate_case import DuplicateCase
from domain.leads.identity import LeadIdentity
from domain.leads.lead import Lead
from domain.org import Department, Employee
from domain.tenancy import ApiKey, StaffAccount, Tenant
from domain.tenancy.incident import SecurityIncident
from domain.tenancy.order import Order, OrderKind
from domain.tenancy.refund import Refund
from domain.tenancy.subscription import Subscription

# The read models changed to tenant-first statements (version 2) and those born so.
CHANGED_MODELS = (TenancyDirectory, OrgDirectory, BillingDirectory, LeadDirectory, DuplicateQueue)
SCENARIO_MODELS = (*CHANGED_MODELS, LeadCounts)
TODAY = date(2026, 11, 15)


def every_read_model() -> list[type[ReadModel]]:
    """Every read model of the application layer, found by importing all of it (so a new
    context's read model is checked without being listed here)."""
    for module in pkgutil.walk_packages(application.__path__, "application."):
        importlib.import_module(module.name)
    found, pending = [], list(ReadModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending += model.__subclasses__()
        # Only the application's own: test modules that another test file imported in
        # the same worker define throwaway copies (e.g. a private profile view).
        if model.tables and model.__module__.startswith("application."):
            found.append(model)
    return sorted(set(found), key=lambda model: model.name)


def platform_wide(model: type[ReadModel]) -> dict[str, str]:
    return dict(getattr(model, "platform_wide", {}))


# --- keys and indexes ----------------------------------------------------------------------


@pytest.mark.parametrize("model", every_read_model(), ids=lambda model: model.name)
def test_every_primary_key_and_index_leads_with_the_tenant(model: type[ReadModel]) -> None:
    database = sqlite3.connect(":memory:")
    for sql in model.create_statements():
        database.execute(sql)
    exempt = platform_wide(model)
    seen: set[str] = set()
    for table in model.tables:
        columns = database.execute(f"PRAGMA table_info({table})").fetchall()
        key = [name for *_, name in sorted((pk, name) for _, name, _, _, _, pk in columns if pk)]
        indexes = {
            name: [row[2] for row in database.execute(f"PRAGMA index_info({name})")]
            for _, name, *_ in database.execute(f"PRAGMA index_list({table})")
            if not name.startswith("sqlite_autoindex")  # the primary key, checked above
        }
        seen |= set(indexes)
        assert key, f"{table} has no primary key"
        if table in exempt:
            continue
        assert key[0] == "tenant_id", f"{table} primary key {key}"
        for name, index_columns in indexes.items():
            if name not in exempt:
                assert index_columns[0] == "tenant_id", f"{name} on {table} {index_columns}"
    declared = set(model.tables) | set(model.indexes)
    assert set(exempt) <= declared, f"{model.name} exempts what it does not have"
    assert all(reason.strip() for reason in exempt.values())
    assert seen == set(model.indexes)  # every index was looked at


def test_the_read_models_declare_a_schema_version_and_the_changed_ones_moved_on() -> None:
    assert ReadModel.version == 1
    assert {model.version for model in CHANGED_MODELS} == {2}


# --- what projections say ------------------------------------------------------------------


@dataclass
class RecordingView(View):
    """A read model's tables in an in-memory SQLite database, recording every statement
    the projection sends (writes and reads) with the record it was processing."""

    read_model: type[ReadModel]  # type: ignore[misc]
    database: sqlite3.Connection | None = None
    sent: list[tuple[str, str, tuple[Any, ...], Any]] = field(default_factory=list)
    current: Any = None  # the event being processed
    position: int = 0

    def __post_init__(self) -> None:
        if self.database is None:
            self.database = sqlite3.connect(":memory:")
            for sql in self.read_model.create_statements():
                self.database.execute(sql)

    def __hash__(self) -> int:
        return id(self)

    def reopened(self) -> RecordingView:
        """Another view object over the same tables (as after a restart: nothing that
        the last one held in memory)."""
        return RecordingView(self.read_model, self.database, self.sent, None, self.position)

    def write(self, tracking: Tracking, statements: Sequence[Statement]) -> None:
        for sql, params in statements:
            self.sent.append(("write", sql, tuple(params), self.current))
            self.database.execute(sql, tuple(params))
        self.position = tracking.notification_id

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self.sent.append(("read", sql, tuple(params), self.current))
        cursor = self.database.execute(sql, tuple(params))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextmanager
    def batch(self) -> Iterator[None]:
        yield

    def reset(self) -> None:
        raise NotImplementedError

    def insert_tracking(self, tracking: Tracking) -> None:
        self.position = tracking.notification_id

    def max_tracking_id(self, application_name: str) -> int | None:
        return self.position or None

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        return {
            table: sorted(self.database.execute(f"SELECT * FROM {table}").fetchall())
            for table in self.read_model.tables
        }


class Scenario:
    """Every kind of event the tenant read models show, for two tenants, made by the
    domain's own commands; `owner[record id]` is the tenant each record belongs to."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, UUID | None]] = []  # (event, tenant of its aggregate)
        self.owner: dict[str, str] = {}
        catalogue = load_catalogue()
        first, second = self._tenant(catalogue), self._tenant(catalogue)
        # Interleaved, so that no read model can lean on "the tenant seen last".
        self.events = [e for pair in zip(first, second, strict=False) for e in pair] + (
            first[len(second) :] + second[len(first) :]
        )
        staff = StaffAccount.enrol(
            staff_id=uuid4(), email="ops@huoke.cn", display_name="运维", roles=["billing"],
            token_hash="x",
        )  # fmt: skip
        staff.disable()
        incident = SecurityIncident(id=uuid4(), kind="bad_signature", source="wechatpay", detail="")
        self.events += self._collect(staff, incident)

    def _collect(self, *aggregates: Aggregate) -> list[tuple[Any, UUID | None]]:
        found = []
        for aggregate in aggregates:
            tenant_id = getattr(aggregate, "tenant_id", None)
            if tenant_id is not None:
                self.owner[str(aggregate.id)] = str(tenant_id)
            found += [(event, tenant_id) for event in aggregate.collect_events()]
        return found

    def _tenant(self, catalogue: Any) -> list[tuple[Any, UUID | None]]:
        tenant_id = uuid4()
        made: list[tuple[Any, UUID | None]] = []
        head_office = Tenant.register(
            tenant_id=uuid4(), name="总部", owner_name="王", owner_contact="w@acme.cn"
        )
        tenant = Tenant.register(
            tenant_id=tenant_id, name="Acme", owner_name="李雷", owner_contact="li@acme.cn"
        )
        tenant.rename("Acme 2")
        tenant.change_owner("韩梅梅", "han@acme.cn")
        tenant.move_to_timezone("Asia/Tokyo")
        tenant.update_settings({"brand.colour": "red"})
        tenant.suspend("unpaid")
        tenant.reactivate()
        tenant.report_to(head_office)
        key = ApiKey.issue(
            key_id=uuid4(), tenant_id=tenant_id, name="ci", roles=["tenant_admin"], secret_hash="x"
        )
        key.revoke()
        made += self._collect(head_office, tenant, key)

        root = Department.establish(
            department_id=uuid4(), tenant_id=tenant_id, name="总部", parent_id=None
        )
        sales = Department.establish(
            department_id=uuid4(), tenant_id=tenant_id, name="销售", parent_id=None
        )
        sales.rename("销售部")
        sales.move_under(root.id, [root.id])
        sales.dissolve(sub_departments=0, members=0)
        employee = Employee.hire(
            employee_id=uuid4(), tenant_id=tenant_id, name="张三", email=None, mobile=None,
            department_id=root.id, roles=["sales"],
        )  # fmt: skip
        employee.update_profile(name="张三丰", email="z@acme.cn", mobile="13800138000")
        employee.transfer_to(None)
        employee.grant_roles(["marketer"])
        employee.leave()
        made += self._collect(root, sales, employee)

        made += self._billing(tenant_id, catalogue)
        made += self._leads(tenant_id, employee.id)
        return made

    def _billing(self, tenant_id: UUID, catalogue: Any) -> list[tuple[Any, UUID | None]]:
        edition = catalogue.edition("scrm_advanced")
        wecom = Subscription.start(
            tenant_id=tenant_id, edition=edition, units=1, today=TODAY, order_id=uuid4(),
            catalogue=catalogue,
        )  # fmt: skip
        wecom.add(
            add_on=catalogue.add_on("scrm_wecom_registration_standard"), quantity=1,
            current=edition, order_id=uuid4(), catalogue=catalogue,
        )  # fmt: skip
        wecom.renew(edition=edition, units=1, order_id=uuid4())
        wecom.extend(3, "goodwill")
        later = wecom.ends_on
        wecom.expire(later)
        wecom.restart(edition=edition, units=1, today=later, order_id=uuid4(), catalogue=catalogue)
        wecom.cancel(reason="refunded", refund_id=uuid4())
        quick = Subscription.start(
            tenant_id=tenant_id, edition=catalogue.edition("qs_micro_entry"), units=1,
            today=TODAY, order_id=uuid4(), catalogue=catalogue,
        )  # fmt: skip
        quick.upgrade_to(
            target=catalogue.edition("qs_enterprise_video"),
            current=catalogue.edition("qs_micro_entry"), today=TODAY, order_id=uuid4(),
            catalogue=catalogue,
        )  # fmt: skip

        def order() -> Order:
            return Order.place(
                tenant_id=tenant_id, number=f"HK{uuid4().hex[:12]}", kind=OrderKind.NEW,
                product_line="scrm", target="scrm_advanced", units=1,
                lines=[{"amount_fen": 100}], catalogue_version="test",  # type: ignore[list-item]
            )  # fmt: skip

        paid, dropped = order(), order()
        paid.start_payment("sandbox")
        paid.record_payment(provider="sandbox", transaction_id="t1", amount_fen=100)
        paid.deliver(subscription_id=wecom.id, covers_from="a", covers_until="b")
        dropped.cancel("changed my mind")
        refunds = []
        for outcome in ("rejected", "failed", "completed"):
            refund = Refund.request(
                refund_id=uuid4(), tenant_id=tenant_id, order_id=paid.id,
                order_number=paid.number, reason="testing", proposed_fen=50,
                refundable_fen=paid.refundable_fen,
            )  # fmt: skip
            paid.open_refund(refund.id)
            refunds.append(refund)
            if outcome == "rejected":
                refund.reject("no")
                paid.close_refund(refund.id, 0)
                continue
            refund.approve()
            if outcome == "failed":
                refund.fail("provider down")
                refund.retry()
            refund.complete("p1")
            # Only the last pays back, so the order stays refundable until then.
            paid.close_refund(refund.id, 50 if outcome == "completed" else 0)
        return self._collect(wecom, quick, paid, dropped, *refunds)

    def _leads(self, tenant_id: UUID, owner_id: UUID) -> list[tuple[Any, UUID | None]]:
        def lead(mobile: str) -> tuple[Lead, LeadIdentity]:
            registered = Lead.register(
                lead_id=uuid4(), tenant_id=tenant_id,
                identities=[{"kind": "mobile", "value": mobile}], profile={"name": "王五"},
                custom={}, source={"level1": "form"}, status="new", owner_id=None,
            )  # fmt: skip
            claim = LeadIdentity(
                tenant_id=tenant_id, kind="mobile", value=mobile, lead_id=registered.id
            )
            return registered, claim

        survivor, survivor_claim = lead("+8613700137000")
        twin, twin_claim = lead("+8613600136000")
        gone, gone_claim = lead("+8613500135000")
        made = self._collect(survivor, survivor_claim, twin, twin_claim, gone, gone_claim)
        survivor.attach_identity("email", "wang@acme.cn")
        survivor.update_profile(profile={"company": "火客"}, custom={})
        survivor.change_source({"level1": "ad", "level2": "baidu"})
        survivor.change_status("contacted")
        survivor.assign_owner(owner_id, reason="mine")
        survivor.follow_up("called")
        survivor.tag(["vip", "hot"])
        survivor.untag(["hot"])
        survivor.record_consent("sms", "unsubscribed", source="reply TD", at="2026-11-15")
        survivor.hand_over(owner_id, None, reason="left", kind="leaving")
        survivor.close("won", "signed")
        survivor.release_to_pool("reopened")
        twin.tag(["partner"])
        twin.assign_owner(owner_id)
        twin.record_consent("email", "unsubscribed", source="link", at="2026-11-15")
        case = DuplicateCase.open(
            tenant_id=tenant_id, lead_ids=[survivor.id, twin.id], reason="similar_name_company"
        )
        made += self._collect(survivor, twin, case)
        survivor.absorb(twin, chosen={})
        twin.merge_into(survivor)
        twin_claim.move_to(survivor.id)
        case.merge(survivor.id, {})
        dismissed = DuplicateCase.open(
            tenant_id=tenant_id, lead_ids=[survivor.id, gone.id], reason="similar_name_company"
        )
        dismissed.dismiss("not the same person")
        deleted = DuplicateCase.open(
            tenant_id=tenant_id,
            lead_ids=[gone.id],
            reason="same_mobile",
            record={"identities": [{"kind": "mobile", "value": "+8613500135000"}]},
        )
        deleted.delete_duplicate(gone.id, "spam")
        gone.delete("spam")
        gone_claim.release()
        gone_claim.reclaim(survivor.id)
        made += self._collect(
            survivor, twin, twin_claim, case, dismissed, deleted, gone, gone_claim
        )
        return made


STAMPED, UNSTAMPED, RESTARTED = "stamped", "unstamped", "unstamped, restarted"


def replay(model: type[ReadModel], scenario: Scenario, how: str) -> RecordingView:
    """Feed the scenario's events to a fresh `model`: stamped with their aggregate's tenant
    as `commit()` stamps them today, or as stored before events carried it (RESTARTED: by
    a new view object for every event, so every tenant is looked up in the tables)."""
    view = RecordingView(model)
    for position, (original, tenant_id) in enumerate(scenario.events, start=1):
        event = copy.copy(original)
        stamp(event, tenant_id=tenant_id)
        if how != STAMPED:  # stored earlier: actor, request and reason, but no tenant
            del getattr(event, METADATA_KEY)["tenant_id"]
        if how == RESTARTED or position == 1:
            view = view.reopened()
            projection = model(view=view)
        view.current = event
        projection.process_event(event, Tracking("scenario", position))
    return view


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario()


def test_the_scenario_has_every_event_each_tenant_read_model_shows(scenario: Scenario) -> None:
    made = {type(event) for event, _ in scenario.events}
    for model in SCENARIO_MODELS:
        shown = set(model.__dict__["process_event"].dispatcher.registry) - {object}
        assert shown, model.name
        assert shown <= made, f"{model.name}: no {sorted(c.__qualname__ for c in shown - made)}"


@pytest.mark.parametrize("how", [STAMPED, UNSTAMPED, RESTARTED])
@pytest.mark.parametrize("model", SCENARIO_MODELS, ids=lambda model: model.name)
def test_every_statement_a_projection_makes_names_the_tenant_first(
    model: type[ReadModel], scenario: Scenario, how: str
) -> None:
    view = replay(model, scenario, how)
    exempt = platform_wide(model)
    record_tenants = model.tenants.table
    changes = 0
    for _, sql, params, event in view.sent:
        verb = sql.split()[0].upper()
        table = re.search(r"(?:INTO|UPDATE|FROM)\s+(\w+)", sql, re.IGNORECASE)
        assert table, sql
        if verb == "INSERT":  # named columns, the record's own tenant
            named = re.match(r"INSERT INTO (\w+) \(([^)]*)\) VALUES", sql)
            assert named, f"unnamed columns: {sql}"
            columns = [column.strip() for column in named.group(2).split(",")]
            if "tenant_id" in columns:
                tenant = params[columns.index("tenant_id")]
                assert tenant == _tenant(scenario, event), sql
            else:
                assert table.group(1) in exempt, f"{table.group(1)} row without a tenant"
            continue
        assert verb in ("UPDATE", "DELETE", "SELECT"), sql
        if table.group(1) in exempt:
            assert table.group(1) == record_tenants or "tenant_id" not in sql, sql
            continue
        where = sql.upper().index(" WHERE ")
        assert re.match(r" WHERE tenant_id = \?( |$)", sql[where:]), f"not tenant-first: {sql}"
        tenant = params[sql[:where].count("?")]
        assert tenant == _tenant(scenario, event), sql
        changes += verb != "SELECT"
    assert changes, f"{model.name} changed no row"
    lookups = [sql for kind, sql, *_ in view.sent if kind == "read" and record_tenants in sql]
    assert bool(lookups) == (how == RESTARTED)  # stamped: never; else remembered in memory


def _tenant(scenario: Scenario, event: Any) -> str:
    return scenario.owner[str(event.originator_id)]


@pytest.mark.parametrize("model", SCENARIO_MODELS, ids=lambda model: model.name)
def test_events_stored_before_stamping_make_the_same_rows(
    model: type[ReadModel], scenario: Scenario
) -> None:
    stamped = replay(model, scenario, STAMPED).dump()
    unstamped = replay(model, scenario, UNSTAMPED).dump()
    assert replay(model, scenario, RESTARTED).dump() == unstamped
    record_tenants = model.tenants.table
    # Records created since stamping need no row to find their tenant; older ones have one.
    assert stamped.pop(record_tenants) == []
    remembered = unstamped.pop(record_tenants)
    assert remembered and all(scenario.owner[record] == tenant for record, tenant in remembered)
    assert stamped == unstamped
    assert sum(len(rows) for rows in stamped.values()) > 0
