"""Parameter QR codes' rules (TRK-3): service accounts only, a scene WeChat takes, a
temporary code of 1 to 30 days."""

from __future__ import annotations

import uuid

import pytest

from domain.shared.errors import InvalidValue, StateConflict
from domain.wechat.qr_code import ParameterQrCode


def code(**overrides: object) -> ParameterQrCode:
    fields: dict[str, object] = {
        "code_id": uuid.uuid4(),
        "tenant_id": uuid.uuid4(),
        "account_id": uuid.uuid4(),
        "account_kind": "service",
        "name": "展会",
        "scene": "expo-2026",
        "valid_days": 30,
        "ticket": "gQH47joAAAAAAAAAASxodHRwOi8v",
        "image_url": "https://mp.weixin.qq.com/q",
        "reply": "欢迎",
        "tag_id": 101,
        **overrides,
    }
    return ParameterQrCode.make(**fields)  # type: ignore[arg-type]


def test_a_code_is_for_a_service_account_with_a_scene_and_a_validity_wechat_takes() -> None:
    assert code().permanent is False and code(valid_days=None).permanent is True
    with pytest.raises(StateConflict, match="service account"):
        code(account_kind="subscription")
    for field, value in (
        ("scene", "有中文"),
        ("scene", "x" * 65),
        ("valid_days", 31),
        ("valid_days", 0),
        ("tag_id", 0),
    ):
        with pytest.raises(InvalidValue) as refused:
            code(**{field: value})
        assert refused.value.field == field


def test_an_archived_code_changes_no_more() -> None:
    archived = code()
    archived.change_scan_actions(reply="新的回复", tag_id=None)
    assert (archived.reply, archived.tag_id) == ("新的回复", None)
    archived.archive()
    with pytest.raises(StateConflict):
        archived.change_scan_actions(reply="x", tag_id=None)
    with pytest.raises(StateConflict):
        archived.archive()
