"""A read of the archive as a record (ARCH-6): what each kind of read must name, the
limits on what it records, and that it is recorded once with what it asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.archive.reading import ArchiveRead
from domain.shared.errors import InvalidValue

AT = datetime(2026, 11, 2, tzinfo=UTC)


def test_a_search_is_recorded_with_what_it_asked_for() -> None:
    read = ArchiveRead.record(
        read_id=uuid4(), tenant_id=uuid4(), kind="search", scope="customer",
        customer="wmCustomer", terms="价格", since=AT, until=AT + timedelta(days=1), shown=7,
    )  # fmt: skip
    (recorded,) = read.collect_events()
    assert type(recorded).__name__ == "Recorded"
    assert (recorded.kind, recorded.scope, recorded.customer, recorded.terms) == (
        "search", "customer", "wmCustomer", "价格",
    )  # fmt: skip
    assert (recorded.since, recorded.shown) == (AT, 7)


@pytest.mark.parametrize(
    ("what", "field"),
    [
        ({"kind": "export"}, "kind"),
        ({"kind": "search"}, "scope"),
        ({"kind": "search", "scope": "everyone"}, "scope"),
        ({"kind": "conversation"}, "conversation"),
        ({"kind": "message"}, "message"),
        ({"kind": "search", "scope": "global", "terms": "字" * 201}, "terms"),
        ({"kind": "message", "message": "m" * 201}, "message"),
        ({"kind": "search", "scope": "global", "since": AT, "until": AT - timedelta(1)}, "until"),
        ({"kind": "conversation", "conversation": "pair:a:b", "shown": -1}, "shown"),
    ],
)
def test_what_a_read_must_name(what: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        ArchiveRead.record(read_id=uuid4(), tenant_id=uuid4(), **what)  # type: ignore[arg-type]
    assert refused.value.field == field
