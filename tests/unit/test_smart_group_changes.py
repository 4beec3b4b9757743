"""Which smart groups a change can move (SEG-1): only those whose filter reads what the
change touched are evaluated again."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.segments.smart_groups import EVERYTHING, LEAD_EVENTS, SCORES, Change
from domain.shared.filters import Filter

TAGGED = {"field": "tags", "op": "equals", "value": "vip"}
STATUS = {"field": "status", "op": "equals", "value": "contacted"}
SCORE = {"field": "score", "op": "range", "value": {"from": 60}}
CONSENT = {"field": "consent.email", "op": "equals", "value": "granted"}
PAGES = {"behaviour": {"kind": "page", "within_days": 30}, "did": True}
ANYTHING = {"behaviour": {"kind": "*", "within_days": 30}, "did": False}


def change(fields: frozenset[str], kinds: frozenset[str] = frozenset()) -> Change:
    return Change(uuid4(), (uuid4(),), fields, kinds)


@pytest.mark.parametrize(
    ("what", "tree", "affected"),
    [
        (change(LEAD_EVENTS["Tagged"]), TAGGED, True),
        (change(LEAD_EVENTS["Tagged"]), STATUS, False),
        (change(LEAD_EVENTS["StatusChanged"]), STATUS, True),
        (change(LEAD_EVENTS["ConsentChanged"]), CONSENT, True),
        (change(LEAD_EVENTS["ConsentChanged"]), TAGGED, False),
        (change(SCORES), SCORE, True),
        (change(SCORES), PAGES, False),
        (change(frozenset({"last_seen_at"}), frozenset({"page"})), PAGES, True),
        (change(frozenset({"last_seen_at"}), frozenset({"track"})), PAGES, False),
        (change(frozenset({"last_seen_at"}), frozenset({"track"})), ANYTHING, True),
        (change(frozenset({"last_seen_at"}), frozenset({EVERYTHING})), PAGES, True),
        (change(frozenset({EVERYTHING})), STATUS, True),  # registered, merged, deleted
        (change(frozenset({"last_seen_at"}), frozenset({EVERYTHING})), {"all": []}, False),
        (
            change(frozenset({"custom.*"})),
            {"field": "custom.size", "op": "empty", "value": True},
            True,
        ),
    ],
)
def test_a_change_affects_the_groups_that_read_what_it_touched(
    what: Change, tree: dict[str, object], affected: bool
) -> None:
    assert what.affects(Filter.parse(tree).references()) is affected
