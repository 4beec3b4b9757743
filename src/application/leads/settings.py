"""Each tenant's lead configuration (LEAD-2, LEAD-5, LEAD-6, LEAD-11, SEG-4): the use
cases that change it, the rules every lead write is checked with, and the contacts of
a custom user type that channels target.

The settings live in the leads event store (one `LeadSettings` per tenant), so a lead
and what it teaches the settings (a field now in use, a new tag) commit together.
Every lead write reads them, so the current settings are cached per process and
brought up to date before each use by reading only the events after the cached
version: one indexed query that usually finds nothing, instead of replaying every
event; a change made by another process is therefore seen by the next write.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, project_aggregate
from eventsourcing.domain import Aggregate
from pydantic import BaseModel, Field

from application.leads.ports import EmployeeRoster
from application.leads.queries import LeadFilter, where_clause
from application.leads.scope import CallerOrScope, LeadScope, ScopedLeads
from application.leads.selection import LeadSelection
from application.leads.tag_usage import TagUsageCounts
from application.shared.commands import Command
from application.shared.errors import InvalidInput, NotFound, VersionConflict
from application.shared.pages import Page, fetch_page
from application.shared.views import View
from domain.leads.lead import Value
from domain.leads.lead_settings import UNGROUPED, LeadSettings
from domain.leads.permissions import TAGS
from domain.shared.access import Action

if TYPE_CHECKING:
    from application.leads.intake import Offer
    from application.leads.leads import Leads

CACHED_TENANTS = 2000
CONFLICT_RETRIES = 5
RELABEL_BATCH = 500  # leads read from the list at a time when a tag is renamed
RELABEL_WORKERS = 8  # concurrent per-lead commits: enough to fill the writer's batches
log = logging.getLogger("huoke.leads")
FieldType = Literal["text", "number", "date", "single_select"]

# --- commands ------------------------------------------------------------------------------


class DefineCustomField(Command):
    key: str = Field(min_length=1, max_length=40, examples=["budget"])
    name: str = Field(min_length=1, max_length=50, examples=["预算"])
    type: FieldType
    required: bool = False
    options: list[str] = Field(default_factory=list, max_length=200)


class ChangeCustomField(Command):
    """What to change; omitted attributes stay. The type of a field leads hold values
    of cannot change (409)."""

    name: str | None = Field(default=None, min_length=1, max_length=50)
    type: FieldType | None = None
    required: bool | None = None
    options: list[str] | None = Field(default=None, max_length=200)


class AddSource(Command):
    level1: str = Field(min_length=1, max_length=50, examples=["线上"])
    level2: str | None = Field(default=None, min_length=1, max_length=50, examples=["官网"])


class SetDefaultOwner(Command):
    employee_id: UUID


class AddStatus(Command):
    key: str = Field(min_length=1, max_length=40, examples=["negotiating"])
    name: str = Field(min_length=1, max_length=50, examples=["洽谈中"])


class ChangeStatusSetting(Command):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    default: Literal[True] | None = Field(default=None, description="make it new leads' status")


class AddTagGroup(Command):
    name: str = Field(min_length=1, max_length=50, examples=["意向"])


class RenameTagGroup(Command):
    name: str = Field(min_length=1, max_length=50)


class AddTag(Command):
    name: str = Field(min_length=1, max_length=50, examples=["高意向"])
    group_id: str | None = Field(default=None, max_length=64, description="omitted: 未分组")


class MoveTag(Command):
    group_id: str = Field(min_length=1, max_length=64)


class RenameTag(Command):
    name: str = Field(min_length=1, max_length=50, examples=["强意向"])


class AddUserType(Command):
    key: str = Field(min_length=1, max_length=40, examples=["supplier"])
    name: str = Field(min_length=1, max_length=50, examples=["供应商"])


class RenameUserType(Command):
    name: str = Field(min_length=1, max_length=50)


# --- answers -------------------------------------------------------------------------------


class CustomFieldDetails(BaseModel):
    key: str
    name: str
    type: str
    required: bool
    options: list[str]
    in_use: bool = Field(description="a lead has held a value: the type is fixed")


class SourceDetails(BaseModel):
    level1: str
    level2: list[str]


class OwnerRule(BaseModel):
    channel: str
    employee_id: UUID


class StatusDetails(BaseModel):
    key: str
    name: str
    default: bool


class TagDetails(BaseModel):
    name: str
    system: bool
    leads: int = Field(default=0, description="live leads that carry it (kept as events arrive)")


class TagGroupDetails(BaseModel):
    id: str
    name: str
    system: bool
    tags: list[TagDetails]


class UserTypeDetails(BaseModel):
    key: str
    name: str


class LeadSettingsDetails(BaseModel):
    tenant_id: UUID
    custom_fields: list[CustomFieldDetails]
    sources: list[SourceDetails] = Field(description="empty: sources are free text")
    owner_rules: list[OwnerRule] = Field(description="default owner of new leads by channel")
    statuses: list[StatusDetails]
    default_status: str
    tag_groups: list[TagGroupDetails]
    user_types: list[UserTypeDetails] = Field(description="besides the built-in person")
    version: int
    updated_at: datetime


class RenamedTag(LeadSettingsDetails):
    """The settings after a rename, and how many leads it relabelled."""

    relabelled: int = Field(description="live leads that carried the old name and now the new")


class MarketingTarget(BaseModel):
    lead_id: UUID
    name: str | None
    mobile: str | None
    email: str | None


def settings_details(
    settings: LeadSettings, usage: Mapping[str, int] | None = None
) -> LeadSettingsDetails:
    """The settings as answered; `usage` is how many live leads carry each tag."""
    usage = usage or {}
    return LeadSettingsDetails(
        tenant_id=settings.tenant_id,
        custom_fields=[
            CustomFieldDetails(
                key=f["key"],
                name=f["name"],
                type=f["type"],
                required=f["required"],
                options=list(f["options"]),
                in_use=f["used"],
            )
            for f in settings.fields.values()
        ],
        sources=[SourceDetails(level1=k, level2=list(v)) for k, v in settings.sources.items()],
        owner_rules=[OwnerRule(channel=k, employee_id=v) for k, v in settings.owners.items()],
        statuses=[
            StatusDetails(key=key, name=name, default=key == settings.default_status)
            for key, name in settings.statuses.items()
        ],
        default_status=settings.default_status,
        tag_groups=[
            TagGroupDetails(
                id=group_id,
                name=group["name"],
                system=group["system"],
                tags=[
                    TagDetails(name=name, system=tag["system"], leads=usage.get(name, 0))
                    for name, tag in settings.tags.items()
                    if tag["group_id"] == group_id
                ],
            )
            for group_id, group in settings.tag_groups.items()
        ],
        user_types=[UserTypeDetails(key=k, name=v) for k, v in settings.user_types.items()],
        version=settings.version,
        updated_at=settings.modified_on,
    )


# --- the rules lead writes are checked with -----------------------------------------------


def may_add_tags(who: CallerOrScope) -> bool:
    """Whether tagging on behalf of `who` may add tags the tenant lacks (SEG-4): the
    system's own work (a `LeadScope`: demo seed, policies) may; a caller only when its
    roles may create tags, the rule the tag catalogue's routes follow."""
    return isinstance(who, LeadScope) or who.may(TAGS, Action.CREATE)


