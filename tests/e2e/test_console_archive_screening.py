"""Console pages of screening and reply timeouts (ARCH-3, ARCH-4) on both stores: a tenant
admin makes a word list, imports words from a text file, removes one and archives the
list after a confirmation step; changes the watched behaviours and allow-list; sees the
alerts of ingested messages with their counts and filters; saves reply rules and sees
a timeout record and the per-employee stats; a form with mistakes names the field and
changes nothing; a sales manager reads the reports but not the settings."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import Api
from tests.e2e.archive_screening_support import ingest, said, shanghai
from tests.e2e.console_support import ConsoleSession, employee_login, open_session

LISTS = "/console/archive/word-lists"


def _admin(api: Api) -> tuple[str, str, ConsoleSession]:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, "tenant_admin", name="合规小李")
    return tenant_id, token, open_session(api, email)


def _version(html: str, form: str) -> str:
    found = re.search(rf'id="{form}".*?name="version" value="(\d+)"', html, re.S)
    assert found, form
    return found.group(1)


def test_word_lists_in_the_console(api: Api) -> None:
    _tenant, _token, session = _admin(api)
    try:
        empty = session.client.get(LISTS)
        assert empty.status_code == 200 and "还没有敏感词库" in empty.text
        nameless = session.post(LISTS, {"name": "", "category": "辱骂", "words": "滚"})
        assert nameless.status_code == 422 and 'id="e-name"' in nameless.text
        made = session.post(LISTS, {"name": "辱骂词库", "category": "辱骂", "words": "滚\n傻Ｘ\n"})
        assert made.status_code == 303, made.text
        where = made.headers["location"]
        shown = session.client.get(where)
        assert "敏感词库已创建，共 2 个词" in shown.text and "傻x" in shown.text

        upload = session.client.post(
            f"{where}/words",
            data={"_csrf": session.csrf(where), "lines": "废物"},
            files={"file": ("words.txt", "笨蛋\n滚\n".encode("gb18030"), "text/plain")},
            follow_redirects=False,
        )
        assert upload.status_code == 303, upload.text
        shown = session.client.get(where)
        assert "已添加 2 个敏感词，词库现有 4 个" in shown.text
        found = session.client.get(where, params={"q": "笨"})
        assert "笨蛋" in found.text and "废物" not in found.text

        removed = session.post(
            f"{where}/words/remove", {"remove": "滚\n", "version": _version(shown.text, "remove")}
        )
        assert removed.status_code == 303, removed.text
        shown = session.client.get(where)
        assert "已删除 1 个敏感词" in shown.text and 'id="word-count">3<' in shown.text
        stale = session.post(f"{where}/words/remove", {"remove": "废物", "version": "1"})
        assert stale.status_code == 409

        confirm = session.client.get(f"{where}/archive")
        assert confirm.status_code == 200 and "确认停用" in confirm.text
        version = _version(session.client.get(where).text, "remove")
        archived = session.post(f"{where}/archive", {"version": version})
        assert archived.status_code == 303, archived.text
        shown = session.client.get(where)
        assert "已停用" in shown.text and 'id="add"' not in shown.text
    finally:
        session.close()


def test_behaviours_allow_list_and_alerts_in_the_console(api: Api) -> None:
    tenant_id, _token, session = _admin(api)
    try:
        rules = session.client.get("/console/archive/screening-rules")
        assert rules.status_code == 200 and "发送银行卡号" in rules.text
        bad = session.post(
            "/console/archive/screening-rules",
            {"behaviours[]": ["mobile"], "allowed": "张三", "version": "1"},
        )
        assert bad.status_code == 422 and 'id="e-allowed"' in bad.text
        saved = session.post(
            "/console/archive/screening-rules",
            {"behaviours[]": ["mobile", "file"], "allowed": "boss\n", "version": "1"},
        )
        assert saved.status_code == 303, saved.text
        page = session.client.get("/console/archive/screening-rules")
        assert "对之后存档的消息生效" in page.text and ">boss</textarea>" in page.text
        session.post(LISTS, {"name": "竞品", "category": "竞品", "words": "友商"})

        monday = shanghai("2026-11-02T10:00")
        ingest(
            api.runtime,
            tenant_id,
            [
                said("alice", "wmBuyer", "友商报价更高，加我 13812345678", at=monday),
                said("boss", "wmBuyer", "友商不行", at=monday),  # allow-listed
                said("alice", "wmBuyer", "友商", at=monday + timedelta(days=1)),
            ],
        )
        alerts = session.client.get("/console/archive/alerts")
        assert alerts.status_code == 200, alerts.text
        assert "共 3 次告警" in alerts.text and "138****5678" in alerts.text
        assert "boss" not in alerts.text.split('id="archive-alerts"')[1]
        one_day = session.client.get(
            "/console/archive/alerts", params={"day_from": "2026-11-03", "day_to": "2026-11-03"}
        )
        assert "共 1 次告警" in one_day.text
        bad_day = session.client.get("/console/archive/alerts", params={"day_from": "11/3"})
        assert bad_day.status_code == 422 and "日期格式应为" in bad_day.text
    finally:
        session.close()


def test_reply_rules_and_records_in_the_console(api: Api) -> None:
    tenant_id, token, session = _admin(api)
    try:
        page = session.client.get("/console/archive/reply-timeouts")
        assert page.status_code == 200 and 'id="threshold">30 分钟' in page.text
        form = {"enabled": "1", "threshold_minutes": "10", "version": "1",
                "day1": "1", "start1_1": "09:00", "end1_1": "12:00",
                "start1_2": "13:00", "end1_2": "18:00"}  # fmt: skip
        missing_end = session.post("/console/archive/reply-timeouts/rules", {**form, "end1_2": ""})
        assert missing_end.status_code == 422 and 'id="e-working_hours"' in missing_end.text
        saved = session.post("/console/archive/reply-timeouts/rules", form)
        assert saved.status_code == 303, saved.text
        page = session.client.get("/console/archive/reply-timeouts")
        assert "回复超时设置已保存" in page.text and 'id="threshold">10 分钟' in page.text
        assert "周一 09:00–12:00、13:00–18:00" in page.text

        ingest(
            api.runtime,
            tenant_id,
            [
                said("wmLunch", "alice", "在吗", at=shanghai("2026-11-02T11:55")),
                said("alice", "wmLunch", "在的", at=shanghai("2026-11-02T13:10")),  # 15 minutes
            ],
        )
        page = session.client.get("/console/archive/reply-timeouts")
        records = page.text.split('id="archive-reply-timeouts"')[1]
        assert "wmLunch" in records and "15 分钟" in records
        stats = page.text.split('id="reply-stats"')[1].split("</section>")[0]
        assert "alice" in stats and ">15.0<" in stats

        _employee, email = employee_login(api, token, "sales_manager", name="经理")
        manager = open_session(api, email)
        try:
            assert manager.client.get("/console/archive/reply-timeouts").status_code == 200
            assert 'id="rules"' not in manager.client.get("/console/archive/reply-timeouts").text
            assert manager.client.get(LISTS).status_code == 403
        finally:
            manager.close()
    finally:
        session.close()
