"""Console pages of messaging on both stores (营销触达 · 邮件任务, 邮件模板, 发信域名,
短信签名, 短信任务): each page renders for a marketer, forms refuse bad input next to
the field that is wrong (with what was typed), each action does what it says, and
another tenant's records answer the 404 page."""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.integration.dns_server import LocalDns

TEMPLATES = "/console/messaging/email-templates"
WRITE = {"Prefer": "read-your-writes"}
INVITATION = {
    "name": "春季新品发布会邀请",
    "subject": "{{name}}，诚邀您参加春季新品发布会",
    "html": "<h1>春季新品发布会</h1><p>{{name}}，您好：</p><p>{{custom.level}}专享</p>",
    "scene": "活动邀请",
    "industry": "制造业",
    "defaults": "name=客户\ncustom.level=会员",
}


def _marketer(api: Api) -> tuple[str, ConsoleSession]:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, "marketer", name="市场小李")
    return token, open_session(api, email)


def _id_in(location: str, base: str) -> str:
    found = re.fullmatch(rf"{base}/([0-9a-f-]{{36}})", location)
    assert found, location
    return found.group(1)


def _lead(api: Api, token: str, **body: Any) -> str:
    answer = api.client.post("/api/v1/leads", json=body, headers={**api.key(token), **WRITE})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["lead"]["id"])


def test_a_template_is_written_filtered_previewed_for_a_lead_and_archived(api: Api) -> None:
    token, marketer = _marketer(api)
    try:
        empty = marketer.client.get(TEMPLATES)
        assert empty.status_code == 200 and "还没有邮件模板" in empty.text
        frame = marketer.client.get(f"{TEMPLATES}/new?frame=invitation")
        assert frame.status_code == 200 and "立即报名" in frame.text  # the frame's HTML

        made = marketer.post(f"{TEMPLATES}/new", INVITATION)
        assert made.status_code == 303, made.text
        template_id = _id_in(made.headers["location"], TEMPLATES)
        other = marketer.post(
            f"{TEMPLATES}/new", {**INVITATION, "name": "双十一促销", "scene": "促销"}
        )
        assert other.status_code == 303

        listed = marketer.client.get(TEMPLATES)
        assert "春季新品发布会邀请" in listed.text and "双十一促销" in listed.text
        assert '<option value="促销"' in listed.text  # the scenes in use are the filter
        by_scene = marketer.client.get(TEMPLATES, params={"scene": "促销"})
        assert "双十一促销" in by_scene.text and "春季新品发布会邀请" not in by_scene.text

        page = marketer.client.get(f"{TEMPLATES}/{template_id}")
        assert page.status_code == 200
        assert 'sandbox=""' in page.text and "srcdoc=" in page.text
        assert f"/console/messaging/email-tasks/new?template_id={template_id}" in page.text

        lead_id = _lead(api, token, name="王五", mobile="13800138111", company="火客科技")
        found = marketer.client.get(f"{TEMPLATES}/{template_id}", params={"q": "王五"})
        assert f"lead_id={lead_id}" in found.text
        preview = marketer.client.get(f"{TEMPLATES}/{template_id}", params={"lead_id": lead_id})
        assert preview.status_code == 200, preview.text
        assert "王五，诚邀您参加春季新品发布会" in preview.text
        frame_html = re.search(r'srcdoc="([^"]*)"', preview.text)
        assert frame_html and "王五，您好" in html.unescape(frame_html.group(1))
        assert "会员专享" in html.unescape(frame_html.group(1))  # the default for a lack
        nobody = "00000000-0000-4000-8000-000000000000"
        unknown = marketer.client.get(f"{TEMPLATES}/{template_id}", params={"lead_id": nobody})
        assert unknown.status_code == 422 and 'id="e-lead_id"' in unknown.text

        edit = marketer.client.get(f"{TEMPLATES}/{template_id}/edit")
        assert edit.status_code == 200 and "custom.level=会员" in edit.text
        revised = marketer.post(
            f"{TEMPLATES}/{template_id}/edit",
            {**INVITATION, "name": "春季发布会（修订）", "scene": "", "version": "1"},
        )
        assert revised.status_code == 303, revised.text
        shown = marketer.client.get(f"{TEMPLATES}/{template_id}").text
        assert "春季发布会（修订）" in shown and "活动邀请" not in shown

        confirm = marketer.client.get(f"{TEMPLATES}/{template_id}/archive")
        assert confirm.status_code == 200 and "春季发布会（修订）" in confirm.text
        stale = marketer.post(f"{TEMPLATES}/{template_id}/archive", {"version": "1"})
        assert stale.status_code == 409
        archived = marketer.post(f"{TEMPLATES}/{template_id}/archive", {"version": "2"})
        assert archived.status_code == 303 and archived.headers["location"] == TEMPLATES
        assert "春季发布会（修订）" not in marketer.client.get(TEMPLATES).text
        assert "已归档" in marketer.client.get(f"{TEMPLATES}/{template_id}").text
    finally:
        marketer.close()


