"""ORG-2 probe: a key with a narrow data scope cannot see or change a lead outside it
through any route.

Every route of the app that names a lead, in its path or in its body (found from the
route catalogue and the OpenAPI schema, so a new route is walked as soon as it exists),
is called by a sales key bound to employee A and by the manager of A's department
against the records of employee B, who works in another department. Each answer must
be exactly the answer for an id that does not exist (404, a per-lead `not_found` for
bulk, or the role's 403 before anything is looked up), and no event may be stored.
The same keys on their own leads succeed, so the probe would see a missing check.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from application.leads.handover import HandOverLeads
from application.leads.identities import normalise
from application.shared.context import RequestContext, acting
from domain.leads.identity import LeadIdentity
from tests.conftest import Api
from tests.e2e.routes import Route, api_routes

# How each path parameter and request-body field that holds an id relates to leads.
# A new one must be added here, so that the probe knows whether to walk it.
LEAD_PATH = {"lead_id": "lead", "case_id": "case", "aggregate_id": "record"}
LEAD_BODY = {"lead_ids": "lead_list", "merged_id": "lead"}
CASE_MEMBER_BODY = {"survivor_id", "lead_id"}  # a lead of the case in the path
NOT_LEADS = {
    # path parameters
    "key_id", "department_id", "employee_id", "tenant_id", "staff_id", "order_id",
    "refund_id", "branch_id", "subscription_id", "import_id", "field_key", "status_key",
    "channel", "tag", "level1", "level2", "group_id", "user_type", "source_id", "link_id",
    "saved_search_id",
    "rule_id",
    "lead_group_id",
    "sending_domain_id", "email_template_id", "email_task_id", "sms_signature_id",
    "sms_task_id", "provider", "kind",
    "account_id", "openid", "qr_code_id", "mass_send_id", "template_send_id", "tag_id",  # WeChat
    "flow_id", "campaign_id",  # flows and reach campaigns
    "live_code_id", "wecom_department_id",  # WeCom live codes, departments' welcomes
    "chat_ids", "room_base_id",  # a WeCom group code's customer groups
    "corp_id", "userid", "external_userid",  # WeCom: the corp, a member, a customer
    "transfer_id",  # a WeCom customer transfer (its customers' leads are not the route's)
    "wecom_mass_send_id", "follow_up_id", "material_id",  # WeCom tasks and sidebar
    "word_list_id",  # the archive's sensitive-word lists
    "publickey_ver",  # the archive's key versions
    "msgid", "conversation",  # the session archive (WeCom's ids, no lead's)
    # body fields
    "parent_id", "member_id", "owner_id", "to_employee_id", "employee_ids",
    "source_ids", "target_id",  # groups merged into a group
    "template_id", "signature_id",  # a task's template and SMS signature
}  # fmt: skip


@dataclass
class Floor:
    """A tenant with two departments: A and their manager M in one, B in the other."""

    admin: str
    tenant_id: str
    employees: dict[str, str]
    keys: dict[str, str]
    mine: dict[str, Any] = field(default_factory=dict)  # A's records
    theirs: dict[str, Any] = field(default_factory=dict)  # B's records


def _post(api: Api, token: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.client.post(
        url, json=body, headers={**api.key(token), "Prefer": "read-your-writes"}
    )
    assert answer.status_code in (200, 201), (url, answer.text)
    return dict(answer.json())


@pytest.fixture
def floor(api: Api) -> Floor:
    tenant_id, admin = api.tenant_with_key("tenant_admin")
    north = _post(api, admin, "/api/v1/departments", {"name": "华北部"})
    south = _post(api, admin, "/api/v1/departments", {"name": "华南部"})
    employees = {
        who: _post(
            api, admin, "/api/v1/employees",
            {"name": who, "roles": roles, "department_id": department["id"]},
        )["id"]
        for who, roles, department in [
            ("A", ["sales"], north), ("M", ["sales_manager"], north), ("B", ["sales"], south)
        ]
    }  # fmt: skip
    keys = {
        "sales": api.new_key(tenant_id, "sales", employee_id=employees["A"]),
        "manager": api.new_key(tenant_id, "sales_manager", employee_id=employees["M"]),
    }
    floor = Floor(admin, tenant_id, employees, keys)
    _post(api, admin, "/api/v1/lead-settings/tags", {"name": "vip"})  # sales tag from the catalogue

    def lead(owner: str, mobile: str, **profile: str) -> str:
        body = {"mobile": mobile, "owner_id": employees[owner], **profile}
        return str(_post(api, admin, "/api/v1/leads", body)["lead"]["id"])

    for side, owner, digit in [(floor.mine, "A", "1"), (floor.theirs, "B", "2")]:
        side["lead"] = lead(owner, f"1380013800{digit}", name=f"{owner} 的客户")
        side["other_lead"] = lead(owner, f"1370013700{digit}", name=f"{owner} 的第二个客户")
        # two leads of one person: the admin's scan opens a case about them
        twin = {"name": f"{owner} 的重复客户", "company": f"{owner} 公司"}
        side["case_leads"] = [lead(owner, f"136001360{digit}{n}", **twin) for n in (0, 1)]
    scan = _post(api, admin, "/api/v1/lead-duplicates/scan", {})
    assert scan["opened"] == 2, scan
    cases = api.client.get("/api/v1/lead-duplicates", headers=api.key(admin)).json()["items"]
    for side in (floor.mine, floor.theirs):
        [side["case"]] = [c["id"] for c in cases if set(c["lead_ids"]) == set(side["case_leads"])]
    floor.mine["group"] = _post(api, admin, "/api/v1/groups", {"name": "展会"})["id"]
    flow = {"name": "F", "trigger": {"kind": "registered"}, "graph": {"nodes": []}}
    floor.mine["flow"] = _post(api, admin, "/api/v1/flows", flow)["flow_id"]
    claim = normalise("mobile", "13800138002")
    floor.theirs["claim"] = str(LeadIdentity.create_id(uuid.UUID(tenant_id), **claim))
    return floor


@dataclass(frozen=True)
class Probe:
    """One call of a route with one lead reference (`slot`) pointing at B's record."""

    route: Route
    slot: str
    theirs: Any
    path: dict[str, str]
    body: dict[str, Any] | None


