"""A tenant's lead configuration (LEAD-2, LEAD-5, LEAD-6, LEAD-11, SEG-4): custom fields,
source enumerations and default owners per channel, sales statuses, tags in tag groups,
and custom marketing user types.

One aggregate per tenant (its id is uuid5 of the tenant): every lead write asks it, so
one load answers every rule, and rules that span its parts (the default status is one
of the statuses, every tag is in an existing group) hold in one place. It is small
(a few hundred entries at most) and changes rarely, so concurrent edits of it are rare.

A custom field remembers whether any lead has ever held a value for it: the first lead
that does records that in the same commit as the lead, so a type change that races with
it conflicts on this aggregate's version and one of the two is refused.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

Value = str | int | float | bool | None

FIELD_TYPES = ("text", "number", "date", "single_select")
DEFAULT_STATUSES = {
    "new": "新线索",
    "contacted": "已联系",
    "qualified": "有效",
    "unqualified": "无效",
}
DEFAULT_STATUS = "new"
PERSON = "person"  # the built-in user type every lead has unless told otherwise
UNGROUPED = "ungrouped"  # where tags go that were never put in a group (未分组)
SYSTEM_GROUP = "interaction"  # the system's interaction tags (互动标签)
DEFAULT_TAG_GROUPS = {UNGROUPED: "未分组", SYSTEM_GROUP: "互动标签"}
# Tags the channels add on their own; a tenant can neither edit nor delete them.
SYSTEM_TAGS = (
    "关注公众号",
    "取消关注",
    "点击菜单",
    "扫码",
    "提交表单",
    "打开邮件",
    "点击邮件链接",
    "点击短信链接",
    "活动报名",
    "活动签到",
)
CONTACT_KINDS = ("mobile", "email")

MAX_FIELDS = 100
MAX_OPTIONS = 200
MAX_SOURCES = 200  # level-1 plus level-2 entries
MAX_STATUSES = 50
MAX_TAGS = 3000
MAX_TAG_GROUPS = 200
MAX_USER_TYPES = 50
MAX_NAME = 50
MAX_TEXT_VALUE = 500
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _key(value: str, *, field: str) -> str:
    """A stable machine key: lower-case letters, digits and _, starting with a letter."""
    text = value.strip()
    if not _KEY.match(text):
        raise InvalidValue(
            f"{field} must be 1-40 lower-case letters, digits or _ and start with a letter",
            field=field,
        )
    return text


def _name(value: str, *, field: str = "name") -> str:
    return required_text(value, field=field, max_length=MAX_NAME)


def _tag_name(value: str, *, field: str = "name") -> str:
    name = required_text(value, field=field, max_length=MAX_NAME)
    if "," in name:  # the lead list keeps a lead's tags as comma-separated text
        raise InvalidValue("a tag cannot contain a comma", field=field)
    return name


def _options(options: list[str]) -> list[str]:
    cleaned = [_name(option, field="options") for option in options]
    if not cleaned:
        raise InvalidValue("a single-select field needs at least one option", field="options")
    if len(cleaned) > MAX_OPTIONS:
        raise InvalidValue(f"a field has at most {MAX_OPTIONS} options", field="options")
    if len(set(cleaned)) != len(cleaned):
        raise InvalidValue("options must differ from each other", field="options")
    return cleaned


def custom_value(definition: dict[str, Any], value: Value) -> Value:
    """`value` as a field of this definition stores it, or InvalidValue naming
    `custom.<key>`. Numbers may arrive as text (an imported sheet): they are read."""
    key, kind = str(definition["key"]), definition["type"]
    field = f"custom.{key}"
    if kind == "number":
        if isinstance(value, bool):
            raise InvalidValue(f"{key} must be a number", field=field)
        if isinstance(value, int | float):
            return value
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text)  # whole numbers exactly, however long
            except ValueError:
                pass
            try:
                number = float(text)
            except ValueError:
                raise InvalidValue(f"{key} must be a number", field=field) from None
            if number != number or number in (float("inf"), float("-inf")):
                raise InvalidValue(f"{key} must be a number", field=field)
            return number
        raise InvalidValue(f"{key} must be a number", field=field)
    if not isinstance(value, str):
        raise InvalidValue(f"{key} must be text", field=field)
    text = value.strip()
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise InvalidValue(f"{key} must be a date (YYYY-MM-DD)", field=field) from None
    if kind == "single_select":
        options = definition["options"]
        if not isinstance(options, list) or text not in options:
            raise InvalidValue(f"{key} must be one of its options", field=field)
        return text
    if len(text) > MAX_TEXT_VALUE:
        raise InvalidValue(f"{key} is longer than {MAX_TEXT_VALUE} characters", field=field)
    return text


class LeadSettings(Aggregate):
    """How one tenant describes its leads; the rules every lead write is checked with."""

    TOPIC = "leads.LeadSettings"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Started: ClassVar[type[AggregateEvent]]
        CustomFieldDefined: ClassVar[type[AggregateEvent]]
        CustomFieldChanged: ClassVar[type[AggregateEvent]]
        CustomFieldRemoved: ClassVar[type[AggregateEvent]]
        CustomFieldsUsed: ClassVar[type[AggregateEvent]]
        SourceAdded: ClassVar[type[AggregateEvent]]
        SourceRemoved: ClassVar[type[AggregateEvent]]
        DefaultOwnerSet: ClassVar[type[AggregateEvent]]
        DefaultOwnerCleared: ClassVar[type[AggregateEvent]]
        StatusAdded: ClassVar[type[AggregateEvent]]
        StatusRenamed: ClassVar[type[AggregateEvent]]
        StatusRemoved: ClassVar[type[AggregateEvent]]
        DefaultStatusChosen: ClassVar[type[AggregateEvent]]
        TagGroupAdded: ClassVar[type[AggregateEvent]]
        TagGroupRenamed: ClassVar[type[AggregateEvent]]
        TagGroupRemoved: ClassVar[type[AggregateEvent]]
        TagsAdded: ClassVar[type[AggregateEvent]]
        TagMoved: ClassVar[type[AggregateEvent]]
        TagRenamed: ClassVar[type[AggregateEvent]]
        TagRemoved: ClassVar[type[AggregateEvent]]
        UserTypeAdded: ClassVar[type[AggregateEvent]]
        UserTypeRenamed: ClassVar[type[AggregateEvent]]
        UserTypeRemoved: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/lead-settings")

    @classmethod
    def start(cls, tenant_id: UUID) -> LeadSettings:
        """A tenant's settings before any change: the default statuses, the ungrouped and
        interaction tag groups, and the system tags. The creation event carries them, so
        changing these defaults later never rewrites an existing tenant's settings."""
        return cls(
            id=cls.create_id(tenant_id),
            tenant_id=tenant_id,
            statuses=dict(DEFAULT_STATUSES),
            default_status=DEFAULT_STATUS,
            tag_groups=dict(DEFAULT_TAG_GROUPS),
            system_tags=list(SYSTEM_TAGS),
        )

    @event("Started", topic="leads.LeadSettings.Started")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        statuses: dict[str, str],
        default_status: str,
        tag_groups: dict[str, str],
        system_tags: list[str],
    ) -> None:
        self.tenant_id = tenant_id
        self.fields: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, list[str]] = {}
        self.owners: dict[str, UUID] = {}  # channel -> employee
        self.statuses = dict(statuses)
        self.default_status = default_status
        self.tag_groups: dict[str, dict[str, Any]] = {
            group_id: {"name": name, "system": group_id == SYSTEM_GROUP}
            for group_id, name in tag_groups.items()
        }
        self.tags: dict[str, dict[str, Any]] = {
            name: {"group_id": SYSTEM_GROUP, "system": True} for name in system_tags
        }
        self.user_types: dict[str, str] = {}

    # --- custom fields (LEAD-2) ----------------------------------------------------------

    def define_field(
        self, key: str, name: str, kind: str, *, required: bool, options: list[str]
    ) -> None:
        """A new custom field; defining the same field again changes nothing."""
        key = _key(key, field="key")
        definition = self._definition(key, _name(name), kind, required, options)
        existing = self.fields.get(key)
        if existing is not None:
            if {k: v for k, v in existing.items() if k != "used"} == definition:
                return
            raise StateConflict(f"a custom field {key!r} exists already")
        if len(self.fields) >= MAX_FIELDS:
            raise InvalidValue(f"a tenant has at most {MAX_FIELDS} custom fields", field="key")
        self._custom_field_defined(**definition)

    @event("CustomFieldDefined", topic="leads.LeadSettings.CustomFieldDefined")
    def _custom_field_defined(
        self, key: str, name: str, type: str, required: bool, options: list[str]
    ) -> None:
        self.fields[key] = {
            "key": key, "name": name, "type": type, "required": required,
            "options": list(options), "used": False,
        }  # fmt: skip

    def change_field(
        self,
        key: str,
        *,
        name: str | None = None,
        kind: str | None = None,
        required: bool | None = None,
        options: list[str] | None = None,
    ) -> None:
        """Rename, retype, make (not) required, or change the options of a field. Once a
        lead has held a value for it, its type is fixed and a single-select field keeps
        every option (values would otherwise stop meaning what they meant)."""
        current = self.field(key)
        kind = kind if kind is not None else str(current["type"])
        if options is None and kind == current["type"]:
            options = list(current["options"])
        definition = self._definition(
            key,
            _name(name) if name is not None else str(current["name"]),
            kind,
            required if required is not None else bool(current["required"]),
            options or [],
        )
        if current["used"]:
            if kind != current["type"]:
                raise StateConflict(
                    f"leads already hold values of {key!r}: its type cannot change from "
                    f"{current['type']} to {kind}; define a new field instead"
                )
            dropped = set(current["options"]) - set(definition["options"])
            if dropped:
                raise StateConflict(
                    f"leads may hold option {sorted(dropped)[0]!r} of {key!r}: "
                    "options of a field in use can be added, not removed"
                )
        if {k: v for k, v in current.items() if k != "used"} != definition:
            self._custom_field_changed(**definition)

    @event("CustomFieldChanged", topic="leads.LeadSettings.CustomFieldChanged")
    def _custom_field_changed(
        self, key: str, name: str, type: str, required: bool, options: list[str]
    ) -> None:
        used = self.fields[key]["used"]
        self.fields[key] = {
            "key": key, "name": name, "type": type, "required": required,
            "options": list(options), "used": used,
        }  # fmt: skip

    def remove_field(self, key: str) -> None:
        """Forget a field no lead ever held a value for."""
        if self.field(key)["used"]:
            raise StateConflict(
                f"leads already hold values of {key!r}: it cannot be removed; "
                "make it optional instead"
            )
        self._custom_field_removed(key=key)

    @event("CustomFieldRemoved", topic="leads.LeadSettings.CustomFieldRemoved")
    def _custom_field_removed(self, key: str) -> None:
        del self.fields[key]

    def field(self, key: str) -> dict[str, Any]:
        if key not in self.fields:
            raise InvalidValue(f"no custom field {key!r}", field=f"custom.{key}")
        return self.fields[key]

    def check_custom(self, values: dict[str, Value], *, complete: bool) -> dict[str, Value]:
        """Custom values as they are stored (numbers read, dates in ISO form). A None
        clears a value, which a required field refuses; `complete` (a new lead) also
        refuses a required field that is missing."""
        checked: dict[str, Value] = {}
        for key, value in values.items():
            definition = self.field(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                if definition["required"]:
                    raise InvalidValue(f"{key} is required", field=f"custom.{key}")
                checked[key] = None
                continue
            checked[key] = custom_value(definition, value)
        if complete:
            for key, definition in self.fields.items():
                if definition["required"] and checked.get(key) is None:
                    raise InvalidValue(f"{key} is required", field=f"custom.{key}")
        return checked

    def record_use(self, keys: list[str]) -> None:
        """Leads are about to hold values of these fields: from now on their type is
        fixed. Only the first use of a field is recorded."""
        first = sorted({key for key in keys if not self.field(key)["used"]})
        if first:
            self._custom_fields_used(keys=first)

    @event("CustomFieldsUsed", topic="leads.LeadSettings.CustomFieldsUsed")
    def _custom_fields_used(self, keys: list[str]) -> None:
        for key in keys:
            self.fields[key]["used"] = True

    def _definition(
        self, key: str, name: str, kind: str, required: bool, options: list[str]
    ) -> dict[str, Any]:
        if kind not in FIELD_TYPES:
            raise InvalidValue(f"type must be one of {', '.join(FIELD_TYPES)}", field="type")
        if kind == "single_select":
            options = _options(options)
        elif options:
            raise InvalidValue("only a single-select field has options", field="options")
        return {"key": key, "name": name, "type": kind, "required": required,
                "options": list(options)}  # fmt: skip

    # --- sources and default owners (LEAD-5) ---------------------------------------------

    def add_source(self, level1: str, level2: str | None = None) -> None:
        """A level-1 source, or a level-2 source under one (the level-1 is added too)."""
        level1 = _name(level1, field="level1")
        second = _name(level2, field="level2") if level2 is not None else None
        if level1 in self.sources and (second is None or second in self.sources[level1]):
            return
        if len(self.sources) + sum(map(len, self.sources.values())) >= MAX_SOURCES:
            raise InvalidValue(f"a tenant has at most {MAX_SOURCES} sources", field="level1")
        self._source_added(level1=level1, level2=second)

    @event("SourceAdded", topic="leads.LeadSettings.SourceAdded")
    def _source_added(self, level1: str, level2: str | None) -> None:
        children = self.sources.setdefault(level1, [])
        if level2 is not None:
            children.append(level2)

    def remove_source(self, level1: str, level2: str | None = None) -> None:
        """No new lead can name it; leads that came from it keep it."""
        if level1 not in self.sources:
            raise InvalidValue(f"no source {level1!r}", field="level1")
        if level2 is not None and level2 not in self.sources[level1]:
            raise InvalidValue(f"no source {level1!r} / {level2!r}", field="level2")
        self._source_removed(level1=level1, level2=level2)

    @event("SourceRemoved", topic="leads.LeadSettings.SourceRemoved")
    def _source_removed(self, level1: str, level2: str | None) -> None:
        if level2 is None:
            del self.sources[level1]
        else:
            self.sources[level1].remove(level2)

    def has_source(self, level1: str, level2: str | None = None) -> bool:
        return level1 in self.sources and (level2 is None or level2 in self.sources[level1])

    def check_source(self, source: dict[str, Value]) -> dict[str, Value]:
        """Level-1 and level-2 values must come from the enumerations once the tenant has
        any (before that they are free text, so capture works before configuration). A
        level-2 alone finds its level-1 when exactly one level-1 has it."""
        if not self.sources:
            return dict(source)
        checked = {k: v.strip() if isinstance(v, str) else v for k, v in source.items()}
        level1, level2 = checked.get("level1"), checked.get("level2")
        if level1 is None and level2 is not None:
            parents = [name for name, children in self.sources.items() if level2 in children]
            if len(parents) != 1:
                raise InvalidValue("name the level-1 source of this level-2", field="source.level1")
            checked["level1"] = level1 = parents[0]
        if level1 is not None and level1 not in self.sources:
            raise InvalidValue(f"{level1!r} is not a level-1 source", field="source.level1")
        if level2 is not None and level2 not in self.sources[str(level1)]:
            raise InvalidValue(
                f"{level2!r} is not a level-2 source of {level1!r}", field="source.level2"
            )
        return checked

    def set_default_owner(self, channel: str, employee_id: UUID) -> None:
        """New leads from `channel` without an owner go to this employee (the caller
        checks the employee is current)."""
        channel = _name(channel, field="channel")
        if self.owners.get(channel) != employee_id:
            self._default_owner_set(channel=channel, employee_id=employee_id)

    @event("DefaultOwnerSet", topic="leads.LeadSettings.DefaultOwnerSet")
    def _default_owner_set(self, channel: str, employee_id: UUID) -> None:
        self.owners[channel] = employee_id

    def clear_default_owner(self, channel: str) -> None:
        if channel not in self.owners:
            raise InvalidValue(f"no default owner for {channel!r}", field="channel")
        self._default_owner_cleared(channel=channel)

    @event("DefaultOwnerCleared", topic="leads.LeadSettings.DefaultOwnerCleared")
    def _default_owner_cleared(self, channel: str) -> None:
        del self.owners[channel]

    def default_owner(self, source: dict[str, Value]) -> UUID | None:
        """The owner for a new lead from `source`: by its channel, else its level-2,
        else its level-1 source (the most specific rule wins)."""
        for key in ("channel", "level2", "level1"):
            value = source.get(key)
            if isinstance(value, str) and value in self.owners:
                return self.owners[value]
        return None

    # --- statuses (LEAD-6) ---------------------------------------------------------------

    def add_status(self, key: str, name: str) -> None:
        key, name = _key(key, field="key"), _name(name)
        if key in self.statuses:
            if self.statuses[key] == name:
                return
            raise StateConflict(f"a status {key!r} exists already")
        if len(self.statuses) >= MAX_STATUSES:
            raise InvalidValue(f"a tenant has at most {MAX_STATUSES} statuses", field="key")
        self._status_added(key=key, name=name)

    @event("StatusAdded", topic="leads.LeadSettings.StatusAdded")
    def _status_added(self, key: str, name: str) -> None:
        self.statuses[key] = name

    def rename_status(self, key: str, name: str) -> None:
        self.check_status(key)
        name = _name(name)
        if self.statuses[key] != name:
            self._status_renamed(key=key, name=name)

    @event("StatusRenamed", topic="leads.LeadSettings.StatusRenamed")
    def _status_renamed(self, key: str, name: str) -> None:
        self.statuses[key] = name

    def remove_status(self, key: str) -> None:
        """No lead can move to it any more; leads in it keep it until they move on."""
        self.check_status(key)
        if key == self.default_status:
            raise StateConflict(f"{key!r} is the status of new leads; choose another first")
        self._status_removed(key=key)

    @event("StatusRemoved", topic="leads.LeadSettings.StatusRemoved")
    def _status_removed(self, key: str) -> None:
        del self.statuses[key]

    def choose_default_status(self, key: str) -> None:
        self.check_status(key)
        if key != self.default_status:
            self._default_status_chosen(key=key)

    @event("DefaultStatusChosen", topic="leads.LeadSettings.DefaultStatusChosen")
    def _default_status_chosen(self, key: str) -> None:
        self.default_status = key

    def check_status(self, status: str) -> str:
        if status not in self.statuses:
            raise InvalidValue(f"{status!r} is not one of the tenant's statuses", field="status")
        return status

    # --- tags (SEG-4) --------------------------------------------------------------------

    def add_tag_group(self, group_id: str, name: str) -> None:
        name = _name(name)
        existing = self.tag_groups.get(group_id)
        if existing is not None:
            if existing["name"] == name:
                return
            raise StateConflict(f"a tag group {group_id!r} exists already")
        if any(group["name"] == name for group in self.tag_groups.values()):
            raise StateConflict(f"a tag group is named {name!r} already")
        if len(self.tag_groups) >= MAX_TAG_GROUPS:
            raise InvalidValue(f"a tenant has at most {MAX_TAG_GROUPS} tag groups", field="name")
        self._tag_group_added(group_id=group_id, name=name)

    @event("TagGroupAdded", topic="leads.LeadSettings.TagGroupAdded")
    def _tag_group_added(self, group_id: str, name: str) -> None:
        self.tag_groups[group_id] = {"name": name, "system": False}

    def rename_tag_group(self, group_id: str, name: str) -> None:
        self._editable_group(group_id)
        name = _name(name)
        if any(g["name"] == name for gid, g in self.tag_groups.items() if gid != group_id):
            raise StateConflict(f"a tag group is named {name!r} already")
        if self.tag_groups[group_id]["name"] != name:
            self._tag_group_renamed(group_id=group_id, name=name)

    @event("TagGroupRenamed", topic="leads.LeadSettings.TagGroupRenamed")
    def _tag_group_renamed(self, group_id: str, name: str) -> None:
        self.tag_groups[group_id]["name"] = name

    def remove_tag_group(self, group_id: str) -> None:
        """The group goes; its tags stay, ungrouped."""
        self._editable_group(group_id)
        self._tag_group_removed(group_id=group_id)

    @event("TagGroupRemoved", topic="leads.LeadSettings.TagGroupRemoved")
    def _tag_group_removed(self, group_id: str) -> None:
        del self.tag_groups[group_id]
        for tag in self.tags.values():
            if tag["group_id"] == group_id:
                tag["group_id"] = UNGROUPED

    def has_tag_group(self, group_id: str) -> bool:
        return group_id in self.tag_groups

    def add_tags(self, names: list[str], group_id: str = UNGROUPED) -> None:
        """Tags into a group (ungrouped by default). A tag that exists in that group
        already is left alone; one in another group is refused (move it instead)."""
        if group_id not in self.tag_groups:
            raise InvalidValue(f"no tag group {group_id!r}", field="group_id")
        if self.tag_groups[group_id]["system"]:
            raise StateConflict("the interaction tags are the system's own")
        new: list[str] = []
        for raw in names:
            name = _tag_name(raw, field="tags")
            if name in self.tags:
                if self.tags[name]["group_id"] != group_id:
                    raise StateConflict(f"tag {name!r} is in another group; move it instead")
            elif name not in new:
                new.append(name)
        if len(self.tags) + len(new) > MAX_TAGS:
            raise InvalidValue(f"a tenant has at most {MAX_TAGS} tags", field="tags")
        if new:
            self._tags_added(tags=new, group_id=group_id)

    @event("TagsAdded", topic="leads.LeadSettings.TagsAdded")
    def _tags_added(self, tags: list[str], group_id: str) -> None:
        for name in tags:
            self.tags[name] = {"group_id": group_id, "system": False}

    def unknown_tags(self, names: list[str]) -> list[str]:
        return [name for name in dict.fromkeys(n.strip() for n in names) if name not in self.tags]

    def move_tag(self, name: str, group_id: str) -> None:
        self._editable_tag(name)
        if group_id not in self.tag_groups:
            raise InvalidValue(f"no tag group {group_id!r}", field="group_id")
        if self.tag_groups[group_id]["system"]:
            raise StateConflict("the interaction tags are the system's own")
        if self.tags[name]["group_id"] != group_id:
            self._tag_moved(tag=name, group_id=group_id)

    @event("TagMoved", topic="leads.LeadSettings.TagMoved")
    def _tag_moved(self, tag: str, group_id: str) -> None:
        self.tags[tag]["group_id"] = group_id

    def rename_tag(self, name: str, new_name: str) -> None:
        """The tag goes by `new_name` from now on, in the same group; system tags keep
        theirs and the new name must be free (409). Renaming to the same name changes
        nothing. The leads that carry it are relabelled by the caller, each in its own
        commit: the catalogue cannot change a million leads in one."""
        self._editable_tag(name)
        renamed = _tag_name(new_name)
        if renamed == name:
            return
        if renamed in self.tags:
            raise StateConflict(f"a tag {renamed!r} exists already")
        self._tag_renamed(tag=name, name=renamed)

    @event("TagRenamed", topic="leads.LeadSettings.TagRenamed")
    def _tag_renamed(self, tag: str, name: str) -> None:
        self.tags = {(name if key == tag else key): v for key, v in self.tags.items()}

    def remove_tag(self, name: str) -> None:
        """The tag leaves the catalogue; leads that carry it keep it until untagged."""
        self._editable_tag(name)
        self._tag_removed(tag=name)

    @event("TagRemoved", topic="leads.LeadSettings.TagRemoved")
    def _tag_removed(self, tag: str) -> None:
        del self.tags[tag]

    def has_tag(self, name: str) -> bool:
        return name in self.tags

    def _editable_group(self, group_id: str) -> None:
        if group_id not in self.tag_groups:
            raise InvalidValue(f"no tag group {group_id!r}", field="group_id")
        if group_id in (UNGROUPED, SYSTEM_GROUP):
            raise StateConflict(f"the {self.tag_groups[group_id]['name']} group is built in")

    def _editable_tag(self, name: str) -> None:
        if name not in self.tags:
            raise InvalidValue(f"no tag {name!r}", field="tag")
        if self.tags[name]["system"]:
            raise StateConflict(f"{name!r} is a system tag: it cannot be edited or deleted")

    # --- custom marketing user types (LEAD-11) -------------------------------------------

    def add_user_type(self, key: str, name: str) -> None:
        key, name = _key(key, field="key"), _name(name)
        if key == PERSON:
            raise StateConflict("person is the built-in user type")
        if key in self.user_types:
            if self.user_types[key] == name:
                return
            raise StateConflict(f"a user type {key!r} exists already")
        if len(self.user_types) >= MAX_USER_TYPES:
            raise InvalidValue(f"a tenant has at most {MAX_USER_TYPES} user types", field="key")
        self._user_type_added(key=key, name=name)

    @event("UserTypeAdded", topic="leads.LeadSettings.UserTypeAdded")
    def _user_type_added(self, key: str, name: str) -> None:
        self.user_types[key] = name

    def rename_user_type(self, key: str, name: str) -> None:
        self._user_type(key)
        name = _name(name)
        if self.user_types[key] != name:
            self._user_type_renamed(key=key, name=name)

    @event("UserTypeRenamed", topic="leads.LeadSettings.UserTypeRenamed")
    def _user_type_renamed(self, key: str, name: str) -> None:
        self.user_types[key] = name

    def remove_user_type(self, key: str) -> None:
        """No new lead can be of this type; leads of it keep it."""
        self._user_type(key)
        self._user_type_removed(key=key)

    @event("UserTypeRemoved", topic="leads.LeadSettings.UserTypeRemoved")
    def _user_type_removed(self, key: str) -> None:
        del self.user_types[key]

    def has_user_type(self, key: str) -> bool:
        return key in self.user_types

    def check_user_type(self, user_type: str, identity_kinds: list[str]) -> None:
        """A lead is a person or one of the tenant's user types; those are reached by
        SMS or e-mail, so they need a mobile or an e-mail address."""
        if user_type == PERSON:
            return
        self._user_type(user_type, field="user_type")
        if not set(identity_kinds) & set(CONTACT_KINDS):
            raise InvalidValue(
                f"a {self.user_types[user_type]} needs a mobile or an e-mail address",
                field="mobile",
            )

    def _user_type(self, key: str, *, field: str = "user_type") -> None:
        if key not in self.user_types:
            raise InvalidValue(f"{key!r} is not one of the tenant's user types", field=field)