def test_a_template_form_refuses_code_and_bad_defaults_on_their_fields(api: Api) -> None:
    _token, marketer = _marketer(api)
    try:
        escape = marketer.post(
            f"{TEMPLATES}/new", {**INVITATION, "html": "<p>{{ ''.__class__ }}</p>"}
        )
        assert escape.status_code == 422
        assert 'id="e-html"' in escape.text and "line 1" in escape.text
        assert "春季新品发布会邀请" in escape.text  # what was typed is kept
        defaults = marketer.post(f"{TEMPLATES}/new", {**INVITATION, "defaults": "age=18"})
        assert defaults.status_code == 422 and 'id="e-defaults"' in defaults.text
        assert "defaults.age" in defaults.text
        shape = marketer.post(f"{TEMPLATES}/new", {**INVITATION, "defaults": "name 客户"})
        assert shape.status_code == 422 and 'id="e-defaults"' in shape.text
        missing = marketer.post(f"{TEMPLATES}/new", {**INVITATION, "name": ""})
        assert missing.status_code == 422 and 'id="e-name"' in missing.text
    finally:
        marketer.close()


def test_another_tenants_template_answers_404(api: Api) -> None:
    _other_tenant, other_token = api.tenant_with_key("tenant_admin")
    body = {**INVITATION, "defaults": {"name": "客户"}}
    theirs = api.client.post(
        "/api/v1/email-templates", json=body, headers={**api.key(other_token), **WRITE}
    )
    assert theirs.status_code == 201, theirs.text
    template_id = theirs.json()["id"]
    _token, marketer = _marketer(api)
    try:
        for path in ("", "/edit", "/archive"):
            answer = marketer.client.get(f"{TEMPLATES}/{template_id}{path}")
            assert answer.status_code == 404, path
            assert "春季新品发布会邀请" not in answer.text
        for path in ("/edit", "/archive"):
            answer = marketer.post(f"{TEMPLATES}/{template_id}{path}", {"version": "1"})
            assert answer.status_code == 404, path
    finally:
        marketer.close()


SIGNATURES = "/console/messaging/sms-signatures"
SMS_TASKS = "/console/messaging/sms-tasks"


def _admin_and_marketer(api: Api) -> tuple[str, ConsoleSession, ConsoleSession]:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _a, admin_email = employee_login(api, token, "tenant_admin", name="王管理")
    _m, marketer_email = employee_login(api, token, "marketer", name="市场小李")
    return token, open_session(api, admin_email), open_session(api, marketer_email)


