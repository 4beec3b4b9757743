"""Customer inheritance in the suites (WECOM-4): employees matched to the embedded
sandbox corp's members (by their mobiles), a WeCom customer of one of them, and a
transfer batch of the tenant started through the API."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.conftest import Api
from tests.e2e.wecom_support import a_customer_added
from tests.settling import settle

RYW = {"Prefer": "read-your-writes"}
# The sandbox corp's members and their mobiles (adapters/wecom/sandbox.py).
SANDBOX_MOBILES = {"ZhangWei": "13800138003", "LiNa": "13800138001", "WangFang": "13800138002"}


def employee_of_member(api: Api, token: str, userid: str, name: str = "") -> str:
    """An employee with the sandbox member's mobile: the member directory links them."""
    hired = api.client.post(
        "/api/v1/employees",
        json={"name": name or f"员工{userid}", "mobile": SANDBOX_MOBILES[userid],
              "roles": ["sales"]},
        headers={**api.key(token), **RYW},
    )  # fmt: skip
    assert hired.status_code == 201, hired.text
    return str(hired.json()["id"])


def bound_corpid(api: Api, token: str) -> str:
    corps = api.client.get("/api/v1/wecom/corps", headers={**api.key(token), **RYW})
    assert corps.status_code == 200 and corps.json()["items"], corps.text
    return str(corps.json()["items"][0]["corpid"])


def transfer_ready(api: Api, token: str, tenant_id: str) -> tuple[str, str]:
    """(handover, takeover) employees of a tenant whose sandbox corp is bound and synced:
    ZhangWei's employee with one WeCom customer, LiNa's employee to take them."""
    handover = employee_of_member(api, token, "ZhangWei", "张伟")
    takeover = employee_of_member(api, token, "LiNa", "李娜")
    a_customer_added(api, tenant_id, bound_corpid(api, token), "ZhangWei")
    settle(api.runtime)
    return handover, takeover


def start_body(handover: str, takeover: str) -> dict[str, Any]:
    return {"employee_id": handover, "to_employee_id": takeover, "reason": "离职交接"}


def a_transfer(api: Api, token: str, tenant_id: str) -> str:
    """A transfer batch of the tenant (its sandbox corp bound and synced): its id."""
    handover, takeover = transfer_ready(api, token, tenant_id)
    started = api.client.post(
        "/api/v1/wecom/transfers",
        json=start_body(handover, takeover),
        headers={**api.key(token), **RYW},
    )
    assert started.status_code == 201, started.text
    return str(started.json()["id"])


class SteppedClock:
    """The transfer worker's clock, moved by the test (WeCom's 24 hours pass at once)."""

    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.at = datetime.now(UTC)

    def now(self) -> Any:
        return self.at

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.at += timedelta(**delta)


def work_rounds(runtime: Any, clock: SteppedClock, *, times: int = 10) -> int:
    """Transfer worker rounds at `clock` (over the runtime's corps) until one finds nothing
    to do and no call is held by the runtime's own worker (which runs on the real clock
    beside the test: whichever claims a call sends it); answers the calls this made."""
    from application.wecom.transfer_work import TransferWork

    container = runtime.container
    work = TransferWork(
        container.wecom(),
        container.wecom_corps(),
        container.wecom_transfer_queries(),
        container.tenancy(),
        clock,
    )
    calls = 0
    for _ in range(times * 20):
        settle(runtime)
        done = work.run_once()
        calls += done.sent
        if not done.busy:
            if not _calls_held(runtime):
                settle(runtime)
                return calls
            time.sleep(0.05)
    raise AssertionError("the transfer workers were still busy")


def _calls_held(runtime: Any) -> bool:
    """Whether a worker holds a claim on a call of an unfinished batch now."""
    from domain.wecom.transfer import CustomerTransferBatch

    wecom = runtime.container.wecom()
    view = runtime.container.wecom_transfer_queries().view
    for row in view.rows("SELECT tenant_id, batch_id FROM wecom_transfer_batches WHERE done = 0"):
        batch = wecom.load(
            uuid.UUID(row["batch_id"]), CustomerTransferBatch, tenant_id=uuid.UUID(row["tenant_id"])
        )
        claimed = any(c["in_flight"] and not c["unknown"] for c in batch.calls)
        if claimed or batch.group_claim is not None:
            return True
    return False


def sandbox_customers_as_leads(api: Api, tenant_id: str, corpid: str, userid: str) -> list[str]:
    """The sandbox corp's customers of `userid`, each added as the callback records it
    (so each becomes a lead owned by the member's employee): their external_userids."""
    from adapters.wecom.sandbox import SandboxConnector

    sandbox = SandboxConnector(api.runtime.settings.var_dir / "outbox").api(corpid)
    customers = sandbox.customers_of(userid)
    for external in customers:
        a_customer_added(api, tenant_id, corpid, userid, external)
    settle(api.runtime)
    return customers
