"""Score points expire on the scheduler's rounds, durably (SCORE-1): on a huoke whose
clock the test moves, points whose validity ended go at the next round, also after a
restart, exactly once, and a round with nothing due changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

from application.shared.behaviours import Behaviour
from entrypoints.settings import Settings
from tests.e2e.billing_support import FakeClock
from tests.e2e.test_billing_over_time import running
from tests.settling import settle

START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_points_expire_on_the_scheduler_round_after_their_validity_even_after_a_restart(
    fresh_settings: Settings,
) -> None:
    clock = FakeClock(START)
    with running(fresh_settings, clock) as api:
        tenant_id, token = api.tenant_with_key("tenant_admin")
        headers = {**api.key(token), "Prefer": "read-your-writes"}
        for title, days, points in (("打开邮件", 7, 10), ("点击邮件", 30, 20)):
            rule = {
                "title": title,
                "category": "email",
                "points": points,
                "validity_days": days,
                "behaviour": {"kind": "open" if days == 7 else "click"},
            }
            assert api.client.post("/api/v1/scoring/rules", json=rule, headers=headers).is_success
        lead = api.client.post("/api/v1/leads", json={"mobile": "13800138600"}, headers=headers)
        lead_id = lead.json()["lead"]["id"]
        api.runtime.container.ingestion().take(
            [
                Behaviour(
                    tenant_id=UUID(tenant_id),
                    kind=kind,
                    channel="email",
                    occurred_at=START,
                    received_at=START,
                    message_id=str(uuid.uuid4()),
                    lead_id=UUID(lead_id),
                    source_id="test",
                )
                for kind in ("open", "click")
            ]
        )
        settle(api.runtime)
        scheduler = api.runtime.scheduler
        assert scheduler is not None
        assert scheduler.run_once()["points_expired"] == 0
        score = api.client.get(f"/api/v1/leads/{lead_id}/score", headers=api.key(token))
        assert score.json()["behaviour_score"] == 30
    clock.move(days=7)
    with running(fresh_settings, clock) as api:  # a restart: nothing is remembered in memory
        scheduler = api.runtime.scheduler
        assert scheduler is not None
        settle(api.runtime)
        scheduler.run_once()  # the round may already have run at start
        settle(api.runtime)
        score = api.client.get(f"/api/v1/leads/{lead_id}/score", headers=api.key(token))
        assert score.json()["behaviour_score"] == 20
        assert [e["points"] for e in score.json()["entries"]] == [20]
        positions = api.event_positions()
        assert scheduler.run_once()["points_expired"] == 0
        assert api.event_positions() == positions
        clock.move(days=30)
        assert scheduler.run_once()["points_expired"] == 1
        settle(api.runtime)
        score = api.client.get(f"/api/v1/leads/{lead_id}/score", headers=api.key(token))
        assert (score.json()["behaviour_score"], score.json()["entries"]) == (0, [])
        history = api.client.get(
            f"/api/v1/leads/{lead_id}/score/history", headers=api.key(token)
        ).json()
        assert [h["kind"] for h in history].count("scoring.PointsExpired") == 2
