"""Chat-sidebar materials (WECOM-2): scripts, images, links, files and mini programs in
folders, each switched on or off; one a sidebar could not send is refused, naming the
field."""

from __future__ import annotations

import uuid

import pytest

from domain.shared.errors import InvalidValue
from domain.wecom.sidebar import SidebarMaterial, checked_folder


def test_sidebar_materials_by_kind_and_folder() -> None:
    script = SidebarMaterial.add(
        id=uuid.uuid4(), tenant_id=uuid.uuid4(), title="开场白", kind="script",
        fields={"text": "您好，我是火客科技的顾问"}, folder=" 话术 / 开场 ",
    )  # fmt: skip
    assert script.folder == "话术/开场" and script.enabled
    assert script.revise(fields={"text": "您好！"}) and script.body["text"] == "您好！"
    assert not script.revise(fields={"text": "您好！"})
    assert script.switch(False) and not script.enabled and not script.switch(False)
    with pytest.raises(InvalidValue) as no_url:
        SidebarMaterial.add(
            id=uuid.uuid4(), tenant_id=uuid.uuid4(), title="官网", kind="link", fields={}
        )
    assert no_url.value.field == "url"
    with pytest.raises(InvalidValue):
        SidebarMaterial.add(
            id=uuid.uuid4(), tenant_id=uuid.uuid4(), title="价目表", kind="file", fields={}
        )
    with pytest.raises(InvalidValue):
        checked_folder("a/b/c/d")
