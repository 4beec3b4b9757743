"""The filter language (SEG-1, SEG-2): one validated tree over a lead's fields, tags,
consent and behaviours, shared by segments (SQL and in memory), scoring and flows.

The JSON tree (what the API takes):

    node      := {"all": [node, ...]} | {"any": [node, ...]} | {"not": node} | condition
    condition := {"field": F, "op": OP, "value": V}
               | {"behaviour": {"kind": K, "name": N?, "channel": C?, "where": [prop, ...]?,
                                "at_least": 1?, "within_days": D? | "since": ISO?},
                  "did": true|false}
    prop      := {"property": P, "op": equals|contains|prefix|range|in|empty, "value": V}

`Filter.parse` validates a tree into immutable nodes (an `InvalidValue` names the bad
node's path, e.g. `filter.all[2].value`); `to_tree` gives the tree back as primitives
(times normalised to fixed-width UTC text); `matches` evaluates it for one lead's facts
at a given `now` (the domain never reads a clock); `references` says what it reads.

Semantics shared with the SQL compilation (application/segments/filter_sql.py):
- a value is *missing* when it is None or empty text; every op on a missing value is
  false except `empty` (true) and `not_equals` (true: `not_equals` is `not equals`);
- `equals`/`in` compare text exactly; `contains`/`prefix` fold ASCII letters only
  (A-Z to a-z, what SQLite's LOWER does), so every database agrees on every string;
- custom fields hold text; a text that reads as a number (`number_of`) is a number too:
  a number bound (`equals`, `in`, `range`) compares numerically and matches numbers
  only; a text bound compares the text, `range` by code point;
- time fields and bounds are UTC instants as fixed-width ISO text (text order = time order);
  `within_days N` means at or after `now - N days`;
- behaviour properties are typed JSON scalars: a text bound matches text properties, a
  number bound numbers, a boolean booleans;
- a behaviour condition counts the lead's behaviours of the kind (`*`: any), name and
  channel, whose properties all match, at or after the window's start; `did` true is
  "count >= at_least", false is its negation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from domain.shared.errors import InvalidValue

MAX_CONDITIONS = 50
MAX_DEPTH = 6
MAX_IN_VALUES = 200
MAX_TEXT = 200
MAX_NODES = 200  # groups and conditions together (empty groups cost nothing else)
MAX_PROPERTIES = 10  # property conditions of one behaviour condition
MAX_DAYS = 36_500
MAX_AT_LEAST = 10_000
MAX_NUMBER = 1e15  # numbers beyond this lose precision in a REAL column

TEXT_FIELDS = frozenset(
    {
        "name",
        "mobile",
        "email",
        "company",
        "city",
        "title",
        "user_type",
        "status",
        "pool_state",
        "owner_id",
        "source_level1",
        "source_level2",
        "stage",
        "temperature",
        "behaviour_band",
        "profile_band",
    }
)
NUMBER_FIELDS = frozenset({"score", "behaviour_score", "profile_score"})
TIME_FIELDS = frozenset({"created_at", "last_seen_at"})
TAGS = "tags"
CUSTOM_PREFIX = "custom."
CONSENT_PREFIX = "consent."
CONSENT_CHANNELS = frozenset({"email", "sms", "wechat", "wecom", "phone"})
# A consent value and the stored states it stands for ("unknown": none of them stored).
CONSENT_STATES: Mapping[str, frozenset[str]] = {
    "granted": frozenset({"granted", "subscribed"}),
    "withdrawn": frozenset({"withdrawn", "unsubscribed", "suppressed"}),
    "subscribed": frozenset({"subscribed", "granted"}),
    "unsubscribed": frozenset({"unsubscribed"}),
    "suppressed": frozenset({"suppressed"}),
}
KNOWN_CONSENT = frozenset().union(*CONSENT_STATES.values())
UNKNOWN = "unknown"

CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
KIND = re.compile(r"^(\*|[a-z][a-z_]{0,39})$")
CHANNEL = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
ANY_KIND = "*"

TEXT_OPS = ("equals", "not_equals", "contains", "prefix", "in", "empty")
OPS_BY_TYPE: Mapping[str, tuple[str, ...]] = {
    "text": TEXT_OPS,
    "custom": (*TEXT_OPS, "range"),
    "number": ("equals", "not_equals", "in", "range", "empty"),
    "time": ("range", "within_days", "empty"),
    "tags": ("equals", "in", "all", "empty"),
    "consent": ("equals", "not_equals", "in"),
}
PROPERTY_OPS = ("equals", "contains", "prefix", "range", "in", "empty")

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

Scalar = str | int | float | bool


# --- the facts a filter reads ----------------------------------------------------------


@dataclass(frozen=True)
class BehaviourFact:
    """One behaviour of the lead, as the filter sees it."""

    kind: str
    name: str
    channel: str
    at: datetime  # timezone-aware
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LeadFacts:
    """What a filter may read about one lead. `fields` holds the base fields, the score
    fields and `custom.<key>`; times as fixed-width UTC ISO text (`iso_text`)."""

    fields: Mapping[str, str | int | float | None]
    tags: frozenset[str] = frozenset()
    consent: Mapping[str, str] = field(default_factory=dict)  # channel -> stored state
    behaviours: Sequence[BehaviourFact] = ()


@dataclass(frozen=True)
class References:
    """What a filter reads: which lead fields (`tags`, `consent.<channel>`,
    `custom.<key>` included), which behaviour kinds (`*`: any), and whether it depends on
    `now` (a `within_days` anywhere), so a scheduled pass must re-evaluate it."""

    fields: frozenset[str]
    behaviour_kinds: frozenset[str]
    time_relative: bool


# --- shared conventions ----------------------------------------------------------------


def iso_text(moment: datetime) -> str:
    """A UTC instant as the read models store it (same as application.shared.views.iso)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fold(text: str) -> str:
    """ASCII-only case folding: what SQLite's LOWER does, and the SQL mimics on PostgreSQL."""
    return text.translate(_ASCII_LOWER)


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def number_of(text: str | None) -> float | None:
    """A custom field's number: its text read as a decimal number (optional sign, fraction
    and exponent, finite), else None; the same rule as the profile tables' `number_value`."""
    if text is None or not _NUMBER.fullmatch(text.strip()):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def custom_field_columns(value: Any) -> tuple[str | None, float | None]:
    """How a custom field's value is stored (`segments_fields.text_value, number_value`):
    the text (a number's Python `str`, a boolean's "true"/"false") and `number_of` it."""
    text = _text_of(value)
    return text, number_of(text)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- nodes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """`from <= x <= to`; a missing bound is open."""

    lower: Scalar | None = None
    upper: Scalar | None = None

    def to_tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        if self.lower is not None:
            tree["from"] = self.lower
        if self.upper is not None:
            tree["to"] = self.upper
        return tree

    @property
    def numeric(self) -> bool:
        return _is_number(self.lower if self.lower is not None else self.upper)

    def holds(self, value: Any) -> bool:
        if self.lower is not None and value < self.lower:
            return False
        return not (self.upper is not None and value > self.upper)