def test_signatures_are_submitted_reviewed_by_the_admin_and_at_most_three(api: Api) -> None:
    _token, admin, marketer = _admin_and_marketer(api)
    try:
        empty = marketer.client.get(SIGNATURES)
        assert empty.status_code == 200 and "还没有短信签名" in empty.text
        brackets = marketer.post(f"{SIGNATURES}/new", {"text": "【获客科技】"})
        assert brackets.status_code == 422 and 'id="e-text"' in brackets.text
        assert 'value="【获客科技】"' in brackets.text  # what was typed is kept
        symbol = marketer.post(f"{SIGNATURES}/new", {"text": "获客-科技"})
        assert symbol.status_code == 422 and 'id="e-text"' in symbol.text

        made = marketer.post(f"{SIGNATURES}/new", {"text": "获客科技", "purpose": "公司简称"})
        assert made.status_code == 303, made.text
        where = made.headers["location"]
        signature_id = _id_in(where, SIGNATURES)
        shown = marketer.client.get(where)
        assert 'data-state="pending"' in shown.text
        assert f"{where}/approve" not in shown.text  # a marketer does not review
        refused = marketer.post(f"{where}/approve", {"version": "1"})
        assert refused.status_code == 403

        assert f"{where}/approve" in admin.client.get(where).text
        approved = admin.post(f"{where}/approve", {"version": "1"})
        assert approved.status_code == 303, approved.text
        assert 'data-state="approved"' in admin.client.get(where).text

        second = marketer.post(f"{SIGNATURES}/new", {"text": "获客商城"})
        second_where = second.headers["location"]
        no_reason = admin.post(f"{second_where}/reject", {"version": "1", "reason": ""})
        assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
        reason = {"version": "1", "reason": "与企业名称不符"}
        rejected = admin.post(f"{second_where}/reject", reason)
        assert rejected.status_code == 303
        assert "与企业名称不符" in admin.client.get(second_where).text

        for text in ("获客学院", "获客云"):
            assert marketer.post(f"{SIGNATURES}/new", {"text": text}).status_code == 303
        listed = marketer.client.get(SIGNATURES)
        assert "已用 3 / 3 个" in listed.text and f"{SIGNATURES}/new" not in listed.text
        fourth = marketer.post(f"{SIGNATURES}/new", {"text": "获客第四"})
        assert fourth.status_code == 422 and "3" in fourth.text  # names the limit

        removal = marketer.client.get(f"{where}/remove")
        assert removal.status_code == 200 and "获客科技" in removal.text
        removed = marketer.post(f"{where}/remove", {"version": "2"})
        assert removed.status_code == 303 and removed.headers["location"] == SIGNATURES
        assert marketer.client.get(where).status_code == 404
        assert signature_id not in marketer.client.get(SIGNATURES).text
    finally:
        admin.close()
        marketer.close()


EMAIL_TASKS = "/console/messaging/email-tasks"


