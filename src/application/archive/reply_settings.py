"""Reply-timeout settings (回复超时设置, ARCH-4): a tenant's working hours, threshold,
and whether group chats count. The reply-wait follower reads the rules from the events
(`ReplyWaits`), so a change applies to every answer it sees after the change."""

from __future__ import annotations

from uuid import UUID

from application.archive.archive import Archive
from application.archive.screening_commands import (
    ChangeReplyRules,
    ReplyRulesDetails,
    WorkingPeriod,
)
from application.archive.zones import Zones
from application.shared.errors import NotFound, VersionConflict
from domain.archive.reply_rules import ReplyRules


class ReplyRulesSettings:
    """Reads and replaces a tenant's reply rules."""

    def __init__(self, archive: Archive, zones: Zones) -> None:
        self.archive = archive
        self.zones = zones

    def rules(self, tenant_id: UUID) -> ReplyRulesDetails:
        """The tenant's rules (the defaults, at version 1, until it changes them)."""
        return self._details(tenant_id, self._current(tenant_id))

    def change(
        self, tenant_id: UUID, command: ChangeReplyRules, *, expected_version: int
    ) -> ReplyRulesDetails:
        """Replace the rules (If-Match: the version read)."""
        rules = self._current(tenant_id)
        if rules.version != expected_version:
            raise VersionConflict(
                f"ReplyRules is at version {rules.version}, not {expected_version}"
            )
        rules.change(
            enabled=command.enabled,
            threshold_minutes=command.threshold_minutes,
            working_hours=[period.model_dump() for period in command.working_hours],
            include_groups=command.include_groups,
        )
        self.archive.commit(rules)
        return self._details(tenant_id, rules)

    def _current(self, tenant_id: UUID) -> ReplyRules:
        try:
            return self.archive.load(
                ReplyRules.create_id(tenant_id), ReplyRules, tenant_id=tenant_id
            )
        except NotFound:
            return ReplyRules.start(tenant_id)  # stored with its first change

    def _details(self, tenant_id: UUID, rules: ReplyRules) -> ReplyRulesDetails:
        return ReplyRulesDetails(
            enabled=rules.enabled,
            threshold_minutes=rules.threshold_minutes,
            working_hours=[WorkingPeriod(**period) for period in rules.hours.periods()],
            include_groups=rules.include_groups,
            timezone=self.zones.of(tenant_id).key,
            version=rules.version,
        )
