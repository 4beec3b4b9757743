"""Each tenant's lead settings over HTTP, on SQLite and PostgreSQL: custom fields
(LEAD-2), sources and default owners (LEAD-5), statuses (LEAD-6), tags (SEG-4) and
custom marketing user types (LEAD-11), and how lead writes obey them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from application.shared.errors import VersionConflict
from domain.leads.lead_settings import SYSTEM_TAGS
from tests.conftest import Api

SETTINGS = "/api/v1/lead-settings"
_FRESH = {"Prefer": "read-your-writes"}
_STATUS = {"key": "won_back", "name": "挽回"}


class Tenant:
    """A tenant admin's view of one fresh tenant."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.tenant_id, token = api.tenant_with_key("tenant_admin")
        self.headers = {**api.key(token), "Prefer": "read-your-writes"}

    def get(self, url: str = SETTINGS) -> Any:
        return self.api.client.get(url, headers=self.headers)

    def post(self, url: str, body: dict[str, Any]) -> Any:
        return self.api.client.post(url, json=body, headers=self.headers)

    def change(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        """A change with If-Match set to the settings' current version."""
        version = self.get().headers["ETag"]
        headers = {**self.headers, "If-Match": version}
        return self.api.client.request(method, url, json=body, headers=headers)

    def lead(self, **body: Any) -> Any:
        return self.post("/api/v1/leads", body)

    def employee(self, name: str) -> str:
        answer = self.post("/api/v1/employees", {"name": name, "roles": ["sales"]})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])


@pytest.fixture
def tenant(api: Api) -> Tenant:
    return Tenant(api)


