"""LeadImport (LEAD-3): the mapping a file is read with, batches applied in order, and an
import that stops and resumes with the same file."""

from __future__ import annotations

import copy
from typing import Any
from uuid import uuid4

import pytest

from domain.leads.lead_import import LeadImport
from domain.shared.errors import InvalidValue, StateConflict
from tests.unit.events import replay, topics

COLUMNS = ["手机", "邮箱", "姓名", "公司", "渠道", "备注"]
HASH = "a" * 64


def started(**overrides: Any) -> LeadImport:
    fields: dict[str, Any] = {
        "import_id": uuid4(),
        "tenant_id": uuid4(),
        "file_name": "leads.csv",
        "size": 1234,
        "content_hash": HASH,
        "columns": COLUMNS,
        "mapping": {"手机": "mobile", "姓名": "name", "渠道": "source.level1"},
        "update_existing": False,
        "source": {},
    }
    return LeadImport.start(**{**fields, **overrides})


def created(row: int) -> dict[str, Any]:
    return {"row": row, "outcome": "created", "lead_id": str(uuid4())}


def rejected(row: int) -> dict[str, Any]:
    return {"row": row, "outcome": "rejected", "lead_id": None, "reason": "bad", "field": "mobile"}


def test_starting_records_the_file_and_a_checked_mapping() -> None:
    lead_import = started(mapping={"手机": " mobile ", "备注": "custom:remark"})

    assert lead_import.mapping == {"手机": "mobile", "备注": "custom:remark"}
    assert (lead_import.status, lead_import.rows, lead_import.applied_through) == ("running", 0, 0)
    assert topics(lead_import.collect_events()) == ["leads.LeadImport.Started"]


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"电话": "mobile"}, "mapping.电话"),  # the file has no such column
        ({"手机": "mobile", "姓名": "salary"}, "mapping.姓名"),  # no such lead field
        ({"手机": "mobile", "姓名": "source.colour"}, "mapping.姓名"),
        ({"手机": "mobile", "邮箱": "mobile"}, "mapping.邮箱"),  # one field from two columns
        ({"姓名": "name", "公司": "company"}, "mapping"),  # neither mobile nor e-mail
        ({}, "mapping"),
        ({"手机": "mobile", "备注": "custom:"}, "mapping.备注"),
    ],
)
def test_a_mapping_the_file_cannot_fill_is_refused_naming_the_column(
    mapping: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        started(mapping=mapping)
    assert refused.value.field == field


def test_batches_count_outcomes_and_keep_every_row_result_in_order() -> None:
    lead_import = started()
    lead_import.apply_batch(2, 4, [created(2), rejected(3), created(4)])
    lead_import.apply_batch(6, 6, [{"row": 6, "outcome": "duplicate", "lead_id": str(uuid4())}])

    assert lead_import.counts == {"created": 2, "updated": 0, "duplicate": 1, "rejected": 1}
    assert [r["row"] for r in lead_import.results] == [2, 3, 4, 6]
    assert lead_import.applied_through == 6
    events = lead_import.collect_events()
    assert replay(events, LeadImport).counts == lead_import.counts


def test_a_batch_that_overlaps_applied_rows_is_refused_and_changes_nothing() -> None:
    lead_import = started()
    lead_import.apply_batch(2, 3, [created(2), created(3)])
    before = copy.deepcopy(lead_import.__dict__)

    with pytest.raises(StateConflict):
        lead_import.apply_batch(3, 4, [created(3), created(4)])
    with pytest.raises(InvalidValue):
        lead_import.apply_batch(4, 5, [created(5), created(4)])  # out of order
    with pytest.raises(InvalidValue):
        lead_import.apply_batch(4, 5, [{"row": 4, "outcome": "merged"}])
    assert lead_import.__dict__ == before


def test_completing_ends_the_import_and_nothing_is_applied_after() -> None:
    lead_import = started()
    lead_import.apply_batch(2, 2, [created(2)])
    lead_import.complete()

    assert lead_import.status == "completed"
    with pytest.raises(StateConflict):
        lead_import.apply_batch(3, 3, [created(3)])
    with pytest.raises(StateConflict):
        lead_import.resume(HASH)


def test_a_failed_import_resumes_after_its_last_applied_row_with_the_same_file_only() -> None:
    lead_import = started()
    lead_import.apply_batch(2, 501, [created(row) for row in range(2, 502)])
    lead_import.fail("interrupted: ConnectionError")
    assert (lead_import.status, lead_import.failure) == ("failed", "interrupted: ConnectionError")
    with pytest.raises(StateConflict):
        lead_import.apply_batch(502, 502, [created(502)])

    with pytest.raises(InvalidValue) as other_file:
        lead_import.resume("b" * 64)
    assert other_file.value.field == "file"
    lead_import.resume(HASH)
    lead_import.apply_batch(502, 502, [created(502)])

    assert (lead_import.status, lead_import.rows) == ("running", 501)
    assert topics(lead_import.collect_events())[-3:] == [
        "leads.LeadImport.Failed",
        "leads.LeadImport.Resumed",
        "leads.LeadImport.BatchApplied",
    ]
