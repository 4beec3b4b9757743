"""A marketer syncs the fans with their tags from the fans page, then mass sends to a tag
in Chromium (WX-4): the draft form names what is missing,
the draft is previewed to one fan and sent after the confirmation step, the recipients
show who got it, and — after WeChat (this test, with wechatpy's own crypto) pushes an
encrypted MASSSENDJOBFINISH — WeChat's results; then a parameter QR code (TRK-3) is made
and its stats show the fan who followed through it; a custom menu is refused naming the
button, saved and published; the material library is synced. Screenshots at 1440 and 390 px and
axe-core on every page."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from application.wechat.ports import FanProfile
from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.e2e.wechat_support import bind, event_xml, push
from tests.settling import settle

pytestmark = pytest.mark.browser
TEXT = "会员日全场五折，回复「五折」领券"


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)


def _until_tagged(
    live: LiveConsole, token: str, account: dict[str, Any], openid: str, tag: int
) -> None:
    """Until the fan list shows the synced fan's tag (the page above showed the fan)."""
    where = f"/api/v1/wechat/accounts/{account['id']}/fans/{openid}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = live.api.client.get(where, headers=live.api.key(token))
        if answer.status_code == 200 and tag in answer.json()["tag_ids"]:
            return
        time.sleep(0.1)
    raise AssertionError(f"{openid} never showed tag {tag}")


def _finished(msg_id: str) -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_huoke]]></ToUserName>"
        "<FromUserName><![CDATA[oSystem]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>{msg_id}</MsgID>"
        "<Status><![CDATA[send success]]></Status><TotalCount>1</TotalCount>"
        "<FilterCount>1</FilterCount><SentCount>1</SentCount><ErrorCount>0</ErrorCount></xml>"
    )