class SettingsRuleset:
    """One tenant's settings as a command found them. Checks never change the shared
    snapshot: what a write teaches the settings goes to a private copy at the same
    version, committed with the leads, so a concurrent settings change conflicts."""

    def __init__(self, settings: LeadSettings, is_current: Callable[[UUID], bool]) -> None:
        self.settings = settings
        self.is_current = is_current
        self.changed: LeadSettings | None = None

    @property
    def rules(self) -> LeadSettings:
        return self.changed or self.settings

    def admit(self, offer: Offer) -> Offer:
        rules = self.rules
        checked = rules.check_custom(offer.custom, complete=True)
        custom: dict[str, Value] = {k: v for k, v in checked.items() if v is not None}
        source = rules.check_source(offer.source)
        status = rules.check_status(offer.status) if offer.status else rules.default_status
        rules.check_user_type(offer.user_type, [i["kind"] for i in offer.identities])
        owner_id = offer.owner_id
        if owner_id is None:
            candidate = rules.default_owner(source)
            if candidate is not None and self.is_current(candidate):
                owner_id = candidate  # one who has left gets nothing: the lead stays in the pool
        self._use(custom)
        return replace(offer, custom=custom, source=source, status=status, owner_id=owner_id)

    def check_custom(self, values: dict[str, Value]) -> dict[str, Value]:
        checked = self.rules.check_custom(values, complete=False)
        self._use(checked)
        return checked

    def check_source(self, source: dict[str, Value]) -> dict[str, Value]:
        return self.rules.check_source(source)

    def check_status(self, status: str) -> str:
        return self.rules.check_status(status)

    def check_tags(self, tags: list[str], *, may_add: bool) -> list[str]:
        """Tags the tenant never had are created, ungrouped (未分组), when `may_add` (the
        caller may create tags, or it is the system's own work): people tag as they work
        and sort the tags into groups later. Anyone else tags with the catalogue's tags."""
        unknown = self.rules.unknown_tags(tags)
        if unknown and not may_add:
            raise InvalidInput(
                f"{unknown[0]!r} is not one of the tenant's tags; a marketer can add it",
                field="tags",
            )
        if unknown:
            self._writable().add_tags(unknown, UNGROUPED)
        return list(dict.fromkeys(tag.strip() for tag in tags))

    def pending(self) -> list[Aggregate]:
        return [self.changed] if self.changed is not None and self.changed.pending_events else []

    def _use(self, custom: dict[str, Value]) -> None:
        keys = [k for k, v in custom.items() if v is not None and not self.rules.field(k)["used"]]
        if keys:
            self._writable().record_use(keys)

    def _writable(self) -> LeadSettings:
        if self.changed is None:
            self.changed = deepcopy(self.settings)
        return self.changed


