"""The cells of an order's and a refund's row, shared by the back office's lists of every
tenant's records and the company's own lists. Each side names states and kinds in its own
words (back_office_labels, company_labels: a refund "待审批" for staff is "待审核" for the
tenant) and decides which cell links where; what a cell shows is the same on both."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from uuid import UUID

from application.tenancy.billing_directory import OrderRow, RefundRow
from entrypoints.web.i18n import local_time, yuan
from entrypoints.web.tables import Cell, Column, Row
from entrypoints.web.tenancy import back_office_labels, company_labels

Naming = Callable[[str], str]  # a code's name (or badge style) in the page's language


@dataclass(frozen=True)
class BillingNames:
    """How one side of the console names the billing codes shown in its lists."""

    order_state: Naming
    refund_state: Naming
    kind: Naming
    product_line: Naming
    badge: Naming


BACK_OFFICE = BillingNames(
    order_state=back_office_labels.state_label,
    refund_state=back_office_labels.state_label,
    kind=back_office_labels.kind_label,
    product_line=back_office_labels.product_line_label,
    badge=back_office_labels.state_badge,
)


def _company_badge(state: str) -> str:
    return company_labels.BADGES.get(state, "info")


COMPANY = BillingNames(
    order_state=partial(company_labels.label, company_labels.ORDER_STATUSES),
    refund_state=partial(company_labels.label, company_labels.REFUND_STATUSES),
    kind=partial(company_labels.label, company_labels.ORDER_KINDS),
    product_line=partial(company_labels.label, company_labels.PRODUCT_LINES),
    badge=_company_badge,
)


def order_columns(bought: Column) -> list[Column]:
    """An order list's columns (msgids); `bought` is what the side says was bought."""
    return [
        Column("number", "订单号"),
        Column("kind", "类型"),
        bought,
        Column("amount_fen", "金额", numeric=True),
        Column("status", "状态"),
        Column("created_at", "下单时间"),
    ]


def order_cells(
    order: OrderRow, names: BillingNames, *, href: str, timezone: str
) -> dict[str, Cell]:
    """Every cell an order's row may show, by column key; the number links to `href`."""
    return {
        "number": Cell(order.number, href=href),
        "kind": Cell(names.kind(order.kind)),
        "target": Cell(order.target),
        "product_line": Cell(names.product_line(order.product_line)),
        "amount_fen": Cell(yuan(order.amount_fen)),
        "status": Cell(names.order_state(order.status), badge=names.badge(order.status)),
        "created_at": Cell(local_time(order.created_at, timezone)),
    }


def refund_cells(
    refund: RefundRow, names: BillingNames, *, links: Mapping[str, str], timezone: str
) -> dict[str, Cell]:
    """Every cell a refund's row may show, by column key; `links`: which cells link where."""
    shown = {
        "order_number": refund.order_number,
        "status": names.refund_state(refund.status),
        "proposed_fen": yuan(refund.proposed_fen),
        "amount_fen": yuan(refund.amount_fen),
        "created_at": local_time(refund.created_at, timezone),
    }
    badges = {"status": names.badge(refund.status)}
    return {
        key: Cell(text, href=links.get(key), badge=badges.get(key)) for key, text in shown.items()
    }


def row_of(record_id: UUID, columns: Sequence[Column], cells: Mapping[str, Cell]) -> Row:
    """A record's row: its cells in the order of the table's columns."""
    return Row(str(record_id), [cells[column.key] for column in columns])
