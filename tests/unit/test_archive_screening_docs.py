"""docs/archive.md's screening and reply-timeout examples are what the API takes
(ARCH-3, ARCH-4): each JSON body of the section is a valid command and its aggregate
accepts it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from uuid import uuid4

from application.archive.screening_commands import (
    AddWords,
    ChangeReplyRules,
    ChangeScreeningRules,
    MakeWordList,
)
from domain.archive.reply_rules import ReplyRules
from domain.archive.screening_rules import ScreeningRules
from domain.archive.word_lists import WordList

DOC = Path(__file__).resolve().parents[2] / "docs" / "archive.md"
SECTION = "## 敏感词与回复超时 · Screening and reply timeouts"


def examples() -> list[Any]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :].split("\n## ", 1)[0]
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.DOTALL)]


def test_every_example_of_the_section_is_accepted() -> None:
    kinds = set()
    word_list = WordList.make(
        list_id=uuid4(), tenant_id=uuid4(), name="词库", category="其他", words=[]
    )
    for example in examples():
        if "name" in example:
            made = MakeWordList(**example)
            WordList.make(list_id=uuid4(), tenant_id=uuid4(), **made.model_dump())
            kinds.add("list")
        elif "lines" in example:
            assert word_list.add(AddWords(**example).all_words())
            kinds.add("words")
        elif "behaviours" in example:
            rules = ChangeScreeningRules(**example)
            ScreeningRules.start(uuid4()).change(
                behaviours=rules.behaviours, allowed=rules.allowed_employees
            )
            kinds.add("screening")
        else:
            command = ChangeReplyRules(**example)
            ReplyRules.start(uuid4()).change(
                enabled=command.enabled,
                threshold_minutes=command.threshold_minutes,
                working_hours=[p.model_dump() for p in command.working_hours],
                include_groups=command.include_groups,
            )
            kinds.add("replies")
    assert kinds == {"list", "words", "screening", "replies"}
