"""The scenario library (FLOW-4, seed 003 工作流场景库, seed 004 消息推送): ready-made flows
for acquisition (拉新), activation (促活) and conversion (转化) that a tenant copies as a
disabled draft and finishes.

What only the tenant can choose (its e-mail templates, SMS signatures, WeChat accounts,
groups, pages) is left out of each scenario: the copy parses, and enabling it names each
choice still to make (`FlowGraph.problems`, `Trigger.missing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    ACQUISITION = "acquisition"  # 拉新
    ACTIVATION = "activation"  # 促活
    CONVERSION = "conversion"  # 转化


@dataclass(frozen=True)
class Scenario:
    key: str
    name: str  # zh-CN first
    name_en: str
    stage: Stage
    description: str
    trigger: dict[str, Any]
    graph: dict[str, Any]
    enrolment_rule: str = "once"
    every_days: int | None = None


def _end(node_id: str = "end") -> dict[str, Any]:
    return {"id": node_id, "kind": "end"}


def _email(node_id: str, subject: str, next_node: str) -> dict[str, Any]:
    return {"id": node_id, "kind": "send_email", "subject": subject, "next": next_node}


def _sms(node_id: str, text: str, next_node: str) -> dict[str, Any]:
    return {"id": node_id, "kind": "send_sms", "text": text, "next": next_node}


def _wechat(node_id: str, text: str, next_node: str) -> dict[str, Any]:
    message = {"kind": "text", "text": text}
    return {"id": node_id, "kind": "send_wechat", "message": message, "next": next_node}


def _wait(node_id: str, amount: int, unit: str, next_node: str) -> dict[str, Any]:
    return {"id": node_id, "kind": "wait", "amount": amount, "unit": unit, "next": next_node}


def _did(kind: str, within_days: int) -> dict[str, Any]:
    return {"behaviour": {"kind": kind, "within_days": within_days}, "did": True}


def _branch(node_id: str, tree: dict[str, Any], yes: str, no: str) -> dict[str, Any]:
    return {"id": node_id, "kind": "branch", "filter": tree, "yes": yes, "no": no}


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "welcome_series", "注册欢迎系列", "Welcome series", Stage.ACQUISITION,
        "注册后发送欢迎邮件；两天内未打开则短信提醒，打开则标记为已激活。",
        {"kind": "registered"},
        {"start": "welcome", "nodes": [
            _email("welcome", "欢迎加入", "wait"),
            _wait("wait", 2, "days", "opened"),
            _branch("opened", _did("open", 2), "tag", "remind"),
            {"id": "tag", "kind": "add_tag", "tag": "已激活", "next": "end"},
            _sms("remind", "欢迎加入！查看您的专属礼包，回T退订", "end"),
            _end(),
        ]},
    ),
    Scenario(
        "new_fan_48h", "新粉丝48小时转化", "New fan: convert within 48 hours", Stage.ACQUISITION,
        "关注后立即发送欢迎消息；一天后仍未浏览页面，在48小时窗口内再推送一次优惠。",
        {"kind": "wechat_followed"},
        {"start": "hello", "nodes": [
            _wechat("hello", "感谢关注！回复“优惠”领取新人礼。", "wait"),
            _wait("wait", 1, "days", "visited"),
            _branch("visited", _did("page", 1), "end", "offer"),
            _wechat("offer", "新人礼仅剩24小时，点击菜单“领取”即可。", "end"),
            _end(),
        ]},
    ),
    Scenario(
        "dormant_reactivation", "沉睡用户唤醒", "Dormant re-activation", Stage.ACTIVATION,
        "加入“沉睡用户”智能组后发送召回邮件；三天内点击则加分，否则短信召回。",
        {"kind": "joined_group"},
        {"start": "recall", "nodes": [
            _email("recall", "好久不见，送您一份回归礼", "wait"),
            _wait("wait", 3, "days", "clicked"),
            _branch("clicked", _did("click", 3), "score", "sms"),
            {"id": "score", "kind": "add_score", "points": 10, "valid_days": 90, "next": "end"},
            _sms("sms", "您的回归礼即将过期，回T退订", "end"),
            _end(),
        ]},
        enrolment_rule="every_days", every_days=90,
    ),
    Scenario(
        "birthday", "生日关怀", "Birthday", Stage.ACTIVATION,
        "每年生日当天上午9点发送祝福短信并赠送30天有效的积分。",
        {"kind": "date", "field": "birthday", "mode": "yearly", "time": "09:00"},
        {"start": "greet", "nodes": [
            _sms("greet", "生日快乐！您的生日礼已到账，回T退订", "points"),
            {"id": "points", "kind": "add_score", "points": 50, "valid_days": 30, "next": "end"},
            _end(),
        ]},
        enrolment_rule="every_days", every_days=360,
    ),
    Scenario(
        "event_reminder", "活动提醒", "Event reminder", Stage.CONVERSION,
        "活动日期前一天上午10点发送模板消息提醒参会。",
        {"kind": "date", "mode": "exact", "offset_days": -1, "time": "10:00"},
        {"start": "remind", "nodes": [
            {"id": "remind", "kind": "send_wechat_template", "next": "end"},
            _end(),
        ]},
    ),
    Scenario(
        "abandoned_page_visit", "浏览未转化挽回", "Abandoned page visit", Stage.CONVERSION,
        "浏览关键页面超过30秒、一小时内未提交表单，则发送邮件并提醒负责人跟进。",
        {"kind": "page_visited", "match": "fuzzy", "min_dwell_seconds": 30},
        {"start": "wait", "nodes": [
            _wait("wait", 1, "hours", "submitted"),
            _branch("submitted", _did("track", 1), "end", "mail"),
            _email("mail", "您关注的方案，我们为您准备了详细资料", "notify"),
            {"id": "notify", "kind": "notify_owner", "text": "客户浏览了关键页面但未留资，请跟进",
             "next": "end"},
            _end(),
        ]},
        enrolment_rule="every_days", every_days=7,
    ),
    Scenario(
        "member_upgrade", "会员升级提醒", "Member upgrade reminder", Stage.CONVERSION,
        "积分达到1000分时短信告知可升级，并通知负责人。",
        {"kind": "points_changed", "at_least": 1000},
        {"start": "sms", "nodes": [
            _sms("sms", "恭喜！您的积分已可升级为高级会员，回T退订", "notify"),
            {"id": "notify", "kind": "notify_owner", "text": "客户积分达到1000，可推荐升级",
             "next": "end"},
            _end(),
        ]},
    ),
    Scenario(
        "post_event_survey", "会后调研", "Post-event survey", Stage.ACTIVATION,
        "签到后的第二天发送满意度调研邮件。",
        {"kind": "custom_event", "name": "event_checked_in"},
        {"start": "wait", "nodes": [
            _wait("wait", 1, "days", "survey"),
            _email("survey", "感谢参会，请花一分钟告诉我们您的感受", "end"),
            _end(),
        ]},
        enrolment_rule="every_time",
    ),
    Scenario(
        "download_notice", "资料下载通知", "Download notice", Stage.ACQUISITION,
        "提交表单后发送资料下载邮件，并标记为资料下载客户。",
        {"kind": "form_submitted"},
        {"start": "mail", "nodes": [
            _email("mail", "您索取的资料已准备好", "tag"),
            {"id": "tag", "kind": "add_tag", "tag": "资料下载", "next": "end"},
            _end(),
        ]},
        enrolment_rule="every_time",
    ),
    Scenario(
        "menu_click_push", "菜单点击推送", "Menu click push", Stage.ACTIVATION,
        "粉丝点击指定菜单后推送对应内容。",
        {"kind": "wechat_menu_clicked"},
        {"start": "push", "nodes": [
            _wechat("push", "这是您要的内容，欢迎随时回复咨询。", "end"),
            _end(),
        ]},
        enrolment_rule="every_time",
    ),
)  # fmt: skip


def scenario(key: str) -> Scenario:
    for found in SCENARIOS:
        if found.key == key:
            return found
    raise KeyError(key)
