"""A marketer binds an Official Account in Chromium (WX-1), sets its follow reply (WX-6),
and WeChat — this test, with wechatpy's own crypto — pushes an encrypted subscribe and
a text to the live server's callback URL (WX-2): the fan is listed with their 48-hour
window, the marketer opens the conversation and replies (WX-3), the reply shows and the
sandbox recorded it for WeChat; a sales user then sees the fans but no bind form."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.e2e.wechat_support import (
    AES_KEY,
    TOKEN,
    decrypt_reply,
    event_xml,
    push,
    text_xml,
)
from tests.settling import settle

pytestmark = pytest.mark.browser
FOLLOW_REPLY = "欢迎关注火客！回复「价格」了解套餐。"


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/console/sign-in"))


def test_bind_an_account_receive_a_fan_and_reply(page: Any, live_console: LiveConsole) -> None:
    _tenant, _admin, token = live_console.tenant_admin("公众号测试科技")
    marketer = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    seller = f"sales-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小王", marketer, ["marketer"])
    live_console.employee_login(token, "销售小李", seller, ["sales"])
    appid = "wx" + secrets.token_hex(8)
    app_secret = secrets.token_hex(16)
    openid = "oBrowser" + uuid.uuid4().hex[:10]
    sign_in(page, marketer)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="微信公众号").click()
    expect(page.get_by_text("还没有绑定公众号")).to_be_visible()
    _look(page, "wechat-accounts-empty")
    page.get_by_role("button", name="绑定", exact=True).click()
    expect(page.locator("#e-name")).to_be_visible()  # the form names what is missing
    expect(page.locator("#e-appid")).to_be_visible()
    _look(page, "wechat-bind-errors")
    page.get_by_label("名称").fill("华东服务号")
    page.get_by_label("AppID（开发者ID）").fill(appid)
    page.get_by_label("AppSecret（开发者密码）").fill(app_secret)
    page.get_by_label("令牌（Token）").fill(TOKEN)
    page.get_by_label("消息加解密密钥（EncodingAESKey）").fill(AES_KEY)
    page.get_by_label("服务号").check()
    page.get_by_label("已通过微信认证").check()
    page.get_by_role("button", name="绑定", exact=True).click()

    expect(page.get_by_role("heading", name=re.compile("华东服务号"))).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("公众号已绑定")
    callback_url = page.get_by_label("服务器地址（URL）").input_value()
    found = re.search(r"/callbacks/wechat/([0-9a-f-]{36})$", callback_url)
    assert found, callback_url
    account = {"appid": appid, "callback_path": f"/callbacks/wechat/{found.group(1)}"}
    assert app_secret not in page.content() and AES_KEY not in page.content()
    expect(page.get_by_text("安全模式")).to_be_visible()
    _look(page, "wechat-account")

    page.get_by_label("关注后回复").fill(FOLLOW_REPLY)
    page.get_by_label("关键词回复").fill("价格|contains|套餐价目表：https://acme.cn/price")
    page.get_by_role("button", name="保存自动回复").click()
    expect(page.locator("#flash")).to_have_text("自动回复已保存")
    expect(page.get_by_label("关注后回复")).to_have_value(FOLLOW_REPLY)

    # WeChat calls the server address with an encrypted subscribe, then a text.
    followed = push(live_console.api, account, event_xml(openid, "subscribe"))
    assert followed.status_code == 200, followed.text
    assert FOLLOW_REPLY in decrypt_reply(account, followed)  # the passive follow reply
    wrote = push(
        live_console.api, account, text_xml(openid, "你们在哪里上课？", "6200000000000001")
    )
    assert wrote.status_code == 200, wrote.text
    settle(live_console.runtime)

    page.get_by_role("link", name="粉丝与会话").click()
    row = page.get_by_role("row").filter(has_text=openid)
    expect(row).to_be_visible()
    expect(row.get_by_text("关注", exact=True)).to_be_visible()
    expect(row.get_by_text(re.compile(r"剩余 4[78] 小时"))).to_be_visible()
    _look(page, "wechat-fans")
    page.get_by_role("combobox", name="状态").select_option("left")
    expect(page.get_by_text("还没有粉丝互动过")).to_be_visible()  # they follow: none left
    page.get_by_role("combobox", name="状态").select_option("following")
    page.get_by_role("link", name=openid).click()

    messages = page.get_by_role("list", name="消息，按时间先后")
    expect(messages.get_by_text("你们在哪里上课？")).to_be_visible()
    expect(messages.get_by_text(FOLLOW_REPLY)).to_be_visible()  # the auto-reply, kept
    _look(page, "wechat-conversation")
    page.get_by_role("button", name="发送").click()
    expect(page.locator("#e-text")).to_be_visible()  # a reply needs its text
    page.get_by_label("回复内容").fill("您好，我们在徐汇校区，周末上课。")
    page.get_by_role("button", name="发送").click()

    expect(page.locator("#flash")).to_contain_text("已发送")
    expect(messages.get_by_text("您好，我们在徐汇校区，周末上课。")).to_be_visible()
    sent = [
        s for s in live_console.runtime.container.wechat_api().sent() if s.get("touser") == openid
    ]
    assert [s["message"]["text"] for s in sent] == ["您好，我们在徐汇校区，周末上课。"]
    _look(page, "wechat-conversation-replied")
    _sign_out(page)

    sign_in(page, seller)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="微信公众号").click()
    expect(page.get_by_role("link", name="华东服务号")).to_be_visible()
    expect(page.get_by_role("heading", name="绑定公众号")).to_have_count(0)
    _look(page, "wechat-accounts-sales")
    page.get_by_role("link", name="华东服务号").click()
    expect(page.get_by_role("heading", name="名称与认证")).to_have_count(0)
    expect(page.get_by_role("link", name="解绑公众号")).to_have_count(0)
    expect(page.get_by_text(FOLLOW_REPLY)).to_be_visible()  # read, not edited
    page.get_by_role("link", name="粉丝与会话").click()
    expect(page.get_by_role("link", name=openid)).to_be_visible()
    _look(page, "wechat-fans-sales")
