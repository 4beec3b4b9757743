"""Behaviours are kept as long as the tenant's plan says, then forgotten (ADR 0013)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.tracking.retention import DEFAULT_RETENTION_DAYS
from entrypoints.cli import app
from entrypoints.settings import Settings
from tests.conftest import Api


def _row(tenant_id: str, days_ago: int) -> Behaviour:
    received = datetime.now(UTC) - timedelta(days=days_ago)
    return Behaviour(
        tenant_id=uuid.UUID(tenant_id),
        kind=BehaviourKind.PAGE,
        channel=Channel.WEB,
        occurred_at=received,
        received_at=received,
        message_id=f"{days_ago}-days-ago",
        anonymous_id="anon",
    )


def _kept(api: Api, tenant_id: str) -> list[str]:
    rows = api.runtime.container.behaviours().behaviours_of(uuid.UUID(tenant_id))
    return sorted(row.message_id for row in rows)


def _paid_subscription(api: Api, token: str, edition: str) -> None:
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    order = api.client.post(
        "/api/v1/orders", json={"kind": "new", "edition": edition}, headers=headers
    )
    assert order.status_code == 201, order.text
    paid = api.client.post(
        f"/api/v1/admin/orders/{order.json()['id']}/confirm-payment",
        headers={**api.staff(), "Prefer": "read-your-writes"},
    )
    assert paid.status_code == 200, paid.text


def test_each_tenant_keeps_what_its_plan_keeps(api: Api) -> None:
    log = api.runtime.container.behaviours()
    planless, _ = api.tenant_with_key("tenant_admin")
    scrm, scrm_token = api.tenant_with_key("tenant_admin")
    _paid_subscription(api, scrm_token, "scrm_advanced")  # 730 days in the catalogue
    log.append([_row(planless, days) for days in (DEFAULT_RETENTION_DAYS + 20, 100, 0)])
    log.append([_row(scrm, days) for days in (800, 400, 0)])

    api.runtime.container.behaviour_retention().sweep()

    assert _kept(api, planless) == ["0-days-ago", "100-days-ago"]
    assert _kept(api, scrm) == ["0-days-ago", "400-days-ago"]
    # A second sweep has nothing more to forget for them.
    api.runtime.container.behaviour_retention().sweep()
    assert _kept(api, scrm) == ["0-days-ago", "400-days-ago"]


def test_the_operator_can_sweep_now(operator_shell: Settings) -> None:
    assert CliRunner().invoke(app, ["db", "migrate"]).exit_code == 0
    swept = CliRunner().invoke(app, ["behaviours", "forget-expired"])
    assert swept.exit_code == 0, swept.output
    assert "0 behaviours forgotten" in swept.output