Value = Scalar | tuple[Scalar, ...] | Range


class Node:
    """A node of the tree."""

    def to_tree(self) -> dict[str, Any]:
        raise NotImplementedError

    def matches(self, facts: LeadFacts, now: datetime) -> bool:
        raise NotImplementedError

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True)
class All(Node):
    nodes: tuple[Node, ...]

    def to_tree(self) -> dict[str, Any]:
        return {"all": [node.to_tree() for node in self.nodes]}

    def matches(self, facts: LeadFacts, now: datetime) -> bool:
        return all(node.matches(facts, now) for node in self.nodes)

    def children(self) -> tuple[Node, ...]:
        return self.nodes


@dataclass(frozen=True)
class AnyOf(Node):
    nodes: tuple[Node, ...]

    def to_tree(self) -> dict[str, Any]:
        return {"any": [node.to_tree() for node in self.nodes]}

    def matches(self, facts: LeadFacts, now: datetime) -> bool:
        return any(node.matches(facts, now) for node in self.nodes)

    def children(self) -> tuple[Node, ...]:
        return self.nodes


@dataclass(frozen=True)
class Not(Node):
    node: Node

    def to_tree(self) -> dict[str, Any]:
        return {"not": self.node.to_tree()}

    def matches(self, facts: LeadFacts, now: datetime) -> bool:
        return not self.node.matches(facts, now)

    def children(self) -> tuple[Node, ...]:
        return (self.node,)


