"""The watched behaviours and the allow-list (敏感行为管理, 员工白名单; ARCH-3): what a
tenant's screening looks for beyond words, and whose messages it leaves alone."""

from __future__ import annotations

from uuid import UUID

from application.archive.archive import Archive
from application.archive.screening_commands import ChangeScreeningRules, ScreeningRulesDetails
from application.shared.errors import NotFound, VersionConflict
from domain.archive.screening_rules import ScreeningRules


class ScreeningSettings:
    """Reads and replaces a tenant's screening rules."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def rules(self, tenant_id: UUID) -> ScreeningRulesDetails:
        """The tenant's rules (the defaults, at version 1, until it changes them)."""
        return screening_rules_details(self._current(tenant_id))

    def change(
        self, tenant_id: UUID, command: ChangeScreeningRules, *, expected_version: int
    ) -> ScreeningRulesDetails:
        """Replace the watched behaviours and the allow-list (If-Match: the version read)."""
        rules = self._current(tenant_id)
        if rules.version != expected_version:
            raise VersionConflict(
                f"ScreeningRules is at version {rules.version}, not {expected_version}"
            )
        rules.change(behaviours=command.behaviours, allowed=command.allowed_employees)
        self.archive.commit(rules)
        return screening_rules_details(rules)

    def _current(self, tenant_id: UUID) -> ScreeningRules:
        try:
            return self.archive.load(
                ScreeningRules.create_id(tenant_id), ScreeningRules, tenant_id=tenant_id
            )
        except NotFound:
            return ScreeningRules.start(tenant_id)  # stored with its first change


def screening_rules_details(rules: ScreeningRules) -> ScreeningRulesDetails:
    return ScreeningRulesDetails(
        behaviours=list(rules.behaviours),
        allowed_employees=list(rules.allowed),
        version=rules.version,
    )
