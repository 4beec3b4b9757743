"""Which requests to a short link are people (TRK-2): link previews, prefetches, crawlers
and scripts are redirected like everyone but never counted as clicks.

Messengers and mail scanners open every link they see (Slack, WhatsApp, Telegram,
Outlook's Safe Links…), so counting them would credit a channel with clicks nobody
made. What is left out, by user agent: named crawlers and preview fetchers, anything
calling itself a bot, crawler or spider, HTTP libraries and command-line tools (curl,
wget, python-requests…; a person never clicks with them) and headless browsers. An
empty user agent is not a browser either. WeChat's and other apps' in-app browsers
(MicroMessenger, wxwork, DingTalk…) are people and are counted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_ROBOTS = re.compile(
    r"(?<![a-z])bot\b|bot/|bot;|robot|crawl|spider|slurp|preview|prefetch|facebookexternalhit|facebookcatalog|"
    r"embedly|whatsapp|telegram|slack|discord|skypeuripreview|linkedin|pinterest|"
    r"googlebot|google-inspectiontool|adsbot|mediapartners|bingbot|bingpreview|baiduspider|"
    r"yandex|sogou|360spider|yisouspider|bytespider|petalbot|applebot|duckduckbot|"
    r"microsoft office|ms-office|safelinks|outlook-android|proofpoint|mimecast|barracuda|"
    r"curl/|wget/|python-requests|python-urllib|python-httpx|aiohttp|go-http-client|"
    r"java/|okhttp|libwww|httpclient|axios|node-fetch|undici|headlesschrome|phantomjs|"
    r"lighthouse|pingdom|uptimerobot|monitor",
    re.IGNORECASE,
)
_TABLET = re.compile(r"ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))", re.IGNORECASE)
_MOBILE = re.compile(r"mobi|iphone|ipod|android|windows phone|harmonyos", re.IGNORECASE)
# Headers browsers and proxies send when they fetch a page nobody opened yet.
_PREFETCH_HEADERS = {
    "sec-purpose": ("prefetch", "prerender"),
    "purpose": ("prefetch", "preview"),
    "x-purpose": ("prefetch", "preview"),
    "x-moz": ("prefetch",),
}


def is_robot(user_agent: str) -> bool:
    """Whether a user agent is a crawler, preview fetcher, script or headless browser."""
    return not user_agent.strip() or _ROBOTS.search(user_agent) is not None


def is_prefetch(headers: Mapping[str, str]) -> bool:
    """Whether the request says it is a prefetch or preview (lower-case header names)."""
    for name, markers in _PREFETCH_HEADERS.items():
        value = headers.get(name, "").lower()
        if value and any(marker in value for marker in markers):
            return True
    return False


def device_class(user_agent: str) -> str:
    """`tablet`, `mobile` or `desktop` (`robot` for what `is_robot` leaves out)."""
    if is_robot(user_agent):
        return "robot"
    if _TABLET.search(user_agent):
        return "tablet"
    if _MOBILE.search(user_agent):
        return "mobile"
    return "desktop"
