"""Accept-Language negotiation and the problems catalogue: every msgid translated, every
stable code titled, every message shape's template in the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from entrypoints.http import problems
from entrypoints.http.languages import LOCALE_DIR, Catalogue, preferred_language

SRC = Path(__file__).resolve().parents[2] / "src"
PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "problems.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        (None, "en"),
        ("", "en"),
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("ZH-cn;q=0.8", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en;q=1, zh;q=0.5", "en"),
        ("zh;q=0.5, en;q=1", "en"),
        ("en;q=0.4, zh;q=0.5", "zh-CN"),
        ("fr-FR, de;q=0.9", "en"),
        ("fr-FR, zh;q=0.1", "zh-CN"),
        ("zh;q=0, en;q=0.1", "en"),
        ("zh;q=0", "en"),
        ("*", "en"),
        ("zh;q=abc, en", "en"),
        ("zh-CN, en", "zh-CN"),  # equal q: the client's order decides
    ],
)
def test_preferred_language(header: str | None, chosen: str) -> None:
    assert preferred_language(header) == chosen


def test_preferred_language_takes_other_supported_lists_and_defaults() -> None:
    assert preferred_language("de", supported=("en", "de-DE"), default="en") == "de-DE"
    assert preferred_language("ja", supported=("zh-CN", "en"), default="zh-CN") == "zh-CN"


def test_every_msgid_has_a_translation_with_the_same_placeholders() -> None:
    with PO.open("rb") as source:
        catalog = read_po(source)
    messages = [message for message in catalog if message.id]
    assert len(messages) > 100
    for message in messages:
        assert isinstance(message.string, str) and message.string.strip(), message.id
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
            PLACEHOLDER.findall(str(message.id))
        ), message.id
        assert ("python-format" in message.flags) == ("%(" in str(message.id)), message.id


def _codes() -> set[str]:
    """Every stable `code` a problem can carry: the error classes' codes, the HTTP codes,
    and the literal codes the entrypoints hand to problem() themselves."""
    codes = set(problems._HTTP_CODES.values())
    for path in SRC.rglob("*.py"):
        if "web" in path.relative_to(SRC).parts:
            continue  # the console renders pages, not problems
        text = path.read_text(encoding="utf-8")
        codes.update(re.findall(r'^\s+code = "(\w+)"', text, flags=re.MULTILINE))
        if path.parent == SRC / "entrypoints" / "http":
            handed = r'\b(?:problem|_refuse)\([^()]*?\b[1-5]\d\d,\s*"([a-z_]+)"'
            codes.update(re.findall(handed, text))
    return codes


def test_every_code_has_a_chinese_title() -> None:
    catalogue = Catalogue.read("problems", "zh-CN")
    codes = _codes()
    assert {"not_found", "quota_exceeded", "malformed_json", "idempotency_key_reused"} <= codes
    untitled = sorted(code for code in codes if problems._title(code) not in catalogue)
    assert untitled == []


def test_every_message_shape_has_its_template_and_parts_in_the_catalogue() -> None:
    catalogue = Catalogue.read("problems", "zh-CN")
    for shape in problems._SHAPES["zh-CN"]:
        assert shape.msgid in catalogue, shape.msgid
        names = set(shape.pattern.groupindex)
        assert set(PLACEHOLDER.findall(shape.msgid)) == names, shape.msgid


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("limit must be between 1 and 200", "limit 必须在 1 到 200 之间"),
        ("no Lead 7b1c", "未找到线索 7b1c"),
        ("no tag group 'vip'", "未找到标签组 'vip'"),
        ("Lead is at version 3, not 2", "线索当前为第 3 版，而不是第 2 版；请重新读取后再试"),
        ("roles marketer, sales may not delete leads", "角色 marketer, sales 无权删除线索"),
        ("staff roles support may not update tenants", "平台角色 support 无权修改租户"),
        ("name: Input should be a valid string", "name：应为有效的文本"),
        ("Input should be a valid UUID, invalid length", "应为有效的UUID"),
        ("a tenant has at most 50 tag groups", "一个租户最多有 50 个标签组"),
        (
            "quota leads allows 10; 10 used, 1 more requested",
            "配额 leads 上限为 10；已用 10，本次还需 1",
        ),
        ("tenant is suspended", "租户已被暂停"),
        ("a paid order cannot be cancelled", "已支付的订单不能取消"),
        (
            "the merge rules are at version 4, not 3",
            "合并规则当前为第 4 版，而不是第 3 版；请重新读取后再试",
        ),
        ("unknown identity kind 'fax'", "未知的身份类型 'fax'"),
        ("a custom field 'budget' exists already", "自定义字段 'budget' 已存在"),
        ("limit: Expected `int` <= 100", "limit：应为 `int` 且 <= 100"),
        ("no marketing subscription is in service", "没有生效中的 marketing 订阅"),
    ],
)
def test_messages_of_known_shapes_are_translated(english: str, chinese: str) -> None:
    assert problems.translated(english, "zh-CN") == chinese
    assert problems.translated(english, "en") == english


@pytest.mark.parametrize(
    "english",
    [
        "no Gadget 7b1c",  # a part the catalogue lacks: all English, not half
        "roles sales may not fly leads",
        "a haunted order cannot be paid",
        "unknown source field",
        "something nobody wrote a translation for",
        "name: something nobody wrote a translation for",
    ],
)
def test_unknown_messages_stay_english_whole(english: str) -> None:
    assert problems.translated(english, "zh-CN") == english
