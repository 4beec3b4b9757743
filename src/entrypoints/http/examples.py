"""A realistic example body for every operation that takes one, by operation id.

They appear in the docs (`/schema`), and the suite sends each of them to its route
(`tests/e2e/test_openapi.py`), so an example that its route refuses fails the build.
Ids in examples are the placeholders below; the test puts real records in their place.
"""

from __future__ import annotations

import base64
from typing import Any

EMPLOYEE_ID = "5d6f7a8b-0c1d-4e2f-8a9b-0c1d2e3f4a5b"
DEPARTMENT_ID = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"
ORDER_ID = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
LEAD_ID = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
DUPLICATE_LEAD_ID = "2a3b4c5d-6e7f-4081-9223-34455667788a"
LEAD_GROUP_ID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
OTHER_LEAD_GROUP_ID = "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a"
EMAIL_TEMPLATE_ID = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
SMS_SIGNATURE_ID = "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c"
WECHAT_ACCOUNT_ID = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
WECHAT_TEMPLATE_ACCOUNT_ID = "8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e"
WECOM_BACKUP_USERID = "WangFang"  # a member of the tenant's bound corp (its contacts synced)
# Employees linked to members of the bound corp: one with WeCom customers, one to take them.
WECOM_HANDOVER_EMPLOYEE_ID = "9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
WECOM_TAKEOVER_EMPLOYEE_ID = "0d1e2f3a-4b5c-4d6e-9f7a-8b9c0d1e2f3a"
# An archive key pair's private key (docs show where it goes; the suite puts a real one).
ARCHIVE_PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----（未加密的 RSA 私钥）-----END PRIVATE KEY-----"

# 手机,姓名,公司 / one row: what a sales team exports from a spreadsheet.
SAMPLE_CSV = base64.b64encode(
    "手机,姓名,公司\n13912345678,王小明,杭州某某网络科技有限公司\n".encode()
).decode()

# A flow as the API takes it (docs/flows.md): tag, wait, a branch on what the lead did.
FLOW_GRAPH: dict[str, Any] = {
    "start": "welcome",
    "nodes": [
        {"id": "welcome", "kind": "add_tag", "tag": "欢迎系列", "next": "points"},
        {"id": "points", "kind": "add_score", "points": 5, "valid_days": 30, "next": "wait"},
        {"id": "wait", "kind": "wait", "amount": 2, "unit": "days", "next": "active"},
        {
            "id": "active",
            "kind": "branch",
            "filter": {"behaviour": {"kind": "page", "within_days": 2}, "did": True},
            "yes": "hot",
            "no": "end",
        },
        {
            "id": "hot",
            "kind": "notify_owner",
            "text": "新会员两天内访问了官网，请跟进",
            "next": "end",
        },
        {"id": "end", "kind": "end"},
    ],
}

REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    # WeChat Official Accounts (WX)
    "bindWechatAccount": {
        "name": "获客科技服务号",
        "appid": "wx3f2a9b7c1d0e4f58",
        "app_secret": "9f86d081884c7d659a2feaa0c55ad015",
        "callback_token": "huokeCallback2026",
        "encoding_aes_key": "Q8cD4kR2vN7pL1sX9mB3tY6wZ0aE5fH8jK2nP4rU7xV",
        "kind": "service",
        "verified": True,
    },
    "reviseWechatAccount": {"name": "获客科技", "verified": True},
    "setWechatAutoReplies": {
        "follow_reply": "欢迎关注获客科技！回复「价格」了解套餐，回复「演示」预约体验。",
        "keyword_replies": [
            {
                "keyword": "价格",
                "match": "contains",
                "reply": "专业版 ¥3,980/年起，详见菜单「套餐」。",
            },
            {
                "keyword": "演示",
                "match": "exact",
                "reply": "请留下手机号，顾问 1 个工作日内联系您。",
            },
        ],
    },
    "addWechatTemplate": {
        "template_id": "OPENTM207940503",
        "title": "预约成功通知",
        "fields": ["first", "keyword1", "keyword2", "remark"],
    },
    "draftWechatMenu": {
        "buttons": [
            {
                "name": "产品",
                "sub_button": [
                    {"name": "套餐价格", "type": "click", "key": "PRICE"},
                    {"name": "官网", "type": "view", "url": "https://www.acme.cn/"},
                ],
            },
            {"name": "预约演示", "type": "click", "key": "DEMO"},
        ]
    },
    "tagWechatFans": {"tag_id": 101, "openids": ["oFan8a1c2e3f4b5d"]},
    "replyToWechatFan": {"text": "您好，已为您预约周三下午 3 点的产品演示。"},
    "makeWechatQrCode": {
        "name": "2026 上海零售展 A3 展位",
        "scene": "expo2026-a3",
        "valid_days": 30,
        "reply": "欢迎来到 A3 展位！回复「演示」预约一对一讲解。",
    },
    "makeWechatLeadQrCode": {"lead_id": LEAD_ID, "valid_days": 7},
    "reviseWechatQrCode": {"reply": "展会已结束，回复「演示」预约线上讲解。"},
    "draftWechatMassSend": {
        "account_id": WECHAT_ACCOUNT_ID,
        "name": "双十一会员日",
        "mode": "normal",
        "audience": {
            "include": {"tag_ids": [101], "provinces": ["上海", "浙江"]},
            "exclude": {"tag_ids": [108]},
        },
        "message": {"kind": "text", "text": "双十一会员日：全场五折，回复「会员」领取优惠券。"},
    },
    "previewWechatMassSend": {"openid": "oX7a2s5dF8gH1jK4lZ0xC3vB6nM9"},
    "sendWechatTemplate": {
        "account_id": WECHAT_TEMPLATE_ACCOUNT_ID,
        "template_id": "OPENTM207940503",
        "data": {
            "first": "{{nickname}}，您的体验课已预约成功",
            "keyword1": "产品演示课",
            "keyword2": "12 月 9 日 14:00",
            "remark": "点击查看上课地址",
        },
        "url": "https://acme.cn/l/demo-class",
        "audience": {"openids": ["oX7a2s5dF8gH1jK4lZ0xC3vB6nM9"]},
    },
    # messaging (MAIL, SMS)
    "addSendingDomain": {"domain": "mail.acme.cn"},
    "createEmailTemplate": {
        "name": "双十一会员邀请",
        "subject": "{{ name }}，双十一会员专享",
        "html": "<h1>{{ name }}，您好</h1><p>{{ company }} 的专属优惠已经准备好。</p>"
        '<p><a href="https://www.acme.cn/1111">立即查看</a></p>',
        "scene": "促销",
        "industry": "零售",
        "defaults": {"name": "尊敬的客户", "company": "贵公司"},
    },
    "reviseEmailTemplate": {"subject": "{{ name }}，双十一最后一天"},
    "previewEmailTemplate": {"lead_id": LEAD_ID},
    "draftEmailTask": {
        "name": "双十一会员专享",
        "subject": "{{ name }}，双十一会员专享",
        "sender_name": "获客科技",
        "sender_address": "news@mail.acme.cn",
        "reply_to": "service@acme.cn",
        "template_id": EMAIL_TEMPLATE_ID,
        "audience": {"kind": "leads", "lead_ids": [LEAD_ID]},
    },
    "reviseEmailTask": {"name": "双十一会员专享（第二轮）"},
    "scheduleEmailTask": {"send_at": "2026-11-11T02:00:00Z"},
    "testSendEmailTask": {"to": "marketing@acme.cn", "lead_id": LEAD_ID},
    "submitSmsSignature": {"text": "获客科技", "purpose": "公司简称"},
    "rejectSmsSignature": {"reason": "签名与企业名称不符"},
    "draftSmsTask": {
        "name": "会员日短信",
        "signature_id": SMS_SIGNATURE_ID,
        "text": "{{name}}您好，会员日全场5折，详情 https://www.acme.cn/vip 回T退订",
        "audience": {"kind": "leads", "lead_ids": [LEAD_ID]},
    },
    "reviseSmsTask": {"name": "会员日短信（第二轮）"},
    "submitSmsTask": {"send_at": None},
    "scheduleSmsTask": {"send_at": None},
    "rejectSmsTask": {"reason": "内容含有未经证实的宣传用语"},
    # tenant and access
    "updateTenant": {"name": "上海某某科技有限公司", "timezone": "Asia/Shanghai"},
    "issueApiKey": {"name": "CRM 同步", "roles": ["marketer"]},
    # org
    "establishDepartment": {"name": "华东销售部"},
    "reviseDepartment": {"name": "华东大区销售部"},
    "hireEmployee": {
        "name": "韩梅梅",
        "email": "han.meimei@example.cn",
        "mobile": "13800138001",
        "department_id": DEPARTMENT_ID,
        "roles": ["sales"],
    },
    "reviseEmployee": {"mobile": "13912345601", "roles": ["sales", "sales_manager"]},
    # billing
    "startTrial": {"edition": "qs_micro_entry"},
    "placeOrder": {"kind": "new", "edition": "qs_micro_basic", "units": 12},
    "payOrder": {"provider": "sandbox", "channel": "native"},
    "cancelOrder": {"reason": "下错了版本，重新下单"},
    "requestRefund": {"order_id": ORDER_ID, "reason": "业务调整，不再需要"},
    "openBranch": {
        "name": "华东分公司",
        "owner_name": "李娜",
        "owner_contact": "li.na@example.cn",
        "timezone": "Asia/Shanghai",
    },
    # back office
    "adminRegisterTenant": {
        "name": "杭州某某网络科技有限公司",
        "owner_name": "王芳",
        "owner_contact": "13800138000",
        "timezone": "Asia/Shanghai",
    },
    "adminUpdateTenant": {"owner_contact": "wang.fang@example.cn"},
    "adminSuspendTenant": {"reason": "合同到期未续约"},
    "adminIssueApiKey": {"name": "首个管理员密钥", "roles": ["tenant_admin"]},
    "adminEnrolStaff": {
        "email": "zhang.wei@huoke.example",
        "display_name": "张伟",
        "roles": ["support"],
    },
    "adminExtendSubscription": {"days": 7, "reason": "服务中断补偿"},
    "adminApproveRefund": {"amount_fen": 100, "override_reason": "与客户协商，按实际使用退款"},
    "adminRejectRefund": {"reason": "已超过退款期限"},
    # leads
    "createLead": {
        "mobile": "13800138000",
        "email": "zhang.san@example.cn",
        "name": "张三",
        "company": "北京某某科技有限公司",
        "title": "采购经理",
        "city": "北京",
        "source": {"level1": "线上", "level2": "官网", "utm_source": "baidu"},
    },
    "updateLead": {"company": "北京某某科技有限公司", "title": "采购总监", "city": "北京"},
    "attachIdentity": {"kind": "email", "value": "zhang.san@corp.example.cn"},
    "assignLead": {"owner_id": EMPLOYEE_ID, "reason": "华东区客户"},
    "releaseLead": {"reason": "三个月未跟进，退回公海"},
    "followUpLead": {"note": "电话沟通，对年度套餐有兴趣，下周二上门演示"},
    "changeLeadStatus": {"status": "contacted"},
    "tagLead": {"tags": ["高意向"]},
    "untagLead": {"tags": ["高意向"]},
    "changeLeadConsent": {"channel": "sms", "state": "unsubscribed", "source": "短信回复 TD"},
    "closeLead": {"outcome": "won", "reason": "已签约年度套餐"},
    "mergeLeads": {"merged_id": DUPLICATE_LEAD_ID},
    "deleteLeadAction": {"reason": "测试数据"},
    "pasteLeads": {"text": "13912345602\nli.lei@example.cn", "source": {"level1": "线下"}},
    "importLeads": {
        "file_name": "展会线索.csv",
        "content_base64": SAMPLE_CSV,
        "mapping": {"手机": "mobile", "姓名": "name", "公司": "company"},
        "source": {"level1": "线下", "level2": "展会"},
    },
    "resumeLeadImport": {"content_base64": SAMPLE_CSV},
    "bulkLeadAction": {
        "action": "add_tags",
        "lead_ids": [LEAD_ID],
        "arguments": {"tags": ["高意向"]},
    },
    "handOverLeads": {"to_employee_id": EMPLOYEE_ID, "reason": "离职交接"},
    # cleaning
    "mergeDuplicateCase": {"survivor_id": LEAD_ID},
    "dismissDuplicateCase": {"reason": "同名不同人"},
    "deleteDuplicateLead": {"lead_id": DUPLICATE_LEAD_ID, "reason": "重复录入"},
    "setMergeRules": {
        "rules": [{"match": ["mobile"], "survivor": "oldest", "fields": "keep_non_empty"}]
    },
    # lead settings
    "defineCustomField": {
        "key": "company_size",
        "name": "公司规模",
        "type": "single_select",
        "options": ["1-49 人", "50-499 人", "500 人以上"],
    },
    "changeCustomField": {"name": "企业规模", "required": False},
    "addLeadSource": {"level1": "线下", "level2": "展会"},
    "setDefaultOwner": {"employee_id": EMPLOYEE_ID},
    "addLeadStatus": {"key": "negotiating", "name": "洽谈中"},
    "changeLeadStatusSetting": {"name": "商务洽谈"},
    "addTagGroup": {"name": "行业"},
    "renameTagGroup": {"name": "所属行业"},
    "addTag": {"name": "高意向"},
    "moveTag": {"group_id": "ungrouped"},
    "renameTag": {"name": "强意向"},
    "addUserType": {"key": "supplier", "name": "供应商"},
    "renameUserType": {"name": "一级供应商"},
    # tracking sources
    "createTrackingSource": {"name": "官网", "kind": "website", "honour_do_not_track": True},
    "reviseTrackingSource": {"name": "官网（新版）", "honour_do_not_track": False},
    # promotion links
    "createPromotionLink": {
        "target_url": "https://www.example.cn/events/2026-spring",
        "title": "春季发布会报名页",
        "channel": "朋友圈",
        "utm_source": "wechat",
        "utm_medium": "moments",
        "utm_campaign": "2026-spring",
    },
    "createPromotionLinkSet": {
        "target_url": "https://www.example.cn/events/2026-spring",
        "title": "春季发布会报名页",
        "channels": ["朋友圈", "公众号", "短信"],
        "utm_campaign": "2026-spring",
    },
    "changeTrackingSettings": {"auto_ad_campaigns": True},
    # saved searches
    "saveSearch": {
        "name": "近30天看过价格页的制造业客户",
        "filter": {
            "all": [
                {"field": "custom.industry", "op": "equals", "value": "制造业"},
                {"behaviour": {"kind": "page", "name": "/pricing", "within_days": 30}, "did": True},
                {"field": "score", "op": "range", "value": {"from": 60}},
            ]
        },
    },
    "reviseSavedSearch": {"name": "高意向制造业客户"},
    # groups (SEG-1, SEG-3)
    "formGroup": {
        "name": "近30天活跃的高意向客户",
        "kind": "smart",
        "filter": {
            "all": [
                {"field": "tags", "op": "equals", "value": "高意向"},
                {"behaviour": {"kind": "*", "within_days": 30}, "did": True},
            ]
        },
    },
    "reviseGroup": {"name": "春季展会名单（复核）"},
    "mergeGroups": {"source_ids": [OTHER_LEAD_GROUP_ID], "target_id": LEAD_GROUP_ID},
    "addGroupMembers": {"lead_ids": [LEAD_ID]},
    "removeGroupMembers": {"lead_ids": [LEAD_ID]},
    "actOnGroupMembers": {"action": "add_tags", "tags": ["春季展会"]},
    # scoring
    "createScoreRule": {
        "title": "下载白皮书",
        "category": "content",
        "points": 10,
        "frequency": "per_day",
        "validity_days": 90,
        "cap": 30,
        "behaviour": {"kind": "track", "name": "download_whitepaper"},
    },
    "changeScoreRule": {"points": 15, "validity_days": 60},
    "changeScoringSettings": {
        "behaviour_bands": [0, 26, 51, 76],
        "temperature": {"hot": 90, "warm": 60},
        "categories": [{"key": "email", "enabled": True, "cap": 40}],
    },
    "adjustLeadScore": {"points": 10, "reason": "展会现场深入交流", "part": "behaviour"},
    # flows: a welcome series whose later steps depend on what the lead did
    "draftFlow": {
        "name": "新会员欢迎 · welcome",
        "trigger": {"kind": "tag_added", "tag": "新注册"},
        "graph": FLOW_GRAPH,
        "enrolment_rule": "once",
    },
    "editFlow": {
        "name": "新会员欢迎（三天）",
        "trigger": {"kind": "tag_added", "tag": "新注册"},
        "graph": FLOW_GRAPH,
        "enrolment_rule": "every_days",
        "every_days": 30,
    },
    "copyFlowScenario": {"scenario": "dormant_reactivation", "name": "沉睡客户唤醒"},
    "disableFlow": {"mode": "drain"},
    "dryRunFlow": {"lead_id": LEAD_ID},
    # reach campaigns: a live stream announced to members, VIPs an hour before it starts
    "planReachCampaign": {
        "name": "3月直播会员触达",
        "starts_at": "2027-03-01T09:00:00+08:00",
        "ends_at": "2027-03-10T18:00:00+08:00",
        "event_starts_at": "2027-03-10T19:30:00+08:00",
        "audience": {"field": "tags", "op": "equals", "value": "会员"},
        "branches": [
            {
                "name": "VIP",
                "filter": {"field": "tags", "op": "equals", "value": "VIP"},
                "send": {"rule": "before_start", "amount": 1, "unit": "hours"},
                "content": {
                    "kind": "send_sms",
                    "signature_id": SMS_SIGNATURE_ID,
                    "text": "VIP专场直播一小时后开始，回T退订",
                },
            },
            {
                "name": "其他会员 · other members",
                "send": {"rule": "after", "amount": 1, "unit": "days"},
                "content": {
                    "kind": "send_sms",
                    "signature_id": SMS_SIGNATURE_ID,
                    "text": "3月10日晚7点半直播，记得来看，回T退订",
                },
            },
        ],
    },
    # The session archive's setup (ARCH-1)
    "changeArchiveSettings": {
        "corpid": "ww5a0e1c2b3d4f6a7b",
        "sdk_secret": "Qm9vdHN0cmFwQXJjaGl2ZVNlY3JldDAxMjM0NTY3ODk",
        "enabled": False,
    },
    "generateArchiveKey": {"publickey_ver": 1},
    "importArchiveKey": {"publickey_ver": 2, "private_key_pem": ARCHIVE_PRIVATE_KEY},
    # The session archive's screening and reply timeouts (ARCH-3, ARCH-4)
    "makeArchiveWordList": {
        "name": "违规承诺",
        "category": "违规承诺",
        "words": ["保本", "稳赚不赔", "包过"],
    },
    "reviseArchiveWordList": {"name": "违规承诺（理财）", "category": "违规承诺"},
    "addArchiveWords": {"words": ["零风险"], "lines": "加我私人微信\n返现\n"},
    "removeArchiveWords": {"words": ["包过"]},
    "changeArchiveScreeningRules": {
        "behaviours": ["mobile", "email", "bank_card", "red_packet", "file", "link"],
        "allowed_employees": ["zhangwei", "li.na"],
    },
    "changeArchiveReplyRules": {
        "enabled": True,
        "threshold_minutes": 30,
        "working_hours": [
            *({"weekday": day, "start": "09:00", "end": "12:00"} for day in range(1, 6)),
            *({"weekday": day, "start": "13:30", "end": "18:00"} for day in range(1, 6)),
            {"weekday": 6, "start": "10:00", "end": "16:00"},
        ],
        "include_groups": False,
    },
    # WeCom SCRM core (WECOM-1…5)
    "bindWecomCorp": {
        "name": "火客科技",
        "corpid": "ww0a1b2c3d4e5f6a7b",
        "agentid": 1000002,
        "app_secret": "Kx3cS9aV2mP7qL0wE5rT8yU1iO4pA6sD2fG3hJ9kL2z",
        "callback_token": "huokeToken",
        "encoding_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    },
    "reviseWecomCorp": {"name": "火客科技（华东）"},
    "linkWecomMember": {"employee_id": EMPLOYEE_ID},
    "cancelReachCampaign": {"reason": "直播延期 · the live stream was postponed"},
    # WeCom live codes and welcome messages (WECOM-1)
    "makeWecomLiveCode": {
        "name": "门店海报活码",
        "kind": "employee",
        "employees": [{"userid": "ZhangWei", "daily_cap": 50}, {"userid": "LiNa", "daily_cap": 50}],
        "rotation": "order",
        "backup": WECOM_BACKUP_USERID,
        "tags": ["etSourceExpo"],
        "welcome_mode": "own",
        "welcome": {
            "text": "您好，我是火客科技的顾问，新客礼包请查收",
            "attachment": {"kind": "link", "title": "新客礼包", "url": "https://acme.cn/gift"},
        },
    },
    "reviseWecomLiveCode": {"employees": [{"userid": "ZhangWei", "daily_cap": 80}]},
    "setWecomDepartmentWelcome": {"welcome": {"text": "您好，欢迎咨询火客科技销售部"}},
    # WeCom customer inheritance (WECOM-4, ORG-3)
    "startWecomTransfer": {
        "employee_id": WECOM_HANDOVER_EMPLOYEE_ID,
        "to_employee_id": WECOM_TAKEOVER_EMPLOYEE_ID,
        "reason": "离职交接：客户由李娜接替",
        "include_groups": True,
    },
    # WeCom mass sends, follow-ups and sidebar materials (WECOM-2, WECOM-5)
    "draftWecomMassSend": {
        "name": "双十一预热",
        "target": "customers",
        "content": {
            "text": "双十一新品上市，老客户专享九折，点击了解",
            "attachments": [{"kind": "link", "title": "双十一专场", "url": "https://acme.cn/1111"}],
        },
        "audience": {"scope": "all_staff", "tags": ["重要客户"]},
        "send_at": None,
    },
    "cancelWecomMassSend": {"reason": "活动延期 · the sale was postponed"},
    "assignWecomFollowUp": {
        "title": "回访双十一意向客户",
        "note": "了解购买意向，发送最新报价",
        "kind": "todo",
        "about": {"kind": "customer", "id": "wmXh3kOQAAl2Zb1bPIbW8xEbBF7PzPAQ"},
        "assignees": ["ZhangWei", "LiNa"],
        "due_at": "2027-11-05T18:00:00+08:00",
        "remind_before_minutes": 60,
    },
    "completeWecomFollowUp": {"userid": "ZhangWei", "note": "已电话回访，客户周五到店"},
    "reopenWecomFollowUp": {"userid": "ZhangWei"},
    "rescheduleWecomFollowUp": {"due_at": "2027-11-08T18:00:00+08:00", "remind_before_minutes": 30},
    "cancelWecomFollowUp": {"reason": "客户已成交 · the customer bought"},
    "addWecomSidebarMaterial": {
        "title": "开场白",
        "kind": "script",
        "fields": {"text": "您好，我是火客科技的顾问，有什么可以帮您？"},
        "folder": "话术/开场",
        "position": 1,
        "enabled": True,
    },
    "reviseWecomSidebarMaterial": {"fields": {"text": "您好！我是您的专属顾问，很高兴为您服务"}},
    "switchWecomSidebarMaterial": {"enabled": False},
}
