"""How the lead page shows behaviours on the timeline (LEAD-8): the entries the tracking
context adds (`tracking.PageViewed`…, ADR 0006), known here by their kind and details
alone, like the lead's own events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _

BEHAVIOUR_KINDS: dict[str, str] = {
    "tracking.PageViewed": N_("浏览网页"),
    "tracking.ScreenViewed": N_("浏览应用页面"),
    "tracking.EventTracked": N_("自定义事件"),
    "tracking.Identified": N_("识别身份"),
    "tracking.Aliased": N_("关联用户 ID"),
    "tracking.Grouped": N_("加入组织"),
    "tracking.LinkClicked": N_("点击链接"),
    "tracking.EmailOpened": N_("打开邮件"),
    "tracking.wechat_followed": N_("关注公众号"),
    "tracking.wechat_unfollowed": N_("取消关注公众号"),
    "tracking.wechat_scanned": N_("扫描公众号二维码"),
    "tracking.wechat_menu_clicked": N_("点击公众号菜单"),
    "tracking.wechat_location": N_("上报地理位置"),
    "tracking.wechat_message": N_("给公众号发消息"),
    "tracking.wechat_replied": N_("公众号回复"),
    "tracking.wechat_mass_sent": N_("收到公众号群发"),
    "tracking.wechat_template_sent": N_("收到模板消息"),
    "tracking.wechat_fan_synced": N_("同步粉丝资料"),
}
BEHAVIOUR_CHANNELS: dict[str, str] = {
    "web": N_("网站"),
    "app": N_("应用"),
    "server": N_("服务端"),
    "email": N_("邮件"),
    "sms": N_("短信"),
    "wechat": N_("微信"),
    "wecom": N_("企业微信"),
    "link": N_("短链接"),
}
SHOWN_PROPERTIES = 6  # the first few of an event's properties; the API has them all


def is_behaviour(kind: str) -> bool:
    return kind.startswith("tracking.")


def behaviour_label(kind: str) -> str:
    """The kind of behaviour in the page's language (an unknown one as it is)."""
    return _(BEHAVIOUR_KINDS[kind]) if kind in BEHAVIOUR_KINDS else kind


def behaviour_details(details: Mapping[str, Any]) -> str:
    """One line: channel, name or title, URL, dwell time, UTM source, traits given and
    an event's first properties."""
    channel = str(details.get("channel", ""))
    shown = [_(BEHAVIOUR_CHANNELS[channel]) if channel in BEHAVIOUR_CHANNELS else channel]
    name, title = details.get("name"), details.get("title")
    shown += [str(text) for text in dict.fromkeys((name, title)) if text]
    if details.get("url"):
        shown.append(str(details["url"]))
    if isinstance(details.get("dwell_seconds"), int):
        shown.append(_("停留 {seconds} 秒").format(seconds=details["dwell_seconds"]))
    utm = details.get("utm")
    if isinstance(utm, Mapping) and utm.get("utm_source"):
        shown.append(_("来源：{source}").format(source=utm["utm_source"]))
    if details.get("referrer"):
        shown.append(_("来自：{site}").format(site=details["referrer"]))
    if details.get("traits"):
        shown.append(_("提供了：{traits}").format(traits=", ".join(map(str, details["traits"]))))
    properties = details.get("properties")
    if isinstance(properties, Mapping) and properties:
        items = list(properties.items())[:SHOWN_PROPERTIES]
        shown.append(", ".join(f"{key}={value}" for key, value in items))
    return " · ".join(part for part in shown if part)
