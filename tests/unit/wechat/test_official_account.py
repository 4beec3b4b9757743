"""The Official Account's rules (WX-1, WX-5, WX-6): keys WeChat would issue, templates
only on verified service accounts and at most 25, keyword replies (exact before
contains), menus under WeChat's limits."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.errors import InvalidValue, StateConflict
from domain.wechat.account import MAX_TEMPLATES, OfficialAccount, account_id_for
from domain.wechat.menu import checked_menu

TENANT = uuid.uuid4()
KEYS = {
    "app_secret": "0123456789abcdef0123456789abcdef",
    "callback_token": "token123",
    "encoding_aes_key": "a" * 43,
}


def account(**overrides: object) -> OfficialAccount:
    fields: dict[str, object] = {
        "tenant_id": TENANT,
        "name": "服务号",
        "appid": "wx0123456789abcdef",
        "kind": "service",
        "verified": True,
        **KEYS,
        **overrides,
    }
    return OfficialAccount.bind(**fields)  # type: ignore[arg-type]


def test_an_account_of_a_tenant_and_appid_has_one_id() -> None:
    bound = account()
    assert bound.id == account_id_for(TENANT, "wx0123456789abcdef") == account().id
    assert account_id_for(uuid.uuid4(), "wx0123456789abcdef") != bound.id


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("appid", "wx123"),
        ("appid", "ab0123456789abcdef"),
        ("app_secret", "not-hex-not-hex-not-hex-not-hex!"),
        ("callback_token", "no"),
        ("callback_token", "has space"),
        ("encoding_aes_key", "short"),
        ("kind", "mini_program"),
        ("name", "  "),
    ],
)
def test_keys_wechat_would_never_issue_are_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        account(**{field: value})
    assert refused.value.field == field


def test_templates_need_a_verified_service_account_and_stop_at_25() -> None:
    for unfit in (account(kind="subscription"), account(verified=False)):
        with pytest.raises(StateConflict, match="verified service account"):
            unfit.add_template(template_id="T", title="通知", fields=["first"])
    full = account()
    for n in range(MAX_TEMPLATES):
        full.add_template(template_id=f"T{n}", title="通知", fields=["first", "keyword1"])
    with pytest.raises(StateConflict, match="at most 25"):
        full.add_template(template_id="T25", title="通知", fields=["first"])
    with pytest.raises(InvalidValue):
        account().add_template(template_id="T", title="通知", fields=["First Key"])


def test_keyword_replies_answer_exact_matches_before_contained_ones() -> None:
    replies = account()
    replies.set_auto_replies(
        follow_reply="欢迎",
        keyword_replies=[
            {"keyword": "价格", "match": "contains", "reply": "套餐 99 元起"},
            {"keyword": "价格表", "match": "exact", "reply": "价格表见菜单"},
        ],
    )
    assert replies.reply_to("价格表") == "价格表见菜单"
    assert replies.reply_to("请问价格") == "套餐 99 元起"
    assert replies.reply_to("你好") == ""
    with pytest.raises(InvalidValue, match="one reply"):
        replies.set_auto_replies(
            follow_reply="",
            keyword_replies=[{"keyword": "a", "reply": "1"}, {"keyword": "a", "reply": "2"}],
        )


def test_an_unbound_account_changes_no_more() -> None:
    unbound = account()
    unbound.unbind()
    with pytest.raises(StateConflict):
        unbound.rename("新名字")
    with pytest.raises(StateConflict):
        unbound.unbind()


def test_a_menu_is_published_only_once_saved() -> None:
    menu = account()
    with pytest.raises(StateConflict, match="no menu"):
        menu.record_menu_published()
    menu.draft_menu([{"name": "官网", "type": "view", "url": "https://acme.cn/"}])
    assert menu.published_menu == []
    menu.record_menu_published()
    assert menu.published_menu == menu.menu


names = st.text(alphabet="产品价格联系我们ab", min_size=1, max_size=30)


@given(st.lists(st.fixed_dictionaries({"name": names}), min_size=0, max_size=5))
def test_a_checked_menu_never_breaks_wechats_limits(tops: list[dict[str, str]]) -> None:
    buttons = [{**top, "type": "click", "key": "K"} for top in tops]
    try:
        menu = checked_menu(buttons)
    except InvalidValue as refused:
        assert refused.field == "buttons"
        assert not 1 <= len(buttons) <= 3 or any(len(b["name"].encode()) > 16 for b in buttons)
        return
    assert 1 <= len(menu) <= 3
    assert all(len(b["name"].encode()) <= 16 for b in menu)