def test_a_marketer_mass_sends_to_a_tag_and_makes_a_qr_code(
    page: Any, live_console: LiveConsole
) -> None:
    api, runtime = live_console.api, live_console.runtime
    _tenant, _admin, token = live_console.tenant_admin("群发测试科技")
    marketer = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小王", marketer, ["marketer"])
    account = bind(api, token, appid="wx" + secrets.token_hex(8))
    member, other = "oMember" + uuid.uuid4().hex[:10], "oOther" + uuid.uuid4().hex[:10]
    # WeChat's follower list with the fans' tags, pulled in by the fans page's sync.
    sandbox = runtime.container.wechat_api()
    sandbox.seed_followers(account["appid"], [member, other])
    sandbox.seed_profiles(
        account["appid"],
        [
            FanProfile(member, subscribed=True, nickname="会员小张", tag_ids=(101,)),
            FanProfile(other, subscribed=True, nickname="路人小李", tag_ids=(202,)),
        ],
    )
    sign_in(page, marketer)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="微信公众号").click()
    page.get_by_role("link", name="华东服务号").click()
    account_nav = page.get_by_role("navigation", name="公众号功能")
    account_nav.get_by_role("link", name="粉丝").click()
    page.get_by_role("button", name="从微信同步粉丝").click()
    expect(page.locator("#flash")).to_contain_text("关注 2 人，更新资料 2 人")
    expect(page.get_by_role("row").filter(has_text=member)).to_contain_text("会员小张")
    _look(page, "wechat-fans-synced")
    _until_tagged(live_console, token, account, member, 101)
    page.get_by_role("link", name="返回公众号").click()
    account_nav.get_by_role("link", name="群发").click()
    expect(page.get_by_role("heading", name="群发 · 华东服务号")).to_be_visible()
    expect(page.get_by_text("还没有群发")).to_be_visible()
    page.get_by_role("button", name="存为草稿").click()
    expect(page.locator("#e-name")).to_be_visible()  # the form names what is missing
    expect(page.locator("#e-text")).to_be_visible()
    _look(page, "wechat-mass-send-errors")
    page.get_by_label("名称").fill("十一月会员日")
    page.get_by_label("包含标签 ID").fill("101")
    page.get_by_label("文字内容（文字消息，最多 600 字）").fill(TEXT)
    page.get_by_role("button", name="存为草稿").click()

    expect(page.locator("#flash")).to_contain_text("群发草稿已保存")
    expect(page.get_by_role("heading", name=re.compile("十一月会员日"))).to_be_visible()
    expect(page.get_by_text("包含 · 标签：101")).to_be_visible()
    expect(page.locator("#send-state")).to_have_text("草稿")
    _look(page, "wechat-mass-send-draft")
    page.get_by_label("粉丝 OpenID").fill(member)
    page.get_by_role("button", name="发送预览").click()
    expect(page.locator("#flash")).to_contain_text(f"预览已发送给 {member}")
    previews = [s for s in sandbox.sent() if s["call"] == "mass_preview"]
    assert [p["touser"] for p in previews if p["account_id"] == account["id"]] == [member]

    page.get_by_role("link", name="发送…").click()
    expect(page.get_by_text(re.compile("每位粉丝每月最多收到 4 条群发"))).to_be_visible()
    _look(page, "wechat-mass-send-confirm")
    page.get_by_role("button", name="确认发送").click()
    expect(page.locator("#flash")).to_contain_text("发给 1 位粉丝，0 位跳过")
    # the send worker may already have sent it
    expect(page.locator("#send-state")).to_have_text(re.compile("发送中|已发送"))

    dispatch = runtime.container.wechat_dispatch()
    for _ in range(20):  # the send pipeline's rounds (a worker's job in production)
        if not dispatch.run_once().busy:
            break
    settle(runtime)
    page.reload()
    row = page.get_by_role("row").filter(has_text=member)
    expect(row.get_by_text("已发送")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=other)).to_have_count(0)  # tag 202
    expect(page.get_by_text("微信完成群发后推送结果")).to_be_visible()
    send_id = page.url.rstrip("/").rsplit("/", 1)[1].split("?")[0]
    details = api.client.get(f"/api/v1/wechat/mass-sends/{send_id}", headers=api.key(token))
    [msg_id] = details.json()["msg_ids"]
    assert push(api, account, _finished(msg_id)).status_code == 200
    settle(runtime)
    page.reload()
    results = page.get_by_role("table", name="群发任务结果（MASSSENDJOBFINISH）")
    expect(results.get_by_role("row").filter(has_text=msg_id)).to_contain_text("send success")
    expect(page.get_by_role("link", name="发送…")).to_have_count(0)
    _look(page, "wechat-mass-send-results")

    page.get_by_role("link", name="华东服务号").click()
    page.get_by_role("navigation", name="公众号功能").get_by_role("link", name="渠道二维码").click()
    expect(page.get_by_text("还没有渠道二维码")).to_be_visible()
    page.get_by_label("名称").fill("2026 展会")
    page.get_by_label("场景值").fill("expo2026")
    page.get_by_label("有效天数").fill("7")
    page.get_by_label("扫码后回复").fill("欢迎来到展会！")
    page.get_by_role("button", name="生成二维码").click()
    expect(page.locator("#flash")).to_have_text("二维码已生成")
    expect(page.locator("#stat-scans")).to_have_text("0")
    fan = "oExpo" + uuid.uuid4().hex[:10]
    followed = push(api, account, event_xml(fan, "subscribe", key="qrscene_expo2026"))
    assert followed.status_code == 200, followed.text
    settle(runtime)
    page.reload()
    expect(page.locator("#stat-scans")).to_have_text("1")
    expect(page.locator("#stat-follows")).to_have_text("1")
    expect(page.locator("#stat-retained")).to_have_text("1")
    _look(page, "wechat-qr-code")

    page.get_by_role("link", name="华东服务号").click()
    account_nav.get_by_role("link", name="菜单").click()
    page.get_by_label("菜单 1 名称", exact=True).fill("官网")
    page.get_by_label("菜单 1 类型", exact=True).select_option("view")
    page.get_by_label("菜单 1 关键词或网址", exact=True).fill("acme.cn")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#e-b0_value")).to_contain_text("「官网」")  # the button named
    _look(page, "wechat-menu-errors")
    page.get_by_label("菜单 1 关键词或网址", exact=True).fill("https://acme.cn/")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#menu-state")).to_have_text("草稿未发布")
    page.get_by_role("link", name="发布菜单…").click()
    page.get_by_role("button", name="确认发布").click()
    expect(page.locator("#menu-state")).to_have_text("草稿已发布")
    expect(page.locator("#menu-published")).to_contain_text("https://acme.cn/")
    _look(page, "wechat-menu")

    page.get_by_role("link", name="返回公众号").click()
    account_nav.get_by_role("link", name="素材").click()
    page.get_by_role("button", name="从微信同步素材").click()
    expect(page.locator("#flash")).to_contain_text("已从微信同步素材")
    _look(page, "wechat-materials")