def _template(api: Api, token: str, name: str = "会员日邀请") -> str:
    body = {**INVITATION, "name": name, "defaults": {"name": "客户"}}
    answer = api.client.post(
        "/api/v1/email-templates", json=body, headers={**api.key(token), **WRITE}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _group(api: Api, token: str, name: str = "会员") -> str:
    answer = api.client.post(
        "/api/v1/groups", json={"name": name}, headers={**api.key(token), **WRITE}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _task_form(template_id: str, group_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": "会员日邮件",
        "subject": "{{name}}，会员日专享",
        "sender_name": "获客科技",
        "sender_address": "news@mail.acme.cn",
        "reply_to": "service@acme.cn",
        "template_id": template_id,
        "audience_kind": "group",
        "group_id": group_id,
        **changes,
    }


def test_an_email_task_form_refuses_bad_input_on_its_field(api: Api) -> None:
    token, marketer = _marketer(api)
    template_id, group_id = _template(api, token), _group(api, token)
    form = _task_form(template_id, group_id)
    try:
        empty = marketer.client.get(EMAIL_TASKS)
        assert empty.status_code == 200 and "还没有邮件任务" in empty.text
        start = marketer.client.get(f"{EMAIL_TASKS}/new", params={"template_id": template_id})
        assert start.status_code == 200
        assert 'value="{{name}}，诚邀您参加春季新品发布会"' in start.text  # the template's
        assert f'<option value="{group_id}"' in start.text and ">会员<" in start.text

        for changes, field in [
            ({"template_id": ""}, "template_id"),
            ({"sender_address": "not-an-address"}, "sender_address"),
            ({"name": ""}, "name"),
            ({"reply_to": "nobody"}, "reply_to"),
            ({"group_id": ""}, "group_id"),
            ({"audience_kind": "filter", "filter": "{not json"}, "filter"),
            ({"audience_kind": "leads", "lead_ids": "no ids here"}, "lead_ids"),
        ]:
            refused = marketer.post(f"{EMAIL_TASKS}/new", {**form, **changes})
            assert refused.status_code == 422, (changes, refused.status_code)
            assert f'id="e-{field}"' in refused.text, (changes, field)
            assert 'value="获客科技"' in refused.text  # what was typed is kept
        bad_node = {"field": "city", "op": "near", "value": "北京"}
        node = marketer.post(
            f"{EMAIL_TASKS}/new",
            {**form, "audience_kind": "filter", "filter": json.dumps(bad_node)},
        )
        assert node.status_code == 422 and 'id="e-filter"' in node.text
        assert "audience.tree" in node.text  # the refused node's path
        unknown = marketer.post(
            f"{EMAIL_TASKS}/new", {**form, "template_id": "00000000-0000-4000-8000-000000000000"}
        )
        assert unknown.status_code == 422 and 'id="e-template_id"' in unknown.text
    finally:
        marketer.close()


def test_an_email_task_is_drafted_edited_copied_and_deleted(api: Api) -> None:
    token, marketer = _marketer(api)
    template_id, group_id = _template(api, token), _group(api, token)
    try:
        made = marketer.post(f"{EMAIL_TASKS}/new", _task_form(template_id, group_id))
        assert made.status_code == 303, made.text
        where = made.headers["location"]
        task_id = _id_in(where, EMAIL_TASKS)
        page = marketer.client.get(where)
        assert page.status_code == 200
        assert 'data-state="draft"' in page.text and "用户组：会员" in page.text
        assert "会员日邀请" in page.text  # the template by name
        listed = marketer.client.get(EMAIL_TASKS, params={"state": "draft"})
        assert task_id in listed.text
        assert task_id not in marketer.client.get(EMAIL_TASKS, params={"state": "sent"}).text

        edit = marketer.client.get(f"{where}/edit")
        assert edit.status_code == 200 and 'value="service@acme.cn"' in edit.text
        leads = f"{_lead(api, token, name='甲', email='jia@acme.cn')}\n"
        revised = marketer.post(
            f"{where}/edit",
            _task_form(
                template_id, group_id, version="1", reply_to="", subject="新主题",
                audience_kind="leads", lead_ids=leads,
            ),
        )  # fmt: skip
        assert revised.status_code == 303, revised.text
        shown = marketer.client.get(where).text
        assert "新主题" in shown and "指定的 1 条线索" in shown
        assert "service@acme.cn" not in shown  # the emptied reply-to is gone
        stale = marketer.post(f"{where}/edit", _task_form(template_id, group_id, version="1"))
        assert stale.status_code == 409

        # Sending needs a verified domain: the refusal names the sender's field.
        schedule = marketer.client.get(f"{where}/schedule")
        assert schedule.status_code == 200 and 'type="datetime-local"' in schedule.text
        refused = marketer.post(f"{where}/schedule", {"version": "2", "when": "now"})
        assert refused.status_code == 422 and "sender_address" in refused.text
        no_time = marketer.post(f"{where}/schedule", {"version": "2", "when": "at"})
        assert no_time.status_code == 422 and 'id="e-send_at"' in no_time.text
        bad_test = marketer.post(f"{where}/test-send", {"to": "nobody"})
        assert bad_test.status_code == 422 and 'id="e-to"' in bad_test.text

        copied = marketer.post(f"{where}/copy")
        assert copied.status_code == 303 and copied.headers["location"] != where
        assert "新主题" in marketer.client.get(copied.headers["location"]).text
        assert "会员日邮件（副本）" in marketer.client.get(EMAIL_TASKS).text

        confirm = marketer.client.get(f"{where}/delete")
        assert confirm.status_code == 200 and "会员日邮件" in confirm.text
        deleted = marketer.post(f"{where}/delete", {"version": "2"})
        assert deleted.status_code == 303 and deleted.headers["location"] == EMAIL_TASKS
        assert marketer.client.get(where).status_code == 404
    finally:
        marketer.close()


def test_another_tenants_email_task_answers_404(api: Api) -> None:
    _other, other_token = api.tenant_with_key("tenant_admin")
    body = {
        "name": "乙方邮件",
        "subject": "乙方主题",
        "sender_name": "乙方",
        "sender_address": "news@mail.other.cn",
        "template_id": _template(api, other_token, name="乙方模板"),
        "audience": {"kind": "group", "group_id": _group(api, other_token)},
    }
    theirs = api.client.post(
        "/api/v1/email-tasks", json=body, headers={**api.key(other_token), **WRITE}
    )
    assert theirs.status_code == 201, theirs.text
    task = f"{EMAIL_TASKS}/{theirs.json()['id']}"
    _token, marketer = _marketer(api)
    try:
        for path in ("", "/edit", "/schedule", "/cancel", "/delete", "/progress"):
            answer = marketer.client.get(f"{task}{path}")
            assert answer.status_code == 404, path
            assert "乙方" not in answer.text
        for path in ("/edit", "/schedule", "/unschedule", "/cancel", "/copy", "/delete"):
            answer = marketer.post(f"{task}{path}", {"version": "1"})
            assert answer.status_code == 404, path
        sent = marketer.post(f"{task}/test-send", {"to": "me@acme.cn"})
        assert sent.status_code == 404
    finally:
        marketer.close()


def _approved_signature(admin: ConsoleSession, marketer: ConsoleSession, text: str) -> str:
    made = marketer.post(f"{SIGNATURES}/new", {"text": text})
    assert made.status_code == 303, made.text
    approved = admin.post(f"{made.headers['location']}/approve", {"version": "1"})
    assert approved.status_code == 303, approved.text
    return _id_in(made.headers["location"], SIGNATURES)


def _sms_form(signature_id: str, group_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": "会员日短信",
        "signature_id": signature_id,
        "text": "{{name}}您好，会员日全场5折 回T退订",
        "audience_kind": "group",
        "group_id": group_id,
        **changes,
    }


def _state_of(session: ConsoleSession, url: str) -> str:
    found = re.search(r'id="task-state" data-state="(\w+)"', session.client.get(url).text)
    assert found, url
    return found.group(1)


def test_an_sms_task_counts_its_text_goes_to_review_and_is_sent(api: Api) -> None:
    token, admin, marketer = _admin_and_marketer(api)
    try:
        signature_id = _approved_signature(admin, marketer, "获客科技")
        group_id = _group(api, token)
        for number, name in enumerate(("张三", "李四")):
            lead = _lead(api, token, name=name, mobile=f"1391234500{number}")
            added = api.client.post(
                f"/api/v1/groups/{group_id}/members",
                json={"lead_ids": [lead]},
                headers={**api.key(token), **WRITE},
            )
            assert added.status_code == 200, added.text
        form = marketer.client.get(f"{SMS_TASKS}/new")
        assert form.status_code == 200 and "【获客科技】" in form.text
        assert 'data-length-url="/console/messaging/sms-tasks/length"' in form.text
        counted = marketer.client.get(
            f"{SMS_TASKS}/length", params={"text": "会员日全场5折", "signature_id": signature_id}
        )
        assert counted.status_code == 200
        assert "<strong data-length>13</strong>" in counted.text  # 【获客科技】 + 7
        assert "内容必须包含“退订”" in counted.text
        long = marketer.client.get(
            f"{SMS_TASKS}/length", params={"text": "退订" + "字" * 70, "signature_id": signature_id}
        )
        assert "按 2 条计费" in long.text

        no_keyword = marketer.post(
            f"{SMS_TASKS}/new", _sms_form(signature_id, group_id, text="5折")
        )
        assert no_keyword.status_code == 422 and 'id="e-text"' in no_keyword.text
        assert "退订" in no_keyword.text
        no_signature = marketer.post(f"{SMS_TASKS}/new", _sms_form("", group_id))
        assert no_signature.status_code == 422 and 'id="e-signature_id"' in no_signature.text

        made = marketer.post(f"{SMS_TASKS}/new", _sms_form(signature_id, group_id))
        assert made.status_code == 303, made.text
        where = made.headers["location"]
        page = marketer.client.get(where)
        assert "【获客科技】{{name}}您好" in page.text and "按 1 条计费" in page.text
        assert f"{where}/approve" not in page.text  # a marketer does not review
        assert marketer.post(f"{where}/approve", {"version": "1"}).status_code == 403

        submitted = marketer.post(f"{where}/submit", {"version": "1"})
        assert submitted.status_code == 303 and _state_of(marketer, where) == "pending_review"
        assert f"{where}/approve" in admin.client.get(where).text
        approved = admin.post(f"{where}/approve", {"version": "2"})
        assert approved.status_code == 303, approved.text
        assert "内容已通过审核" in marketer.client.get(where).text

        sent = marketer.post(f"{where}/schedule", {"version": "3", "when": "now"})
        assert sent.status_code == 303, sent.text
        deadline = time.monotonic() + 20
        while _state_of(marketer, where) != "sent" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _state_of(marketer, where) == "sent"
        finished = marketer.client.get(where).text
        assert re.search(r"data-percent>100<", finished)
        assert "短信开始发送" in finished and "短信发送完成" in finished  # in its history
        progress = marketer.client.get(f"{where}/progress")
        assert progress.status_code == 286  # the page stops following a finished send
    finally:
        admin.close()
        marketer.close()


def test_an_sms_task_is_rejected_edited_copied_cancelled_and_deleted(api: Api) -> None:
    token, admin, marketer = _admin_and_marketer(api)
    try:
        signature_id = _approved_signature(admin, marketer, "获客商城")
        group_id = _group(api, token)
        made = marketer.post(f"{SMS_TASKS}/new", _sms_form(signature_id, group_id))
        where = made.headers["location"]
        assert marketer.post(f"{where}/submit", {"version": "1"}).status_code == 303
        no_reason = admin.post(f"{where}/reject", {"version": "2", "reason": ""})
        assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
        rejected = admin.post(f"{where}/reject", {"version": "2", "reason": "含有夸大用语"})
        assert rejected.status_code == 303
        assert _state_of(marketer, where) == "rejected"
        assert "含有夸大用语" in marketer.client.get(where).text

        text = "{{name}}您好，会员日全场8折 回T退订"
        edited = marketer.post(
            f"{where}/edit", _sms_form(signature_id, group_id, text=text, version="3")
        )
        assert edited.status_code == 303, edited.text
        # Scheduled at a time: content not approved goes to review first.
        later = marketer.post(
            f"{where}/schedule", {"version": "4", "when": "at", "send_at": "2099-01-01T09:00"}
        )
        assert later.status_code == 422 and 'id="e-send_at"' in later.text  # > a year ahead
        queued = marketer.post(f"{where}/schedule", {"version": "4", "when": "now"})
        assert queued.status_code == 303 and _state_of(marketer, where) == "pending_review"
        confirm = marketer.client.get(f"{where}/cancel")
        assert confirm.status_code == 200 and "会员日短信" in confirm.text
        cancelled = marketer.post(f"{where}/cancel", {"version": "5"})
        assert cancelled.status_code == 303 and _state_of(marketer, where) == "cancelled"

        copied = marketer.post(f"{where}/copy")
        assert copied.status_code == 303
        copy_page = marketer.client.get(copied.headers["location"]).text
        assert "会员日短信（副本）" in copy_page and "8折" in copy_page
        deleted = marketer.post(f"{where}/delete", {"version": "6"})
        assert deleted.status_code == 303 and deleted.headers["location"] == SMS_TASKS
        assert marketer.client.get(where).status_code == 404
        listed = marketer.client.get(SMS_TASKS, params={"state": "draft"}).text
        assert "会员日短信（副本）" in listed
    finally:
        admin.close()
        marketer.close()


def test_another_tenants_sms_records_answer_404(api: Api) -> None:
    other_token, other_admin, other_marketer = _admin_and_marketer(api)
    try:
        signature_id = _approved_signature(other_admin, other_marketer, "乙方科技")
        made = other_marketer.post(
            f"{SMS_TASKS}/new", _sms_form(signature_id, _group(api, other_token))
        )
        task = made.headers["location"]
    finally:
        other_admin.close()
        other_marketer.close()
    signature = f"{SIGNATURES}/{signature_id}"
    _token, admin, marketer = _admin_and_marketer(api)
    try:
        for path in (signature, f"{signature}/reject", f"{signature}/remove"):
            answer = admin.client.get(path)
            assert answer.status_code == 404, path
            assert "乙方科技" not in answer.text
        for path in ("approve", "reject", "remove"):
            assert admin.post(f"{signature}/{path}", {"version": "2"}).status_code == 404, path
        for path in ("", "/edit", "/schedule", "/cancel", "/delete", "/reject", "/progress"):
            answer = admin.client.get(f"{task}{path}")
            assert answer.status_code == 404, path
            assert "乙方科技" not in answer.text
        for path in ("edit", "submit", "approve", "reject", "schedule", "unschedule", "cancel",
                     "copy", "delete"):  # fmt: skip
            assert admin.post(f"{task}/{path}", {"version": "1"}).status_code == 404, path
        counted = marketer.client.get(
            f"{SMS_TASKS}/length", params={"text": "回T退订", "signature_id": signature_id}
        )
        assert counted.status_code == 200 and "乙方科技" not in counted.text
        assert "<strong data-length>6</strong>" in counted.text  # 【】 without their name
    finally:
        admin.close()
        marketer.close()


DOMAINS = "/console/messaging/sending-domains"


def _records(text: str) -> dict[str, tuple[str, str, str]]:
    """The DNS records a domain's page shows: purpose -> (type, host, value)."""
    found = {}
    for row in re.findall(r'<tr data-purpose="\w+">.*?</tr>', text, re.S):
        purpose = re.search(r'data-purpose="(\w+)"', row).group(1)  # type: ignore[union-attr]
        kind = re.search(r"<td>(TXT|MX|CNAME)</td>", row).group(1)  # type: ignore[union-attr]
        host, value = re.findall(r'readonly [^>]*value="([^"]*)"', row)
        found[purpose] = (kind, html.unescape(host), html.unescape(value))
    return found


def _publish(dns: LocalDns, records: dict[str, tuple[str, str, str]]) -> None:
    for kind, host, value in records.values():
        if kind == "TXT":
            dns.add_txt(host, value)
        elif kind == "MX":
            dns.add_mx(host, value)
        else:
            dns.add_cname(host, value)


def _outbox(api: Api) -> list[EmailMessage]:
    folder = Path(api.runtime.settings.var_dir) / "outbox"
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted(folder.glob("*.eml"))
    ]


def test_a_domain_is_verified_on_its_page_then_a_task_sends_and_reports(
    api: Api, public_dns: LocalDns
) -> None:
    token, marketer = _marketer(api)
    name = f"mail{uuid.uuid4().hex[:8]}.acme.cn"
    try:
        empty = marketer.client.get(DOMAINS)
        assert empty.status_code == 200 and "还没有发信域名" in empty.text
        bad = marketer.post(f"{DOMAINS}/new", {"domain": "not a domain"})
        assert bad.status_code == 422 and 'id="e-domain"' in bad.text
        added = marketer.post(f"{DOMAINS}/new", {"domain": name})
        assert added.status_code == 303, added.text
        where = added.headers["location"]
        page = marketer.client.get(where)
        assert 'data-state="pending"' in page.text and "约一小时生效" in page.text
        records = _records(page.text)
        assert set(records) == {"spf", "dkim", "mx", "tracking"}
        assert records["spf"][:2] == ("TXT", name) and records["mx"][:2] == ("MX", name)
        assert records["dkim"][1] == f"hk1._domainkey.{name}"
        assert records["dkim"][2].startswith("v=DKIM1; k=rsa; p=")
        assert records["tracking"][0] == "CNAME" and records["tracking"][1] != name

        early = marketer.post(f"{where}/verify")
        assert early.status_code == 303
        checked = marketer.client.get(where)
        assert "还有记录未生效" in checked.text and "约一小时生效" in checked.text
        assert checked.text.count('data-check="missing"') == 4
        _publish(public_dns, {k: v for k, v in records.items() if k != "tracking"})
        partly = marketer.post(f"{where}/verify")
        assert partly.status_code == 303
        shown = marketer.client.get(where).text
        assert 'data-check="ok"' in shown and shown.count('data-check="missing"') == 1
        assert "跟踪 CNAME" in shown  # the flash names the record still missing
        _publish(public_dns, {"tracking": records["tracking"]})
        assert marketer.post(f"{where}/verify").status_code == 303
        verified = marketer.client.get(where).text
        assert 'data-state="verified"' in verified and 'id="may-send"' in verified

        # The domain is offered after the @ of the sender; a task sends and reports.
        template_id = _template(api, token)
        leads = [
            _lead(api, token, name=person, email=f"{person_id}@{domain}")
            for person, person_id, domain in (
                ("王五", "wangwu", "qq.com"),
                ("赵六", "zl", "163.com"),
            )
        ]
        form = marketer.client.get(f"{EMAIL_TASKS}/new", params={"template_id": template_id})
        assert f'<option value="{name}"' in form.text and 'name="sender_local"' in form.text
        made = marketer.post(
            f"{EMAIL_TASKS}/new",
            {
                **_task_form(template_id, ""),
                "sender_local": "news",
                "sender_domain": name,
                "audience_kind": "leads",
                "lead_ids": "\n".join(leads),
            },
        )
        assert made.status_code == 303, made.text
        task = made.headers["location"]
        assert f"news@{name}" in marketer.client.get(task).text
        before = len(_outbox(api))
        tested = marketer.post(f"{task}/test-send", {"to": "me@acme.cn"})
        assert tested.status_code == 303, tested.text
        assert "测试邮件已发送至 me@acme.cn" in marketer.client.get(task).text
        mails = _outbox(api)
        assert len(mails) == before + 1 and str(mails[-1]["X-Envelope-To"]) == "me@acme.cn"

        sent = marketer.post(f"{task}/schedule", {"version": "1", "when": "now"})
        assert sent.status_code == 303, sent.text
        deadline = time.monotonic() + 30
        while _state_of(marketer, task) != "sent" and time.monotonic() < deadline:
            time.sleep(0.2)
        page = marketer.client.get(task).text
        assert 'data-state="sent"' in page and "data-percent>100<" in page
        assert "邮件发送完成" in page  # the pipeline's events have names in the history
        received = {str(mail["X-Envelope-To"]) for mail in _outbox(api)}
        assert {"wangwu@qq.com", "zl@163.com"} <= received
        deadline = time.monotonic() + 10
        while 'data-metric="sent">2<' not in page and time.monotonic() < deadline:
            time.sleep(0.2)
            page = marketer.client.get(task).text
        assert 'data-metric="sent">2<' in page  # the report, from the behaviour log
        assert re.search(r'<table id="report-domains">.*?qq\.com', page, re.S)
        assert f'href="{task}#report"' in marketer.client.get(EMAIL_TASKS).text
    finally:
        marketer.close()


def test_another_tenants_sending_domain_answers_404(api: Api) -> None:
    _other, other_token = api.tenant_with_key("tenant_admin")
    theirs = api.client.post(
        "/api/v1/sending-domains",
        json={"domain": "mail.other-tenant.cn"},
        headers={**api.key(other_token), **WRITE},
    )
    assert theirs.status_code == 201, theirs.text
    domain = f"{DOMAINS}/{theirs.json()['id']}"
    _token, marketer = _marketer(api)
    try:
        for path in ("", "/remove"):
            answer = marketer.client.get(f"{domain}{path}")
            assert answer.status_code == 404, path
            assert "other-tenant" not in answer.text
        for path in ("/verify", "/remove"):
            assert marketer.post(f"{domain}{path}", {"version": "1"}).status_code == 404, path
    finally:
        marketer.close()
