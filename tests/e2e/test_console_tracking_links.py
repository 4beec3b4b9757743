"""Console pages of promotion links and ad campaigns on both stores (营销 · 推广链接,
广告活动): making links of one URL for several channels and employees, the list and
the link page with PV/UV after clicks, the QR downloads, archiving after a
confirmation, the automatic ad-campaign switch, and who may do what."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session

BASE = "/console/tracking/links"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


def _admin(api: Api) -> tuple[str, ConsoleSession]:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, "tenant_admin", name="王管理")
    return token, open_session(api, email)


def _eventually(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _link_ids(html: str) -> list[str]:
    return re.findall(rf'href="{BASE}/([0-9a-f-]{{36}})"', html)


def _short_path(html: str) -> str:
    found = re.search(r'id="short-url" type="text" readonly value="[^"]*?(/s/[0-9A-Za-z]+)"', html)
    assert found, html
    return found.group(1)


def _click(api: Api, path: str) -> None:
    api.client.cookies.clear()
    answer = api.client.get(path, headers={"User-Agent": BROWSER}, follow_redirects=False)
    assert answer.status_code == 302


def test_links_for_two_channels_and_an_employee_counted_on_their_pages(api: Api) -> None:
    token, admin = _admin(api)
    seller, _ = employee_login(api, token, "sales", name="李销售")
    form = admin.client.get(f"{BASE}/new")
    assert form.status_code == 200 and "李销售" in form.text

    made = admin.post(
        f"{BASE}/new",
        {
            "target_url": "https://www.acme.cn/events/spring",
            "title": "春季发布会",
            "channels[]": ["朋友圈"],
            "other_channels": "抖音",
            "employee_ids[]": [seller],
            "utm_campaign": "spring",
        },
    )

    assert made.status_code == 303 and made.headers["location"] == BASE
    listed = admin.client.get(BASE)
    assert listed.status_code == 200
    ids = list(dict.fromkeys(_link_ids(listed.text)))
    assert len(ids) == 2 and listed.text.count("李销售") >= 2
    page = admin.client.get(f"{BASE}/{ids[0]}")
    assert page.status_code == 200 and "春季发布会" in page.text
    short = _short_path(page.text)
    for _ in range(2):
        _click(api, short)

    def shows_clicks() -> bool:
        shown = admin.client.get(f"{BASE}/{ids[0]}").text
        return "<dd data-clicks>2</dd>" in shown and "<dd data-visitors>2</dd>" in shown

    assert _eventually(shows_clicks)
    by_channel = admin.client.get(BASE).text
    assert re.search(r'<table id="by-channel">.*?data-clicks>2<', by_channel, re.S)
    png = admin.client.get(f"{BASE}/{ids[0]}/qr.png?download=1")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert png.headers["content-disposition"].startswith("attachment")
    svg = admin.client.get(f"{BASE}/{ids[0]}/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content


def test_a_link_made_alone_opens_its_page_and_a_bad_url_is_shown_on_the_form(api: Api) -> None:
    _token, admin = _admin(api)
    refused = admin.post(
        f"{BASE}/new",
        {"target_url": "javascript:alert(1)", "title": "x", "channels[]": ["海报"]},
    )
    assert refused.status_code == 422
    assert 'id="e-target_url"' in refused.text and 'value="x"' in refused.text
    no_channel = admin.post(f"{BASE}/new", {"target_url": "https://acme.cn/", "title": "x"})
    assert no_channel.status_code == 422 and 'id="e-channels"' in no_channel.text

    made = admin.post(
        f"{BASE}/new",
        {"target_url": "https://www.acme.cn/p/1", "title": "商品页", "channels[]": ["海报"]},
    )

    assert made.status_code == 303
    assert re.fullmatch(rf"{BASE}/[0-9a-f-]{{36}}", made.headers["location"])


def test_archiving_asks_first_then_stops_the_short_link(api: Api) -> None:
    _token, admin = _admin(api)
    made = admin.post(
        f"{BASE}/new",
        {"target_url": "https://www.acme.cn/a", "title": "文章", "channels[]": ["公众号"]},
    )
    where = made.headers["location"]
    short = _short_path(admin.client.get(where).text)
    confirmation = admin.client.get(f"{where}/archive")
    assert confirmation.status_code == 200 and "文章" in confirmation.text

    stale = admin.post(f"{where}/archive", {"version": "7"})
    assert stale.status_code == 409
    archived = admin.post(f"{where}/archive", {"version": "1"})

    assert archived.status_code == 303 and archived.headers["location"] == where
    assert "已归档" in admin.client.get(where).text
    api.client.cookies.clear()
    assert api.client.get(short, follow_redirects=False).status_code == 410
    history = admin.client.get(where).text
    assert "归档推广链接" in history or "promotion link archived" in history


def test_the_ad_campaign_switch_and_list(api: Api) -> None:
    _token, admin = _admin(api)
    page = admin.client.get("/console/tracking/ad-campaigns")
    assert page.status_code == 200 and "还没有广告活动" in page.text
    switched = admin.post(
        "/console/tracking/ad-campaigns/settings", {"version": "1", "auto_ad_campaigns": "1"}
    )
    assert switched.status_code == 303
    assert (
        'name="auto_ad_campaigns" value="1" checked'
        in admin.client.get("/console/tracking/ad-campaigns").text
    )
    made = admin.post(
        f"{BASE}/new",
        {
            "target_url": "https://www.acme.cn/sale",
            "title": "大促",
            "channels[]": ["百度"],
            "utm_source": "baidu",
            "utm_campaign": "双十一",
        },
    )
    _click(api, _short_path(admin.client.get(made.headers["location"]).text))

    assert _eventually(lambda: "双十一" in admin.client.get("/console/tracking/ad-campaigns").text)
    stale = admin.post(
        "/console/tracking/ad-campaigns/settings", {"version": "1", "auto_ad_campaigns": ""}
    )
    assert stale.status_code == 303  # back to the page with the refusal as a flash
    assert 'value="1" checked' in admin.client.get("/console/tracking/ad-campaigns").text


def test_sales_read_links_but_may_not_make_or_archive_them(api: Api) -> None:
    token, admin = _admin(api)
    made = admin.post(
        f"{BASE}/new",
        {"target_url": "https://www.acme.cn/a", "title": "文章", "channels[]": ["公众号"]},
    )
    where = made.headers["location"]
    _, email = employee_login(api, token, "sales", name="赵销售")
    sales = open_session(api, email)

    listed = sales.client.get(BASE)
    assert listed.status_code == 200 and "新建推广链接" not in listed.text
    assert sales.client.get(where).status_code == 200
    assert "归档链接" not in sales.client.get(where).text
    assert sales.client.get(f"{BASE}/new").status_code == 403
    assert sales.client.get(f"{where}/archive").status_code == 403
    refused: Any = sales.post(f"{where}/archive", {"version": "1"})
    assert refused.status_code == 403
    nav = sales.client.get("/console").text
    assert "推广链接" in nav and "广告活动" in nav
