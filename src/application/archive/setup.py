"""Setting up a tenant's session archive (ARCH-1): key pairs by version (made here or
imported), the pull source and the switch. The console shows the public key in use to
paste into WeCom's admin (管理工具 → 会话内容存档 → 消息加密公钥), under its version.

Changing the settings needs an edition that sells the archive (`session_archive`);
reading them does not, and says whether the plan includes it.
"""

from __future__ import annotations

from uuid import UUID

from application.archive.archive import Archive
from application.archive.ports import ARCHIVE_FEATURE, EditionGate, KeyMaker, SourceAccount
from application.archive.setup_commands import (
    ArchiveKey,
    ArchiveSettingsDetails,
    ChangeArchiveSettings,
    GenerateKey,
    ImportKey,
)
from application.shared.errors import NotFound, VersionConflict
from domain.archive.settings import ArchiveSettings, checked_version
from domain.shared.errors import DomainError, StateConflict


class ArchiveSetup:
    """The archive settings' use cases, and the settings ingestion pulls with."""

    def __init__(self, archive: Archive, keys: KeyMaker, gate: EditionGate) -> None:
        self.archive = archive
        self.keys = keys
        self.gate = gate

    # --- reading -------------------------------------------------------------------------

    def settings(self, tenant_id: UUID) -> ArchiveSettingsDetails:
        """The settings as stored (before any change: empty, version 0)."""
        stored = self.stored(tenant_id)
        if stored is None:
            return self._details(tenant_id, ArchiveSettings.set_up(tenant_id), saved=0)
        return self._details(tenant_id, stored, saved=stored.version)

    def stored(self, tenant_id: UUID) -> ArchiveSettings | None:
        """The tenant's settings as stored now, None before the first change."""
        settings_id = ArchiveSettings.create_id(tenant_id)
        if settings_id not in self.archive.repository:
            return None
        return self.archive.load(settings_id, ArchiveSettings, tenant_id=tenant_id)

    @staticmethod
    def account_of(settings: ArchiveSettings) -> SourceAccount:
        """What the source pulls with (settings with a key in use)."""
        version = settings.current_version
        if version is None:
            raise StateConflict("add a key pair before pulling the archive", field="keys")
        return SourceAccount(
            tenant_id=settings.tenant_id,
            corpid=settings.corpid,
            sdk_secret=settings.sdk_secret,
            publickey_ver=version,
            public_key_pem=settings.public_key_of(version),
        )

    # --- changing ------------------------------------------------------------------------

    def generate_key(
        self, tenant_id: UUID, command: GenerateKey, *, expected_version: int | None = None
    ) -> ArchiveSettingsDetails:
        """Make a 2048-bit key pair and keep it under `publickey_ver`; the answer holds its
        public key to paste into WeCom (the private key never leaves huoke)."""
        settings = self._for_change(tenant_id, expected_version)
        checked_version(command.publickey_ver)
        pair = self.keys.generate()
        settings.add_key(
            publickey_ver=command.publickey_ver,
            public_key_pem=pair.public_key_pem,
            private_key_pem=pair.private_key_pem,
        )
        return self._saved(settings)

    def import_key(
        self, tenant_id: UUID, command: ImportKey, *, expected_version: int | None = None
    ) -> ArchiveSettingsDetails:
        """Keep a key pair made elsewhere (the one WeCom already has, say), by its
        private key; `private_key_pem` that is no RSA key of 2048 bits or more is 422."""
        settings = self._for_change(tenant_id, expected_version)
        public = self.keys.public_key_of(command.private_key_pem)
        settings.add_key(
            publickey_ver=command.publickey_ver,
            public_key_pem=public,
            private_key_pem=command.private_key_pem,
        )
        return self._saved(settings)

    def retire_key(
        self, tenant_id: UUID, publickey_ver: int, *, expected_version: int | None = None
    ) -> ArchiveSettingsDetails:
        """Forget an older version's private key (409 for the one in use, 404 for one
        not kept)."""
        settings = self.stored(tenant_id)
        if settings is None or publickey_ver not in settings.keys:
            raise NotFound(f"no archive key version {publickey_ver}")
        settings = self._for_change(tenant_id, expected_version)
        settings.retire_key(publickey_ver)
        return self._saved(settings)

    def change(
        self,
        tenant_id: UUID,
        command: ChangeArchiveSettings,
        *,
        expected_version: int | None = None,
    ) -> ArchiveSettingsDetails:
        """Set the corp and its archive Secret, and switch pulling on or off (on needs a
        key pair: 409)."""
        settings = self._for_change(tenant_id, expected_version)
        settings.change_source(corpid=command.corpid, sdk_secret=command.sdk_secret)
        if command.enabled:
            settings.enable()
        else:
            settings.disable()
        return self._saved(settings)

    # --- helpers -------------------------------------------------------------------------

    def _for_change(self, tenant_id: UUID, expected_version: int | None) -> ArchiveSettings:
        self.gate.require_feature(tenant_id, ARCHIVE_FEATURE)
        settings = self.stored(tenant_id)
        if settings is None:
            if expected_version not in (None, 0):
                raise VersionConflict(
                    f"the archive settings are at version 0, not {expected_version}"
                )
            return ArchiveSettings.set_up(tenant_id)
        if expected_version is not None and settings.version != expected_version:
            raise VersionConflict(
                f"the archive settings are at version {settings.version}, not {expected_version}"
            )
        return settings

    def _saved(self, settings: ArchiveSettings) -> ArchiveSettingsDetails:
        self.archive.commit(settings)
        return self._details(settings.tenant_id, settings, saved=settings.version)

    def _details(
        self, tenant_id: UUID, settings: ArchiveSettings, *, saved: int
    ) -> ArchiveSettingsDetails:
        current = settings.current_version
        return ArchiveSettingsDetails(
            version=saved,
            enabled=settings.enabled,
            corpid=settings.corpid,
            sdk_secret_set=bool(settings.sdk_secret),
            publickey_ver=current,
            keys=[
                ArchiveKey(publickey_ver=v, public_key_pem=pem, in_use=v == current)
                for v, pem in sorted(settings.public_keys().items(), reverse=True)
            ],
            retired_versions=sorted(settings.retired_versions),
            edition_includes_archive=self._includes(tenant_id),
        )

    def _includes(self, tenant_id: UUID) -> bool:
        try:
            self.gate.require_feature(tenant_id, ARCHIVE_FEATURE)
        except DomainError:
            return False
        return True
