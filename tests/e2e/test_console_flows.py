"""The flows console (营销流程) on both stores: a marketer drafts a flow as JSON (a bad
node is shown on the graph field and nothing is stored), sees what keeps it from running,
enables it; a lead tagged with the start condition's tag goes through it, and the flow's
page shows the node counts, the lead's path and a dry run; stop ends it."""

from __future__ import annotations

import json
import re

from tests.conftest import Api
from tests.e2e.console_support import employee_login, open_session

GRAPH = {
    "start": "welcome",
    "nodes": [
        {"id": "welcome", "kind": "add_tag", "tag": "欢迎系列", "next": "wait"},
        {"id": "wait", "kind": "wait", "amount": 2, "unit": "days", "next": "end"},
        {"id": "end", "kind": "end"},
    ],
}


def test_a_marketer_builds_enables_and_watches_a_flow(api: Api) -> None:
    _tenant_id, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, "marketer", name="市场小王")
    session = open_session(api, email)
    assert session.client.get("/console/flows").status_code == 200

    nodes = [dict(node) for node in GRAPH["nodes"]]
    nodes[1]["amount"] = 0  # a wait of no time
    bad = {**GRAPH, "nodes": nodes}
    refused = session.post(
        "/console/flows/new",
        {"name": "欢迎", "trigger": json.dumps({"kind": "tag_added", "tag": "新注册"}),
         "graph": json.dumps(bad), "enrolment_rule": "once"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "graph.nodes[1].amount" in refused.text

    made = session.post(
        "/console/flows/new",
        {"name": "欢迎", "trigger": json.dumps({"kind": "tag_added", "tag": "新注册"}),
         "graph": json.dumps(GRAPH), "enrolment_rule": "once"},
    )  # fmt: skip
    assert made.status_code == 303, made.text
    where = made.headers["location"]
    flow_id = where.rsplit("/", 1)[1]
    page = session.client.get(where)
    assert page.status_code == 200 and "未启用" in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    enabled = session.post(f"{where}/enable", {"version": version.group(1)})
    assert enabled.status_code == 303

    headers = {**api.key(token), "Prefer": "read-your-writes"}
    lead = api.client.post("/api/v1/leads", json={"mobile": "13800139301"}, headers=headers)
    lead_id = lead.json()["lead"]["id"]
    tagged = api.client.post(f"/api/v1/leads/{lead_id}/tags", json={"tags": ["新注册"]},
                             headers=headers)  # fmt: skip
    assert tagged.status_code == 200, tagged.text
    path = api.client.get(f"/api/v1/flows/{flow_id}/enrolments/{lead_id}", headers=headers)
    for _ in range(100):
        if path.status_code == 200 and path.json()["status"] == "waiting":
            break
        path = api.client.get(f"/api/v1/flows/{flow_id}/enrolments/{lead_id}", headers=headers)
    assert path.json()["status"] == "waiting", path.text
    assert "欢迎系列" in api.client.get(f"/api/v1/leads/{lead_id}", headers=headers).text

    page = session.client.get(where)
    assert "已启用" in page.text and 'id="node-welcome"' in page.text
    lead_page = session.client.get(f"{where}/enrolments/{lead_id}")
    assert lead_page.status_code == 200 and "welcome" in lead_page.text

    dry = session.post(f"{where}/dry-run", {"lead_id": lead_id})
    assert dry.status_code == 200 and "线索正在流程中" in dry.text

    version = re.search(r'name="version" value="(\d+)"', session.client.get(where).text)
    assert version
    stopped = session.post(f"{where}/disable", {"version": version.group(1), "mode": "stop"})
    assert stopped.status_code == 303
    assert "未启用" in session.client.get(where).text
