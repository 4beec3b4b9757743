"""The filter language at the edge: a pydantic field type for a filter tree.

`FilterTree` is a JSON object validated by `Filter.parse` (domain.shared.filters), with
behaviour kinds limited to the behaviour log's (`BehaviourKind`, or "*"). The value kept
is the normalised tree (`Filter.to_tree()`: times as fixed-width UTC text), so a command
stores primitives. An invalid tree raises the domain's `InvalidValue` straight through
pydantic (it is no ValueError, so pydantic does not wrap it): the problem handler answers
422 `invalid_value` whose `field` is the bad node's path, rooted at the command's field
name (`filter.all[2].value`).

    class SaveSearch(Command):
        filter: FilterTree
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo

from application.shared.behaviours import BehaviourKind
from domain.shared.filters import Filter

KINDS = frozenset(kind.value for kind in BehaviourKind)

FILTER_DESCRIPTION = (
    "A filter tree: {'all': [node, ...]}, {'any': [node, ...]}, {'not': node} or a "
    "condition: {'field': F, 'op': OP, 'value': V} over base fields, custom.<key>, tags, "
    "consent.<channel>, scores and times; or {'behaviour': {'kind': K, 'name'?, 'channel'?, "
    "'where'?: [{'property', 'op', 'value'}], 'at_least'?, 'within_days'? | 'since'?}, "
    "'did': true|false}. At most 50 conditions, 6 levels deep."
)
FILTER_EXAMPLE: dict[str, Any] = {
    "all": [
        {"field": "tags", "op": "equals", "value": "VIP"},
        {"field": "custom.industry", "op": "in", "value": ["教育", "医疗"]},
        {"field": "score", "op": "range", "value": {"from": 50}},
        {"behaviour": {"kind": "page", "within_days": 30}, "did": True},
    ]
}


def parse_filter(tree: Any, *, path: str = Filter.ROOT_PATH) -> Filter:
    """A tree from outside as a `Filter`, behaviour kinds checked against the log's;
    raises `InvalidValue` naming the bad node's path (rooted at `path`)."""
    return Filter.parse(tree, path=path, kinds=KINDS)


def _validated(tree: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
    return parse_filter(tree, path=info.field_name or Filter.ROOT_PATH).to_tree()


FilterTree = Annotated[
    dict[str, Any],
    AfterValidator(_validated),
    Field(description=FILTER_DESCRIPTION, examples=[FILTER_EXAMPLE]),
]
