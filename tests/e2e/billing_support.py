"""Steps the billing suites share: buying through the sandbox as a tenant and its staff
would, reading the subscription, paging back-office lists, and a clock tests move.

Dates are computed here independently of the billing code (no import of its calendar
helpers), so a mistake there cannot hide in the expectation.
"""

from __future__ import annotations

import calendar
import threading
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import Api

SHANGHAI = ZoneInfo("Asia/Shanghai")  # every test tenant's timezone (the default)
RYW = {"Prefer": "read-your-writes"}


def shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


def months_after(day: date, months: int) -> date:
    """`day` plus whole calendar months, the day clamped to the month (Jan 31 + 1: Feb 28)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def days(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def place(api: Api, token: str, kind: str = "new", **order: Any) -> Any:
    """POST /api/v1/orders as the tenant (the answer, whatever its status)."""
    return api.client.post(
        "/api/v1/orders", json={"kind": kind, **order}, headers={**api.key(token), **RYW}
    )


def pay_and_confirm(api: Api, token: str, order_id: str) -> dict[str, Any]:
    """The tenant chooses the sandbox, staff confirm the payment: the order is delivered."""
    paying = api.client.post(
        f"/api/v1/orders/{order_id}/pay", json={"provider": "sandbox"}, headers=api.key(token)
    )
    assert paying.status_code == 200, paying.text
    confirmed = api.client.post(
        f"/api/v1/admin/orders/{order_id}/confirm-payment", headers={**api.staff(), **RYW}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "delivered", confirmed.text
    return dict(confirmed.json())


def buy(
    api: Api, token: str, edition: str = "qs_micro_entry", units: int = 1, kind: str = "new"
) -> dict[str, Any]:
    """Place, pay and deliver an order; answers the delivered order."""
    placed = place(api, token, kind, edition=edition, units=units)
    assert placed.status_code == 201, placed.text
    return pay_and_confirm(api, token, placed.json()["id"])


def subscription(api: Api, token: str, line: str = "quick_sell") -> dict[str, Any]:
    """The tenant's subscription on `line`, as GET /api/v1/subscription shows it."""
    answer = api.client.get("/api/v1/subscription", headers=api.key(token))
    assert answer.status_code == 200, answer.text
    found = [s for s in answer.json()["subscriptions"] if s["product_line"] == line]
    assert len(found) == 1, answer.text
    return dict(found[0])


def usage(details: dict[str, Any]) -> dict[str, tuple[int | None, int]]:
    """quota → (limit, used) of a subscription's details."""
    return {use["quota"]: (use["limit"], use["used"]) for use in details["usage"]}


def catalogue_edition(api: Api, token: str, code: str) -> dict[str, Any]:
    plans = api.client.get("/api/v1/plans", headers=api.key(token)).json()
    return dict(next(e for e in plans["editions"] if e["code"] == code))


def enrol_staff(api: Api, *roles: str) -> tuple[str, str]:
    """A new staff member with `roles`: (staff id, token)."""
    enrolled = api.client.post(
        "/api/v1/admin/staff",
        json={
            "email": f"{roles[0]}-{uuid.uuid4().hex[:8]}@huoke.test",
            "display_name": f"{roles[0]} staff",
            "roles": list(roles),
        },
        headers=api.staff(),
    )
    assert enrolled.status_code == 201, enrolled.text
    return enrolled.json()["id"], enrolled.json()["token"]


def every_page(api: Api, path: str, headers: dict[str, str], **params: Any) -> list[str]:
    """The ids of every item of a list, page by page; no page is longer than its limit and
    no record shows up twice."""
    seen: list[str] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = api.client.get(path, params=query, headers=headers)
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        assert len(items) <= params.get("limit", 20)
        seen += [item["id"] for item in items]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), f"a record was listed twice: {seen}"
    return seen


class FakeClock:
    """application.shared.clock.Clock at a time the test sets and moves."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def move(self, **delta: float) -> None:
        with self._lock:
            self._now += timedelta(**delta)
