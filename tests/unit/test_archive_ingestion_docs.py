"""docs/archive.md's ingestion examples are what the API takes (ARCH-1): each JSON body
of the section is a valid command, and the settings accept the corp and Secret shown."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from uuid import uuid4

from application.archive.setup_commands import ChangeArchiveSettings, GenerateKey
from domain.archive.settings import ArchiveSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "archive.md"
SECTION = "## 存档接入 · Ingestion"


def examples() -> list[Any]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :].split("\n## ", 1)[0]
    blocks = re.findall(r"```json\n(.*?)```", section, re.DOTALL)
    return [json.loads(block) for block in blocks]


def test_every_example_of_the_section_is_accepted() -> None:
    found = examples()
    assert len(found) == 2
    assert GenerateKey(**found[0]).publickey_ver == 1
    change = ChangeArchiveSettings(**found[1])
    settings = ArchiveSettings.set_up(uuid4())
    settings.change_source(corpid=change.corpid, sdk_secret=change.sdk_secret)
    assert settings.corpid == change.corpid
