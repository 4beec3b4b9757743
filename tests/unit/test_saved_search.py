"""Saved searches (SEG-2): a name and a valid filter tree, revised and deleted."""

from __future__ import annotations

import uuid

import pytest

from domain.segments.saved_search import SavedSearch
from domain.shared.errors import InvalidValue, StateConflict

TREE = {"all": [{"field": "custom.industry", "op": "equals", "value": "制造业"}]}


def _search() -> SavedSearch:
    return SavedSearch.save(
        search_id=uuid.uuid4(), tenant_id=uuid.uuid4(), name="制造业", tree=TREE
    )


def test_a_search_keeps_its_tree_as_the_filter_language_writes_it() -> None:
    search = _search()
    assert search.name == "制造业"
    assert search.tree == TREE


def test_an_invalid_tree_is_refused_naming_the_bad_node() -> None:
    bad = {"all": [TREE["all"][0], {"field": "name", "op": "explode", "value": "x"}]}
    with pytest.raises(InvalidValue) as refused:
        SavedSearch.save(search_id=uuid.uuid4(), tenant_id=uuid.uuid4(), name="x", tree=bad)
    assert refused.value.field is not None and refused.value.field.startswith("filter.all[1]")


def test_revising_changes_only_what_differs_and_a_deleted_search_refuses() -> None:
    search = _search()
    search.revise(name="制造业", tree=None)
    assert search.version == 1
    search.revise(name="制造业客户", tree={"field": "score", "op": "range", "value": {"from": 60}})
    assert (search.version, search.name) == (2, "制造业客户")
    assert search.tree["field"] == "score"
    search.delete()
    with pytest.raises(StateConflict):
        search.revise(name="again", tree=None)
    with pytest.raises(InvalidValue):
        _search().revise(name="", tree=None)
