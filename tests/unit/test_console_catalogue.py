"""Every console message has its English: the catalogues cover what the code shows."""

from __future__ import annotations

from entrypoints.web.i18n import ENGLISH, gettext, set_language
from entrypoints.web.messages import extract_messages, read_catalogues


def test_every_console_message_has_english() -> None:
    known = read_catalogues()
    missing = sorted(m for m in extract_messages() if not known.get(m))
    assert not missing, (
        f"{len(missing)} console messages have no English; run "
        f"scripts/console-messages <context> and write them: {missing[:20]}"
    )


def test_english_is_served_from_the_catalogues() -> None:
    set_language(ENGLISH)
    try:
        assert gettext("登录") == "Sign in"
        assert gettext("一条没有翻译的消息") == "一条没有翻译的消息"  # Chinese stays the fallback
    finally:
        set_language("zh-CN")
