"""Console pages of live codes and welcome messages (渠道活码与欢迎语, WECOM-1) on both
stores: a marketer makes an employee code with two employees, a cap, a backup, tags
and a welcome message; its page shows the QR code (an SVG drawn here) and, after a
customer came through it, today's count against the cap and the welcome sent; a form
with mistakes names each field and makes nothing; the code is edited and archived
after a confirmation step; a department welcome message is set and cleared; sales
managers read the codes but may not make one; without a bound corp the list says so."""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.e2e.wecom_support import RYW, added_xml, bind_corp, post_callback, scrm_tenant
from tests.settling import settle

BASE = "/console/wecom/live-codes"


def _signed_in(api: Api, *roles: str, bound: bool = True) -> tuple[str, Any, ConsoleSession]:
    _tenant_id, token = scrm_tenant(api)
    corp = None
    if bound:
        corp = bind_corp(api, token)
        synced = api.client.post(
            f"/api/v1/wecom/corps/{corp['id']}/contacts/sync", headers={**api.key(token), **RYW}
        )
        assert synced.status_code == 200, synced.text
        settle(api.runtime)
    _employee, email = employee_login(api, token, *(roles or ("marketer",)), name="市场小王")
    return token, corp, open_session(api, email)


def _form(**fields: str) -> dict[str, Any]:
    return {
        "name": "门店海报", "kind": "employee",
        "userid_1": "LiNa", "cap_1": "1", "userid_2": "ZhangWei", "cap_2": "",
        "userid_3": "", "cap_3": "",
        "rotation": "order", "backup": "WangFang", "tags": ["etLevelVip"],
        "welcome_mode": "own", "welcome_text": "您好，我是您的专属顾问",
        "link_title": "新客礼包", "link_url": "https://acme.cn/gift", **fields,
    }  # fmt: skip


def test_make_a_code_see_it_work_edit_and_archive_it(api: Api) -> None:
    token, corp, session = _signed_in(api)
    try:
        empty = session.client.get(BASE)
        assert empty.status_code == 200 and "还没有渠道活码" in empty.text
        form = session.client.get(f"{BASE}/new")
        assert form.status_code == 200 and "李娜（LiNa）" in form.text and "重要客户" in form.text

        bad = session.post(f"{BASE}/", _form(cap_1="0", link_url="ftp://x", backup="LiNa"))
        assert bad.status_code == 422, bad.text
        assert 'id="e-employees"' in bad.text and "门店海报" in bad.text
        assert api.client.get("/api/v1/wecom/live-codes", headers=api.key(token)).json() == {
            "items": [],
            "next_cursor": None,
        }

        made = session.post(f"{BASE}/", _form())
        assert made.status_code == 303, made.text
        where = made.headers["location"]
        page = session.client.get(where)
        assert page.status_code == 200 and "活码已生成" in page.text
        assert f'src="{where}/qr.svg"' in page.text and "轮流分配" in page.text
        qr = session.client.get(f"{where}/qr.svg")
        assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
        assert b"<svg" in qr.content
        [code] = api.client.get("/api/v1/wecom/live-codes", headers=api.key(token)).json()["items"]
        assert code["employees"] == [
            {"userid": "LiNa", "daily_cap": 1},
            {"userid": "ZhangWei", "daily_cap": None},
        ]
        assert code["welcome"]["attachment"]["url"] == "https://acme.cn/gift"
        assert code["state"] in page.text

        # A customer adds 李娜 through the code: WeCom's callback, signed and encrypted.
        external = "wm" + secrets.token_hex(15)
        xml = added_xml(corp["corpid"], external, userid="LiNa", state=code["state"],
                        welcome_code="WELCOME" + secrets.token_hex(4))  # fmt: skip
        assert post_callback(api, corp, xml).status_code == 200
        settle(api.runtime)
        shown = session.client.get(where).text
        assert 'id="stat-today">1<' in shown and 'id="stat-welcomed">1<' in shown
        assert "已满额" in shown  # 李娜 reached her cap of one

        edit = session.client.get(f"{where}/edit")
        assert edit.status_code == 200 and 'value="LiNa" selected' in edit.text
        version = str(api.client.get(f"/api/v1/wecom/live-codes/{code['id']}",
                                     headers=api.key(token)).json()["version"])  # fmt: skip
        revised = session.post(
            f"{where}/edit",
            _form(name="门店海报二期", backup="", tags=[], welcome_mode="none", version=version),
        )
        assert revised.status_code == 303, revised.text
        now = api.client.get(f"/api/v1/wecom/live-codes/{code['id']}", headers=api.key(token))
        body = now.json()
        assert (body["name"], body["backup"], body["tags"], body["welcome_mode"]) == (
            "门店海报二期",
            None,
            [],
            "none",
        )

        confirm = session.client.get(f"{where}/archive")
        assert confirm.status_code == 200 and "统计保留" in confirm.text
        archived = session.post(f"{where}/archive", {"version": str(body["version"])})
        assert archived.status_code == 303, archived.text
        assert "已归档" in session.client.get(where).text
        assert "门店海报二期" not in session.client.get(BASE).text
        assert "门店海报二期" in session.client.get(f"{BASE}?archived=1").text
    finally:
        session.close()


def test_department_welcome_messages_are_set_inherited_and_cleared(api: Api) -> None:
    token, _corp, session = _signed_in(api)
    try:
        page = session.client.get("/console/wecom/welcome-messages")
        assert page.status_code == 200 and "销售部" in page.text and "未设置" in page.text
        bad = session.post(
            "/console/wecom/welcome-messages/1", {"text": "x", "link_url": "ftp://x"}
        )
        assert bad.status_code == 422 and 'id="e-link-1"' in bad.text
        saved = session.post("/console/wecom/welcome-messages/1", {"text": "公司欢迎您"})
        assert saved.status_code == 303, saved.text
        shown = session.client.get("/console/wecom/welcome-messages").text
        assert "公司欢迎您" in shown and "沿用上级部门「火客科技」的欢迎语" in shown
        assert session.post("/console/wecom/welcome-messages/99", {"text": "x"}).status_code == 404
        cleared = session.post("/console/wecom/welcome-messages/1", {"text": ""})
        assert cleared.status_code == 303
        listed = api.client.get("/api/v1/wecom/welcome-messages", headers=api.key(token)).json()
        assert all(d["welcome"] is None for d in listed["departments"])
    finally:
        session.close()


def test_sales_managers_read_codes_and_an_unbound_tenant_is_told_to_bind(api: Api) -> None:
    _token, _corp, session = _signed_in(api, "sales_manager")
    try:
        assert session.client.get(BASE).status_code == 200
        assert session.client.get(f"{BASE}/new").status_code == 403
        assert session.post(f"{BASE}/", _form()).status_code == 403
        assert session.post("/console/wecom/welcome-messages/1", {"text": "x"}).status_code == 403
    finally:
        session.close()
    _token, _corp, unbound = _signed_in(api, bound=False)
    try:
        page = unbound.client.get(BASE)
        assert page.status_code == 200 and "还没有绑定企业微信" in page.text
        assert "新建活码" not in page.text
        assert unbound.client.get(f"{BASE}/{UUID(int=7)}").status_code == 404
    finally:
        unbound.close()