def _problem(answer: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    problem = dict(answer.json())
    if field is not None:
        assert problem["field"] == field, problem
    return problem


# --- custom fields (LEAD-2) ------------------------------------------------------------------


def test_custom_field_values_are_checked_against_their_definitions(tenant: Tenant) -> None:
    for body in [
        {"key": "budget", "name": "预算", "type": "number"},
        {"key": "visit_on", "name": "到访日期", "type": "date"},
        {"key": "size", "name": "规模", "type": "single_select", "options": ["小", "中", "大"]},
        {"key": "referrer_name", "name": "推荐人", "type": "text", "required": True},
    ]:
        assert tenant.post(f"{SETTINGS}/custom-fields", body).status_code == 201
    base = {"mobile": "13800138001", "custom": {"referrer_name": "老王"}}

    for custom, field in [
        ({"budget": "lots"}, "custom.budget"),
        ({"budget": True}, "custom.budget"),
        ({"visit_on": "2026-02-30"}, "custom.visit_on"),
        ({"size": "特大"}, "custom.size"),
        ({"colour": "red"}, "custom.colour"),
        ({"referrer_name": None}, "custom.referrer_name"),
    ]:
        answer = tenant.lead(**{**base, "custom": {**base["custom"], **custom}})
        _problem(answer, 422, field)
    _problem(tenant.lead(mobile="13800138001"), 422, "custom.referrer_name")  # required

    created = tenant.lead(
        **{**base, "custom": {"referrer_name": "老王", "budget": "12000", "size": "中"}}
    )
    assert created.status_code == 201, created.text
    lead = created.json()["lead"]
    assert lead["custom"] == {"referrer_name": "老王", "budget": 12000, "size": "中"}

    url = f"/api/v1/leads/{lead['id']}"
    etag = {**tenant.headers, "If-Match": f'"{lead["version"]}"'}
    wrong = tenant.api.client.patch(url, json={"custom": {"size": "巨大"}}, headers=etag)
    _problem(wrong, 422, "custom.size")
    cleared = tenant.api.client.patch(url, json={"custom": {"referrer_name": None}}, headers=etag)
    _problem(cleared, 422, "custom.referrer_name")
    right = tenant.api.client.patch(url, json={"custom": {"visit_on": "2026-03-01"}}, headers=etag)
    assert right.status_code == 200 and right.json()["custom"]["visit_on"] == "2026-03-01"


def test_a_fields_type_is_fixed_once_a_lead_holds_a_value(tenant: Tenant) -> None:
    for key in ("budget", "spare"):
        body = {"key": key, "name": key, "type": "number"}
        assert tenant.post(f"{SETTINGS}/custom-fields", body).status_code == 201
    # Before any lead holds a value, the type may change.
    retyped = tenant.change("PATCH", f"{SETTINGS}/custom-fields/spare", {"type": "text"})
    assert retyped.status_code == 200, retyped.text
    assert _field(retyped.json(), "spare")["type"] == "text"

    assert tenant.lead(mobile="13800138002", custom={"budget": 5}).status_code == 201
    assert _field(tenant.get().json(), "budget")["in_use"] is True

    refused = tenant.change("PATCH", f"{SETTINGS}/custom-fields/budget", {"type": "text"})
    problem = _problem(refused, 409)
    assert "type cannot change" in problem["detail"]
    _problem(tenant.change("DELETE", f"{SETTINGS}/custom-fields/budget"), 409)
    renamed = tenant.change("PATCH", f"{SETTINGS}/custom-fields/budget", {"name": "预算（元）"})
    assert renamed.status_code == 200 and _field(renamed.json(), "budget")["type"] == "number"
    assert tenant.change("DELETE", f"{SETTINGS}/custom-fields/spare").status_code == 200
    assert [f["key"] for f in tenant.get().json()["custom_fields"]] == ["budget"]


def test_a_type_change_racing_a_first_value_cannot_both_succeed(api: Api, tenant: Tenant) -> None:
    """The lead command checked its value against the number type; the admin retyped the
    field before that lead was stored: the stale write is refused, never stored."""
    assert (
        tenant.post(
            f"{SETTINGS}/custom-fields", {"key": "budget", "name": "预算", "type": "number"}
        ).status_code
        == 201
    )
    leads = api.runtime.container.leads()
    ruleset = leads.rules.for_tenant(UUID(tenant.tenant_id))
    ruleset.check_custom({"budget": 5})  # checked as a number; first use pending

    retyped = tenant.change("PATCH", f"{SETTINGS}/custom-fields/budget", {"type": "text"})
    assert retyped.status_code == 200  # no lead holds a value yet
    with pytest.raises(VersionConflict):
        leads.commit(*ruleset.pending())
    assert _field(tenant.get().json(), "budget") == {
        **_field(retyped.json(), "budget"),
        "in_use": False,
    }


def test_imports_and_matches_are_checked_too(tenant: Tenant) -> None:
    body = {"key": "budget", "name": "预算", "type": "number"}
    assert tenant.post(f"{SETTINGS}/custom-fields", body).status_code == 201
    assert tenant.lead(mobile="13800138003").status_code == 201
    # The same person offered again (a match) with a bad value changes nothing.
    _problem(tenant.lead(mobile="13800138003", custom={"budget": "n/a"}), 422, "custom.budget")
    matched = tenant.lead(mobile="13800138003", custom={"budget": "7"})
    assert matched.status_code == 200 and matched.json()["lead"]["custom"] == {"budget": 7}


# --- sources and default owners (LEAD-5) -----------------------------------------------------


def test_sources_come_from_the_tenants_enumerations(tenant: Tenant) -> None:
    # Before any source is configured, sources are free text.
    free = tenant.lead(mobile="13800138010", source={"level1": "随便"})
    assert free.status_code == 201 and free.json()["lead"]["source"]["level1"] == "随便"
    for level1, level2 in [
        ("线上", "官网"),
        ("线上", "公众号"),
        ("线上", "广告"),
        ("线下", "展会"),
    ]:
        answer = tenant.post(f"{SETTINGS}/sources", {"level1": level1, "level2": level2})
        assert answer.status_code == 201
    sources = tenant.get().json()["sources"]
    assert sources == [
        {"level1": "线上", "level2": ["官网", "公众号", "广告"]},
        {"level1": "线下", "level2": ["展会"]},
    ]
    _problem(tenant.lead(mobile="13800138011", source={"level1": "电话"}), 422, "source.level1")
    _problem(
        tenant.lead(mobile="13800138011", source={"level1": "线下", "level2": "官网"}),
        422,
        "source.level2",
    )
    inferred = tenant.lead(mobile="13800138011", source={"level2": "展会"})
    assert inferred.status_code == 201, inferred.text
    assert inferred.json()["lead"]["source"] == {"level1": "线下", "level2": "展会"}

    removed = tenant.change("DELETE", f"{SETTINGS}/sources/线上/广告")
    assert removed.status_code == 200, removed.text
    _problem(
        tenant.lead(mobile="13800138012", source={"level1": "线上", "level2": "广告"}),
        422,
        "source.level2",
    )


def test_new_leads_from_a_channel_go_to_its_default_owner(tenant: Tenant) -> None:
    web, expo, other = (
        tenant.employee("官网负责人"),
        tenant.employee("展会负责人"),
        tenant.employee("x"),
    )
    for channel, owner in [("官网", web), ("线下", expo)]:
        answer = tenant.change("PUT", f"{SETTINGS}/owner-rules/{channel}", {"employee_id": owner})
        assert answer.status_code == 200, answer.text

    from_web = tenant.lead(mobile="13800138020", source={"level1": "线上", "level2": "官网"})
    assert from_web.json()["lead"]["owner_id"] == web
    assert from_web.json()["lead"]["pool_state"] == "assigned"
    from_expo = tenant.lead(mobile="13800138021", source={"level1": "线下", "level2": "展会"})
    assert from_expo.json()["lead"]["owner_id"] == expo  # the level-1 rule
    chosen = tenant.lead(mobile="13800138022", source={"level2": "官网"}, owner_id=other)
    assert chosen.json()["lead"]["owner_id"] == other  # an owner given wins
    unknown = tenant.lead(mobile="13800138023", source={"level1": "其他"})
    assert unknown.json()["lead"]["owner_id"] is None
    assert unknown.json()["lead"]["pool_state"] == "pool"

    nobody = "00000000-0000-0000-0000-000000000000"
    _problem(tenant.change("PUT", f"{SETTINGS}/owner-rules/广告", {"employee_id": nobody}), 404)
    assert tenant.change("DELETE", f"{SETTINGS}/owner-rules/官网").status_code == 200
    later = tenant.lead(mobile="13800138024", source={"level2": "官网"})
    assert later.json()["lead"]["owner_id"] is None


# --- statuses (LEAD-6) -----------------------------------------------------------------------


def test_statuses_are_the_tenants_own(tenant: Tenant) -> None:
    settings = tenant.get().json()
    assert [(s["key"], s["name"]) for s in settings["statuses"]] == [
        ("new", "新线索"),
        ("contacted", "已联系"),
        ("qualified", "有效"),
        ("unqualified", "无效"),
    ]
    lead = tenant.lead(mobile="13800138030").json()["lead"]
    assert lead["status"] == "new"
    status_url = f"/api/v1/leads/{lead['id']}/status"
    _problem(tenant.post(status_url, {"status": "negotiating"}), 422, "status")
    _problem(tenant.lead(mobile="13800138031", status="negotiating"), 422, "status")

    assert (
        tenant.post(f"{SETTINGS}/statuses", {"key": "negotiating", "name": "洽谈中"}).status_code
        == 201
    )
    assert tenant.post(status_url, {"status": "negotiating"}).json()["status"] == "negotiating"
    made_default = tenant.change("PATCH", f"{SETTINGS}/statuses/negotiating", {"default": True})
    assert made_default.json()["default_status"] == "negotiating"
    assert tenant.lead(mobile="13800138032").json()["lead"]["status"] == "negotiating"

    _problem(tenant.change("DELETE", f"{SETTINGS}/statuses/negotiating"), 409)  # the default
    assert tenant.change("DELETE", f"{SETTINGS}/statuses/unqualified").status_code == 200
    _problem(tenant.post(status_url, {"status": "unqualified"}), 422, "status")


# --- tags (SEG-4) ----------------------------------------------------------------------------


def test_system_tags_cannot_be_edited_or_deleted(tenant: Tenant) -> None:
    groups = tenant.get().json()["tag_groups"]
    system = next(g for g in groups if g["system"])
    assert [t["name"] for t in system["tags"]] == list(SYSTEM_TAGS)
    _problem(tenant.change("DELETE", f"{SETTINGS}/tags/扫码"), 409)
    _problem(tenant.change("PATCH", f"{SETTINGS}/tags/扫码", {"group_id": "ungrouped"}), 409)
    _problem(tenant.change("DELETE", f"{SETTINGS}/tag-groups/{system['id']}"), 409)
    _problem(tenant.post(f"{SETTINGS}/tags", {"name": "新系统", "group_id": system["id"]}), 409)
    assert [t["name"] for t in _group(tenant.get().json(), "互动标签")["tags"]] == list(SYSTEM_TAGS)


def test_tags_live_in_groups_and_new_ones_arrive_ungrouped(tenant: Tenant) -> None:
    group = tenant.post(f"{SETTINGS}/tag-groups", {"name": "意向"})
    group_id = _group(group.json(), "意向")["id"]
    assert (
        tenant.post(f"{SETTINGS}/tags", {"name": "高意向", "group_id": group_id}).status_code == 201
    )

    lead = tenant.lead(mobile="13800138040").json()["lead"]
    tagged = tenant.post(f"/api/v1/leads/{lead['id']}/tags", {"tags": ["高意向", "展会客户"]})
    assert tagged.status_code == 200 and tagged.json()["tags"] == ["展会客户", "高意向"]
    settings = tenant.get().json()
    assert [t["name"] for t in _group(settings, "未分组")["tags"]] == ["展会客户"]
    assert [t["name"] for t in _group(settings, "意向")["tags"]] == ["高意向"]

    moved = tenant.change("PATCH", f"{SETTINGS}/tags/展会客户", {"group_id": group_id})
    assert [t["name"] for t in _group(moved.json(), "意向")["tags"]] == ["高意向", "展会客户"]
    dropped = tenant.change("DELETE", f"{SETTINGS}/tag-groups/{group_id}")
    assert [t["name"] for t in _group(dropped.json(), "未分组")["tags"]] == ["高意向", "展会客户"]
    _problem(tenant.post(f"/api/v1/leads/{lead['id']}/tags", {"tags": ["a,b"]}), 422, "tags")


def test_marketers_manage_tags_and_others_tag_with_the_catalogues(api: Api, tenant: Tenant) -> None:
    marketer = {**api.key(api.new_key(tenant.tenant_id, "marketer")), **_FRESH}
    mine = tenant.employee("销售小李")
    sales = {**api.key(api.new_key(tenant.tenant_id, "sales", employee_id=mine)), **_FRESH}
    lead = tenant.lead(mobile="13800138045", owner_id=mine).json()["lead"]
    client = api.client

    group = client.post(f"{SETTINGS}/tag-groups", json={"name": "行业"}, headers=marketer)
    assert group.status_code == 201, group.text
    group_id = _group(group.json(), "行业")["id"]
    added = client.post(f"{SETTINGS}/tags", json={"name": "制造业", "group_id": group_id},
                        headers=marketer)  # fmt: skip
    assert added.status_code == 201, added.text
    etag = {"If-Match": added.headers["ETag"]}
    moved = client.patch(f"{SETTINGS}/tags/制造业", json={"group_id": "ungrouped"},
                         headers={**marketer, **etag})  # fmt: skip
    assert moved.status_code == 200, moved.text

    # Sales read the catalogue and may not change it.
    assert client.get(SETTINGS, headers=sales).status_code == 200
    version = {"If-Match": moved.headers["ETag"]}
    for method, url, body in [
        ("POST", f"{SETTINGS}/tags", {"name": "偷偷加的"}),
        ("POST", f"{SETTINGS}/tag-groups", {"name": "偷偷加的"}),
        ("PATCH", f"{SETTINGS}/tags/制造业", {"group_id": group_id}),
        ("POST", f"{SETTINGS}/tags/制造业/rename", {"name": "工业"}),
        ("DELETE", f"{SETTINGS}/tags/制造业", None),
        ("PATCH", f"{SETTINGS}/tag-groups/{group_id}", {"name": "x"}),
        ("DELETE", f"{SETTINGS}/tag-groups/{group_id}", None),
    ]:
        refused = client.request(method, url, json=body, headers={**sales, **version})
        _problem(refused, 403)

    # Sales tag with the catalogue's tags; a tag the tenant lacks is a marketer's to add.
    url = f"/api/v1/leads/{lead['id']}/tags"
    unknown = _problem(client.post(url, json={"tags": ["制造业", "随手"]}, headers=sales), 422,
                       "tags")  # fmt: skip
    assert "'随手' is not one of the tenant's tags" in unknown["detail"]
    chinese = {**sales, "Accept-Language": "zh-CN"}
    zh = _problem(client.post(url, json={"tags": ["随手"]}, headers=chinese), 422, "tags")
    assert zh["detail"] == "'随手' 不是本租户的标签；市场人员可以添加"
    known = client.post(url, json={"tags": ["制造业", "扫码"]}, headers=sales)
    assert known.status_code == 200 and known.json()["tags"] == ["制造业", "扫码"]
    bulk = {"action": "add_tags", "lead_ids": [lead["id"]], "arguments": {"tags": ["批量"]}}
    _problem(client.post("/api/v1/leads/bulk", json=bulk, headers=sales), 422, "arguments.tags")
    tags = [t["name"] for g in tenant.get().json()["tag_groups"] for t in g["tags"]]
    assert "随手" not in tags and "批量" not in tags

    # A marketer's tagging still adds the tag, ungrouped.
    bulk_added = client.post("/api/v1/leads/bulk", json=bulk, headers=marketer)
    assert bulk_added.status_code == 200 and bulk_added.json()["ok"] == 1, bulk_added.text
    one = client.post(url, json={"tags": ["随手"]}, headers=marketer)
    assert one.status_code == 200, one.text
    ungrouped = [t["name"] for t in _group(tenant.get().json(), "未分组")["tags"]]
    assert ungrouped == ["制造业", "批量", "随手"]


def test_renaming_a_tag_relabels_the_leads_that_carry_it(api: Api, tenant: Tenant) -> None:
    tenant.post(f"{SETTINGS}/tags", {"name": "展会"})
    carrying = [tenant.lead(mobile=f"1380013807{i}").json()["lead"]["id"] for i in range(3)]
    other = tenant.lead(mobile="13800138079").json()["lead"]["id"]
    for lead_id in carrying:
        tenant.post(f"/api/v1/leads/{lead_id}/tags", {"tags": ["展会", "扫码"]})
    tenant.post(f"/api/v1/leads/{other}/tags", {"tags": ["扫码"]})
    merged = tenant.lead(mobile="13800138078").json()["lead"]["id"]
    tenant.post(f"/api/v1/leads/{merged}/tags", {"tags": ["展会"]})
    tenant.post(f"/api/v1/leads/{carrying[0]}/merge", {"merged_id": merged})
    marketer = {**api.key(api.new_key(tenant.tenant_id, "marketer")), **_FRESH}
    url = f"{SETTINGS}/tags/展会/rename"

    _problem(api.client.post(url, json={"name": "展会客户"}, headers=marketer), 428)
    stale = {**marketer, "If-Match": '"1"'}
    _problem(api.client.post(url, json={"name": "展会客户"}, headers=stale), 409)
    current = {**marketer, "If-Match": tenant.get().headers["ETag"]}
    _problem(api.client.post(url, json={"name": "扫码"}, headers=current), 409)  # in use
    _problem(api.client.post(f"{SETTINGS}/tags/扫码/rename", json={"name": "扫"}, headers=current),
             409)  # fmt: skip
    _problem(api.client.post(f"{SETTINGS}/tags/没有/rename", json={"name": "x"}, headers=current),
             404)  # fmt: skip
    renamed = api.client.post(url, json={"name": "展会客户"}, headers=current)

    assert renamed.status_code == 200, renamed.text
    answer = renamed.json()
    assert answer["relabelled"] == 3  # the merged-away lead no longer counts
    assert renamed.headers["ETag"] == f'"{answer["version"]}"'
    usage = {t["name"]: t["leads"] for t in _group(answer, "未分组")["tags"]}
    assert usage["展会客户"] == 3 and "展会" not in usage
    for lead_id in carrying:
        assert tenant.get(f"/api/v1/leads/{lead_id}").json()["tags"] == ["展会客户", "扫码"]
    assert tenant.get(f"/api/v1/leads/{other}").json()["tags"] == ["扫码"]
    listed = tenant.get("/api/v1/leads?tag=展会客户").json()["items"]
    assert sorted(lead["id"] for lead in listed) == sorted(carrying)
    assert tenant.get("/api/v1/leads?tag=展会").json()["items"] == []
    again = {**marketer, "If-Match": renamed.headers["ETag"]}
    _problem(api.client.post(url, json={"name": "再改"}, headers=again), 404)  # gone by that name


def test_each_tag_shows_how_many_live_leads_carry_it(tenant: Tenant) -> None:
    leads = [tenant.lead(mobile=f"1380013809{i}").json()["lead"]["id"] for i in range(4)]
    for lead_id in leads:
        tenant.post(f"/api/v1/leads/{lead_id}/tags", {"tags": ["甲", "乙"]})
    tenant.post(f"/api/v1/leads/{leads[0]}/tags/remove", {"tags": ["乙"]})
    assert _usage(tenant) == {"甲": 4, "乙": 3}

    tenant.post(f"/api/v1/leads/{leads[0]}/tags", {"tags": ["丙"]})
    # merging: the survivor takes the duplicate's other tags, the duplicate stops counting
    merged = tenant.post(f"/api/v1/leads/{leads[0]}/merge", {"merged_id": leads[1]})
    assert merged.status_code == 200 and merged.json()["tags"] == ["丙", "乙", "甲"]
    assert _usage(tenant) == {"甲": 3, "乙": 3, "丙": 1}
    deleted = tenant.api.client.request(
        "DELETE", f"/api/v1/leads/{leads[2]}", headers={**tenant.headers, "X-Reason": "test"}
    )
    assert deleted.status_code in (200, 204), deleted.text
    assert _usage(tenant) == {"甲": 2, "乙": 2, "丙": 1}
    assert all(t["leads"] == 0 for t in _group(tenant.get().json(), "互动标签")["tags"])


def _usage(tenant: Tenant) -> dict[str, int]:
    """Live leads per custom tag, as the settings show them."""
    groups = tenant.get().json()["tag_groups"]
    return {t["name"]: t["leads"] for g in groups for t in g["tags"] if not t["system"]}


# --- custom marketing user types (LEAD-11) ---------------------------------------------------


def test_custom_user_types_need_a_contact_and_can_be_targeted(tenant: Tenant) -> None:
    added = tenant.post(f"{SETTINGS}/user-types", {"key": "supplier", "name": "供应商"})
    assert added.json()["user_types"] == [{"key": "supplier", "name": "供应商"}]
    _problem(tenant.lead(mobile="13800138050", user_type="agent"), 422, "user_type")
    _problem(tenant.lead(wechat_openid="o-supplier-1", user_type="supplier"), 422, "mobile")

    first = tenant.lead(mobile="13800138051", user_type="supplier", name="甲供应商").json()
    second = tenant.lead(email="b@supplier.cn", user_type="supplier").json()
    gone = tenant.lead(mobile="13800138052", user_type="supplier").json()
    tenant.lead(mobile="13800138053", name="一个人")  # a person: not a supplier
    deleted = tenant.post(f"/api/v1/leads/{gone['lead']['id']}/delete", {"reason": "left"})
    assert deleted.status_code == 200

    targets = tenant.get(f"{SETTINGS}/user-types/supplier/targets?limit=1")
    page = targets.json()
    rest = tenant.get(f"{SETTINGS}/user-types/supplier/targets?cursor={page['next_cursor']}")
    found = page["items"] + rest.json()["items"]
    assert rest.json()["next_cursor"] is None
    assert {(t["lead_id"], t["mobile"], t["email"]) for t in found} == {
        (first["lead"]["id"], "+8613800138051", None),
        (second["lead"]["id"], None, "b@supplier.cn"),
    }
    _problem(tenant.get(f"{SETTINGS}/user-types/agent/targets"), 404)


def test_a_sales_key_sees_only_its_own_targets(api: Api, tenant: Tenant) -> None:
    tenant.post(f"{SETTINGS}/user-types", {"key": "agent", "name": "代理商"})
    mine = tenant.employee("销售")
    tenant.lead(mobile="13800138060", user_type="agent", owner_id=mine)
    tenant.lead(mobile="13800138061", user_type="agent")
    sales = api.key(api.new_key(tenant.tenant_id, "sales", employee_id=mine))
    answer = api.client.get(f"{SETTINGS}/user-types/agent/targets", headers=sales)
    assert [t["mobile"] for t in answer.json()["items"]] == ["+8613800138060"]


# --- conventions -----------------------------------------------------------------------------


def test_changes_need_the_current_version_and_the_admin(api: Api, tenant: Tenant) -> None:
    tenant.post(f"{SETTINGS}/statuses", {"key": "won_back", "name": "挽回"})
    url = f"{SETTINGS}/statuses/won_back"
    _problem(api.client.patch(url, json={"name": "x"}, headers=tenant.headers), 428)
    stale = {**tenant.headers, "If-Match": '"1"'}
    _problem(api.client.patch(url, json={"name": "x"}, headers=stale), 409)

    marketer = api.key(api.new_key(tenant.tenant_id, "marketer"))
    assert api.client.get(SETTINGS, headers=marketer).status_code == 200
    _problem(api.client.post(f"{SETTINGS}/statuses", json=_STATUS, headers=marketer), 403)
    assert tenant.get().json()["statuses"][-1] == {
        "key": "won_back",
        "name": "挽回",
        "default": False,
    }


def test_adding_what_is_there_changes_nothing(api: Api, tenant: Tenant) -> None:
    body = {"key": "budget", "name": "预算", "type": "number"}
    first = tenant.post(f"{SETTINGS}/custom-fields", body)
    before = api.event_positions()
    again = tenant.post(f"{SETTINGS}/custom-fields", body)
    assert again.status_code == 201 and again.json() == first.json()
    assert api.event_positions() == before
    _problem(tenant.post(f"{SETTINGS}/custom-fields", {**body, "type": "text"}), 409)


def _field(settings: dict[str, Any], key: str) -> dict[str, Any]:
    return next(f for f in settings["custom_fields"] if f["key"] == key)


def _group(settings: dict[str, Any], name: str) -> dict[str, Any]:
    return next(g for g in settings["tag_groups"] if g["name"] == name)
