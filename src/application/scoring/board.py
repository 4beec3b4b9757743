"""The score board (SCORE-3…5): every live lead's place in the matrix, the stage
funnel, recent conversions (stage transitions), each lead's score history, value
groups of 5/10/20 score bands, and which leads have points due to expire.

It follows the leads (a registered lead stands in the first cell with no points; a
merged or deleted lead leaves the counts) and the scoring events, recognised by topic.
Upstreams are not ordered with each other, so a score may arrive before its lead's
registration: rows are upserted either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.scoring.commands import (
    Conversion,
    FunnelDetails,
    FunnelStage,
    MatrixCell,
    MatrixDetails,
    ScoreHistoryEntry,
    ValueBand,
    ValueGroups,
)
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import RecordTenants, insert
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from domain.scoring.lead_score import moment_of
from domain.scoring.scheme import BEHAVIOUR_BANDS, CELLS, PROFILE_BANDS, Scheme

PREFIX = "scoring_board"
LEADS, HISTORY, CONVERSIONS = f"{PREFIX}_leads", f"{PREFIX}_history", f"{PREFIX}_conversions"
SCORE_TOPIC = "scoring.LeadScore."
GONE = frozenset({"leads.Lead.MergedInto", "leads.Lead.Deleted"})
# What a history entry shows of each event: its kind on the lead timeline.
HISTORY_KINDS = {
    "PointsAwarded": "scoring.PointsAwarded",
    "PointsWithdrawn": "scoring.PointsWithdrawn",
    "PointsExpired": "scoring.PointsExpired",
    "PointsAdjusted": "scoring.PointsAdjusted",
    "PointsGiven": "scoring.PointsGiven",
    "PointsAbsorbed": "scoring.PointsAbsorbed",
    "StageChanged": "scoring.StageChanged",
    "Restated": "scoring.Restated",
}
SOURCE = "scoring"  # this source's name in the lead timeline's order and cursor


class ScoreBoard(ReadModel):
    """Lead placements, history and conversions (see the module)."""

    name = "scoring_board"
    follows = ("leads", "scoring")
    tenants = RecordTenants(f"{PREFIX}_record_tenants")
    tables = {
        LEADS: "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, live INTEGER NOT NULL, "
        "behaviour_score INTEGER NOT NULL, profile_score INTEGER NOT NULL, "
        "score INTEGER NOT NULL, cell TEXT NOT NULL, temperature TEXT NOT NULL, "
        "next_expiry TEXT, PRIMARY KEY (tenant_id, lead_id)",
        HISTORY: "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, position INTEGER NOT NULL, "
        "at TEXT NOT NULL, kind TEXT NOT NULL, rule_id TEXT, points INTEGER, reason TEXT, "
        "score INTEGER NOT NULL, stage TEXT NOT NULL, PRIMARY KEY (tenant_id, lead_id, position)",
        CONVERSIONS: "tenant_id TEXT NOT NULL, position INTEGER NOT NULL, at TEXT NOT NULL, "
        "lead_id TEXT NOT NULL, from_stage TEXT NOT NULL, to_stage TEXT NOT NULL, "
        "from_cell TEXT NOT NULL, to_cell TEXT NOT NULL, rule_id TEXT, reason TEXT, "
        "PRIMARY KEY (tenant_id, position)",
        **tenants.definition,
    }
    indexes = {
        f"{PREFIX}_cells": f"{LEADS} (tenant_id, live, cell)",
        f"{PREFIX}_scores": f"{LEADS} (tenant_id, live, score)",
        f"{PREFIX}_due": f"{LEADS} (next_expiry)",
        f"{PREFIX}_history_at": f"{HISTORY} (tenant_id, lead_id, at, position)",
    }
    platform_wide = {
        f"{PREFIX}_due": "the scheduler expires every tenant's points",
        tenants.table: "whose record an id is, for events stored unstamped",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        topic = get_topic(type(domain_event))
        if topic == "leads.Lead.Registered":
            self._registered(domain_event, tracking)
        elif topic in GONE:
            tenant_id = self.tenants.of(self.view, domain_event)
            self.view.write(
                tracking,
                [
                    (
                        f"UPDATE {LEADS} SET live = 0 WHERE tenant_id = ? AND lead_id = ?",
                        (tenant_id, str(domain_event.originator_id)),
                    )
                ],
            )
        elif topic.startswith(SCORE_TOPIC) and hasattr(domain_event, "behaviour_score"):
            self._scored(topic.removeprefix(SCORE_TOPIC), domain_event, tracking)
        else:
            self.skip(tracking)

    def _registered(self, event: Any, tracking: Tracking) -> None:
        statements = [
            *self.tenants.remember(self.view, event, event.tenant_id),
            (
                f"INSERT INTO {LEADS} (tenant_id, lead_id, live, behaviour_score, profile_score, "
                "score, cell, temperature, next_expiry) VALUES (?, ?, 1, 0, 0, 0, 'A1', 'cold', "
                "NULL) ON CONFLICT (tenant_id, lead_id) DO UPDATE SET live = 1",
                (str(event.tenant_id), str(event.originator_id)),
            ),
        ]
        self.view.write(tracking, statements)

    def _scored(self, name: str, event: Any, tracking: Tracking) -> None:
        tenant_id = str(tenant_of(event) or event.tenant_id)
        lead_id = str(event.lead_id)
        cell = f"{event.behaviour_band}{event.profile_band}"
        next_expiry = getattr(event, "next_expiry", None)
        due = iso(moment_of(next_expiry)) if next_expiry else None
        statements: list[Statement] = [
            (
                f"INSERT INTO {LEADS} (tenant_id, lead_id, live, behaviour_score, profile_score, "
                "score, cell, temperature, next_expiry) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (tenant_id, lead_id) DO UPDATE SET behaviour_score = ?, "
                "profile_score = ?, score = ?, cell = ?, temperature = ?, next_expiry = ?",
                (
                    tenant_id,
                    lead_id,
                    *(
                        values := (
                            event.behaviour_score,
                            event.profile_score,
                            event.score,
                            cell,
                            event.temperature,
                            due,
                        )
                    ),
                    *values,
                ),
            )
        ]
        kind = HISTORY_KINDS.get(name)
        at = iso(moment_of(event.at)) if hasattr(event, "at") else iso(event.timestamp)
        if kind is not None:
            statements.append(
                insert(
                    HISTORY,
                    {
                        "tenant_id": tenant_id,
                        "lead_id": lead_id,
                        "position": tracking.notification_id,
                        "at": at,
                        "kind": kind,
                        "rule_id": getattr(event, "rule_id", None),
                        "points": _points(name, event),
                        "reason": getattr(event, "reason", None),
                        "score": event.score,
                        "stage": event.stage,
                    },
                )
            )
        if name == "StageChanged":
            statements.append(
                insert(
                    CONVERSIONS,
                    {
                        "tenant_id": tenant_id,
                        "position": tracking.notification_id,
                        "at": at,
                        "lead_id": lead_id,
                        "from_stage": event.from_stage,
                        "to_stage": event.to_stage,
                        "from_cell": event.from_cell,
                        "to_cell": event.to_cell,
                        "rule_id": event.rule_id,
                        "reason": event.reason,
                    },
                )
            )
        self.view.write(tracking, statements)


def _points(name: str, event: Any) -> int | None:
    if name == "PointsExpired":
        return -sum(int(e["points"]) for e in event.expired)
    if name == "PointsWithdrawn":
        return -int(event.points)
    if name == "PointsAbsorbed":
        absorbed = sum(int(e["points"]) for e in event.entries)
        return absorbed + sum(int(n) for n in event.adjustments.values())
    points = getattr(event, "points", None)
    return int(points) if points is not None else None


class BoardQueries:
    """Counts by cell, stage, temperature and score band; conversions; a lead's history."""

    source = SOURCE

    def __init__(self, view: View) -> None:
        self.view = view

    def matrix(self, tenant_id: UUID, scheme: Scheme) -> MatrixDetails:
        """The 16 cells with their live leads, and the leads by temperature."""
        counts = self._cells(tenant_id)
        temperature = {"hot": 0, "warm": 0, "cold": 0}
        for row in self.view.rows(
            f"SELECT temperature, COUNT(*) AS n FROM {LEADS} WHERE tenant_id = ? AND live = 1 "
            "GROUP BY temperature",
            (str(tenant_id),),
        ):
            temperature[row["temperature"]] = int(row["n"])
        cells = [
            MatrixCell(
                cell=f"{b}{p}",
                behaviour_band=b,
                profile_band=p,
                stage=scheme.stage_of(f"{b}{p}"),
                count=counts.get(f"{b}{p}", 0),
            )
            for p in reversed(PROFILE_BANDS)
            for b in BEHAVIOUR_BANDS
        ]
        return MatrixDetails(cells=cells, total=sum(counts.values()), temperature=temperature)

    def funnel(self, tenant_id: UUID, scheme: Scheme) -> FunnelDetails:
        """The live leads in each stage, in the stages' order."""
        counts = self._cells(tenant_id)
        stages = [
            FunnelStage(stage=name, cells=list(cells), count=sum(counts.get(c, 0) for c in cells))
            for name, cells in scheme.stages
        ]
        return FunnelDetails(stages=stages, total=sum(counts.values()))

    def _cells(self, tenant_id: UUID) -> dict[str, int]:
        rows = self.view.rows(
            f"SELECT cell, COUNT(*) AS n FROM {LEADS} WHERE tenant_id = ? AND live = 1 "
            "GROUP BY cell",
            (str(tenant_id),),
        )
        return {row["cell"]: int(row["n"]) for row in rows if row["cell"] in CELLS}

    def value_groups(self, tenant_id: UUID, width: int) -> ValueGroups:
        """Live leads in score bands of `width` points (0–4, 5–9…, the last up to 100),
        each with the segments filter that selects it (to save it as a group)."""
        rows = self.view.rows(
            f"SELECT score, COUNT(*) AS n FROM {LEADS} WHERE tenant_id = ? AND live = 1 "
            "GROUP BY score",
            (str(tenant_id),),
        )
        by_score = {int(r["score"]): int(r["n"]) for r in rows}
        bands = []
        for low in range(0, 100, width):
            high = 100 if low + width >= 100 else low + width - 1
            bands.append(
                ValueBand(
                    low=low,
                    high=high,
                    count=sum(n for s, n in by_score.items() if low <= s <= high),
                    filter={"field": "score", "op": "range", "value": {"from": low, "to": high}},
                )
            )
        return ValueGroups(width=width, bands=bands)

    def conversions(self, tenant_id: UUID, *, cursor: str | None, limit: int) -> Page[Conversion]:
        """Stage transitions, newest first."""
        page = fetch_page(
            self.view,
            table=CONVERSIONS,
            where="tenant_id = ?",
            params=[str(tenant_id)],
            order_by=["position"],
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        items = [
            Conversion(
                lead_id=UUID(r["lead_id"]),
                from_stage=r["from_stage"],
                to_stage=r["to_stage"],
                from_cell=r["from_cell"],
                to_cell=r["to_cell"],
                rule_id=r["rule_id"],
                reason=r["reason"],
                at=parse_iso(r["at"]),
            )
            for r in page.items
        ]
        return Page(items=items, next_cursor=page.next_cursor)

    def history(
        self, tenant_id: UUID, lead_id: UUID, *, limit: int = 100
    ) -> list[ScoreHistoryEntry]:
        """The lead's score changes, newest first."""
        rows = self.view.rows(
            f"SELECT * FROM {HISTORY} WHERE tenant_id = ? AND lead_id = ? "
            f"ORDER BY at DESC, position DESC LIMIT {int(limit)}",
            (str(tenant_id), str(lead_id)),
        )
        return [
            ScoreHistoryEntry(
                at=parse_iso(r["at"]),
                kind=r["kind"],
                rule_id=r["rule_id"],
                points=r["points"],
                reason=r["reason"],
                score=int(r["score"]),
                stage=r["stage"],
            )
            for r in rows
        ]

    def due(self, now: datetime, *, limit: int = 500) -> list[tuple[UUID, UUID]]:
        """(tenant, lead) of every lead with points whose validity ended by `now`."""
        rows = self.view.rows(
            f"SELECT tenant_id, lead_id FROM {LEADS} WHERE next_expiry IS NOT NULL "
            f"AND next_expiry <= ? ORDER BY next_expiry LIMIT {int(limit)}",
            (iso(now),),
        )
        return [(UUID(r["tenant_id"]), UUID(r["lead_id"])) for r in rows]

    # --- the lead timeline's source (LeadActivitySource) ---------------------------------

    def activity(
        self,
        tenant_id: Any,
        lead_id: Any,
        *,
        before: tuple[datetime, str, int] | None,
        limit: int,
    ) -> Sequence[Any]:
        """The lead's score changes as timeline entries, newest first, after `before`."""
        where = "tenant_id = ? AND lead_id = ?"
        params: list[Any] = [str(tenant_id), str(lead_id)]
        if before is not None:
            at, source, position = iso(before[0]), before[1], before[2]
            if source == SOURCE:
                where += " AND (at < ? OR (at = ? AND position < ?))"
                params += [at, at, position]
            else:
                where += " AND at < ?" if source < SOURCE else " AND at <= ?"
                params.append(at)
        rows = self.view.rows(
            f"SELECT * FROM {HISTORY} WHERE {where} ORDER BY at DESC, position DESC "
            f"LIMIT {int(limit)}",
            params,
        )
        return [
            ScoreActivity(
                at=parse_iso(r["at"]),
                kind=r["kind"],
                position=int(r["position"]),
                details={
                    k: r[k]
                    for k in ("rule_id", "points", "reason", "score", "stage")
                    if r[k] is not None
                },
            )
            for r in rows
        ]


class ScoreActivity:
    """One score change as a lead timeline entry."""

    def __init__(self, *, at: datetime, kind: str, position: int, details: dict[str, Any]) -> None:
        self.at, self.kind, self.position, self.details = at, kind, position, details
        self.actor: dict[str, Any] | None = None
