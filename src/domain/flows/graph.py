"""A flow's graph (FLOW-1, FLOW-3): nodes joined by `next` (a branch by `yes` and `no`),
parsed from the JSON the API takes and checked before the flow may be enabled.

    graph := {"start": NODE_ID, "nodes": [node, ...]}
    node  := {"id": NODE_ID, "kind": KIND, ...the kind's parameters..., "next": NODE_ID}
           | {"id": ..., "kind": "branch", "filter": FILTER, "yes": NODE_ID, "no": NODE_ID}
           | {"id": ..., "kind": "end"}

Parsing (`FlowGraph.parse`) checks each node on its own: a known kind, the parameters
given well-formed, ids unique. A draft may be incomplete; `problems()` says what keeps it
from running (a parameter still to choose, a `next` pointing nowhere, a node no path
reaches, a path without an End, a cycle, a branch missing an exit, a send on a channel
the tenant has not set up), each
naming its node, and `require_runnable` raises the first as an `InvalidValue`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.flows.values import choice, instant, text, whole
from domain.shared.errors import InvalidValue
from domain.shared.filters import Filter

MAX_NODES = 200
NODE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class NodeKind(StrEnum):
    SEND_EMAIL = "send_email"
    SEND_SMS = "send_sms"
    SEND_WECHAT = "send_wechat"  # a customer-service message: the 48-hour rule applies
    SEND_WECHAT_TEMPLATE = "send_wechat_template"
    ADD_TAG = "add_tag"
    REMOVE_TAG = "remove_tag"
    ADD_SCORE = "add_score"
    SUBTRACT_SCORE = "subtract_score"
    WAIT = "wait"
    BRANCH = "branch"
    JOIN_GROUP = "join_group"
    LEAVE_GROUP = "leave_group"
    CHANGE_STATUS = "change_status"
    ASSIGN_OWNER = "assign_owner"
    NOTIFY_OWNER = "notify_owner"
    END = "end"


class Channel(StrEnum):
    """What a tenant sets up before a flow may send on it."""

    EMAIL = "email"
    SMS = "sms"
    WECHAT = "wechat"


CHANNEL_OF = {
    NodeKind.SEND_EMAIL: Channel.EMAIL,
    NodeKind.SEND_SMS: Channel.SMS,
    NodeKind.SEND_WECHAT: Channel.WECHAT,
    NodeKind.SEND_WECHAT_TEMPLATE: Channel.WECHAT,
}

# The parameters each kind takes besides id, kind and its exits: name -> a checker.
WAIT_UNITS = ("minutes", "hours", "days", "months", "years")
MAX_WAIT = {"minutes": 525_600, "hours": 87_600, "days": 3_650, "months": 120, "years": 10}


def _instant(value: Any, where: str) -> str:
    return instant(value, where).isoformat()


def _fields(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise InvalidValue(f"{where}: an object of template fields", field=where)
    return {text(k, where, max_length=40): text(v, f"{where}.{k}") for k, v in value.items()}


@dataclass(frozen=True)
class Node:
    """One step: what it does (`kind`, `params`) and where it goes after."""

    id: str
    kind: NodeKind
    params: Mapping[str, Any] = field(default_factory=dict)
    next: str | None = None
    yes: str | None = None
    no: str | None = None

    @property
    def exits(self) -> tuple[str, ...]:
        found = (self.yes, self.no) if self.kind is NodeKind.BRANCH else (self.next,)
        return tuple(exit for exit in found if exit is not None)

    @property
    def is_effect(self) -> bool:
        """Whether running the node changes something outside the enrolment."""
        return self.kind not in (NodeKind.WAIT, NodeKind.BRANCH, NodeKind.END)

    @property
    def channel(self) -> Channel | None:
        return CHANNEL_OF.get(self.kind)

    @property
    def missing(self) -> list[str]:
        """The parameters the node needs before it can run (a copied scenario leaves the
        tenant's own templates, signatures and accounts to be chosen)."""
        return [
            name
            for name, (required, _parse) in _PARAMS[self.kind].items()
            if required and name not in self.params
        ]

    def branch_filter(self) -> Filter:
        return Filter.parse(self.params["filter"])

    def wait_ends_at(self, started: datetime) -> datetime:
        """When a wait that began at `started` (aware, in the tenant's zone: months and
        years are calendar ones there) is over."""
        if "until" in self.params:
            return datetime.fromisoformat(self.params["until"])
        amount, unit = self.params["amount"], self.params["unit"]
        if unit in ("months", "years"):
            return _add_months(started, amount * (12 if unit == "years" else 1))
        return started + timedelta(**{unit: amount})

    def to_tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {"id": self.id, "kind": self.kind.value, **self.params}
        for name in ("next", "yes", "no"):
            if getattr(self, name) is not None:
                tree[name] = getattr(self, name)
        return tree


def _add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later; the 31st becomes the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Problem:
    """Why a graph cannot run yet, at which node (None: the graph as a whole)."""

    node_id: str | None
    rule: str

    @property
    def field(self) -> str:
        return f"graph.nodes.{self.node_id}" if self.node_id else "graph"

    def __str__(self) -> str:
        return f"{self.node_id}: {self.rule}" if self.node_id else self.rule


@dataclass(frozen=True)
class FlowGraph:
    start: str | None
    nodes: Mapping[str, Node]

    @classmethod
    def parse(cls, tree: Any) -> FlowGraph:
        """A graph from its JSON; an `InvalidValue` names the bad node's field
        (`graph.nodes[3].amount`)."""
        if not isinstance(tree, dict):
            raise InvalidValue("graph: an object with start and nodes", field="graph")
        unknown = set(tree) - {"start", "nodes"}
        if unknown:
            raise InvalidValue(f"graph: unknown keys {sorted(unknown)}", field="graph")
        items = tree.get("nodes", [])
        if not isinstance(items, list):
            raise InvalidValue("graph.nodes: a list of nodes", field="graph.nodes")
        if len(items) > MAX_NODES:
            raise InvalidValue(f"graph.nodes: at most {MAX_NODES} nodes", field="graph.nodes")
        nodes: dict[str, Node] = {}
        for index, item in enumerate(items):
            node = _parse_node(item, f"graph.nodes[{index}]")
            if node.id in nodes:
                where = f"graph.nodes[{index}].id"
                raise InvalidValue(f"{where}: {node.id} is used twice", field=where)
            nodes[node.id] = node
        start = tree.get("start")
        if start is not None:
            start = _node_id(start, "graph.start")
        return cls(start, nodes)

    def to_tree(self) -> dict[str, Any]:
        tree: dict[str, Any] = {"nodes": [node.to_tree() for node in self.nodes.values()]}
        if self.start is not None:
            tree["start"] = self.start
        return tree

    def problems(self, channels: Collection[Channel] = tuple(Channel)) -> list[Problem]:
        """Everything that keeps the graph from running, in node order; `channels` are
        those the tenant has set up."""
        if self.start is None or not self.nodes:
            return [Problem(None, "a flow needs a first node after its start condition")]
        if self.start not in self.nodes:
            return [Problem(None, f"the start points to {self.start}, which is no node")]
        found: list[Problem] = []
        for node in self.nodes.values():
            if node.kind is NodeKind.BRANCH and (node.yes is None or node.no is None):
                found.append(Problem(node.id, "a branch needs both a yes and a no exit"))
            elif node.kind not in (NodeKind.BRANCH, NodeKind.END) and node.next is None:
                found.append(Problem(node.id, "this path has no End: add a next node"))
            for exit in node.exits:
                if exit not in self.nodes:
                    found.append(Problem(node.id, f"the next node {exit} does not exist"))
            found += [Problem(node.id, f"choose its {name}") for name in node.missing]
            if node.channel is not None and node.channel not in channels:
                found.append(
                    Problem(node.id, f"the tenant has not set up {node.channel.value} sending")
                )
        reachable = set(self._walk())
        found += [
            Problem(node_id, "no path from the start reaches this node")
            for node_id in self.nodes
            if node_id not in reachable
        ]
        cycle = self._cycle_at()
        if cycle is not None:
            found.append(Problem(cycle, "this node leads back to itself: paths must end"))
        return found

    def require_runnable(self, channels: Collection[Channel] = tuple(Channel)) -> None:
        problems = self.problems(channels)
        if problems:
            first = problems[0]
            raise InvalidValue(str(first), field=first.field)

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def _walk(self) -> Iterator[str]:
        seen: set[str] = set()
        stack: list[str] = [self.start] if self.start is not None else []
        while stack:
            node_id = stack.pop()
            if node_id in seen or node_id not in self.nodes:
                continue
            seen.add(node_id)
            yield node_id
            stack.extend(self.nodes[node_id].exits)

    def _cycle_at(self) -> str | None:
        """A node on a cycle reachable from the start, if there is one."""
        done: set[str] = set()
        on_path: set[str] = set()

        def visit(node_id: str) -> str | None:
            if node_id in on_path:
                return node_id
            if node_id in done or node_id not in self.nodes:
                return None
            on_path.add(node_id)
            for exit in self.nodes[node_id].exits:
                if (found := visit(exit)) is not None:
                    return found
            on_path.discard(node_id)
            done.add(node_id)
            return None

        return visit(self.start) if self.start is not None else None


def _node_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not NODE_ID.match(value):
        raise InvalidValue(f"{where}: a node id of 1 to 40 letters, digits, _ or -", field=where)
    return value


def _parse_node(item: Any, where: str) -> Node:
    if not isinstance(item, dict):
        raise InvalidValue(f"{where}: a node object", field=where)
    node_id = _node_id(item.get("id"), f"{where}.id")
    try:
        kind = NodeKind(str(item.get("kind")))
    except ValueError:
        choices = ", ".join(kind.value for kind in NodeKind)
        raise InvalidValue(f"{where}.kind: one of {choices}", field=f"{where}.kind") from None
    exits = ("yes", "no") if kind is NodeKind.BRANCH else () if kind is NodeKind.END else ("next",)
    values = {
        name: _node_id(item[name], f"{where}.{name}")
        for name in exits
        if item.get(name) is not None
    }
    given = {key: value for key, value in item.items() if key not in ("id", "kind", *exits)}
    params = _parse_params(kind, given, where)
    return Node(node_id, kind, params, **values)


def parse_send(tree: Any, where: str, kinds: tuple[NodeKind, ...]) -> Node:
    """A send on its own (a reach campaign's content): a node of one of `kinds` with its
    parameters and no exits."""
    if not isinstance(tree, dict):
        raise InvalidValue(f"{where}: an object with a kind", field=where)
    if tree.get("kind") not in kinds:
        choices = ", ".join(kind.value for kind in kinds)
        raise InvalidValue(f"{where}.kind: one of {choices}", field=f"{where}.kind")
    kind = NodeKind(tree["kind"])
    given = {key: value for key, value in tree.items() if key != "kind"}
    return Node("content", kind, _parse_params(kind, given, where))


def _parse_params(kind: NodeKind, given: dict[str, Any], where: str) -> dict[str, Any]:
    """A kind's parameters, checked; anything it does not take is refused by name."""
    parsers = _PARAMS[kind]
    unknown = sorted(set(given) - set(parsers))
    if unknown:
        at = f"{where}.{unknown[0]}"
        raise InvalidValue(f"{at}: a {kind.value} node takes no {unknown[0]}", field=at)
    params: dict[str, Any] = {}
    for name, (_required, parse) in parsers.items():
        if given.get(name) is not None:  # a missing one is a problem of the draft
            params[name] = parse(given[name], f"{where}.{name}")
    if kind is NodeKind.WAIT:
        _check_wait(params, where)
    return params


def _check_wait(params: dict[str, Any], where: str) -> None:
    if ("until" in params) == ("amount" in params or "unit" in params):
        raise InvalidValue(
            f"{where}: a wait takes either amount and unit or until", field=f"{where}.amount"
        )
    if "until" not in params:
        if "amount" not in params or "unit" not in params:
            at = f"{where}.{'unit' if 'amount' in params else 'amount'}"
            raise InvalidValue(f"{at}: a wait needs both amount and unit", field=at)
        unit = params["unit"]
        whole(params["amount"], f"{where}.amount", 1, MAX_WAIT[unit])


def _choice(choices: tuple[str, ...]) -> Any:
    return lambda value, where: choice(value, choices, where)


def _filter(value: Any, where: str) -> dict[str, Any]:
    return Filter.parse(value, path=where).to_tree()


def _message(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("kind") != "text":
        raise InvalidValue(f"{where}: a message {{kind: text, text}}", field=f"{where}.kind")
    return {"kind": "text", "text": text(value.get("text"), f"{where}.text", max_length=2000)}


def _points(value: Any, where: str) -> int:
    return whole(value, where, 1, 100_000)


def _days(value: Any, where: str) -> int:
    return whole(value, where, 1, 3_650)


def _long_text(value: Any, where: str) -> str:
    return text(value, where, max_length=2000)


_REQUIRED, _OPTIONAL = True, False
_PARAMS: dict[NodeKind, dict[str, tuple[bool, Any]]] = {
    NodeKind.SEND_EMAIL: {
        "template_id": (_REQUIRED, text),
        "subject": (_REQUIRED, text),
        "sender_name": (_REQUIRED, text),
        "sender_address": (_REQUIRED, text),
    },
    NodeKind.SEND_SMS: {"signature_id": (_REQUIRED, text), "text": (_REQUIRED, _long_text)},
    NodeKind.SEND_WECHAT: {"account_id": (_REQUIRED, text), "message": (_REQUIRED, _message)},
    NodeKind.SEND_WECHAT_TEMPLATE: {
        "account_id": (_REQUIRED, text),
        "template_id": (_REQUIRED, text),
        "data": (_REQUIRED, _fields),
        "url": (_OPTIONAL, text),
    },
    NodeKind.ADD_TAG: {"tag": (_REQUIRED, text)},
    NodeKind.REMOVE_TAG: {"tag": (_REQUIRED, text)},
    NodeKind.ADD_SCORE: {"points": (_REQUIRED, _points), "valid_days": (_OPTIONAL, _days)},
    NodeKind.SUBTRACT_SCORE: {"points": (_REQUIRED, _points)},
    NodeKind.WAIT: {
        "amount": (_OPTIONAL, lambda value, where: value),  # checked with its unit
        "unit": (_OPTIONAL, _choice(WAIT_UNITS)),
        "until": (_OPTIONAL, _instant),
    },
    NodeKind.BRANCH: {"filter": (_REQUIRED, _filter)},
    NodeKind.JOIN_GROUP: {"group_id": (_REQUIRED, text)},
    NodeKind.LEAVE_GROUP: {"group_id": (_REQUIRED, text)},
    NodeKind.CHANGE_STATUS: {"status": (_REQUIRED, text)},
    NodeKind.ASSIGN_OWNER: {"employee_id": (_REQUIRED, text)},
    NodeKind.NOTIFY_OWNER: {"text": (_REQUIRED, _long_text)},
    NodeKind.END: {},
}
