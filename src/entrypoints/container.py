"""The composition root: every concrete class is chosen here, and only here."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from dependency_injector import containers, providers

from adapters.leads.outbox_notifier import OutboxNotifier
from adapters.leads.xlsx_sheet import XlsxSheetWriter
from adapters.persistence.runners import ProjectionWorker, guard_for, open_view
from adapters.persistence.storage import Storage, load_or_create_cipher_key
from adapters.security.argon2_hasher import Argon2SecretHasher
from adapters.shared.clock import SystemClock
from adapters.tenancy.alipay import AlipayGateway
from adapters.tenancy.catalogue import load_catalogue
from adapters.tenancy.sandbox_payments import SandboxPayments
from adapters.tenancy.wechat_pay import WeChatPayGateway
from application.leads.bulk import BulkLeadActions
from application.leads.cleaning import DuplicateCases
from application.leads.cleaning_directory import (
    DuplicateQueries,
    DuplicateQueue,
    LeadCandidatesView,
)
from application.leads.consent import ConsentQueries, LeadConsent
from application.leads.demo import DemoLeads
from application.leads.directory import LeadDirectory
from application.leads.export import LeadExport
from application.leads.handover import LeadHandover
from application.leads.imports import LeadImports
from application.leads.leads import Leads
from application.leads.queries import LeadQueries
from application.leads.selection import LeadSelection
from application.leads.settings import MarketingTargets, TenantLeadSettings
from application.org.directory import OrgDirectory, OrgQueries
from application.org.organisation import Organisation
from application.shared.event_sourced import EventSourcedContext
from application.shared.history import RecordHistory
from application.shared.views import ReadModel, View
from application.tenancy.billing import Billing
from application.tenancy.billing_directory import BillingDirectory, BillingQueries
from application.tenancy.directory import TenancyDirectory, TenancyQueries
from application.tenancy.ports import PaymentGateway
from application.tenancy.tenancy import Tenancy
from domain.audit.permissions import AUDIT_GRANTS
from domain.leads.permissions import LEADS_GRANTS
from domain.org.permissions import ORG_GRANTS
from domain.shared.access import HISTORY_GRANTS, PermissionMatrix
from domain.tenancy.permissions import TENANCY_GRANTS
from entrypoints.scheduler import Scheduler
from entrypoints.settings import Settings

APPLICATIONS: tuple[type[EventSourcedContext], ...] = (Tenancy, Organisation, Billing, Leads)
READ_MODELS: tuple[type[ReadModel], ...] = (
    TenancyDirectory,
    OrgDirectory,
    BillingDirectory,
    LeadDirectory,
    DuplicateQueue,
)


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


def build_gateways(settings: Settings, storage: Storage) -> dict[str, PaymentGateway]:
    """The payment providers that are set up: the sandbox (unless switched off), and
    WeChat Pay and Alipay when their HUOKE_WECHATPAY_* / HUOKE_ALIPAY_* are given."""
    gateways: dict[str, PaymentGateway] = {}
    notify = settings.public_url.rstrip("/") + "/callbacks/payments/"
    if settings.sandbox_payments:
        secret = hmac.new(base64.b64decode(storage.cipher_key), b"sandbox-payments", "sha256")
        gateways["sandbox"] = SandboxPayments(
            settings.var_dir / "sandbox-payments.jsonl", secret.digest()
        )
    if settings.wechatpay is not None:
        wechat = settings.wechatpay
        gateways["wechatpay"] = WeChatPayGateway(
            mchid=wechat.mchid,
            appid=wechat.appid,
            private_key=wechat.private_key_file.read_text(),
            cert_serial_no=wechat.cert_serial_no,
            apiv3_key=wechat.apiv3_key,
            notify_url=notify + "wechatpay",
            public_key=wechat.public_key_file.read_text(),
            public_key_id=wechat.public_key_id,
            **({"base_url": wechat.base_url} if wechat.base_url else {}),
        )
    if settings.alipay is not None:
        alipay = settings.alipay
        gateways["alipay"] = AlipayGateway(
            app_id=alipay.app_id,
            app_private_key=alipay.app_private_key_file.read_text(),
            alipay_public_key=alipay.alipay_public_key_file.read_text(),
            notify_url=notify + "alipay",
            **({"gateway_url": alipay.gateway_url} if alipay.gateway_url else {}),
        )
    return gateways


def build_notifier(settings: Settings) -> OutboxNotifier:
    return OutboxNotifier(settings.var_dir / "outbox")


def lead_settings_of(leads: Leads) -> TenantLeadSettings:
    return leads.rules


def following(application: EventSourcedContext, *views: View) -> Any:
    """Let `application` wait for `views` when a caller asks to read its own writes."""
    application.views.extend(views)
    return application


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    storage = providers.Singleton(build_storage, settings)
    env = providers.Singleton(build_env, storage)
    hasher = providers.Singleton(Argon2SecretHasher, fast=settings.provided.fast_hashing)
    tenant_permissions = providers.Singleton(
        PermissionMatrix, [TENANCY_GRANTS, ORG_GRANTS, HISTORY_GRANTS, LEADS_GRANTS, AUDIT_GRANTS]
    )

    tenancy_view = providers.Singleton(open_view, TenancyDirectory, storage, env)
    org_view = providers.Singleton(open_view, OrgDirectory, storage, env)

    org = providers.Singleton(following, providers.Singleton(Organisation, env), org_view)
    tenancy = providers.Singleton(
        following,
        providers.Singleton(
            Tenancy, env, hasher=hasher, roster=org, permissions=tenant_permissions
        ),
        tenancy_view,
    )

    clock = providers.Singleton(SystemClock)
    catalogue = providers.Singleton(load_catalogue)
    gateways = providers.Singleton(build_gateways, settings, storage)
    billing_view = providers.Singleton(open_view, BillingDirectory, storage, env)
    billing = providers.Singleton(
        following,
        providers.Singleton(
            Billing,
            env,
            catalogue=catalogue,
            clock=clock,
            calendar=tenancy,
            gateways=gateways,
            public_url=settings.provided.public_url,
        ),
        billing_view,
    )

    notifier = providers.Singleton(build_notifier, settings)
    lead_view = providers.Singleton(open_view, LeadDirectory, storage, env)
    duplicate_view = providers.Singleton(open_view, DuplicateQueue, storage, env)
    leads = providers.Singleton(
        following,
        providers.Singleton(Leads, env, clock=clock, roster=org, notifier=notifier),
        lead_view,
        duplicate_view,
    )

    tenancy_queries = providers.Singleton(TenancyQueries, tenancy_view)
    org_queries = providers.Singleton(OrgQueries, org_view)
    billing_queries = providers.Singleton(BillingQueries, billing_view)
    lead_queries = providers.Singleton(LeadQueries, lead_view)
    lead_settings = providers.Singleton(lead_settings_of, leads)
    lead_targets = providers.Singleton(MarketingTargets, lead_view)
    duplicate_queries = providers.Singleton(DuplicateQueries, duplicate_view)
    lead_cleaning = providers.Singleton(
        DuplicateCases, leads, providers.Singleton(LeadCandidatesView, lead_view)
    )
    lead_handover = providers.Singleton(LeadHandover, leads, org, lead_queries)
    lead_consent = providers.Singleton(LeadConsent, leads)
    consent_queries = providers.Singleton(ConsentQueries, lead_view)
    lead_selection = providers.Singleton(LeadSelection, lead_view)
    lead_demo = providers.Singleton(DemoLeads, leads, lead_queries)
    lead_bulk = providers.Singleton(BulkLeadActions, leads, lead_selection)
    lead_export = providers.Singleton(
        LeadExport, lead_selection, providers.Singleton(XlsxSheetWriter), clock
    )
    lead_imports = providers.Singleton(LeadImports, leads, lead_queries, duplicates=lead_cleaning)
    history = providers.Singleton(RecordHistory, providers.List(tenancy, org, billing, leads))


class Runtime:
    """A running huoke: the container plus projection workers when they run in-process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.container = Container(settings=settings)
        self.workers: list[ProjectionWorker] = []
        self.scheduler: Scheduler | None = None

    @property
    def applications(self) -> Sequence[EventSourcedContext]:
        container = self.container
        return [container.tenancy(), container.org(), container.billing(), container.leads()]

    @property
    def views(self) -> Sequence[View]:
        return [
            self.container.tenancy_view(),
            self.container.org_view(),
            self.container.billing_view(),
            self.container.lead_view(),
            self.container.duplicate_view(),
        ]

    def start(self) -> Runtime:
        """Open every application and view; start projection runners if in-process."""
        self.applications  # noqa: B018 - construct (and on first run create) the stores now
        self.views  # noqa: B018
        if self.settings.in_process_projections:
            self.start_workers()
            self.start_scheduler()
        return self

    def start_workers(self) -> list[ProjectionWorker]:
        storage, env = self.container.storage(), self.container.env()
        self.workers = [ProjectionWorker(model, storage, env) for model in READ_MODELS]
        for worker in self.workers:
            worker.start()
        return self.workers

    def start_scheduler(self) -> Scheduler:
        """Expiry and refund sweeps in a background thread (one process at a time)."""
        container = self.container
        self.scheduler = Scheduler(
            container.billing(),
            container.billing_queries(),
            container.clock(),
            guard_for(container.storage(), "scheduler"),
            self.settings.scheduler_interval_seconds,
        )
        self.scheduler.start()
        return self.scheduler

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
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
