"""A head office and its branches (TEN-4), and staff confirming a sandbox payment from
the command line (`huoke payments confirm`, BIL-1, BIL-2)."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from application.shared.context import RequestContext, acting
from application.shared.errors import NotFound
from application.tenancy.billing_commands import PlaceOrder
from application.tenancy.commands import RegisterTenant
from entrypoints.cli import app, main
from entrypoints.container import Runtime
from entrypoints.settings import Settings
from tests.conftest import Api
from tests.e2e.billing_support import RYW, buy, months_after

BRANCH = {"name": "华东分公司", "owner_name": "王芳", "owner_contact": "wang@acme.cn"}


def test_a_head_office_opens_a_branch_and_reads_its_subscriptions(api: Api) -> None:
    head_id, head = api.tenant_with_key("tenant_admin")

    opened = api.client.post("/api/v1/branches", json=BRANCH, headers={**api.key(head), **RYW})

    assert opened.status_code == 201, opened.text
    branch = opened.json()
    assert branch["head_office_id"] == head_id and branch["name"] == "华东分公司"
    listed = api.client.get("/api/v1/branches", headers=api.key(head)).json()["items"]
    assert [item["id"] for item in listed] == [branch["id"]]
    branch_key = api.new_key(branch["id"], "tenant_admin")
    buy(api, branch_key, "qs_micro_basic", units=1)  # the branch buys with its own key
    rolled_up = api.client.get(f"/api/v1/branches/{branch['id']}", headers=api.key(head))
    assert rolled_up.status_code == 200, rolled_up.text
    assert rolled_up.json()["tenant"]["id"] == branch["id"]
    held = [(s["edition"], s["status"]) for s in rolled_up.json()["subscriptions"]]
    assert held == [("qs_micro_basic", "active")]
    own = api.client.get("/api/v1/subscription", headers=api.key(head)).json()
    assert own["subscriptions"] == []  # the branch's plan is not the head office's

    _, stranger = api.tenant_with_key("tenant_admin")
    hidden = api.client.get(f"/api/v1/branches/{branch['id']}", headers=api.key(stranger))
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    assert api.client.get("/api/v1/branches", headers=api.key(stranger)).json()["items"] == []
    not_a_branch = api.client.get(f"/api/v1/branches/{head_id}", headers=api.key(head))
    assert not_a_branch.status_code == 404

    nested = api.client.post("/api/v1/branches", json=BRANCH, headers=api.key(branch_key))
    assert nested.status_code == 409, nested.text
    assert nested.json()["code"] == "state_conflict"
    assert api.client.get("/api/v1/branches", headers=api.key(branch_key)).json()["items"] == []


def test_staff_confirm_a_sandbox_payment_from_the_command_line(
    operator_shell: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = Runtime(operator_shell).start()
    try:
        with acting(RequestContext(request_id="test-setup")):
            tenant = runtime.container.tenancy().register_tenant(
                RegisterTenant(name="Acme 科技", owner_name="李雷", owner_contact="li@acme.cn")
            )
            order = runtime.container.billing().place_order(
                tenant.id, PlaceOrder(kind="new", edition="qs_micro_entry", units=2)
            )
    finally:
        runtime.close()

    confirmed = CliRunner().invoke(
        app, ["payments", "confirm", order.number, "--reason", "bank transfer received"]
    )

    assert confirmed.exit_code == 0, confirmed.output
    assert f"order {order.number} is delivered (2000 fen)" in confirmed.output
    runtime = Runtime(operator_shell).start()
    try:
        billing = runtime.container.billing()
        assert billing.order(order.id, tenant_id=tenant.id).status == "delivered"
        [opened] = billing.subscriptions(tenant.id)
        assert opened.status == "active" and opened.edition == "qs_micro_entry"
        assert opened.ends_on == months_after(opened.starts_on, 2)
        stamped = runtime.container.history().of(order.id, tenant_id=tenant.id)
        entry = next(e for e in stamped if e.type == "tenancy.Order.Paid")
        assert entry.actor is not None and entry.actor["id"].startswith("cli:")
        assert entry.reason == "bank transfer received"
    finally:
        runtime.close()

    again = CliRunner().invoke(app, ["payments", "confirm", order.number])
    assert again.exit_code == 0 and "is delivered (2000 fen)" in again.output  # harmless

    unknown = CliRunner().invoke(app, ["payments", "confirm", "HK000000000000000000"])
    assert unknown.exit_code != 0
    assert isinstance(unknown.exception, NotFound)
    # the installed `huoke` script (entrypoints.cli:main) says why, without a traceback
    monkeypatch.setattr(sys, "argv", ["huoke", "payments", "confirm", "HK000000000000000000"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    said = capsys.readouterr().err
    assert said.splitlines()[-1].startswith("refused: no Order"), said  # after "store: …"
    assert "Traceback" not in said