def field_type(name: str) -> str | None:
    """The type of a field name (text, custom, number, time, tags, consent), None if unknown."""
    if name in TEXT_FIELDS:
        return "text"
    if name in NUMBER_FIELDS:
        return "number"
    if name in TIME_FIELDS:
        return "time"
    if name == TAGS:
        return "tags"
    if name.startswith(CUSTOM_PREFIX) and CUSTOM_KEY.match(name[len(CUSTOM_PREFIX) :]):
        return "custom"
    if name.startswith(CONSENT_PREFIX) and name[len(CONSENT_PREFIX) :] in CONSENT_CHANNELS:
        return "consent"
    return None


def _text_equals(text: str | None, number: float | None, expected: Scalar) -> bool:
    if _is_number(expected):
        return number is not None and number == expected
    return text is not None and text == expected


def _scalar_test(op: str, value: Value, text: str | None, number: float | None) -> bool:
    """A text/number/custom op on a value's text and number views (either may be None)."""
    present = text is not None and text != ""
    if op == "empty":
        return (not present) == value
    if op == "equals":
        return present and _text_equals(text, number, value)  # type: ignore[arg-type]
    if op == "not_equals":
        return not (present and _text_equals(text, number, value))  # type: ignore[arg-type]
    if op == "in":
        assert isinstance(value, tuple)
        return present and any(_text_equals(text, number, item) for item in value)
    if op == "contains":
        assert isinstance(value, str)
        return present and fold(value) in fold(text or "")
    if op == "prefix":
        assert isinstance(value, str)
        return present and fold(text or "").startswith(fold(value))
    if op == "range":
        assert isinstance(value, Range)
        if value.numeric:
            return number is not None and value.holds(number)
        return present and value.holds(text)
    raise AssertionError(op)  # pragma: no cover - parse allows no other op


@dataclass(frozen=True)
class FieldCondition(Node):
    field: str
    op: str
    value: Value

    def to_tree(self) -> dict[str, Any]:
        value: Any = self.value
        if isinstance(value, Range):
            value = value.to_tree()
        elif isinstance(value, tuple):
            value = list(value)
        return {"field": self.field, "op": self.op, "value": value}

    @property
    def type(self) -> str:
        kind = field_type(self.field)
        assert kind is not None
        return kind

    def matches(self, facts: LeadFacts, now: datetime) -> bool:
        kind = self.type
        if kind == "tags":
            return self._tags(facts.tags)
        if kind == "consent":
            return self._consent(facts.consent.get(self.field[len(CONSENT_PREFIX) :]))
        raw = facts.fields.get(self.field)
        text = _text_of(raw)
        number = float(raw) if _is_number(raw) else None  # type: ignore[arg-type]
        if kind == "custom":
            number = number_of(text)
        if kind == "time" and self.op == "within_days":
            assert isinstance(self.value, int)
            start = iso_text(now - timedelta(days=self.value))
            return text is not None and text != "" and text >= start
        return _scalar_test(self.op, self.value, text, number)

    def _tags(self, tags: frozenset[str]) -> bool:
        if self.op == "empty":
            return (not tags) == self.value
        if self.op == "equals":
            return self.value in tags
        assert isinstance(self.value, tuple)
        if self.op == "in":
            return any(tag in tags for tag in self.value)
        return all(tag in tags for tag in self.value)  # all

    def _consent(self, stored: str | None) -> bool:
        def equals(expected: Scalar) -> bool:
            if expected == UNKNOWN:
                return stored not in KNOWN_CONSENT
            return stored in CONSENT_STATES[str(expected)]

        if self.op == "equals":
            return equals(self.value)  # type: ignore[arg-type]
        if self.op == "not_equals":
            return not equals(self.value)  # type: ignore[arg-type]
        assert isinstance(self.value, tuple)
        return any(equals(item) for item in self.value)


