"""Who a mass or template send reaches (WX-4): the account's followers matching the
audience's include and exclude filters, read from the fan directory's table."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.shared.views import View, iso, parse_iso
from application.wechat.fan_directory import FANS

_COLUMNS = (
    "openid, subscribed, subscribed_at, last_interaction_at, nickname, sex, province, city, "
    "tag_ids, mass_month, mass_received"
)


@dataclass(frozen=True)
class AudienceFan:
    """What the sends need of one fan."""

    openid: str
    subscribed: bool
    last_interaction_at: datetime | None
    nickname: str
    province: str
    city: str
    mass_month: str
    mass_received: int

    def received_in(self, month: str) -> int:
        """Mass messages the directory has seen the fan get in `month`."""
        return self.mass_received if self.mass_month == month else 0

    @property
    def fields(self) -> dict[str, str]:
        """The fan fields a template may name (`{{nickname}}` …)."""
        return {
            "nickname": self.nickname,
            "province": self.province,
            "city": self.city,
            "openid": self.openid,
        }


class MassAudience:
    """Reads the fan directory (`wechat_fans`) through its view."""

    def __init__(self, view: View) -> None:
        self.view = view

    def members(
        self,
        tenant_id: UUID,
        account_id: UUID,
        audience: Mapping[str, Any],
        *,
        active_since: datetime | None = None,
    ) -> list[AudienceFan]:
        """The account's followers matching the filters (and active since
        `active_since`, for unlimited sends), by openid."""
        include = audience.get("include") or {}
        exclude = audience.get("exclude") or {}
        where = "tenant_id = ? AND account_id = ? AND subscribed = 1"
        params: list[Any] = [str(tenant_id), str(account_id)]
        if "followed_from" in include:
            where += " AND subscribed_at >= ?"
            params.append(iso(datetime.fromisoformat(include["followed_from"])))
        if "followed_to" in include:
            where += " AND subscribed_at <= ?"
            params.append(iso(datetime.fromisoformat(include["followed_to"])))
        if "sex" in include:
            where += " AND sex = ?"
            params.append(int(include["sex"]))
        if active_since is not None:
            where += " AND last_interaction_at >= ?"
            params.append(iso(active_since))
        rows = self.view.rows(
            f"SELECT {_COLUMNS} FROM {FANS} WHERE {where} ORDER BY openid", params
        )
        return [_fan(row) for row in rows if _matches(row, include, exclude)]

    def named(
        self, tenant_id: UUID, account_id: UUID, openids: Sequence[str]
    ) -> dict[str, AudienceFan]:
        """The fans among `openids` the directory knows (followers or not)."""
        found: dict[str, AudienceFan] = {}
        for start in range(0, len(openids), 500):
            chunk = list(openids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            rows = self.view.rows(
                f"SELECT {_COLUMNS} FROM {FANS} WHERE tenant_id = ? AND account_id = ? "
                f"AND openid IN ({marks})",
                (str(tenant_id), str(account_id), *chunk),
            )
            found.update((row["openid"], _fan(row)) for row in rows)
        return found


def _matches(
    row: Mapping[str, Any], include: Mapping[str, Any], exclude: Mapping[str, Any]
) -> bool:
    tags = set(json.loads(row["tag_ids"] or "[]"))
    if include.get("tag_ids") and not tags & set(include["tag_ids"]):
        return False
    if include.get("provinces") and row["province"] not in include["provinces"]:
        return False
    if include.get("cities") and row["city"] not in include["cities"]:
        return False
    if exclude.get("tag_ids") and tags & set(exclude["tag_ids"]):
        return False
    if exclude.get("provinces") and row["province"] in exclude["provinces"]:
        return False
    if exclude.get("cities") and row["city"] in exclude["cities"]:
        return False
    return not ("sex" in exclude and int(row["sex"]) == int(exclude["sex"]))


def _fan(row: Mapping[str, Any]) -> AudienceFan:
    last = row["last_interaction_at"]
    return AudienceFan(
        openid=str(row["openid"]),
        subscribed=bool(row["subscribed"]),
        last_interaction_at=parse_iso(last) if last else None,
        nickname=str(row["nickname"] or ""),
        province=str(row["province"] or ""),
        city=str(row["city"] or ""),
        mass_month=str(row["mass_month"] or ""),
        mass_received=int(row["mass_received"] or 0),
    )