def _references(spec: dict[str, Any], route: Route) -> tuple[list[str], list[str]]:
    """The route's path parameters and body fields that hold ids of leads (or of records
    about leads); fails on an id the probe does not know."""
    body_fields = list(_body_schema(spec, route).get("properties", {}))
    named = [p for p in route.parameters] + [
        name for name in body_fields if name.endswith(("_id", "_ids"))
    ]
    known = set(LEAD_PATH) | set(LEAD_BODY) | CASE_MEMBER_BODY | NOT_LEADS
    unknown = [name for name in named if name not in known]
    assert not unknown, f"{route}: classify {unknown} in tests/e2e/test_data_scope_probe.py"
    return (
        [p for p in route.parameters if p in LEAD_PATH],
        [f for f in body_fields if f in LEAD_BODY],
    )


def _body_schema(spec: dict[str, Any], route: Route) -> dict[str, Any]:
    body = spec["paths"][route.path][route.method.lower()].get("requestBody")
    if not body:
        return {}
    schema = body["content"]["application/json"]["schema"]
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return dict(schema)


def _probes(api: Api, floor: Floor) -> list[Probe]:
    """For each lead reference of each route: that reference at each of B's records it
    can name, every other reference at A's own records."""
    theirs_of = {
        "lead": [floor.theirs["lead"]],
        "case": [floor.theirs["case"]],
        "record": [floor.theirs["lead"], floor.theirs["claim"], floor.theirs["case"]],
        "lead_list": [[floor.theirs["lead"]]],
    }
    probes = []
    spec = api.client.app.openapi_schema.to_schema()
    for route in api_routes(api.client.app):
        if route.is_admin:
            continue  # staff tokens only: no tenant key gets past the guard
        in_path, in_body = _references(spec, route)
        for slot in in_path + in_body:
            kind = LEAD_PATH.get(slot) or LEAD_BODY[slot]
            for record in theirs_of[kind]:
                path = {
                    "lead_id": floor.mine["lead"],
                    "case_id": floor.mine["case"],
                    "aggregate_id": floor.mine["lead"],
                    "employee_id": floor.employees["B"],
                    "lead_group_id": floor.mine["group"],
                    "flow_id": floor.mine["flow"],
                }
                body = copy.deepcopy(route.body()) if route.is_write else None
                if body is not None:
                    for name in in_body:
                        mine = floor.mine["lead" if name == "lead_ids" else "other_lead"]
                        body[name] = [mine] if name == "lead_ids" else mine
                if slot in route.parameters:
                    path[slot] = record
                else:
                    assert body is not None
                    body[slot] = record
                probes.append(Probe(route, slot, record, path, body))
    return probes