@dataclass(frozen=True)
class PropertyCondition:
    """A condition on one property of a behaviour (typed JSON scalars)."""

    property: str
    op: str
    value: Value

    def to_tree(self) -> dict[str, Any]:
        value: Any = self.value
        if isinstance(value, Range):
            value = value.to_tree()
        elif isinstance(value, tuple):
            value = list(value)
        return {"property": self.property, "op": self.op, "value": value}

    def matches(self, properties: Mapping[str, Any]) -> bool:
        found = properties.get(self.property)
        if self.op == "empty":
            return (found is None or found == "") == self.value
        if self.op == "in":
            assert isinstance(self.value, tuple)
            return any(_typed_equals(found, item) for item in self.value)
        if self.op == "equals":
            return _typed_equals(found, self.value)  # type: ignore[arg-type]
        if self.op in ("contains", "prefix"):
            assert isinstance(self.value, str)
            if not isinstance(found, str):
                return False
            if self.op == "contains":
                return fold(self.value) in fold(found)
            return fold(found).startswith(fold(self.value))
        assert isinstance(self.value, Range)
        if self.value.numeric:
            return _is_number(found) and self.value.holds(found)
        return isinstance(found, str) and self.value.holds(found)


def _typed_equals(found: Any, expected: Scalar) -> bool:
    if isinstance(expected, bool):
        return isinstance(found, bool) and found is expected
    if _is_number(expected):
        return _is_number(found) and found == expected
    return isinstance(found, str) and found == expected


@dataclass(frozen=True)
class BehaviourCondition(Node):
    kind: str  # a behaviour kind, or "*" for any
    did: bool = True
    name: str | None = None
    channel: str | None = None
    where: tuple[PropertyCondition, ...] = ()
    at_least: int = 1
    within_days: int | None = None
    since: str | None = None  # fixed-width UTC ISO text

    def to_tree(self) -> dict[str, Any]:
        behaviour: dict[str, Any] = {"kind": self.kind}
        if self.name is not None:
            behaviour["name"] = self.name
        if self.channel is not None:
            behaviour["channel"] = self.channel
        if self.where:
            behaviour["where"] = [prop.to_tree() for prop in self.where]
        if self.at_least != 1:
            behaviour["at_least"] = self.at_least
        if self.within_days is not None:
            behaviour["within_days"] = self.within_days
        if self.since is not None:
            behaviour["since"] = self.since
        return {"behaviour": behaviour, "did": self.did}

    def start(self, now: datetime) -> str | None:
        """The window's first instant as ISO text, None when there is no window."""
        if self.within_days is not None:
            return iso_text(now - timedelta(days=self.within_days))
        return self.since

    def counts(self, fact: BehaviourFact, start: str | None) -> bool:
        if self.kind != ANY_KIND and fact.kind != self.kind:
            return False
        if self.name is not None and fact.name != self.name:
            return False
        if self.channel is not None and fact.channel != self.channel:
            return False
        if start is not None and iso_text(fact.at) < start:
            return False
        return all(prop.matches(fact.properties) for prop in self.where)

    def matches(self, facts: LeadFacts, now: datetime) -> bool:
        start = self.start(now)
        count = 0
        for fact in facts.behaviours:
            if self.counts(fact, start):
                count += 1
                if count >= self.at_least:
                    break
        return (count >= self.at_least) == self.did


