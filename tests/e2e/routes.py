"""Every /api/v1 route of the app, with a valid sample body for each write.

The isolation and bad-input suites walk this list; a new route without an entry
here (or with a path parameter the suites cannot fill) fails them, so every route
is covered automatically.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from litestar import Litestar

from adapters.archive.decryption import RsaKeyMaker

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
NO_BODY = None
# An archive key pair's private key to import (made once a test run: no key is kept in git).
SAMPLE_PRIVATE_KEY = RsaKeyMaker().generate().private_key_pem
SAMPLE_FILE = base64.b64encode("手机,姓名\n13900139002,赵六\n".encode()).decode()

SAMPLE_BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("PATCH", "/api/v1/tenant"): {"name": "Renamed Ltd"},
    ("POST", "/api/v1/api-keys"): {"name": "sync", "roles": ["marketer"]},
    ("POST", "/api/v1/api-keys/{key_id}/revoke"): NO_BODY,
    ("DELETE", "/api/v1/api-keys/{key_id}"): NO_BODY,
    ("POST", "/api/v1/departments"): {"name": "华东区"},
    ("PATCH", "/api/v1/departments/{department_id}"): {"name": "华南区"},
    ("DELETE", "/api/v1/departments/{department_id}"): NO_BODY,
    ("POST", "/api/v1/employees"): {"name": "韩梅梅", "roles": ["sales"]},
    ("PATCH", "/api/v1/employees/{employee_id}"): {"name": "Han Meimei"},
    ("POST", "/api/v1/employees/{employee_id}/leave"): NO_BODY,
    ("DELETE", "/api/v1/employees/{employee_id}"): NO_BODY,
    ("POST", "/api/v1/admin/tenants"): {
        "name": "Branch Co",
        "owner_name": "王",
        "owner_contact": "13800138000",
    },
    ("PATCH", "/api/v1/admin/tenants/{tenant_id}"): {"name": "Renamed by staff"},
    ("POST", "/api/v1/admin/tenants/{tenant_id}/suspend"): {"reason": "contract ended"},
    ("POST", "/api/v1/admin/tenants/{tenant_id}/reactivate"): NO_BODY,
    ("POST", "/api/v1/admin/tenants/{tenant_id}/api-keys"): {
        "name": "first admin",
        "roles": ["tenant_admin"],
    },
    ("POST", "/api/v1/admin/staff"): {
        "email": "new.staff@huoke.test",
        "display_name": "New",
        "roles": ["support"],
    },
    ("POST", "/api/v1/admin/staff/{staff_id}/disable"): NO_BODY,
    ("DELETE", "/api/v1/admin/staff/{staff_id}"): NO_BODY,
    ("POST", "/api/v1/subscription/trials"): {"edition": "qs_micro_basic"},
    ("POST", "/api/v1/orders"): {"kind": "new", "edition": "qs_micro_basic", "units": 1},
    ("POST", "/api/v1/orders/{order_id}/pay"): {"provider": "sandbox"},
    ("POST", "/api/v1/orders/{order_id}/cancel"): {"reason": "changed my mind"},
    ("POST", "/api/v1/refunds"): {
        "order_id": "00000000-0000-0000-0000-000000000000",
        "reason": "no longer needed",
    },
    ("POST", "/api/v1/branches"): {
        "name": "华东分公司",
        "owner_name": "王",
        "owner_contact": "wang@acme.cn",
    },
    ("POST", "/api/v1/admin/subscriptions/{subscription_id}/extend"): {
        "days": 7,
        "reason": "outage compensation",
    },
    ("POST", "/api/v1/admin/orders/{order_id}/confirm-payment"): NO_BODY,
    ("POST", "/api/v1/admin/refunds/{refund_id}/approve"): {"amount_fen": 100},
    ("POST", "/api/v1/admin/refunds/{refund_id}/reject"): {"reason": "used in full"},
    ("POST", "/api/v1/admin/refunds/{refund_id}/retry"): NO_BODY,
    ("POST", "/api/v1/leads"): {"mobile": "13900139000", "name": "张三"},
    ("PATCH", "/api/v1/leads/{lead_id}"): {"name": "李四"},
    ("POST", "/api/v1/leads/{lead_id}/identities"): {"kind": "email", "value": "z@example.com"},
    ("POST", "/api/v1/leads/{lead_id}/assign"): {
        "owner_id": "00000000-0000-0000-0000-000000000000"
    },
    ("POST", "/api/v1/leads/{lead_id}/release"): {"reason": "back to the pool"},
    ("POST", "/api/v1/leads/{lead_id}/follow-ups"): {"note": "called, interested"},
    ("POST", "/api/v1/leads/{lead_id}/close"): {"outcome": "won", "reason": "signed"},
    ("POST", "/api/v1/leads/{lead_id}/status"): {"status": "contacted"},
    ("POST", "/api/v1/leads/{lead_id}/tags"): {"tags": ["vip"]},
    ("POST", "/api/v1/leads/{lead_id}/tags/remove"): {"tags": ["vip"]},
    ("POST", "/api/v1/leads/{lead_id}/consent"): {
        "channel": "email",
        "state": "unsubscribed",
        "source": "unsubscribe link",
    },
    ("POST", "/api/v1/leads/{lead_id}/merge"): {
        "merged_id": "00000000-0000-0000-0000-000000000000"
    },
    ("POST", "/api/v1/leads/{lead_id}/delete"): {"reason": "spam"},
    ("DELETE", "/api/v1/leads/{lead_id}"): NO_BODY,
    ("POST", "/api/v1/leads/paste"): {"text": "13900139001\nli.lei@example.com"},
    ("POST", "/api/v1/lead-imports"): {
        "file_name": "leads.csv",
        "content_base64": SAMPLE_FILE,
        "mapping": {"手机": "mobile", "姓名": "name"},
    },
    ("POST", "/api/v1/lead-imports/{import_id}/resume"): {"content_base64": SAMPLE_FILE},
    ("POST", "/api/v1/lead-duplicates/scan"): NO_BODY,
    ("POST", "/api/v1/lead-duplicates/{case_id}/merge"): {
        "survivor_id": "00000000-0000-0000-0000-000000000000"
    },
    ("POST", "/api/v1/lead-duplicates/{case_id}/dismiss"): {"reason": "different people"},
    ("POST", "/api/v1/lead-duplicates/{case_id}/delete"): {
        "lead_id": "00000000-0000-0000-0000-000000000000",
        "reason": "test data",
    },
    ("PUT", "/api/v1/lead-merge-rules"): {"rules": [{"match": ["mobile", "name"]}]},
    ("DELETE", "/api/v1/lead-merge-rules"): NO_BODY,
    ("POST", "/api/v1/employees/{employee_id}/lead-handover"): {
        "to_employee_id": None,
        "reason": "离职交接",
    },
    ("POST", "/api/v1/leads/bulk"): {
        "lead_ids": ["00000000-0000-0000-0000-000000000000"],
        "action": "add_tags",
        "arguments": {"tags": ["vip"]},
    },
    ("POST", "/api/v1/lead-settings/custom-fields"): {
        "key": "company_size",
        "name": "公司规模",
        "type": "number",
    },
    ("PATCH", "/api/v1/lead-settings/custom-fields/{field_key}"): {"name": "预算（元）"},
    ("DELETE", "/api/v1/lead-settings/custom-fields/{field_key}"): NO_BODY,
    ("POST", "/api/v1/lead-settings/sources"): {"level1": "线下", "level2": "展会"},
    ("DELETE", "/api/v1/lead-settings/sources/{level1}"): NO_BODY,
    ("DELETE", "/api/v1/lead-settings/sources/{level1}/{level2}"): NO_BODY,
    ("PUT", "/api/v1/lead-settings/owner-rules/{channel}"): {
        "employee_id": "00000000-0000-0000-0000-000000000000"
    },
    ("DELETE", "/api/v1/lead-settings/owner-rules/{channel}"): NO_BODY,
    ("POST", "/api/v1/lead-settings/statuses"): {"key": "negotiating", "name": "洽谈中"},
    ("PATCH", "/api/v1/lead-settings/statuses/{status_key}"): {"name": "跟进中"},
    ("DELETE", "/api/v1/lead-settings/statuses/{status_key}"): NO_BODY,
    ("POST", "/api/v1/lead-settings/tag-groups"): {"name": "行业"},
    ("PATCH", "/api/v1/lead-settings/tag-groups/{group_id}"): {"name": "行业分类"},
    ("DELETE", "/api/v1/lead-settings/tag-groups/{group_id}"): NO_BODY,
    ("POST", "/api/v1/lead-settings/tags"): {"name": "高意向"},
    ("PATCH", "/api/v1/lead-settings/tags/{tag}"): {"group_id": "ungrouped"},
    ("POST", "/api/v1/lead-settings/tags/{tag}/rename"): {"name": "高意向客户"},
    ("DELETE", "/api/v1/lead-settings/tags/{tag}"): NO_BODY,
    ("POST", "/api/v1/lead-settings/user-types"): {"key": "agent", "name": "代理商"},
    ("PATCH", "/api/v1/lead-settings/user-types/{user_type}"): {"name": "供应商（一级）"},
    ("DELETE", "/api/v1/lead-settings/user-types/{user_type}"): NO_BODY,
    ("POST", "/api/v1/tracking/sources"): {"name": "官网", "kind": "website"},
    ("PATCH", "/api/v1/tracking/sources/{source_id}"): {"name": "官网 H5"},
    ("POST", "/api/v1/tracking/sources/{source_id}/rotate-key"): NO_BODY,
    ("POST", "/api/v1/tracking/sources/{source_id}/revoke"): NO_BODY,
    ("POST", "/api/v1/tracking/links"): {
        "target_url": "https://www.acme.cn/spring",
        "title": "春季发布会",
        "channel": "朋友圈",
    },
    ("POST", "/api/v1/tracking/links/batch"): {
        "target_url": "https://www.acme.cn/spring",
        "title": "春季发布会",
        "channels": ["朋友圈", "公众号"],
    },
    ("POST", "/api/v1/tracking/links/{link_id}/archive"): NO_BODY,
    ("PUT", "/api/v1/tracking/settings"): {"auto_ad_campaigns": True},
    ("POST", "/api/v1/saved-searches"): {
        "name": "北京客户",
        "filter": {"field": "city", "op": "equals", "value": "北京"},
    },
    ("PATCH", "/api/v1/saved-searches/{saved_search_id}"): {"name": "北京的客户"},
    ("DELETE", "/api/v1/saved-searches/{saved_search_id}"): NO_BODY,
    ("POST", "/api/v1/scoring/rules"): {
        "title": "浏览官网",
        "category": "website",
        "points": 2,
        "frequency": "per_day",
        "behaviour": {"kind": "page"},
    },
    ("PATCH", "/api/v1/scoring/rules/{rule_id}"): {"points": 3},
    ("DELETE", "/api/v1/scoring/rules/{rule_id}"): NO_BODY,
    ("PUT", "/api/v1/scoring/settings"): {"temperature": {"hot": 85, "warm": 55}},
    ("POST", "/api/v1/leads/{lead_id}/score/adjustments"): {"points": 5, "reason": "电话沟通"},
    ("POST", "/api/v1/groups"): {"name": "展会名单"},
    ("POST", "/api/v1/groups/merge"): {
        "source_ids": ["00000000-0000-0000-0000-000000000001"],
        "target_id": "00000000-0000-0000-0000-000000000000",
    },
    ("PATCH", "/api/v1/groups/{lead_group_id}"): {"name": "展会名单（复核）"},
    ("DELETE", "/api/v1/groups/{lead_group_id}"): NO_BODY,
    ("POST", "/api/v1/groups/{lead_group_id}/members"): {
        "lead_ids": ["00000000-0000-0000-0000-000000000000"]
    },
    ("POST", "/api/v1/groups/{lead_group_id}/members/remove"): {
        "lead_ids": ["00000000-0000-0000-0000-000000000000"]
    },
    ("POST", "/api/v1/groups/{lead_group_id}/members/actions"): {
        "action": "add_tags",
        "tags": ["展会"],
    },
    # messaging (issue 17)
    ("POST", "/api/v1/sending-domains"): {"domain": "mail.acme.cn"},
    ("POST", "/api/v1/sending-domains/{sending_domain_id}/verify"): NO_BODY,
    ("DELETE", "/api/v1/sending-domains/{sending_domain_id}"): NO_BODY,
    ("POST", "/api/v1/email-templates"): {
        "name": "会员日",
        "subject": "{{name}}，会员日快乐",
        "html": "<p>{{name}}，您好</p>",
    },
    ("PATCH", "/api/v1/email-templates/{email_template_id}"): {"name": "会员日（新）"},
    ("DELETE", "/api/v1/email-templates/{email_template_id}"): NO_BODY,
    ("POST", "/api/v1/email-templates/{email_template_id}/preview"): {
        "lead_id": "00000000-0000-0000-0000-000000000000"
    },
    ("POST", "/api/v1/email-tasks"): {
        "name": "双十一",
        "subject": "{{name}}，双十一专属优惠",
        "sender_name": "获客科技",
        "sender_address": "news@mail.acme.cn",
        "template_id": "00000000-0000-0000-0000-000000000000",
        "audience": {"kind": "leads", "lead_ids": ["00000000-0000-0000-0000-000000000000"]},
    },
    ("PATCH", "/api/v1/email-tasks/{email_task_id}"): {"name": "双十二"},
    ("POST", "/api/v1/email-tasks/{email_task_id}/schedule"): {"send_at": None},
    ("POST", "/api/v1/email-tasks/{email_task_id}/unschedule"): NO_BODY,
    ("POST", "/api/v1/email-tasks/{email_task_id}/cancel"): NO_BODY,
    ("POST", "/api/v1/email-tasks/{email_task_id}/copy"): NO_BODY,
    ("POST", "/api/v1/email-tasks/{email_task_id}/test-send"): {"to": "me@acme.cn"},
    ("DELETE", "/api/v1/email-tasks/{email_task_id}"): NO_BODY,
    ("POST", "/api/v1/sms/signatures"): {"text": "获客科技", "purpose": "公司简称"},
    ("POST", "/api/v1/sms/signatures/{sms_signature_id}/approve"): NO_BODY,
    ("POST", "/api/v1/sms/signatures/{sms_signature_id}/reject"): {"reason": "与企业名称不符"},
    ("DELETE", "/api/v1/sms/signatures/{sms_signature_id}"): NO_BODY,
    ("POST", "/api/v1/sms/tasks"): {
        "name": "双十一短信",
        "signature_id": "00000000-0000-0000-0000-000000000000",
        "text": "会员日全场5折，回T退订",
        "audience": {"kind": "leads", "lead_ids": ["00000000-0000-0000-0000-000000000000"]},
    },
    ("PATCH", "/api/v1/sms/tasks/{sms_task_id}"): {"name": "改名"},
    ("POST", "/api/v1/sms/tasks/{sms_task_id}/submit"): {"send_at": None},
    ("POST", "/api/v1/sms/tasks/{sms_task_id}/approve"): NO_BODY,
    ("POST", "/api/v1/sms/tasks/{sms_task_id}/reject"): {"reason": "内容不合规"},
    ("POST", "/api/v1/sms/tasks/{sms_task_id}/schedule"): {"send_at": None},
    ("POST", "/api/v1/sms/tasks/{sms_task_id}/unschedule"): NO_BODY,
    ("POST", "/api/v1/sms/tasks/{sms_task_id}/cancel"): NO_BODY,
    ("POST", "/api/v1/sms/tasks/{sms_task_id}/copy"): NO_BODY,
    ("DELETE", "/api/v1/sms/tasks/{sms_task_id}"): NO_BODY,
    ("POST", "/api/v1/wechat/accounts"): {
        "name": "服务号",
        "appid": "wx00000000000000aa",
        "app_secret": "0123456789abcdef0123456789abcdef",
        "callback_token": "sampleToken",
        "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "kind": "service",
        "verified": True,
    },
    ("PATCH", "/api/v1/wechat/accounts/{account_id}"): {"name": "改名"},
    ("POST", "/api/v1/wechat/accounts/{account_id}/auto-replies"): {"follow_reply": "欢迎关注"},
    ("POST", "/api/v1/wechat/accounts/{account_id}/templates"): {
        "template_id": "TPL-1",
        "title": "预约成功通知",
        "fields": ["first", "remark"],
    },
    ("POST", "/api/v1/wechat/accounts/{account_id}/unbind"): NO_BODY,
    ("POST", "/api/v1/wechat/accounts/{account_id}/menu"): {
        "buttons": [{"name": "官网", "type": "view", "url": "https://acme.cn/"}]
    },
    ("POST", "/api/v1/wechat/accounts/{account_id}/menu/publish"): NO_BODY,
    ("POST", "/api/v1/wechat/accounts/{account_id}/fans/{openid}/messages"): {"text": "您好"},
    ("POST", "/api/v1/wechat/accounts/{account_id}/fans/sync"): NO_BODY,
    ("POST", "/api/v1/wechat/accounts/{account_id}/fans/tag"): {"tag_id": 2, "openids": ["o1"]},
    ("POST", "/api/v1/wechat/accounts/{account_id}/materials/sync"): NO_BODY,
    ("POST", "/api/v1/wechat/accounts/{account_id}/qr-codes"): {
        "name": "展会",
        "scene": "expo",
        "valid_days": 7,
        "reply": "欢迎来到展台",
    },
    ("PATCH", "/api/v1/wechat/qr-codes/{qr_code_id}"): {"reply": "欢迎"},
    ("POST", "/api/v1/wechat/accounts/{account_id}/lead-qr-codes"): {
        "lead_id": "00000000-0000-0000-0000-000000000000"
    },
    ("POST", "/api/v1/wechat/qr-codes/{qr_code_id}/archive"): NO_BODY,
    ("POST", "/api/v1/wechat/mass-sends"): {
        "account_id": "00000000-0000-0000-0000-000000000000",
        "name": "会员日",
        "mode": "normal",
        "audience": {"include": {"tag_ids": [101], "provinces": ["上海"]}, "exclude": {"sex": 2}},
        "message": {"kind": "text", "text": "会员日全场五折"},
    },
    ("POST", "/api/v1/wechat/mass-sends/{mass_send_id}/preview"): {"openid": "oPreview"},
    ("POST", "/api/v1/wechat/mass-sends/{mass_send_id}/send"): NO_BODY,
    ("POST", "/api/v1/flows"): {
        "name": "欢迎",
        "trigger": {"kind": "tag_added", "tag": "新注册"},
        "graph": {
            "start": "t",
            "nodes": [
                {"id": "t", "kind": "add_tag", "tag": "欢迎", "next": "e"},
                {"id": "e", "kind": "end"},
            ],
        },
    },
    ("PUT", "/api/v1/flows/{flow_id}"): {
        "name": "欢迎（新）",
        "trigger": {"kind": "tag_added", "tag": "新注册"},
        "graph": {"start": "e", "nodes": [{"id": "e", "kind": "end"}]},
    },
    ("POST", "/api/v1/flows/scenarios/copy"): {"scenario": "welcome_series"},
    ("POST", "/api/v1/flows/{flow_id}/enable"): NO_BODY,
    ("POST", "/api/v1/flows/{flow_id}/disable"): {"mode": "drain"},
    # the archive's setup and ingestion (ARCH-1)
    ("PUT", "/api/v1/archive/settings"): {
        "corpid": "ww0123456789abcdef",
        "sdk_secret": "archive-secret-0123456789abcdef",
        "enabled": False,
    },
    ("POST", "/api/v1/archive/settings/keys"): {"publickey_ver": 1},
    ("POST", "/api/v1/archive/settings/keys/import"): {
        "publickey_ver": 2,
        "private_key_pem": SAMPLE_PRIVATE_KEY,
    },
    ("DELETE", "/api/v1/archive/settings/keys/{publickey_ver}"): NO_BODY,
    ("POST", "/api/v1/archive/ingestion/pull"): NO_BODY,
    # the archive's screening and reply timeouts (ARCH-3, ARCH-4)
    ("POST", "/api/v1/archive/word-lists"): {"name": "辱骂", "category": "辱骂", "words": ["傻X"]},
    ("PATCH", "/api/v1/archive/word-lists/{word_list_id}"): {"name": "辱骂词库"},
    ("POST", "/api/v1/archive/word-lists/{word_list_id}/words"): {"lines": "保本\n加微信"},
    ("POST", "/api/v1/archive/word-lists/{word_list_id}/words/remove"): {"words": ["保本"]},
    ("POST", "/api/v1/archive/word-lists/{word_list_id}/archive"): NO_BODY,
    ("PUT", "/api/v1/archive/screening-rules"): {
        "behaviours": ["mobile", "link"],
        "allowed_employees": ["zhangsan"],
    },
    ("PUT", "/api/v1/archive/reply-rules"): {
        "threshold_minutes": 30,
        "working_hours": [{"weekday": 1, "start": "09:00", "end": "18:00"}],
    },
    ("POST", "/api/v1/flows/{flow_id}/archive"): NO_BODY,
    ("POST", "/api/v1/flows/{flow_id}/dry-run"): {
        "lead_id": "00000000-0000-0000-0000-000000000000"
    },
    ("POST", "/api/v1/reach-campaigns"): {
        "name": "直播提醒",
        "starts_at": "2027-03-01T09:00:00+08:00",
        "ends_at": "2027-03-10T18:00:00+08:00",
        "audience": {"field": "tags", "op": "equals", "value": "会员"},
        "branches": [
            {
                "name": "全部",
                "send": {"rule": "immediately"},
                "content": {"kind": "send_sms", "text": "直播今晚开始，回T退订"},
            }
        ],
    },
    ("POST", "/api/v1/reach-campaigns/{campaign_id}/schedule"): NO_BODY,
    ("POST", "/api/v1/reach-campaigns/{campaign_id}/cancel"): {"reason": "活动延期"},
    ("POST", "/api/v1/wechat/template-sends"): {
        "account_id": "00000000-0000-0000-0000-000000000000",
        "template_id": "TPL-1",
        "data": {"first": "{{nickname}}，您好", "remark": "点击查看"},
        "url": "https://acme.cn/l/1",
        "audience": {"openids": ["oSample"]},
    },
    # WeCom SCRM core (WECOM-1…5): the corp, its members, syncs
    ("POST", "/api/v1/wecom/corps"): {
        "name": "火客科技",
        "corpid": "ww0a1b2c3d4e5f6a7b",
        "agentid": 1000002,
        "app_secret": "Kx3cS9aV2mP7qL0wE5rT8yU1iO4pA6sD2fG3hJ9kL2z",
        "callback_token": "huokeToken",
        "encoding_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    },
    ("PATCH", "/api/v1/wecom/corps/{corp_id}"): {"name": "火客科技（华东）"},
    ("POST", "/api/v1/wecom/corps/{corp_id}/unbind"): NO_BODY,
    ("POST", "/api/v1/wecom/corps/{corp_id}/contacts/sync"): NO_BODY,
    ("POST", "/api/v1/wecom/corps/{corp_id}/groups/sync"): NO_BODY,
    ("POST", "/api/v1/wecom/members/{userid}/link"): {"employee_id": None},
    # WeCom live codes and welcome messages (WECOM-1)
    ("POST", "/api/v1/wecom/live-codes"): {
        "name": "门店海报",
        "employees": [{"userid": "ZhangWei", "daily_cap": 20}, {"userid": "LiNa"}],
        "backup": "WangFang",
        "tags": ["etLevelVip"],
        "welcome_mode": "own",
        "welcome": {"text": "您好，我是您的专属顾问"},
    },
    ("PATCH", "/api/v1/wecom/live-codes/{live_code_id}"): {"name": "门店海报二期"},
    ("POST", "/api/v1/wecom/live-codes/{live_code_id}/archive"): NO_BODY,
    ("PUT", "/api/v1/wecom/welcome-messages/{wecom_department_id}"): {
        "welcome": {"text": "欢迎加入火客科技"}
    },
    # WeCom customer inheritance (WECOM-4, ORG-3)
    ("POST", "/api/v1/wecom/transfers"): {
        "employee_id": "00000000-0000-0000-0000-000000000000",
        "to_employee_id": "00000000-0000-0000-0000-000000000001",
        "reason": "离职交接",
    },
    # WeCom mass sends, follow-ups and sidebar materials (WECOM-2, WECOM-5)
    ("POST", "/api/v1/wecom/mass-sends"): {
        "name": "双十一预热",
        "content": {"text": "新品上市"},
        "audience": {"scope": "employees", "userids": ["ZhangWei"]},
    },
    ("POST", "/api/v1/wecom/mass-sends/{wecom_mass_send_id}/plan"): NO_BODY,
    ("POST", "/api/v1/wecom/mass-sends/{wecom_mass_send_id}/submit"): NO_BODY,
    ("POST", "/api/v1/wecom/mass-sends/{wecom_mass_send_id}/cancel"): {"reason": "延期"},
    ("POST", "/api/v1/wecom/mass-sends/{wecom_mass_send_id}/collect"): NO_BODY,
    ("POST", "/api/v1/wecom/follow-ups"): {"title": "回访", "assignees": ["ZhangWei"]},
    ("POST", "/api/v1/wecom/follow-ups/{follow_up_id}/done"): {"userid": "ZhangWei"},
    ("POST", "/api/v1/wecom/follow-ups/{follow_up_id}/reopen"): {"userid": "ZhangWei"},
    ("POST", "/api/v1/wecom/follow-ups/{follow_up_id}/reschedule"): {"due_at": None},
    ("POST", "/api/v1/wecom/follow-ups/{follow_up_id}/cancel"): {"reason": "已成交"},
    ("POST", "/api/v1/wecom/sidebar-materials"): {
        "title": "开场白",
        "fields": {"text": "您好"},
    },
    ("PATCH", "/api/v1/wecom/sidebar-materials/{material_id}"): {"title": "开场白二"},
    ("POST", "/api/v1/wecom/sidebar-materials/{material_id}/switch"): {"enabled": False},
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # with {name} parameters

    @property
    def is_admin(self) -> bool:
        return self.path.startswith("/api/v1/admin")

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def parameters(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    @property
    def refers_to_records(self) -> bool:
        """The sample body names another record (e.g. an order to refund)."""
        return any(key.endswith("_id") for key in (self.body() or {})) if self.is_write else False

    def body(self) -> dict[str, Any] | None:
        key = (self.method, self.path)
        if key not in SAMPLE_BODIES:
            raise AssertionError(f"add a sample body for {key} to tests/e2e/routes.py")
        return SAMPLE_BODIES[key]

    def url(self, ids: dict[str, str]) -> str:
        missing = [name for name in self.parameters if name not in ids]
        assert not missing, f"{self.method} {self.path}: no test id for {missing}"
        return self.path.format(**{name: ids[name] for name in self.parameters})


def api_routes(app: Litestar) -> list[Route]:
    routes = [
        Route(method, route.path_format)
        for route in app.routes
        if route.path_format.startswith("/api/v1/")
        for method in sorted(getattr(route, "methods", ()))
        if method not in ("OPTIONS", "HEAD")
    ]
    assert len(routes) > 20
    return routes