def _case_members(probe: Probe, floor: Floor) -> dict[str, Any] | None:
    """A case's body names one of that case's own leads."""
    body = probe.body
    if body is None or "case_id" not in probe.route.parameters:
        return body
    case = probe.path["case_id"]
    member = (floor.theirs if case == floor.theirs["case"] else floor.mine)["case_leads"][0]
    return {k: (member if k in CASE_MEMBER_BODY else v) for k, v in body.items()}


def _call(api: Api, token: str, probe: Probe, floor: Floor, replace: Any = None) -> Any:
    """Send the probe; with `replace`, B's record is swapped for that (unknown) id."""
    path, body = dict(probe.path), _case_members(probe, floor)
    if replace is not None:
        if probe.slot in probe.route.parameters:
            path[probe.slot] = replace
        else:
            assert body is not None
            body = {**body, probe.slot: [replace] if probe.slot == "lead_ids" else replace}
    version = _version_of(api, floor, path.get("lead_id"))
    headers = {**api.key(token), "If-Match": f'"{version}"'}
    return api.client.request(probe.route.method, probe.route.url(path), json=body, headers=headers)


def _version_of(api: Api, floor: Floor, lead_id: str | None) -> int:
    """The lead's current version (a stale If-Match must not be what stops a write)."""
    if lead_id is None:
        return 1
    answer = api.client.get(f"/api/v1/leads/{lead_id}", headers=api.key(floor.admin))
    return int(answer.json()["version"]) if answer.status_code == 200 else 1


def _outcome(answer: Any) -> tuple[int, Any]:
    """What an answer tells the caller, minus the id it was asked about."""
    body = answer.json()
    if answer.status_code == 200 and isinstance(body, dict) and "results" in body:
        return 200, [result["result"] for result in body["results"]]
    return answer.status_code, body.get("code") if isinstance(body, dict) else body


@pytest.mark.parametrize("key", ["sales", "manager"])
def test_a_narrow_key_cannot_reach_another_owners_lead_through_any_route(
    api: Api, floor: Floor, key: str
) -> None:
    token = floor.keys[key]
    probes = _probes(api, floor)
    walked = {(p.route.method, p.route.path) for p in probes}
    assert {("GET", "/api/v1/leads/{lead_id}"), ("POST", "/api/v1/leads/bulk")} <= walked
    assert ("POST", "/api/v1/employees/{employee_id}/lead-handover") in walked
    refused = set()
    for probe in probes:
        before = api.event_positions()
        answer = _call(api, token, probe, floor)
        unknown = _call(api, token, probe, floor, replace=str(uuid.uuid4()))
        where = (key, probe.route.method, probe.route.path, probe.slot, answer.text)
        assert api.event_positions() == before, where
        # Exactly what an id that does not exist gets: nothing tells the two apart.
        assert _outcome(answer) == _outcome(unknown), (*where, unknown.text)
        status, detail = _outcome(answer)
        if status == 403:  # the role may not do this at all: refused before any lookup
            assert detail == "permission_denied", where
            refused.add((probe.route.method, probe.route.path))
        else:
            assert (status, detail) in ((404, "not_found"), (200, ["not_found"])), where
    # Only the role's own limits stop a probe before the scope does (sales never delete;
    # handing leads over is the tenant admin's, see the next test): not vacuous.
    handover = ("POST", "/api/v1/employees/{employee_id}/lead-handover")
    # Groups are the marketers' (SEG-1): no group route for a narrow data scope.
    groups = {
        ("POST", "/api/v1/groups/{lead_group_id}/members"),
        ("POST", "/api/v1/groups/{lead_group_id}/members/remove"),
    }
    # Adjusting scores by hand is the marketers' (SCORE-2), like the rules.
    scores = {("POST", "/api/v1/leads/{lead_id}/score/adjustments")}
    assert (
        refused
        == {
            "sales": {
                ("POST", "/api/v1/leads/{lead_id}/delete"),
                ("DELETE", "/api/v1/leads/{lead_id}"),
                ("POST", "/api/v1/lead-duplicates/{case_id}/delete"),
                handover,
                *groups,
                *scores,
            },
            "manager": {handover, *groups, *scores},
        }[key]
    )