# --- the value object -----------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """A validated filter tree."""

    root: Node
    ROOT_PATH: ClassVar[str] = "filter"

    @classmethod
    def parse(
        cls,
        tree: Any,
        *,
        path: str = ROOT_PATH,
        kinds: Collection[str] | None = None,
    ) -> Filter:
        """Validate a JSON tree. `kinds`, when given, are the behaviour kinds allowed
        besides "*". Raises `InvalidValue` whose `field` is the bad node's path."""
        parser = _Parser(kinds=kinds)
        root = parser.node(tree, path, depth=1)
        return cls(root)

    @classmethod
    def everyone(cls) -> Filter:
        return cls(All(()))

    def to_tree(self) -> dict[str, Any]:
        return self.root.to_tree()

    def matches(self, facts: LeadFacts, *, now: datetime) -> bool:
        """Whether the lead with `facts` is selected at `now`."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return self.root.matches(facts, now)

    def nodes(self) -> Iterable[Node]:
        stack = [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))

    def conditions(self) -> list[FieldCondition | BehaviourCondition]:
        return [n for n in self.nodes() if isinstance(n, FieldCondition | BehaviourCondition)]

    @property
    def condition_count(self) -> int:
        return sum(_cost(node) for node in self.conditions())

    @property
    def depth(self) -> int:
        def depth_of(node: Node) -> int:
            return 1 + max((depth_of(child) for child in node.children()), default=0)

        return depth_of(self.root)

    def references(self) -> References:
        fields: set[str] = set()
        kinds: set[str] = set()
        relative = False
        for node in self.conditions():
            if isinstance(node, FieldCondition):
                fields.add(node.field)
                relative |= node.op == "within_days"
            else:
                kinds.add(node.kind)
                relative |= node.within_days is not None
        return References(frozenset(fields), frozenset(kinds), relative)


def _cost(node: FieldCondition | BehaviourCondition) -> int:
    return 1 + len(node.where) if isinstance(node, BehaviourCondition) else 1


# --- parsing ---------------------------------------------------------------------------


def _fail(message: str, path: str) -> InvalidValue:
    return InvalidValue(f"{path}: {message}", field=path)


class _Parser:
    def __init__(self, *, kinds: Collection[str] | None) -> None:
        self.kinds = kinds
        self.conditions = 0
        self.count = 0

    def node(self, tree: Any, path: str, *, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise _fail(f"the tree is nested deeper than {MAX_DEPTH} levels", path)
        self.count += 1
        if self.count > MAX_NODES:
            raise _fail(f"a filter has at most {MAX_NODES} nodes", path)
        if not isinstance(tree, Mapping):
            raise _fail("a node must be an object", path)
        keys = set(tree)
        for group in ("all", "any"):
            if group in keys:
                self._only(tree, {group}, path)
                items = tree[group]
                if not isinstance(items, list):
                    raise _fail(f"{group} must be a list of nodes", f"{path}.{group}")
                nodes = tuple(
                    self.node(item, f"{path}.{group}[{i}]", depth=depth + 1)
                    for i, item in enumerate(items)
                )
                return All(nodes) if group == "all" else AnyOf(nodes)
        if "not" in keys:
            self._only(tree, {"not"}, path)
            return Not(self.node(tree["not"], f"{path}.not", depth=depth + 1))
        if "behaviour" in keys:
            self._only(tree, {"behaviour", "did"}, path)
            return self._counted(self.behaviour(tree, path), path)
        if "field" in keys:
            self._only(tree, {"field", "op", "value"}, path)
            return self._counted(self.field(tree, path), path)
        raise _fail("a node must have one of all, any, not, field or behaviour", path)

    def _counted(self, node: FieldCondition | BehaviourCondition, path: str) -> Node:
        self.conditions += _cost(node)
        if self.conditions > MAX_CONDITIONS:
            raise _fail(f"a filter has at most {MAX_CONDITIONS} conditions", path)
        return node

    @staticmethod
    def _only(tree: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in tree:
            if key not in allowed:
                shown = key if isinstance(key, str) and PROPERTY.match(key) else "?"
                raise _fail(f"unexpected key {shown!r}", f"{path}.{shown}")

    # --- field conditions

    def field(self, tree: Mapping[str, Any], path: str) -> FieldCondition:
        name = tree["field"]
        kind = field_type(name) if isinstance(name, str) else None
        if kind is None:
            raise _fail("unknown field", f"{path}.field")
        op = tree.get("op")
        if op not in OPS_BY_TYPE[kind]:
            allowed = ", ".join(OPS_BY_TYPE[kind])
            raise _fail(f"op must be one of {allowed}", f"{path}.op")
        if "value" not in tree:
            raise _fail("value is required", f"{path}.value")
        value = self.field_value(kind, op, tree["value"], f"{path}.value")
        return FieldCondition(name, op, value)

    def field_value(self, kind: str, op: str, value: Any, path: str) -> Value:
        if op == "empty":
            return _boolean(value, path)
        if op == "within_days":
            return _integer(value, path, 1, MAX_DAYS)
        element: Callable[[Any, str], Scalar]
        if kind == "number":
            element = _number
        elif kind == "custom":
            element = _text_or_number
        elif kind == "consent":
            element = _consent
        else:
            element = _text
        if op in ("contains", "prefix"):
            return _text(value, path)
        if op in ("in", "all"):
            return _list(value, path, element)
        if op == "range":
            if kind == "time":
                return _range(value, path, _instant)
            return _range(value, path, element)
        return element(value, path)

    # --- behaviour conditions

    def behaviour(self, tree: Mapping[str, Any], path: str) -> BehaviourCondition:
        did = _boolean(tree.get("did", True), f"{path}.did")
        path = f"{path}.behaviour"
        spec = tree["behaviour"]
        if not isinstance(spec, Mapping):
            raise _fail("behaviour must be an object", path)
        allowed = {"kind", "name", "channel", "where", "at_least", "within_days", "since"}
        self._only(spec, allowed, path)
        kind = spec.get("kind")
        if not isinstance(kind, str) or not KIND.match(kind):
            raise _fail("kind must be a behaviour kind or *", f"{path}.kind")
        if self.kinds is not None and kind != ANY_KIND and kind not in self.kinds:
            raise _fail("unknown behaviour kind", f"{path}.kind")
        name = spec.get("name")
        if name is not None:
            name = _text(name, f"{path}.name")
        channel = spec.get("channel")
        if channel is not None and (not isinstance(channel, str) or not CHANNEL.match(channel)):
            raise _fail("channel must be a channel name", f"{path}.channel")
        where = spec.get("where", [])
        if not isinstance(where, list):
            raise _fail("where must be a list of property conditions", f"{path}.where")
        if len(where) > MAX_PROPERTIES:
            raise _fail(f"at most {MAX_PROPERTIES} property conditions", f"{path}.where")
        props = tuple(self.prop(item, f"{path}.where[{i}]") for i, item in enumerate(where))
        at_least = _integer(spec.get("at_least", 1), f"{path}.at_least", 1, MAX_AT_LEAST)
        within_days = spec.get("within_days")
        since = spec.get("since")
        if within_days is not None and since is not None:
            raise _fail("give within_days or since, not both", f"{path}.since")
        if within_days is not None:
            within_days = _integer(within_days, f"{path}.within_days", 1, MAX_DAYS)
        if since is not None:
            since = _instant(since, f"{path}.since")
        return BehaviourCondition(
            kind=kind,
            did=did,
            name=name,
            channel=channel,
            where=props,
            at_least=at_least,
            within_days=within_days,
            since=since,
        )

    def prop(self, tree: Any, path: str) -> PropertyCondition:
        if not isinstance(tree, Mapping):
            raise _fail("a property condition must be an object", path)
        self._only(tree, {"property", "op", "value"}, path)
        name = tree.get("property")
        if not isinstance(name, str) or not PROPERTY.match(name):
            raise _fail("property must be a property name", f"{path}.property")
        op = tree.get("op")
        if op not in PROPERTY_OPS:
            raise _fail(f"op must be one of {', '.join(PROPERTY_OPS)}", f"{path}.op")
        if "value" not in tree:
            raise _fail("value is required", f"{path}.value")
        value, vpath = tree["value"], f"{path}.value"
        parsed: Value
        if op == "empty":
            parsed = _boolean(value, vpath)
        elif op in ("contains", "prefix"):
            parsed = _text(value, vpath)
        elif op == "in":
            parsed = _list(value, vpath, _text_or_number)
        elif op == "range":
            parsed = _range(value, vpath, _text_or_number)
        else:
            parsed = _scalar(value, vpath)
        return PropertyCondition(name, op, parsed)


# --- values ----------------------------------------------------------------------------


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail("must be true or false", path)
    return value


def _integer(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(f"must be a whole number from {low} to {high}", path)
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail("must be non-empty text", path)
    if len(value) > MAX_TEXT:
        raise _fail(f"must be at most {MAX_TEXT} characters", path)
    if "\x00" in value:
        raise _fail("must not contain NUL characters", path)
    return value


def _number(value: Any, path: str) -> int | float:
    if not _is_number(value) or not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise _fail(f"must be a number of at most {MAX_NUMBER:.0e} in size", path)
    return value  # type: ignore[no-any-return]


def _text_or_number(value: Any, path: str) -> str | int | float:
    if isinstance(value, str):
        return _text(value, path)
    if _is_number(value):
        return _number(value, path)
    raise _fail("must be text or a number", path)


def _scalar(value: Any, path: str) -> Scalar:
    if isinstance(value, bool):
        return value
    return _text_or_number(value, path)


def _consent(value: Any, path: str) -> str:
    if value != UNKNOWN and value not in CONSENT_STATES:
        raise _fail(f"must be one of {', '.join([*CONSENT_STATES, UNKNOWN])}", path)
    return str(value)


def _instant(value: Any, path: str) -> str:
    if not isinstance(value, str) or len(value) > 40:
        raise _fail("must be an ISO-8601 time", path)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail("must be an ISO-8601 time", path) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso_text(moment)


def _list(value: Any, path: str, element: Callable[[Any, str], Scalar]) -> tuple[Scalar, ...]:
    if not isinstance(value, list) or not value:
        raise _fail("must be a non-empty list", path)
    if len(value) > MAX_IN_VALUES:
        raise _fail(f"must have at most {MAX_IN_VALUES} values", path)
    return tuple(element(item, f"{path}[{i}]") for i, item in enumerate(value))


def _range(value: Any, path: str, element: Callable[[Any, str], Scalar]) -> Range:
    if not isinstance(value, Mapping) or not value:
        raise _fail("must be an object with from and/or to", path)
    for key in value:
        if key not in ("from", "to"):
            shown = key if isinstance(key, str) and PROPERTY.match(key) else "?"
            raise _fail(f"unexpected key {shown!r}", f"{path}.{shown}")
    lower = None if value.get("from") is None else element(value["from"], f"{path}.from")
    upper = None if value.get("to") is None else element(value["to"], f"{path}.to")
    if lower is None and upper is None:
        raise _fail("give from, to or both", path)
    if lower is not None and upper is not None:
        if _is_number(lower) != _is_number(upper):
            raise _fail("from and to must both be numbers or both text", f"{path}.to")
        if lower > upper:  # type: ignore[operator]
            raise _fail("from must not be after to", f"{path}.to")
    return Range(lower, upper)
