"""Scoring (SCORE-1…5): score rules on attributes and behaviours, each lead's score with
expiry, the matrix, marketing stages, temperature and value groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from application.scoring.board import BoardQueries, ScoreBoard
from application.scoring.keeping import ScoreKeeping, ScoringLeads
from application.scoring.restating import Restating, ScoreExpiry
from application.scoring.scoring import Scoring
from domain.scoring.permissions import SCORING_GRANTS
from entrypoints.http.scoring import (
    LeadScoreController,
    ScoreBoardController,
    ScoreRuleController,
    ScoringSettingsController,
)
from entrypoints.manifest import Manifest
from entrypoints.web.scoring import pages


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    scoring = providers.Singleton(Scoring, c.infrastructure, c.clock)
    leads = providers.Singleton(ScoringLeads, c.scoring_keeping_view)
    board = providers.Singleton(BoardQueries, c.scoring_board_view)
    return {
        "scoring": scoring,
        "score_board": board,
        "scoring_leads": leads,
        "score_expiry": providers.Singleton(ScoreExpiry, scoring, board, c.clock),
        ScoreKeeping.name: providers.Factory(ScoreKeeping, scoring=scoring),
        Restating.name: providers.Factory(Restating, scoring=scoring, leads=leads),
    }


def _offers(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    # The lead timeline (leads context) shows each score change next to the lead's events.
    return {"lead_activity": c.score_board}


MANIFEST = Manifest(
    name="scoring",
    providers=wire,
    applications=("scoring",),
    followers=(ScoreKeeping, ScoreBoard, Restating),
    views={"scoring_keeping_view": ScoreKeeping, "scoring_board_view": ScoreBoard},
    grants=(SCORING_GRANTS,),
    controllers=(
        ScoreRuleController,
        ScoringSettingsController,
        ScoreBoardController,
        LeadScoreController,
    ),
    dependencies=("scoring", "score_board"),
    tags=(Tag(name="scoring", description="打分 · score rules, matrix, stages (SCORE-1…5)"),),
    configuration_events={
        "scoring.Settings.RuleAdded": "新增打分规则 · score rule added",
        "scoring.Settings.RuleChanged": "修改打分规则 · score rule changed",
        "scoring.Settings.RuleRemoved": "删除打分规则 · score rule removed",
        "scoring.Settings.CategoryChanged": "打分类别设置变更 · score category changed",
        "scoring.Settings.BandsChanged": "评分区间变更 · score bands changed",
        "scoring.Settings.StagesChanged": "营销阶段变更 · marketing stages changed",
        "scoring.Settings.TemperatureChanged": "线索温度阈值变更 · temperature thresholds changed",
    },
    console=pages.PAGES,
    console_nav=pages.NAV,
    offers=_offers,
)