# --- the use cases -------------------------------------------------------------------------


class TenantLeadSettings:
    """Reads and changes each tenant's lead settings, and gives lead writes their rules
    (it is the `LeadRules` the container hands to `Leads`)."""

    def __init__(self, leads: Leads, *, roster: EmployeeRoster) -> None:
        self.leads = leads
        self.roster = roster
        self._cache: OrderedDict[UUID, LeadSettings] = OrderedDict()
        self._lock = threading.Lock()
        self.usage: TagUsageCounts | None = None

    def count_usage_with(self, usage: TagUsageCounts) -> None:
        """Answer with how many live leads carry each tag, as `usage` counts them (the
        wiring gives the read model; without it every tag shows 0)."""
        self.usage = usage

    # --- reading ---------------------------------------------------------------------------

    def settings(self, tenant_id: UUID) -> LeadSettingsDetails:
        """The tenant's settings (the defaults until it changes any), each tag with how
        many live leads carry it."""
        return self._details(self.current(tenant_id))

    def for_tenant(self, tenant_id: UUID) -> SettingsRuleset:
        """The rules one lead command (or one intake batch) is checked with."""
        known: dict[UUID, bool] = {}

        def is_current(employee_id: UUID) -> bool:
            if employee_id not in known:
                known[employee_id] = self.roster.is_current_employee(tenant_id, employee_id)
            return known[employee_id]

        return SettingsRuleset(self.current(tenant_id), is_current)

    def require_user_type(self, tenant_id: UUID, user_type: str) -> None:
        if not self.current(tenant_id).has_user_type(user_type):
            raise NotFound(f"no user type {user_type}")

    def current(self, tenant_id: UUID) -> LeadSettings:
        """The settings as stored now; shared, so never to be changed by the caller."""
        settings_id = LeadSettings.create_id(tenant_id)
        with self._lock:
            cached = self._cache.get(settings_id)
        if cached is None:
            try:
                loaded: LeadSettings = self.leads.repository.get(settings_id)
            except AggregateNotFoundError:
                return LeadSettings.start(tenant_id)  # not stored until first changed
            return self._remember(loaded)
        newer = list(self.leads.events.get(settings_id, gt=cached.version))
        if not newer:
            return cached
        ahead = project_aggregate(deepcopy(cached), newer)
        assert ahead is not None  # settings are never discarded
        return self._remember(ahead)

    def _remember(self, settings: LeadSettings) -> LeadSettings:
        with self._lock:
            cached = self._cache.get(settings.id)
            if cached is not None and cached.version > settings.version:
                return cached  # another thread brought it further meanwhile
            self._cache[settings.id] = settings
            self._cache.move_to_end(settings.id)
            while len(self._cache) > CACHED_TENANTS:
                self._cache.popitem(last=False)
        return settings

    # --- custom fields (LEAD-2) ------------------------------------------------------------

    def define_field(self, tenant_id: UUID, command: DefineCustomField) -> LeadSettingsDetails:
        """A new custom field (text, number, date or single-select; required or not)."""
        return self._add(
            tenant_id,
            lambda s: s.define_field(
                command.key,
                command.name,
                command.type,
                required=command.required,
                options=list(command.options),
            ),
        )

    def change_field(
        self, tenant_id: UUID, key: str, command: ChangeCustomField, *, expected_version: int
    ) -> LeadSettingsDetails:
        """Rename, retype or re-option a field; a field in use keeps its type (409)."""
        return self._change(
            tenant_id,
            expected_version,
            lambda s: key in s.fields,
            f"no custom field {key}",
            lambda s: s.change_field(
                key,
                name=command.name,
                kind=command.type,
                required=command.required,
                options=None if command.options is None else list(command.options),
            ),
        )

    def remove_field(
        self, tenant_id: UUID, key: str, *, expected_version: int
    ) -> LeadSettingsDetails:
        return self._change(
            tenant_id,
            expected_version,
            lambda s: key in s.fields,
            f"no custom field {key}",
            lambda s: s.remove_field(key),
        )

    # --- sources and default owners (LEAD-5) -----------------------------------------------

    def add_source(self, tenant_id: UUID, command: AddSource) -> LeadSettingsDetails:
        """A level-1 source, or a level-2 one under it."""
        return self._add(tenant_id, lambda s: s.add_source(command.level1, command.level2))

    def remove_source(
        self, tenant_id: UUID, level1: str, level2: str | None, *, expected_version: int
    ) -> LeadSettingsDetails:
        return self._change(
            tenant_id,
            expected_version,
            lambda s: s.has_source(level1, level2),
            f"no source {level1}" + (f" / {level2}" if level2 else ""),
            lambda s: s.remove_source(level1, level2),
        )

    def set_default_owner(
        self, tenant_id: UUID, channel: str, command: SetDefaultOwner, *, expected_version: int
    ) -> LeadSettingsDetails:
        """New leads from `channel` without an owner go to this current employee."""
        if not self.roster.is_current_employee(tenant_id, command.employee_id):
            raise NotFound(f"no current employee {command.employee_id}")
        return self._change(
            tenant_id,
            expected_version,
            None,
            "",
            lambda s: s.set_default_owner(channel, command.employee_id),
        )

    def clear_default_owner(
        self, tenant_id: UUID, channel: str, *, expected_version: int
    ) -> LeadSettingsDetails:
        return self._change(
            tenant_id,
            expected_version,
            lambda s: channel in s.owners,
            f"no default owner for {channel}",
            lambda s: s.clear_default_owner(channel),
        )

    # --- statuses (LEAD-6) -----------------------------------------------------------------

    def add_status(self, tenant_id: UUID, command: AddStatus) -> LeadSettingsDetails:
        return self._add(tenant_id, lambda s: s.add_status(command.key, command.name))

    def change_status(
        self, tenant_id: UUID, key: str, command: ChangeStatusSetting, *, expected_version: int
    ) -> LeadSettingsDetails:
        """Rename a status, or make it the status of new leads."""

        def change(settings: LeadSettings) -> None:
            if command.name is not None:
                settings.rename_status(key, command.name)
            if command.default:
                settings.choose_default_status(key)

        return self._change(
            tenant_id, expected_version, lambda s: key in s.statuses, f"no status {key}", change
        )

    def remove_status(
        self, tenant_id: UUID, key: str, *, expected_version: int
    ) -> LeadSettingsDetails:
        return self._change(
            tenant_id,
            expected_version,
            lambda s: key in s.statuses,
            f"no status {key}",
            lambda s: s.remove_status(key),
        )

    # --- tags (SEG-4) ----------------------------------------------------------------------

    def add_tag_group(self, tenant_id: UUID, command: AddTagGroup) -> LeadSettingsDetails:
        group_id = str(self.leads.new_id(f"tag-group:{tenant_id}"))
        return self._add(tenant_id, lambda s: s.add_tag_group(group_id, command.name))

    def rename_tag_group(
        self, tenant_id: UUID, group_id: str, command: RenameTagGroup, *, expected_version: int
    ) -> LeadSettingsDetails:
        return self._change(
            tenant_id,
            expected_version,
            lambda s: s.has_tag_group(group_id),
            f"no tag group {group_id}",
            lambda s: s.rename_tag_group(group_id, command.name),
        )

    def remove_tag_group(
        self, tenant_id: UUID, group_id: str, *, expected_version: int
    ) -> LeadSettingsDetails:
        """The group goes; its tags become ungrouped."""
        return self._change(
            tenant_id,
            expected_version,
            lambda s: s.has_tag_group(group_id),
            f"no tag group {group_id}",
            lambda s: s.remove_tag_group(group_id),
        )

    def add_tag(self, tenant_id: UUID, command: AddTag) -> LeadSettingsDetails:
        group_id = command.group_id or UNGROUPED
        if not self.current(tenant_id).has_tag_group(group_id):
            raise NotFound(f"no tag group {group_id}")
        return self._add(tenant_id, lambda s: s.add_tags([command.name], group_id))

    def move_tag(
        self, tenant_id: UUID, tag: str, command: MoveTag, *, expected_version: int
    ) -> LeadSettingsDetails:
        """Put a tag into another group; system tags stay where they are (409)."""
        return self._change(
            tenant_id,
            expected_version,
            lambda s: s.has_tag(tag) and s.has_tag_group(command.group_id),
            f"no tag {tag} or tag group {command.group_id}",
            lambda s: s.move_tag(tag, command.group_id),
        )

    def rename_tag(
        self, tenant_id: UUID, tag: str, command: RenameTag, *, expected_version: int
    ) -> LeadSettingsDetails:
        """Rename a tag in the catalogue (system tags cannot be, nor to a name in use: 409).
        The leads that carry it are `TagRenames`' to relabel."""
        return self._change(
            tenant_id, expected_version, lambda s: s.has_tag(tag), f"no tag {tag}",
            lambda s: s.rename_tag(tag, command.name),
        )  # fmt: skip

    def remove_tag(
        self, tenant_id: UUID, tag: str, *, expected_version: int
    ) -> LeadSettingsDetails:
        """Take a tag out of the catalogue (system tags cannot be, 409)."""
        return self._change(
            tenant_id, expected_version, lambda s: s.has_tag(tag), f"no tag {tag}",
            lambda s: s.remove_tag(tag),
        )  # fmt: skip

    # --- custom marketing user types (LEAD-11) ---------------------------------------------

    def add_user_type(self, tenant_id: UUID, command: AddUserType) -> LeadSettingsDetails:
        """A kind of marketing user besides people (供应商, 代理商…), reached by SMS/e-mail."""
        return self._add(tenant_id, lambda s: s.add_user_type(command.key, command.name))

    def rename_user_type(
        self, tenant_id: UUID, key: str, command: RenameUserType, *, expected_version: int
    ) -> LeadSettingsDetails:
        return self._change(
            tenant_id,
            expected_version,
            lambda s: s.has_user_type(key),
            f"no user type {key}",
            lambda s: s.rename_user_type(key, command.name),
        )

    def remove_user_type(
        self, tenant_id: UUID, key: str, *, expected_version: int
    ) -> LeadSettingsDetails:
        return self._change(
            tenant_id,
            expected_version,
            lambda s: s.has_user_type(key),
            f"no user type {key}",
            lambda s: s.remove_user_type(key),
        )

    # --- helpers ---------------------------------------------------------------------------

    def _load(self, tenant_id: UUID) -> LeadSettings:
        """A private copy to change: the stored settings, or new ones with the defaults."""
        return deepcopy(self.current(tenant_id))

    def _add(self, tenant_id: UUID, change: Callable[[LeadSettings], None]) -> LeadSettingsDetails:
        """Adding needs no If-Match (what is there already is left alone, so a repeat
        changes nothing); a concurrent change of the settings is retried."""
        for _ in range(CONFLICT_RETRIES):
            settings = self._load(tenant_id)
            change(settings)
            try:
                self.leads.commit(settings)
            except VersionConflict:
                continue
            return self._details(self._remember(settings))
        raise VersionConflict("the lead settings are busy; retry")

    def _change(
        self,
        tenant_id: UUID,
        expected_version: int,
        exists: Callable[[LeadSettings], bool] | None,
        missing: str,
        change: Callable[[LeadSettings], None],
    ) -> LeadSettingsDetails:
        """Change what the caller last read (If-Match); what is not there is 404 first,
        as for any record."""
        settings = self._load(tenant_id)
        if exists is not None and not exists(settings):
            raise NotFound(missing)
        if settings.version != expected_version:
            raise VersionConflict(
                f"the lead settings are at version {settings.version}, not {expected_version}"
            )
        change(settings)
        self.leads.commit(settings)
        return self._details(self._remember(settings))

    def _details(self, settings: LeadSettings) -> LeadSettingsDetails:
        usage = self.usage.leads_per_tag(settings.tenant_id) if self.usage else None
        return settings_details(settings, usage)


