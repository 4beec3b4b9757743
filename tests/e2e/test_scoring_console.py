"""Scoring console pages on both stores (营销 · 打分规则, 评分矩阵, 打分设置): a marketer
makes, changes and removes rules, the matrix and funnel count the leads a rule scored,
the settings move the bands and stages, and a sales employee only reads."""

from __future__ import annotations

import re

from domain.scoring.rules import ANY_KIND, BEHAVIOUR_KINDS
from entrypoints.web.scoring.pages import KIND_NAMES
from tests.conftest import Api
from tests.e2e.console_support import employee_login, open_session
from tests.settling import settle

RULES = "/console/scoring/rules"


def _rule_ids(html: str) -> list[str]:
    return re.findall(rf'href="{RULES}/([0-9a-f-]{{36}})"', html)


def test_every_behaviour_kind_a_rule_may_score_has_a_name_on_the_form() -> None:
    assert set(KIND_NAMES) == {*BEHAVIOUR_KINDS, ANY_KIND}


def test_a_marketer_keeps_rules_and_sees_the_matrix_move(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, "marketer", name="市场小李")
    marketer = open_session(api, email)
    try:
        made = marketer.post(
            f"{RULES}/new",
            {
                "title": "总监加分",
                "part": "profile",
                "category": "profile",
                "points": "30",
                "attr_field": "title",
                "attr_op": "contains",
                "attr_value": "总监",
                "active": "1",
            },
        )
        assert made.status_code == 303, made.text
        listed = marketer.client.get(RULES)
        assert "总监加分" in listed.text and "职位 包含 总监" in listed.text
        [rule_id] = _rule_ids(listed.text)

        refused = marketer.post(
            f"{RULES}/new",
            {"title": "坏规则", "part": "behaviour", "category": "website", "points": "0"},
        )
        assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text

        lead = api.client.post(
            "/api/v1/leads",
            json={"mobile": "13800138555", "title": "销售总监"},
            headers={**api.key(token), "Prefer": "read-your-writes"},
        )
        assert lead.status_code == 201
        settle(api.runtime)
        matrix = marketer.client.get("/console/scoring/matrix")
        assert matrix.status_code == 200
        assert re.search(
            r'data-cell="A2"><strong>A2</strong> <span class="numeric" data-count>1<', matrix.text
        )

        edit = marketer.client.get(f"{RULES}/{rule_id}")
        version = re.search(r'name="version" value="(\d+)"', edit.text)
        assert edit.status_code == 200 and version
        changed = marketer.post(
            f"{RULES}/{rule_id}",
            {
                "title": "总监加分",
                "part": "profile",
                "category": "profile",
                "points": "60",
                "attr_field": "title",
                "attr_op": "contains",
                "attr_value": "总监",
                "active": "1",
                "version": version.group(1),
            },
        )
        assert changed.status_code == 303, changed.text
        assert "+60" in marketer.client.get(RULES).text

        settings = marketer.client.get("/console/scoring/settings")
        assert settings.status_code == 200
        form = {
            **{f"b{i}": v for i, v in enumerate((0, 26, 51, 76))},
            **{f"p{i}": v for i, v in enumerate((0, 10, 20, 30))},
            "hot": "90",
            "warm": "60",
            "version": re.search(r'name="version" value="(\d+)"', settings.text).group(1),  # type: ignore[union-attr]
            "enabled[]": ["profile", "website"],
        }
        stages = {"A1": "初始线索", "A2": "孵化中", "B2": "孵化中", "B1": "孵化中"}
        stages |= {c: "培育中" for c in ("A3", "B3", "C3", "C2", "C1")}
        form |= {f"cell_{c}": stages.get(c, "市场认可") for c in (
            f"{b}{p}" for b in "ABCD" for p in "1234"
        )}  # fmt: skip
        saved = marketer.post("/console/scoring/settings", form)
        assert saved.status_code == 303, saved.text
        settle(api.runtime)
        answer = api.client.get(
            f"/api/v1/leads/{lead.json()['lead']['id']}/score", headers=api.key(token)
        )
        assert answer.json()["profile_score"] == 30 and answer.json()["cell"] == "A4"

        removed = marketer.post(f"{RULES}/{rule_id}/remove", {"version": "2"})
        assert removed.status_code == 303, removed.text
        assert not _rule_ids(marketer.client.get(RULES).text)
    finally:
        marketer.close()


def test_sales_read_the_matrix_and_rules_but_change_nothing(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, "sales", name="销售小王")
    seller = open_session(api, email)
    try:
        assert seller.client.get("/console/scoring/matrix").status_code == 200
        assert seller.client.get(RULES).status_code == 200
        assert seller.client.get(f"{RULES}/new").status_code == 403
        refused = seller.post(f"{RULES}/new", {"title": "x", "points": "1"})
        assert refused.status_code == 403
    finally:
        seller.close()
