"""E-mail templates over HTTP (MAIL-2): create, list by scene and industry, read,
revise with If-Match, archive, preview for a lead; hostile templates refused naming the
field and line; other tenants and readers kept out — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

WRITE = {"Prefer": "read-your-writes"}
URL = "/api/v1/email-templates"
INVITATION = {
    "name": "春季新品发布会邀请",
    "subject": "{{name}}，诚邀您参加春季新品发布会",
    "html": (
        "<h1>春季新品发布会</h1><p>{{name}}，您好：</p>"
        "<p>{{company|default('贵公司')}}的{{title}}，{{custom.level}}专享席位。</p>"
        "<p><a href='https://acme.cn/signup'>立即报名</a></p>"
    ),
    "scene": "活动邀请",
    "industry": "制造业",
    "defaults": {"name": "客户", "custom.level": "会员"},
}


def _create(api: Api, token: str, **changes: Any) -> dict[str, Any]:
    answer = api.client.post(
        URL, json={**INVITATION, **changes}, headers={**api.key(token), **WRITE}
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["ETag"] == '"1"'
    return dict(answer.json())


def _names(api: Api, token: str, **params: Any) -> list[str]:
    answer = api.client.get(URL, params=params, headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return [item["name"] for item in answer.json()["items"]]


def test_a_template_is_created_listed_revised_and_archived(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    made = _create(api, token)
    assert made["defaults"] == {"custom.level": "会员", "name": "客户"}
    assert made["archived"] is False and made["html"] == INVITATION["html"]
    _create(api, token, name="双十一促销", scene="促销", industry="零售")
    _create(api, token, name="会员日", scene="促销", industry=None)

    assert _names(api, token) == ["会员日", "双十一促销", "春季新品发布会邀请"]
    assert _names(api, token, scene="促销") == ["会员日", "双十一促销"]
    assert _names(api, token, scene="促销", industry="零售") == ["双十一促销"]
    assert _names(api, token, industry="制造业") == ["春季新品发布会邀请"]
    first = api.client.get(URL, params={"limit": 2}, headers=api.key(token)).json()
    rest = _names(api, token, cursor=first["next_cursor"])
    assert [item["name"] for item in first["items"]] + rest == _names(api, token)
    assert "html" not in first["items"][0]  # the list leaves the content out

    one = f"{URL}/{made['id']}"
    stale = api.client.patch(one, json={"name": "x"}, headers={**api.key(token), "If-Match": '"0"'})
    assert stale.status_code == 409, stale.text
    revised = api.client.patch(
        one,
        json={"name": "春季发布会（修订）", "scene": None, "defaults": {"name": "朋友"}},
        headers={**api.key(token), "If-Match": '"1"', **WRITE},
    )
    assert revised.status_code == 200, revised.text
    assert revised.headers["ETag"] == '"2"'
    body = revised.json()
    assert (body["name"], body["scene"], body["defaults"]) == (
        "春季发布会（修订）",
        None,
        {"name": "朋友"},
    )
    assert body["subject"] == INVITATION["subject"]  # what the PATCH left out stays
    assert _names(api, token, scene="活动邀请") == []

    archived = api.client.delete(one, headers={**api.key(token), "If-Match": '"2"', **WRITE})
    assert archived.status_code == 200 and archived.json()["archived"] is True, archived.text
    assert "春季发布会（修订）" not in _names(api, token)
    still = api.client.get(one, headers=api.key(token))
    assert still.status_code == 200 and still.json()["archived"] is True  # tasks still use it
    again = api.client.delete(one, headers={**api.key(token), "If-Match": '"3"'})
    assert again.status_code == 409, again.text


def test_hostile_or_broken_templates_are_refused_naming_the_field_and_line(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    cases = [
        ({"subject": "{{ ''.__class__.__mro__ }}"}, "subject", "line 1"),
        ({"html": "<p>hi</p>\n<p>{{ cycler.__init__.__globals__ }}</p>"}, "html", "line 2"),
        ({"html": "<p>\n\n\n{% for x in range(10**9) %}x{% endfor %}</p>"}, "html", "line 4"),
        ({"html": "<p>{{ config }}</p>"}, "html", "line 1"),
        ({"html": "<p>{{ name </p>"}, "html", "line 1"),
        ({"html": "<p>" + "字" * 180_000 + "</p>"}, "html", "512 KB"),
        ({"defaults": {"nickname": "x"}}, "defaults.nickname", "custom.<key>"),
    ]
    for changes, field, said in cases:
        answer = api.client.post(URL, json={**INVITATION, **changes}, headers=api.key(token))
        assert answer.status_code == 422, (changes, answer.text)
        problem = answer.json()
        assert field in answer.text and said in answer.text, problem
    assert _names(api, token) == []
    made = _create(api, token)
    patched = api.client.patch(
        f"{URL}/{made['id']}",
        json={"html": "{{ self }}"},
        headers={**api.key(token), "If-Match": '"1"'},
    )
    assert patched.status_code == 422 and "html" in patched.text, patched.text


def test_a_preview_fills_the_template_with_a_lead_s_fields(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), **WRITE}
    field = {"key": "level", "name": "会员等级", "type": "text"}
    made = api.client.post("/api/v1/lead-settings/custom-fields", json=field, headers=headers)
    assert made.status_code == 201, made.text
    wang = api.client.post(
        "/api/v1/leads",
        json={
            "name": "王芳",
            "mobile": "13800138000",
            "company": "Acme <科技>",
            "title": "市场总监",
            "custom": {"level": "金卡"},
        },
        headers=headers,
    )
    nobody = api.client.post("/api/v1/leads", json={"mobile": "13900139000"}, headers=headers)
    assert wang.status_code == nobody.status_code == 201, wang.text + nobody.text
    template = _create(api, token)

    def preview(lead: Any) -> Any:
        return api.client.post(
            f"{URL}/{template['id']}/preview",
            json={"lead_id": lead.json()["lead"]["id"]},
            headers=api.key(token),
        )

    answer = preview(wang)
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["subject"] == "王芳，诚邀您参加春季新品发布会"
    assert "Acme &lt;科技&gt;的市场总监，金卡专享席位" in shown["html"]
    assert "href='https://acme.cn/signup'" in shown["html"]  # a preview tracks nothing
    assert "退订 · Unsubscribe" in shown["html"]
    assert "立即报名 (https://acme.cn/signup)" in shown["text"]
    defaults = preview(nobody).json()
    assert defaults["subject"] == "客户，诚邀您参加春季新品发布会"
    assert "贵公司的，会员专享席位" in defaults["html"]
    unknown = api.client.post(
        f"{URL}/{template['id']}/preview",
        json={"lead_id": "00000000-0000-4000-8000-000000000000"},
        headers=api.key(token),
    )
    assert unknown.status_code == 422 and "lead_id" in unknown.text, unknown.text


def test_templates_are_the_tenant_s_own_and_readers_cannot_write(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    made = _create(api, token)
    _, stranger = api.tenant_with_key("tenant_admin")
    one = f"{URL}/{made['id']}"
    assert api.client.get(one, headers=api.key(stranger)).status_code == 404
    assert _names(api, stranger) == []
    hijack = api.client.patch(
        one, json={"name": "x"}, headers={**api.key(stranger), "If-Match": '"1"'}
    )
    assert hijack.status_code == 404
    tenant_id, _ = api.tenant_with_key("marketer")
    reader = api.new_key(tenant_id, "sales")
    assert api.client.get(URL, headers=api.key(reader)).status_code == 200
    refused = api.client.post(URL, json=INVITATION, headers=api.key(reader))
    assert refused.status_code == 403, refused.text
