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
        listed = session.client.get("/console/lead-imports")
        assert "客户名单.xlsx" in listed.text and "已完成" in listed.text
        leads = api.client.get(
            "/api/v1/leads", params={"q": good[0]}, headers=api.key(_token)
        ).json()
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
