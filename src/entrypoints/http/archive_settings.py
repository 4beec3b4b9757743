"""Routes of the session archive's setup and ingestion (ARCH-1): key pairs by version
(generated here, or imported), the pull source and the switch, the ingestion status and
a pull now. Resource `archive_settings`: the tenant admin changes, the auditor reads;
changes need an edition with the archive (403 subscription_inactive otherwise)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response
from litestar.params import Parameter

from application.archive.ingestion import ArchiveIngestion
from application.archive.setup import ArchiveSetup
from application.archive.setup_commands import (
    ArchiveSettingsDetails,
    ChangeArchiveSettings,
    GenerateKey,
    ImportKey,
    IngestionStatus,
)
from application.shared.callers import TenantCaller
from domain.archive.settings import MAX_PUBLICKEY_VER
from domain.shared.access import Action
from entrypoints.http.conventions import (
    OPTIONAL_IF_MATCH,
    delete,
    get,
    post,
    put,
    tenant_may,
    with_etag,
)

PULL_NOW_BATCHES = 10  # at most 10,000 messages for one request; the worker does the rest
Answer = Response[ArchiveSettingsDetails]
KeyVersion = Annotated[
    int, Parameter(ge=1, le=MAX_PUBLICKEY_VER, description="the key's publickey_ver")
]


class ArchiveSettingsController(Controller):
    path = "/api/v1/archive/settings"
    tags = ["archive"]
    guards = [tenant_may("archive_settings")]
    dependencies = OPTIONAL_IF_MATCH

    @get("/", operation_id="getArchiveSettings")
    def get_settings(self, archive_setup: ArchiveSetup, caller: TenantCaller) -> Answer:
        """The archive's settings: the key pairs' public keys by version (the newest is in
        use: paste it into WeCom's admin, 管理工具 → 会话内容存档, under its version), the
        corp, whether a Secret is kept, whether pulling is on. Never a private key or the
        Secret. Version 0 until first changed."""
        return with_etag(archive_setup.settings(caller.tenant_id))

    @put("/", operation_id="changeArchiveSettings")
    def change(
        self,
        data: ChangeArchiveSettings,
        archive_setup: ArchiveSetup,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Answer:
        """Set the corp and the archive's Secret (left out: the kept one stays) and switch
        pulling on or off; on without a key pair is 409. If-Match is optional."""
        return with_etag(
            archive_setup.change(caller.tenant_id, data, expected_version=expected_version)
        )

    @post("/keys", operation_id="generateArchiveKey", may=Action.CREATE)
    def generate_key(
        self,
        data: GenerateKey,
        archive_setup: ArchiveSetup,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Answer:
        """Make a 2048-bit RSA key pair under `publickey_ver`; the answer's keys hold its
        public key. A version kept or retired already is 409 (WeCom numbers each new key
        anew)."""
        details = archive_setup.generate_key(
            caller.tenant_id, data, expected_version=expected_version
        )
        return with_etag(details, status_code=201)

    @post("/keys/import", operation_id="importArchiveKey", may=Action.CREATE)
    def import_key(
        self,
        data: ImportKey,
        archive_setup: ArchiveSetup,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Answer:
        """Keep a key pair made elsewhere, by its unencrypted RSA private key in PEM
        (PKCS#8 or PKCS#1, 2048 bits or more; 422 otherwise). Never shown again."""
        details = archive_setup.import_key(
            caller.tenant_id, data, expected_version=expected_version
        )
        return with_etag(details, status_code=201)

    @delete("/keys/{publickey_ver:int}", operation_id="retireArchiveKey", status_code=200)
    def retire_key(
        self,
        publickey_ver: KeyVersion,
        archive_setup: ArchiveSetup,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Answer:
        """Forget an older version's private key: messages still sealed under it will be
        stored as undecryptable. The version in use is 409; one not kept 404."""
        return with_etag(
            archive_setup.retire_key(
                caller.tenant_id, publickey_ver, expected_version=expected_version
            )
        )


class ArchiveIngestionController(Controller):
    path = "/api/v1/archive/ingestion"
    tags = ["archive"]
    guards = [tenant_may("archive_settings")]

    @get("/", operation_id="getArchiveIngestion")
    def status(self, archive_ingestion: ArchiveIngestion, caller: TenantCaller) -> IngestionStatus:
        """How far the archive is pulled: the cursor (the highest seq stored), messages
        stored and how many of them would not open, alerts raised, the last pull and the
        last error (empty once a pull succeeds again)."""
        return archive_ingestion.status(caller.tenant_id)

    @post("/pull", operation_id="pullArchiveNow", status_code=200, may=Action.UPDATE)
    def pull(self, archive_ingestion: ArchiveIngestion, caller: TenantCaller) -> IngestionStatus:
        """Pull now, up to 10 batches of 1,000 (the background round pulls every few
        seconds anyway); `pulled` says what this request stored. An archive switched off
        pulls nothing. The source down is 502."""
        return archive_ingestion.pull_now(caller.tenant_id, batches=PULL_NOW_BATCHES)
