"""Routes of scoring (SCORE-1…5): score rules, the scoring settings (bands, stages,
temperature, categories), the matrix, the stage funnel, recent conversions, value
groups, and each lead's score with its history and manual adjustments.

A lead's score is shown only for a lead inside the caller's data scope (ORG-2), asked
of the leads context itself (`Leads.lead`): another tenant's lead, or a colleague's
outside the scope, is 404 like an unknown id."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter

from application.leads.leads import Leads
from application.scoring.board import BoardQueries
from application.scoring.commands import (
    AddRule,
    AdjustScore,
    ChangeRule,
    ChangeSettings,
    Conversion,
    FunnelDetails,
    LeadScoreDetails,
    MatrixDetails,
    RuleDetails,
    ScoreHistoryEntry,
    SettingsDetails,
    ValueGroups,
)
from application.scoring.scoring import Scoring
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import (
    OPTIONAL_IF_MATCH,
    ListOf,
    delete,
    get,
    page_of,
    patch,
    post,
    put,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

Width = Annotated[int, Parameter(description="points per band: 5, 10 or 20")]


class ScoreRuleController(Controller):
    path = "/api/v1/scoring/rules"
    tags = ["scoring"]
    guards = [tenant_may("scoring")]

    @get("/", operation_id="listScoreRules")
    def list_rules(self, scoring: Scoring, caller: TenantCaller) -> ListOf[RuleDetails]:
        """The tenant's score rules.

        Attribute rules (静态评分) first, then behaviour rules (动态评分), by title."""
        return ListOf[RuleDetails](items=scoring.rules(caller.tenant_id), next_cursor=None)

    @post("/", operation_id="createScoreRule", may=Action.CREATE)
    def create(
        self, data: AddRule, scoring: Scoring, caller: TenantCaller
    ) -> Response[RuleDetails]:
        """Add a score rule on an attribute or a behaviour.

        ± points, optionally a validity in days after which they expire, how often it
        scores (`once`, `per_day`, `unlimited`; attribute rules score once while the
        lead matches), a cap on the points it holds, and its category."""
        return with_etag(scoring.add_rule(caller.tenant_id, data), status_code=201)

    @get("/{rule_id:uuid}", operation_id="getScoreRule")
    def get_rule(
        self, rule_id: UUID, scoring: Scoring, caller: TenantCaller
    ) -> Response[RuleDetails]:
        """One score rule.

        Its ETag is the rule's own version (send it as If-Match to change it)."""
        return with_etag(scoring.rule(caller.tenant_id, rule_id))

    @patch("/{rule_id:uuid}", operation_id="changeScoreRule", dependencies=OPTIONAL_IF_MATCH)
    def change(
        self,
        rule_id: UUID,
        data: ChangeRule,
        scoring: Scoring,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[RuleDetails]:
        """Change a score rule.

        Points already awarded keep what they were given."""
        return with_etag(
            scoring.change_rule(caller.tenant_id, rule_id, data, expected_version=expected_version)
        )

    @delete(
        "/{rule_id:uuid}",
        operation_id="removeScoreRule",
        status_code=200,
        dependencies=OPTIONAL_IF_MATCH,
    )
    def remove(
        self,
        rule_id: UUID,
        scoring: Scoring,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[RuleDetails]:
        """Retire a score rule.

        It scores no more; an attribute rule's points are given back."""
        return with_etag(
            scoring.remove_rule(caller.tenant_id, rule_id, expected_version=expected_version)
        )


class ScoringSettingsController(Controller):
    path = "/api/v1/scoring/settings"
    tags = ["scoring"]
    guards = [tenant_may("scoring")]

    @get("/", operation_id="getScoringSettings")
    def get_settings(self, scoring: Scoring, caller: TenantCaller) -> Response[SettingsDetails]:
        """The scoring settings.

        The matrix bands, the stage of each cell, the temperature thresholds and the
        behaviour catalogue's categories (switch and cap)."""
        return with_etag(scoring.settings(caller.tenant_id))

    @put("/", operation_id="changeScoringSettings", dependencies=OPTIONAL_IF_MATCH)
    def change(
        self,
        data: ChangeSettings,
        scoring: Scoring,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[SettingsDetails]:
        """Change the scoring settings.

        Bands, stages, temperature or categories (parts omitted stay). The tenant's
        leads are placed anew a moment later."""
        return with_etag(
            scoring.change_settings(caller.tenant_id, data, expected_version=expected_version)
        )


class ScoreBoardController(Controller):
    path = "/api/v1/scoring"
    tags = ["scoring"]
    guards = [tenant_may("scoring", Action.READ)]

    @get("/matrix", operation_id="getScoreMatrix")
    def matrix(
        self, scoring: Scoring, score_board: BoardQueries, caller: TenantCaller
    ) -> MatrixDetails:
        """The score matrix.

        The 16 cells (behaviour band A–D × profile band 1–4) with their leads, and the
        leads by temperature (hot, warm, cold)."""
        scheme = scoring.rulebook(caller.tenant_id).scheme
        return score_board.matrix(caller.tenant_id, scheme)

    @get("/funnel", operation_id="getStageFunnel")
    def funnel(
        self, scoring: Scoring, score_board: BoardQueries, caller: TenantCaller
    ) -> FunnelDetails:
        """The stage funnel.

        The live leads in each marketing stage, in the stages' order."""
        scheme = scoring.rulebook(caller.tenant_id).scheme
        return score_board.funnel(caller.tenant_id, scheme)

    @get("/conversions", operation_id="listRecentConversions")
    def conversions(
        self,
        score_board: BoardQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[Conversion]:
        """Recent conversions.

        Leads' marketing stage transitions, newest first."""
        return page_of(score_board.conversions(caller.tenant_id, cursor=cursor, limit=limit))

    @get("/value-groups", operation_id="getValueGroups")
    def value_groups(
        self, score_board: BoardQueries, caller: TenantCaller, width: Width = 10
    ) -> ValueGroups:
        """Value groups by score.

        The leads in score bands of 5, 10 or 20 points, each with the filter that
        selects it (save a band as a group with the segments API)."""
        if width not in (5, 10, 20):
            raise InvalidInput("width must be 5, 10 or 20", field="width")
        return score_board.value_groups(caller.tenant_id, width)


class LeadScoreController(Controller):
    path = "/api/v1/leads/{lead_id:uuid}/score"
    tags = ["scoring"]

    @get("/", operation_id="getLeadScore", guards=[tenant_may("scoring", Action.READ)])
    def score(
        self, lead_id: UUID, leads: Leads, scoring: Scoring, caller: TenantCaller
    ) -> LeadScoreDetails:
        """A lead's score.

        Its behaviour and profile scores, total (at most 100), cell, stage,
        temperature and the points it holds (each with its rule and expiry)."""
        leads.lead(caller, lead_id)  # NotFound outside the caller's scope or tenant
        return scoring.lead_score(caller.tenant_id, lead_id)

    @get(
        "/history", operation_id="getLeadScoreHistory", guards=[tenant_may("scoring", Action.READ)]
    )
    def history(
        self, lead_id: UUID, leads: Leads, score_board: BoardQueries, caller: TenantCaller
    ) -> list[ScoreHistoryEntry]:
        """A lead's score history.

        Its score changes, newest first, each naming its rule or reason."""
        leads.lead(caller, lead_id)
        return score_board.history(caller.tenant_id, lead_id)

    @post(
        "/adjustments",
        operation_id="adjustLeadScore",
        guards=[tenant_may("scoring", Action.UPDATE)],
        status_code=200,
    )
    def adjust(
        self,
        lead_id: UUID,
        data: AdjustScore,
        leads: Leads,
        scoring: Scoring,
        caller: TenantCaller,
    ) -> LeadScoreDetails:
        """Adjust a lead's score by hand.

        Add (or, with negative points, take) points, saying why."""
        leads.lead(caller, lead_id)
        return scoring.adjust(caller.tenant_id, lead_id, data)
