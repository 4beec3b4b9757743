"""Console pages of lead data on both stores: imports with their progress and rejected
rows, the cleaning queue's merge by field choice, and lead settings."""

from __future__ import annotations

import io
import re
import time
import uuid

from openpyxl import Workbook

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _mobile() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


def _admin(api: Api) -> tuple[str, str, ConsoleSession]:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, "tenant_admin", name="王管理")
    return tenant_id, token, open_session(api, email)


def _upload(session: ConsoleSession, name: str, content: bytes, mime: str = XLSX) -> object:
    return session.client.post(
        "/console/lead-imports",
        data={"_csrf": session.csrf("/console/lead-imports")},
        files={"file": (name, content, mime)},
        follow_redirects=False,
    )


def _finished(session: ConsoleSession, path: str) -> str:
    """The progress fragment once the import answers 286 (stop polling)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = session.client.get(
            f"{path}/progress", headers={"HX-Request": "true", "HX-Target": "import-progress"}
        )
        if answer.status_code == 286:
            return answer.text
        assert answer.status_code == 200, answer.text
        assert 'hx-trigger="every 2s"' in answer.text
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def test_an_uploaded_workbook_is_imported_with_progress_and_rejected_rows(api: Api) -> None:
    _tenant, _token, session = _admin(api)
    try:
        good = [_mobile() for _ in range(5)]
        content = _workbook(
            [
                ["姓名", "手机号", "公司", "备注"],
                *[[f"客户{i}", mobile, "甲公司", "x"] for i, mobile in enumerate(good)],
                ["没有号码", None, "乙公司", "y"],
                ["坏号码", "12345", "丙公司", "z"],
            ]
        )
        started = _upload(session, "客户名单.xlsx", content)
        assert started.status_code == 303, started.text
        path = started.headers["location"]
        assert re.fullmatch(r"/console/lead-imports/[0-9a-f-]{36}", path)
        shown = session.client.get(path)
        assert shown.status_code == 200
        assert "<progress" in shown.text and "客户名单.xlsx" in shown.text
        assert "姓名 → 姓名" in shown.text and "手机号 → 手机号" in shown.text
        fragment = _finished(session, path)
        assert "导入完成：共处理 7 行" in fragment
        assert "hx-trigger" not in fragment  # nothing left to poll
        assert '<progress class="progress" id="import-bar" max="7" value="7"' in fragment
        page = session.client.get(path).text
        rejected = re.findall(r"<tr>\s*<td class=\"numeric\">\s*(\d+)\s*</td>", page)
        assert rejected == ["7", "8"]  # header is row 1: the two bad rows
        assert "手机号" in page
        # The list is a read model: it shows the import once it has caught up.
        deadline = time.monotonic() + 10
        while "已完成" not in (listed := session.client.get("/console/lead-imports").text):
            assert time.monotonic() < deadline, listed
            time.sleep(0.1)
        assert "客户名单.xlsx" in listed
        # The lead list is a read model too: wait for it as for the import list.
        deadline = time.monotonic() + 10
        while True:
            leads = api.client.get(
                "/api/v1/leads", params={"q": good[0]}, headers=api.key(_token)
            ).json()
            if leads["items"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert [item["name"] for item in leads["items"]] == ["客户0"]
    finally:
        session.close()


def test_a_file_that_is_no_spreadsheet_is_refused_beside_the_file_field(api: Api) -> None:
    _tenant, _token, session = _admin(api)
    try:
        refused = _upload(session, "photo.png", b"\x89PNG\r\n\x1a\n....", "image/png")
        assert refused.status_code == 422
        assert re.search(
            r'id="f-file"[^>]*aria-invalid="true"[^>]*aria-describedby="e-file"', refused.text
        )
        assert '<p class="field-error" id="e-file">请上传 CSV 或 XLSX 文件</p>' in refused.text
        no_identity = _upload(session, "names.csv", "姓名,公司\n李雷,甲\n".encode(), "text/csv")
        assert no_identity.status_code == 422
        assert "找不到“手机号”或“邮箱”列" in no_identity.text
    finally:
        session.close()


def _lead(api: Api, token: str, **fields: object) -> str:
    answer = api.client.post(
        "/api/v1/leads",
        json=fields,
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["lead"]["id"])


def test_a_duplicate_case_is_merged_with_the_values_chosen_field_by_field(api: Api) -> None:
    _tenant, token, session = _admin(api)
    try:
        first_mobile, second_mobile = _mobile(), _mobile()
        first = _lead(
            api, token, mobile=first_mobile, name="韩梅梅", company="星河科技", city="北京"
        )
        second = _lead(
            api, token, mobile=second_mobile, name="韩梅梅", company="星河科技有限公司", city="上海"
        )
        scanned = session.post("/console/lead-duplicates/scan")
        assert scanned.status_code == 303
        queue = session.client.get("/console/lead-duplicates").text
        case_path = re.search(r'href="(/console/lead-duplicates/[0-9a-f-]{36})"', queue)
        assert case_path, queue
        path = case_path.group(1)
        case = session.client.get(path).text
        assert "北京" in case and "上海" in case and second_mobile in case
        assert 'name="pick.city"' in case and 'name="pick.name"' not in case  # names agree
        choice = {"survivor_id": first, "pick.city": second, "pick.company": first}
        confirm = session.client.get(f"{path}/merge", params=choice)
        assert confirm.status_code == 200
        assert "确认合并" in confirm.text and "上海" in confirm.text
        assert f'name="pick.city" value="{second}"' in confirm.text
        merged = session.post(f"{path}/merge", choice)
        assert merged.status_code == 303, merged.text
        assert "已合并" in session.client.get(path).text
        survivor = api.client.get(f"/api/v1/leads/{first}", headers=api.key(token)).json()
        assert survivor["profile"]["city"] == "上海"
        mobiles = {i["value"] for i in survivor["identities"] if i["kind"] == "mobile"}
        assert mobiles == {f"+86{first_mobile}", f"+86{second_mobile}"}  # the second one kept
        gone = api.client.get(f"/api/v1/leads/{second}", headers=api.key(token)).json()
        assert gone["merged_into"] == first
        # A choice left out is shown beside its field again.
        other = _lead(api, token, mobile=_mobile(), name="李雷", company="月亮湾", city="广州")
        _lead(api, token, mobile=_mobile(), name="李雷", company="月亮湾", city="深圳")
        session.post("/console/lead-duplicates/scan")
        queue = session.client.get("/console/lead-duplicates").text
        path = re.search(r'href="(/console/lead-duplicates/[0-9a-f-]{36})"', queue).group(1)
        missing = session.client.get(f"{path}/merge", params={"survivor_id": other})
        assert missing.status_code == 422
        assert 'id="e-pick-city">请选择保留哪个值' in missing.text
    finally:
        session.close()


def test_a_tenant_admin_adds_a_tag_and_a_custom_field_and_sales_may_only_read(api: Api) -> None:
    _tenant, token, session = _admin(api)
    _sales_id, sales_email = employee_login(api, token, "sales", name="销售小张")
    sales = open_session(api, sales_email)
    try:
        added = session.post("/console/lead-settings/tags", {"name": "高意向", "group_id": ""})
        assert added.status_code == 303, added.text
        defined = session.post(
            "/console/lead-settings/custom-fields",
            {
                "key": "budget",
                "name": "预算",
                "type": "single_select",
                "options": "10万以下\n10万以上",
            },
        )
        assert defined.status_code == 303, defined.text
        shown = session.client.get("/console/lead-settings").text
        assert "高意向" in shown and "预算" in shown and "10万以下、10万以上" in shown
        settings = api.client.get("/api/v1/lead-settings", headers=api.key(token)).json()
        assert {"key": "budget", "name": "预算", "type": "single_select"}.items() <= next(
            f for f in settings["custom_fields"] if f["key"] == "budget"
        ).items()
        tags = {t["name"] for g in settings["tag_groups"] for t in g["tags"]}
        assert "高意向" in tags
        again = session.post(
            "/console/lead-settings/custom-fields", {"key": "", "name": "预算", "type": "text"}
        )
        assert again.status_code == 422
        assert '<p class="field-error" id="e-key">必填</p>' in again.text
        remove = session.client.get("/console/lead-settings/tags/高意向/remove")
        assert remove.status_code == 200 and "确认删除" in remove.text
        removed = session.post(
            "/console/lead-settings/tags/高意向/remove", {"version": settings["version"]}
        )
        assert removed.status_code == 303, removed.text
        assert "高意向" not in session.client.get("/console/lead-settings").text
        # Sales read the settings, without the forms; the forms answer the 403 page.
        read = sales.client.get("/console/lead-settings")
        assert read.status_code == 200 and "预算" in read.text
        assert "/console/lead-settings/tags/new" not in read.text
        for path in ("/console/lead-settings/tags/new", "/console/lead-settings/custom-fields/new"):
            refused = sales.client.get(path)
            assert refused.status_code == 403 and "无权访问" in refused.text
        posted = sales.post("/console/lead-settings/tags", {"name": "偷偷加的"})
        assert posted.status_code == 403 and "无权访问" in posted.text
    finally:
        session.close()
        sales.close()


def test_a_marketer_manages_tags_sees_their_use_and_renames_one(api: Api) -> None:
    _tenant, token, admin = _admin(api)
    _marketer_id, marketer_email = employee_login(api, token, "marketer", name="市场小陈")
    marketer = open_session(api, marketer_email)
    try:
        added = marketer.post("/console/lead-settings/tags", {"name": "展会", "group_id": ""})
        assert added.status_code == 303, added.text
        for mobile in (_mobile(), _mobile()):
            lead_id = _lead(api, token, mobile=mobile)
            tagged = api.client.post(
                f"/api/v1/leads/{lead_id}/tags",
                json={"tags": ["展会"]},
                headers={**api.key(token), "Prefer": "read-your-writes"},
            )
            assert tagged.status_code == 200, tagged.text
        shown = marketer.client.get("/console/lead-settings").text
        row, cells = _tag_row(shown, "展会")
        assert cells[1:4] == ["未分组", "自定义", "2"]
        assert "/console/lead-settings/tags/%E5%B1%95%E4%BC%9A/rename" in row
        # custom fields stay the tenant admin's
        assert "/console/lead-settings/custom-fields/new" not in shown
        assert marketer.client.get("/console/lead-settings/custom-fields/new").status_code == 403

        form = marketer.client.get("/console/lead-settings/tags/展会/rename")
        assert form.status_code == 200 and 'value="展会"' in form.text
        version = re.search(r'name="version" value="(\d+)"', form.text).group(1)
        taken = marketer.post(
            "/console/lead-settings/tags/展会/rename", {"name": "", "version": version}
        )
        assert taken.status_code == 422
        renamed = marketer.post(
            "/console/lead-settings/tags/展会/rename", {"name": "展会客户", "version": version}
        )
        assert renamed.status_code == 303, renamed.text
        after = admin.client.get("/console/lead-settings").text
        assert _tag_row(after, "展会客户")[1][3] == "2"
        listed = api.client.get("/api/v1/leads?tag=展会客户", headers=api.key(token)).json()
        assert len(listed["items"]) == 2
    finally:
        admin.close()
        marketer.close()


def _tag_row(html: str, name: str) -> tuple[str, list[str]]:
    """The row of the tags table that shows `name`, and its cells' text."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        texts = [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]
        if texts and texts[0] == name and len(texts) > 3:
            return row, texts
    raise AssertionError(f"no row for tag {name}")


def test_another_tenants_import_and_case_are_not_found(api: Api) -> None:
    _tenant, token, session = _admin(api)
    _other, _other_token, other = _admin(api)
    try:
        started = _upload(session, "a.csv", f"mobile\n{_mobile()}\n".encode(), "text/csv")
        import_path = started.headers["location"]
        _finished(session, import_path)
        name = uuid.uuid4().hex[:6]
        _lead(api, token, mobile=_mobile(), name=name, company="同一家")
        _lead(api, token, mobile=_mobile(), name=name, company="同一家")
        session.post("/console/lead-duplicates/scan")
        queue = session.client.get("/console/lead-duplicates").text
        case_path = re.search(r'href="(/console/lead-duplicates/[0-9a-f-]{36})"', queue).group(1)
        for path in (
            import_path,
            f"{import_path}/progress",
            case_path,
            f"{case_path}/merge",
            f"{case_path}/dismiss",
        ):
            assert session.client.get(path).status_code in (200, 286, 422)
            refused = other.client.get(path)
            assert refused.status_code == 404, path
            assert "页面不存在" in refused.text
        assert other.post(f"{case_path}/dismiss", {"reason": "x"}).status_code == 404
    finally:
        session.close()
        other.close()
