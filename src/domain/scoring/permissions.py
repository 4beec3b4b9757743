"""What each tenant role may do with scoring (SCORE-1…5): marketers keep the rules, the
matrix and the stages, and adjust scores; sales, their managers and analysts read them."""

from __future__ import annotations

from domain.shared.access import MANAGE, READ, Grants, tenant_grants

SCORING_GRANTS: Grants = {
    "scoring": tenant_grants(
        marketer=MANAGE,
        sales=READ,
        sales_manager=READ,
        data_analyst=READ,
    ),
}
