"""Score rules (SCORE-1, SCORE-2): what earns a lead points, how many, how often and for
how long.

An attribute rule (静态评分) holds points while the lead's profile matches it: a field
equals or contains a value, a tag is present, the source or the status is one. A
behaviour rule (动态评分) awards points each time the lead does something that matches
it: a behaviour kind of the behaviour log, optionally its name, channel and one
property. Points may be negative. Each rule may limit how often it scores (once, once
per day, unlimited), how many points it may hold at a time (its cap), and after how
many days its points expire; each rule belongs to a category of the catalogue, which
can be switched off and capped as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.shared.errors import InvalidValue

MAX_POINTS = 100
MAX_VALIDITY_DAYS = 3650
MAX_TEXT = 200
MAX_RULES = 200

# The behaviour log's kinds (application.shared.behaviours.BehaviourKind; a test keeps
# them equal) and "*" for any kind.
BEHAVIOUR_KINDS = frozenset(
    {"track", "page", "screen", "identify", "alias", "group", "click", "open"}
    # messaging's observations (ADR 0015): a rule may score a delivered or replied message
    | {"email_sent", "email_delivered", "email_bounced", "email_complained", "unsubscribed"}
    | {"sms_sent", "sms_delivered", "sms_failed", "sms_replied"}
    # WeChat's (WX-2): following, scanning a QR code, a menu click, a message…
    | {"wechat_followed", "wechat_unfollowed", "wechat_scanned", "wechat_menu_clicked"}
    | {"wechat_location", "wechat_message", "wechat_replied", "wechat_mass_sent"}
    | {"wechat_template_sent", "wechat_fan_synced", "wechat_job_finished"}
    | {"wechat_material_synced"}
    | {"flow_owner_notified"}  # flows (FLOW-3): a notify-owner step
    # WeCom's (WECOM-1…3): a customer added, lost, edited; group changes; welcome sent
    | {"wecom_customer_added", "wecom_customer_lost", "wecom_customer_removed"}
    | {"wecom_customer_edited", "wecom_group_changed", "wecom_welcome_sent"}
    | {"wecom_customer_transferred"}  # a customer's inheritance ended (WECOM-4)
    | {"archive_message", "archive_alert"}  # the session archive (ARCH-1, ARCH-3)
)
ANY_KIND = "*"

# The lead attributes a rule may read (the leads' words, recognised from their events).
PROFILE_FIELDS = ("title", "city", "company", "industry", "gender", "name")
ATTRIBUTE_FIELDS = (
    *PROFILE_FIELDS,
    "user_type",
    "status",
    "source_level1",
    "source_level2",
    "tags",
)
CUSTOM_PREFIX = "custom."
_CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_PROPERTY = re.compile(r"^[A-Za-z0-9_$][A-Za-z0-9_.$-]{0,63}$")


class Frequency(StrEnum):
    """How often the same rule may score for one lead (seed 004 打分设置)."""

    ONCE = "once"
    PER_DAY = "per_day"
    UNLIMITED = "unlimited"


class Op(StrEnum):
    EQUALS = "equals"
    CONTAINS = "contains"


class Part(StrEnum):
    """The two dimensions of the matrix: behaviour (dynamic, A–D) and profile (static, 1–4)."""

    BEHAVIOUR = "behaviour"
    PROFILE = "profile"


# The preset catalogue (seed 004: meetings, content, e-mail, Official Account…).
CATEGORIES: dict[str, str] = {
    "profile": "基础属性 · profile",
    "website": "网站行为 · website",
    "email": "邮件行为 · e-mail",
    "sms": "短信行为 · SMS",
    "wechat": "公众号互动 · Official Account",
    "content": "内容行为 · content",
    "meeting": "会议行为 · meetings",
    "form": "表单 · forms",
    "event": "自定义事件 · custom events",
}


def _text(value: Any, *, field: str, max_length: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{field} must be non-empty text", field=field)
    text = value.strip()
    if len(text) > max_length:
        raise InvalidValue(f"{field} must be at most {max_length} characters", field=field)
    return text


def _matches(actual: Any, op: str, expected: str) -> bool:
    if actual is None or isinstance(actual, bool | dict | list):
        return False
    text = str(actual).strip()
    if op == Op.EQUALS:
        return text == expected
    return expected.casefold() in text.casefold()


@dataclass(frozen=True)
class LeadAttributes:
    """What attribute rules read of a lead: `fields` by ATTRIBUTE_FIELDS name (and
    `custom.<key>`), its tags."""

    fields: Mapping[str, Any]
    tags: frozenset[str]


@dataclass(frozen=True)
class AttributeCondition:
    """`field` `op` `value`; for `tags`, equals = has the tag, contains = a tag contains it."""

    field: str
    op: str
    value: str

    @classmethod
    def parse(cls, tree: Mapping[str, Any], *, path: str = "attribute") -> AttributeCondition:
        if not isinstance(tree, Mapping):
            raise InvalidValue("the condition must be an object", field=path)
        field = tree.get("field")
        if not isinstance(field, str) or not (
            field in ATTRIBUTE_FIELDS
            or (field.startswith(CUSTOM_PREFIX) and _CUSTOM_KEY.match(field[len(CUSTOM_PREFIX) :]))
        ):
            raise InvalidValue(
                f"field must be one of {', '.join(ATTRIBUTE_FIELDS)} or custom.<key>",
                field=f"{path}.field",
            )
        op = tree.get("op", Op.EQUALS)
        if op not in Op.__members__.values():
            raise InvalidValue("op must be equals or contains", field=f"{path}.op")
        value = _text(tree.get("value"), field=f"{path}.value")
        return cls(field=field, op=str(op), value=value)

    def to_tree(self) -> dict[str, str]:
        return {"field": self.field, "op": self.op, "value": self.value}

    def matches(self, lead: LeadAttributes) -> bool:
        if self.field == "tags":
            return any(_matches(tag, self.op, self.value) for tag in lead.tags)
        return _matches(lead.fields.get(self.field), self.op, self.value)


@dataclass(frozen=True)
class BehaviourCondition:
    """A behaviour of `kind` ("*": any), optionally with this `name` and `channel`, and a
    `property` that equals or contains `value`."""

    kind: str
    name: str | None = None
    channel: str | None = None
    property: str | None = None
    op: str = Op.EQUALS
    value: str | None = None

    @classmethod
    def parse(cls, tree: Mapping[str, Any], *, path: str = "behaviour") -> BehaviourCondition:
        if not isinstance(tree, Mapping):
            raise InvalidValue("the condition must be an object", field=path)
        kind = tree.get("kind")
        if kind != ANY_KIND and kind not in BEHAVIOUR_KINDS:
            raise InvalidValue(
                f"kind must be one of {', '.join(sorted(BEHAVIOUR_KINDS))} or *",
                field=f"{path}.kind",
            )
        name = tree.get("name")
        name = _text(name, field=f"{path}.name") if name is not None else None
        channel = tree.get("channel")
        channel = _text(channel, field=f"{path}.channel", max_length=32) if channel else None
        prop = tree.get("property")
        op = tree.get("op", Op.EQUALS)
        value = tree.get("value")
        if prop is not None:
            if not isinstance(prop, str) or not _PROPERTY.match(prop):
                raise InvalidValue("property must be a property name", field=f"{path}.property")
            if op not in Op.__members__.values():
                raise InvalidValue("op must be equals or contains", field=f"{path}.op")
            value = _text(value, field=f"{path}.value")
        elif value is not None:
            raise InvalidValue("a value needs a property", field=f"{path}.property")
        return cls(
            kind=str(kind),
            name=name,
            channel=channel,
            property=prop,
            op=str(op) if prop is not None else Op.EQUALS.value,
            value=value,
        )

    def to_tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {"kind": self.kind}
        if self.name is not None:
            tree["name"] = self.name
        if self.channel is not None:
            tree["channel"] = self.channel
        if self.property is not None:
            tree.update(property=self.property, op=self.op, value=self.value)
        return tree

    def matches(self, *, kind: str, name: str, channel: str, properties: Mapping[str, Any]) -> bool:
        if self.kind != ANY_KIND and kind != self.kind:
            return False
        if self.name is not None and name.strip() != self.name:
            return False
        if self.channel is not None and channel != self.channel:
            return False
        if self.property is not None:
            assert self.value is not None
            return _matches(properties.get(self.property), self.op, self.value)
        return True


@dataclass(frozen=True)
class ScoreRule:
    """One rule: exactly one of `attribute` and `behaviour`."""

    rule_id: str
    title: str
    category: str
    points: int
    frequency: str
    validity_days: int | None
    cap: int | None
    active: bool
    attribute: AttributeCondition | None = None
    behaviour: BehaviourCondition | None = None

    @property
    def part(self) -> Part:
        return Part.PROFILE if self.attribute is not None else Part.BEHAVIOUR

    @classmethod
    def define(
        cls,
        *,
        rule_id: str,
        title: str,
        category: str,
        points: int,
        frequency: str | None = None,
        validity_days: int | None = None,
        cap: int | None = None,
        active: bool = True,
        attribute: Mapping[str, Any] | None = None,
        behaviour: Mapping[str, Any] | None = None,
    ) -> ScoreRule:
        """A validated rule; the field of any refusal is named."""
        title = _text(title, field="title", max_length=100)
        if category not in CATEGORIES:
            raise InvalidValue(f"category must be one of {', '.join(CATEGORIES)}", field="category")
        if isinstance(points, bool) or not isinstance(points, int) or points == 0:
            raise InvalidValue("points must be a whole number other than 0", field="points")
        if abs(points) > MAX_POINTS:
            raise InvalidValue(f"points must be within ±{MAX_POINTS}", field="points")
        if (attribute is None) == (behaviour is None):
            raise InvalidValue(
                "a rule has an attribute or a behaviour condition", field="attribute"
            )
        if validity_days is not None and not 1 <= validity_days <= MAX_VALIDITY_DAYS:
            raise InvalidValue(
                f"validity_days must be 1…{MAX_VALIDITY_DAYS} (or null: never expire)",
                field="validity_days",
            )
        if cap is not None and not 1 <= cap <= 1000:
            raise InvalidValue("cap must be 1…1000 points (or null: no cap)", field="cap")
        if attribute is not None:
            if frequency not in (None, Frequency.ONCE):
                raise InvalidValue(
                    "an attribute rule scores once while the lead matches it", field="frequency"
                )
            return cls(
                rule_id=rule_id,
                title=title,
                category=category,
                points=points,
                frequency=Frequency.ONCE.value,
                validity_days=validity_days,
                cap=cap,
                active=bool(active),
                attribute=AttributeCondition.parse(attribute),
            )
        frequency = frequency or Frequency.UNLIMITED.value
        if frequency not in Frequency.__members__.values():
            raise InvalidValue("frequency must be once, per_day or unlimited", field="frequency")
        assert behaviour is not None
        return cls(
            rule_id=rule_id,
            title=title,
            category=category,
            points=points,
            frequency=str(frequency),
            validity_days=validity_days,
            cap=cap,
            active=bool(active),
            behaviour=BehaviourCondition.parse(behaviour),
        )

    def to_primitive(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "category": self.category,
            "points": self.points,
            "frequency": self.frequency,
            "validity_days": self.validity_days,
            "cap": self.cap,
            "active": self.active,
            "attribute": self.attribute.to_tree() if self.attribute else None,
            "behaviour": self.behaviour.to_tree() if self.behaviour else None,
        }

    @classmethod
    def from_primitive(cls, data: Mapping[str, Any]) -> ScoreRule:
        return cls.define(**dict(data))
