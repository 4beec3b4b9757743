"""Archive part: ingestion (ARCH-1) — the archive settings and their key pairs, the
source (the embedded sandbox or an archive gateway), the cipher, each tenant's cursor,
the ingestion itself (screened by `archive_screen`, the screening part's), the
background round that pulls every enabled tenant, their routes and console pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from adapters.archive.decryption import RsaChatCipher, RsaKeyMaker
from application.archive.ingestion import ArchiveIngestion
from application.archive.pulling import ArchivePulling
from application.archive.setup import ArchiveSetup
from application.archive.source_directory import ArchiveSourceDirectory, ArchiveSourceQueries
from entrypoints.contexts.parts import Part
from entrypoints.http.archive_settings import ArchiveIngestionController, ArchiveSettingsController
from entrypoints.send_worker import SendWorker
from entrypoints.web.archive import settings_pages

SETTINGS_EVENTS = {
    "archive.ArchiveSettings.SetUp": "开始设置会话存档 · archive set up",
    "archive.ArchiveSettings.KeyAdded": "添加存档密钥 · archive key added",
    "archive.ArchiveSettings.KeyRetired": "停用存档密钥 · archive key retired",
    "archive.ArchiveSettings.SourceChanged": "修改存档来源 · archive source changed",
    "archive.ArchiveSettings.Enabled": "开启会话存档 · archive enabled",
    "archive.ArchiveSettings.Disabled": "关闭会话存档 · archive disabled",
}


def _source(settings: Any) -> Any:
    """The sandbox (embedded default: the bundled fixture) or an archive gateway."""
    if settings.archive.source == "gateway":
        from adapters.archive.gateway import GatewayArchive

        return GatewayArchive(settings.archive.gateway_url)
    from adapters.archive.sandbox import SandboxArchive

    return SandboxArchive()


def _ledger(storage: Any, infrastructure: Any) -> Any:
    """Each tenant's cursor: a work table of the store's database."""
    from adapters.archive.ledger import postgres_ingestion_ledger, sqlite_ingestion_ledger

    if storage.database_url is None:
        return sqlite_ingestion_ledger(storage.var_dir)
    return postgres_ingestion_ledger(infrastructure.datastore, create_tables=storage.create_tables)


def _edition_gate(billing: Any) -> Any:
    """Billing's plan quotas answer `require_feature` (TEN-3)."""
    return billing.quotas


def _batch(settings: Any) -> int:
    return int(settings.archive.batch)


def _interval(settings: Any) -> float:
    return float(settings.archive.pull_interval_seconds)


def _providers(
    c: containers.DynamicContainer, archive: providers.Provider[Any]
) -> Mapping[str, providers.Provider[Any]]:
    gate = providers.Singleton(_edition_gate, c.billing)
    setup = providers.Singleton(ArchiveSetup, archive, providers.Singleton(RsaKeyMaker), gate)
    source = providers.Singleton(_source, c.settings)
    cipher = providers.Singleton(RsaChatCipher)
    ledger = providers.Singleton(_ledger, c.storage, c.infrastructure)
    ingestion = providers.Singleton(
        ArchiveIngestion,
        setup,
        source,
        cipher,
        c.archive_screen,
        c.behaviours,
        ledger,
        gate,
        c.clock,
        batch_size=providers.Callable(_batch, c.settings),
    )
    pulling = providers.Singleton(
        ArchivePulling, ingestion, providers.Singleton(ArchiveSourceQueries, c.archive_source_view)
    )
    return {
        "archive_setup": setup,
        "archive_source": source,
        "archive_cipher": cipher,
        "archive_ledger": ledger,
        "archive_ingestion": ingestion,
        "archive_pulling": pulling,
        "archive_pull_worker": providers.Singleton(
            SendWorker,
            pulling,
            providers.Callable(_interval, c.settings),
            name="archive-puller",
            actor="archive-puller",
        ),
    }


PART = Part(
    providers=_providers,
    followers=(ArchiveSourceDirectory,),
    views={"archive_source_view": ArchiveSourceDirectory},
    controllers=(ArchiveSettingsController, ArchiveIngestionController),
    dependencies=("archive_setup", "archive_ingestion"),
    workers=("archive_pull_worker",),
    configuration_events=SETTINGS_EVENTS,
    console=settings_pages.PAGES,
    console_nav=settings_pages.NAV,
)
