"""When a tenant changes its rules or scheme, its leads follow (SCORE-1, SCORE-3…5), and
points whose validity ended expire on schedule (SCORE-1).

`Restating` is a policy over the scoring application's own settings events: an
attribute rule added, changed or removed, or a category switched, makes every lead of
the tenant hold exactly the attribute points it now matches; new bands, stages or
temperature place every scored lead anew. Both are states, so a replay changes
nothing more.

`ScoreExpiry` is the scheduler's duty: every lead whose next expiry has passed (the
score board knows) loses exactly its expired points. It derives its work from recorded
state, so a restart loses nothing and a repeated sweep changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.scoring.board import BoardQueries
from application.scoring.keeping import ScoringLeads
from application.scoring.scoring import Scoring
from application.shared.clock import Clock
from application.shared.policies import Policy
from application.shared.stamping import tenant_of
from application.shared.views import View

RULE_EVENTS = frozenset(
    {
        "scoring.Settings.RuleAdded",
        "scoring.Settings.RuleChanged",
        "scoring.Settings.RuleRemoved",
        "scoring.Settings.CategoryChanged",
    }
)
SCHEME_EVENTS = frozenset(
    {
        "scoring.Settings.BandsChanged",
        "scoring.Settings.StagesChanged",
        "scoring.Settings.TemperatureChanged",
        "scoring.Settings.CategoryChanged",
    }
)
PAGE = 500


class Restating(Policy):
    """Brings a tenant's leads in line with its changed rules or scheme."""

    name = "scoring_restating"
    follows = ("scoring",)

    def __init__(self, view: View, *, scoring: Scoring, leads: ScoringLeads) -> None:
        super().__init__(view)
        self.scoring = scoring
        self.leads = leads

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        topic = get_topic(type(domain_event))
        tenant_id = tenant_of(domain_event)  # settings are always committed stamped
        if (topic in RULE_EVENTS or topic in SCHEME_EVENTS) and tenant_id is not None:
            self.scoring.forget_rulebook(tenant_id)
            self.reconsider(
                tenant_id,
                rules=topic in RULE_EVENTS,
                scheme=topic in SCHEME_EVENTS,
                at=domain_event.timestamp,
            )
        self.view.write(tracking, ())

    def reconsider(self, tenant_id: UUID, *, rules: bool, scheme: bool, at: Any) -> None:
        after = ""
        while True:
            leads = self.leads.leads_of(tenant_id, after=after, limit=PAGE)
            for lead_id, attributes in leads:
                if rules:
                    self.scoring.match_attributes(
                        tenant_id, UUID(lead_id), attributes, at=at, force=True
                    )
                if scheme:
                    self.scoring.restate(tenant_id, UUID(lead_id), at=at)
            if len(leads) < PAGE:
                return
            after = leads[-1][0]


class ScoreExpiry:
    """Expires the points whose validity has ended, lead by lead."""

    def __init__(self, scoring: Scoring, board: BoardQueries, clock: Clock) -> None:
        self.scoring = scoring
        self.board = board
        self.clock = clock

    def sweep(self) -> int:
        """One pass; answers how many entries of points expired."""
        now = self.clock.now()
        expired, seen = 0, set()
        while True:
            due = [key for key in self.board.due(now) if key not in seen]
            if not due:
                return expired
            for tenant_id, lead_id in due:
                seen.add((tenant_id, lead_id))
                expired += self.scoring.expire(tenant_id, lead_id, now=now)