def test_the_same_keys_act_on_their_own_leads(api: Api, floor: Floor) -> None:
    sales = {**api.key(floor.keys["sales"]), "Prefer": "read-your-writes"}
    manager = {**api.key(floor.keys["manager"]), "Prefer": "read-your-writes"}
    lead, other = floor.mine["lead"], floor.mine["other_lead"]
    client = api.client
    before = api.event_positions()

    shown = client.get(f"/api/v1/leads/{lead}", headers=sales)
    assert shown.status_code == 200, shown.text
    changed = client.patch(
        f"/api/v1/leads/{lead}",
        json={"city": "北京"},
        headers={**sales, "If-Match": shown.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    followed = client.post(f"/api/v1/leads/{lead}/follow-ups", json={"note": "回访"}, headers=sales)
    assert followed.status_code == 200, followed.text
    assert client.get(f"/api/v1/leads/{lead}/timeline", headers=sales).json()["items"]
    assert client.get(f"/api/v1/history/{lead}", headers=sales).status_code == 200
    bulk = client.post(
        "/api/v1/leads/bulk",
        json={"lead_ids": [lead], "action": "add_tags", "arguments": {"tags": ["vip"]}},
        headers=sales,
    )
    assert [r["result"] for r in bulk.json()["results"]] == ["ok"], bulk.text
    merged = client.post(f"/api/v1/leads/{lead}/merge", json={"merged_id": other}, headers=sales)
    assert merged.status_code == 200, merged.text
    case = client.get(f"/api/v1/lead-duplicates/{floor.mine['case']}", headers=sales)
    assert case.status_code == 200, case.text  # every lead of the case is A's
    # The manager sees the whole department: A's leads too.
    assert client.get(f"/api/v1/leads/{lead}", headers=manager).status_code == 200
    gone = client.post(
        f"/api/v1/leads/{floor.mine['case_leads'][0]}/delete",
        json={"reason": "测试数据"},
        headers=manager,
    )
    assert gone.status_code == 200, gone.text

    after = api.event_positions()
    assert after["leads"] > before["leads"]


def test_a_narrow_scope_hands_over_none_of_another_owners_leads(api: Api, floor: Floor) -> None:
    """No narrow key passes the handover's guard (org close is the tenant admin's), so
    the use case itself is asked, as the sales key's caller."""
    container = api.runtime.container
    caller = container.tenancy().authenticate(floor.keys["sales"])
    before = api.event_positions()
    with acting(RequestContext(request_id="probe-handover")):
        named = container.lead_handover().hand_over(
            caller,
            uuid.UUID(floor.employees["B"]),
            HandOverLeads(reason="probe", lead_ids=[uuid.UUID(floor.theirs["lead"])]),
        )
        everything = container.lead_handover().hand_over(
            caller, uuid.UUID(floor.employees["B"]), HandOverLeads(reason="probe")
        )

    assert [(r.outcome, r.detail) for r in named.results] == [("failed", "no such lead")]
    assert everything.results == [] and not everything.more
    assert api.event_positions() == before


@pytest.mark.parametrize("key", ["sales", "manager"])
def test_taking_in_a_colleagues_customer_changes_and_shows_nothing(
    api: Api, floor: Floor, key: str
) -> None:
    """撞单: creating a lead whose mobile is B's lead's is refused, naming the mobile; B's
    lead gets no new identity and no filled field, and its id is not in the answer."""
    before = api.event_positions()
    answer = api.client.post(
        "/api/v1/leads",
        json={"mobile": "13800138002", "email": "new@colleague.cn", "city": "上海"},
        headers=api.key(floor.keys[key]),
    )

    assert answer.status_code == 409, answer.text
    assert (answer.json()["code"], answer.json()["field"]) == ("already_exists", "mobile")
    assert floor.theirs["lead"] not in answer.text
    assert api.event_positions() == before
    own = api.client.post(
        "/api/v1/leads",
        json={"mobile": "13800138001", "email": "more@mine.cn"},
        headers=api.key(floor.keys[key]),
    )
    assert (own.status_code, own.json()["outcome"]) == (200, "matched"), own.text
