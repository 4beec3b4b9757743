"""`huoke demo seed`: demo leads through the real intake, resumable without duplicates."""

from __future__ import annotations

import uuid

from typer.testing import CliRunner

from application.leads.queries import LeadFilter
from application.leads.scope import LeadScope
from application.shared.context import RequestContext, acting
from application.tenancy.commands import RegisterTenant
from entrypoints.cli import app
from entrypoints.container import Runtime
from entrypoints.settings import Settings


def test_seeding_twice_adds_only_the_missing_leads(operator_shell: Settings) -> None:
    runtime = Runtime(operator_shell).start()
    try:
        with acting(RequestContext(request_id="test-setup")):
            tenant = runtime.container.tenancy().register_tenant(
                RegisterTenant(name="Demo 科技", owner_name="李雷", owner_contact="li@demo.cn")
            )
    finally:
        runtime.close()
    seed = ["demo", "seed", "--tenant", str(tenant.id), "--batch", "10"]

    first = CliRunner().invoke(app, [*seed, "--leads", "25"])
    again = CliRunner().invoke(app, [*seed, "--leads", "30"])
    unknown = CliRunner().invoke(app, ["demo", "seed", "--tenant", str(uuid.uuid4())])

    assert first.exit_code == 0, first.output
    assert "25 leads created (0 already there)" in first.output
    assert again.exit_code == 0, again.output
    assert "5 leads created (25 already there)" in again.output
    assert unknown.exit_code != 0
    runtime = Runtime(operator_shell).start()
    try:
        page = runtime.container.lead_queries().search(
            LeadScope.whole_company(tenant.id), LeadFilter(), limit=100
        )
    finally:
        runtime.close()
    assert len(page.items) == 30  # shown in the list, each person once
    assert len({lead.mobile for lead in page.items}) == 30
    assert all(lead.name and lead.company and lead.status for lead in page.items)
