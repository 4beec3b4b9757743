"""What a run does next (FLOW-5): the one decision the flow worker, the dry run and
the tests share. `next_move` reads the enrolment and its version's graph and answers a
move; whoever runs it makes the move (an effect through the channels, a branch on the
lead's facts) and records it on the enrolment, then asks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.flows.enrolment import Enrolment, RunStatus
from domain.flows.graph import FlowGraph, Node, NodeKind


@dataclass(frozen=True)
class Move:
    """`kind` is one of the class constants; `node` is where (None for idle/finished)."""

    kind: str
    node: Node | None = None
    until: datetime | None = None

    EFFECT = "effect"  # make the node's effect, then step DONE, SKIPPED or FAILED
    BRANCH = "branch"  # evaluate the node's filter, then step YES or NO
    WAIT = "wait"  # park the run until `until`
    WAKE = "wake"  # the wait is over: step WAITED
    END = "end"  # record the End
    IDLE = "idle"  # waiting, not yet due
    FINISHED = "finished"  # no run in progress


def next_move(graph: FlowGraph, enrolment: Enrolment, now: datetime) -> Move:
    """The run's next move at `now` (aware, in the tenant's zone for calendar waits)."""
    if not enrolment.in_progress or enrolment.at is None:
        return Move(Move.FINISHED)
    node = graph.node(enrolment.at)
    if enrolment.status == RunStatus.WAITING.value:
        assert enrolment.wake_at is not None
        return Move(Move.WAKE, node) if now >= enrolment.wake_at else Move(Move.IDLE, node)
    if node.kind is NodeKind.END:
        return Move(Move.END, node)
    if node.kind is NodeKind.WAIT:
        return Move(Move.WAIT, node, until=node.wait_ends_at(now))
    if node.kind is NodeKind.BRANCH:
        return Move(Move.BRANCH, node)
    return Move(Move.EFFECT, node)
