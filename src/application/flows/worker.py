"""The flow worker's round: the flows' due waits and date entries (`waking.py`), then
the reach campaigns' selections and due deliveries (`reaching.py`), in one thread."""

from __future__ import annotations

from dataclasses import dataclass

from application.flows.reaching import Reaching, ReachRound
from application.flows.waking import WakeRound, Waking


@dataclass
class FlowWorkRound:
    waking: WakeRound
    reaching: ReachRound

    @property
    def busy(self) -> bool:
        return self.waking.busy or self.reaching.busy

    @property
    def sent(self) -> int:  # the send worker's pacing reads it; flows do not pace
        return 0


class FlowWork:
    def __init__(self, waking: Waking, reaching: Reaching) -> None:
        self.waking = waking
        self.reaching = reaching

    def run_once(self) -> FlowWorkRound:
        return FlowWorkRound(self.waking.run_once(), self.reaching.run_once())
