"""docs/flows.md's JSON examples are what the API takes (FLOW-1, FLOW-2, FLOW-7): each
flow parses and would enable on a tenant with every channel set up, each start condition
and filter parses, and each reach campaign plans and would schedule."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from domain.flows.graph import Channel, FlowGraph
from domain.flows.reach import ReachCampaign
from domain.flows.triggers import Trigger
from domain.shared.filters import Filter

DOC = Path(__file__).resolve().parents[3] / "docs" / "flows.md"


def examples() -> list[Any]:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    return [json.loads(block) for block in blocks]


def test_every_example_of_the_flows_doc_is_accepted() -> None:
    found = examples()
    assert len(found) >= 5
    kinds = set()
    for example in found:
        if "graph" in example:
            Trigger.parse(example["trigger"]).require_complete()
            assert FlowGraph.parse(example["graph"]).problems(tuple(Channel)) == []
            kinds.add("flow")
        elif "branches" in example:
            campaign = ReachCampaign.plan(campaign_id=uuid4(), tenant_id=uuid4(), **example)
            campaign.schedule(channels=tuple(Channel), now=datetime(2027, 2, 1, tzinfo=UTC))
            kinds.add("reach")
        elif example.get("kind") == "date":
            assert Trigger.parse(example).is_scheduled
            kinds.add("trigger")
        else:
            Filter.parse(example, path="filter")
            kinds.add("filter")
    assert kinds == {"flow", "reach", "trigger", "filter"}