# --- renaming a tag on the leads that carry it (SEG-4) ------------------------------------


class TagRenames:
    """Renames a tag: in the catalogue first, then on each live lead that carries it,
    which loses the old name and gets the new in one commit of its own, a few at a time
    through the group-commit writer, as bulk actions change leads."""

    def __init__(
        self, leads: Leads, selection: LeadSelection, settings: TenantLeadSettings
    ) -> None:
        self.leads = leads
        self.selection = selection
        self.settings = settings

    def rename(
        self, tenant_id: UUID, tag: str, command: RenameTag, *, expected_version: int
    ) -> RenamedTag:
        """Rename `tag` to `command.name` and relabel the leads that carry it; the answer
        says how many were. A lead tagged with the old name while this runs is not seen
        (only those allowed to create tags can still do that: it is no longer listed)."""
        self.settings.rename_tag(tenant_id, tag, command, expected_version=expected_version)
        new = command.name.strip()  # as the catalogue stores it
        relabelled = self.relabel(LeadScope.whole_company(tenant_id), tag, new) if new != tag else 0
        # The answer counts the relabelled leads under the new name.
        self.leads.wait_for_views(self.leads.recorder.max_notification_id() or 0)
        settings = self.settings.settings(tenant_id)
        return RenamedTag(**settings.model_dump(), relabelled=relabelled)

    def relabel(self, scope: LeadScope, old: str, new: str) -> int:
        """Every live lead in `scope` carrying `old` carries `new` instead; how many did.
        The lead list is first brought up to every lead change committed so far."""
        self.leads.wait_for_views(self.leads.recorder.max_notification_id() or 0)
        relabelled = 0
        after: str | None = None
        with ThreadPoolExecutor(max_workers=RELABEL_WORKERS, thread_name_prefix="relabel") as pool:
            while True:
                rows, after = self.selection.batch(
                    scope, LeadFilter(tag=old), after=after, limit=RELABEL_BATCH
                )
                # Each lead in a copy of the request context: its events name this actor.
                futures = [
                    pool.submit(
                        contextvars.copy_context().run, self._relabel_one, scope,
                        UUID(row["lead_id"]), old, new,
                    )
                    for row in rows
                ]  # fmt: skip
                relabelled += sum(future.result() for future in futures)
                if after is None:
                    return relabelled

    def _relabel_one(self, scope: LeadScope, lead_id: UUID, old: str, new: str) -> bool:
        for _ in range(CONFLICT_RETRIES):
            try:
                lead = self.leads.lead_in_scope(scope, lead_id)
            except NotFound:
                return False
            if not lead.is_live or old not in lead.tags:
                return False  # merged, deleted or untagged since the list showed it
            lead.untag([old])
            lead.tag([new])
            try:
                self.leads.commit(lead)
            except VersionConflict:
                continue  # changed meanwhile: load it again
            return True
        log.warning("lead %s kept changing: still tagged %r, not %r", lead_id, old, new)
        return False


class MarketingTargets:
    """The mobiles and e-mail addresses of a user type's live leads, for SMS and e-mail
    channels (each send still honours the lead's consent, LEAD-9)."""

    def __init__(self, view: View, leads: ScopedLeads) -> None:
        self.view = view
        self.leads = leads

    def targets(
        self,
        who: CallerOrScope,
        user_type: str,
        *,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[MarketingTarget]:
        """Live leads of `user_type` with a mobile or e-mail, newest first, inside the
        caller's data scope."""
        scope = self.leads.scope_of(who)
        where, params = where_clause(scope, LeadFilter(user_type=user_type))
        page = fetch_page(
            self.view,
            table="leads_leads",
            where=f"{where} AND (mobile IS NOT NULL OR email IS NOT NULL)",
            params=params,
            order_by=("created_at", "lead_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                MarketingTarget(
                    lead_id=UUID(row["lead_id"]),
                    name=row["name"],
                    mobile=row["mobile"],
                    email=row["email"],
                )
                for row in page.items
            ],
            page.next_cursor,
        )
