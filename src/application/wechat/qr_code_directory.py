"""Parameter QR codes listed, found by scene (for a scan's reply and tag), and counted
(TRK-3): scans, follows, fans retained now and seven days after they followed.

Two read models: the codes, from the wechat application's events, and the counts, from
the behaviour log (a follow or a scan carries its scene). Counts are kept by scene, so
the two need no order between them; the queries put them together.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind, Channel
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from application.wechat.commands import QrCodeDetails, QrCodeStatsDetails
from domain.wechat.qr_code import ParameterQrCode

CODES = "wechat_qr_codes"
COUNTS = "wechat_qr_counts"
QR_FANS = "wechat_qr_fans"
WEEK = timedelta(days=7)


class QrCodeDirectory(ReadModel):
    """Keeps each account's parameter QR codes."""

    name = "wechat_qr_code_directory"
    follows = ("wechat",)
    tables = {
        CODES: "tenant_id TEXT NOT NULL, code_id TEXT NOT NULL, account_id TEXT NOT NULL, "
        "name TEXT NOT NULL, scene TEXT NOT NULL, valid_days INTEGER, image_url TEXT NOT NULL, "
        "reply TEXT NOT NULL, tag_id INTEGER, archived INTEGER NOT NULL, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, code_id)",
    }
    indexes = {
        "wechat_qr_codes_scene": f"{CODES} (tenant_id, account_id, scene)",
        "wechat_qr_codes_created": f"{CODES} (tenant_id, account_id, created_at, code_id)",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(ParameterQrCode.Made)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "code_id": str(event.originator_id),
            "account_id": str(event.account_id),
            "name": event.name,
            "scene": event.scene,
            "valid_days": event.valid_days,
            "image_url": event.image_url,
            "reply": event.reply,
            "tag_id": event.tag_id,
            "archived": 0,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(CODES, row)])

    @process_event.register(ParameterQrCode.ScanActionsChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, reply=event.reply, tag_id=event.tag_id)

    @process_event.register(ParameterQrCode.Archived)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, archived=1)

    def _change(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        where = {"tenant_id": str(tenant_of(event)), "code_id": str(event.originator_id)}
        changes = {**changes, "version": event.originator_version}
        self.view.write(tracking, [update(CODES, changes, where=where)])


class QrCodeStats(ReadModel):
    """Counts each scene's scans and follows, and keeps who followed through it."""

    name = "wechat_qr_code_stats"
    follows = (BEHAVIOURS,)
    tables = {
        COUNTS: "tenant_id TEXT NOT NULL, account_id TEXT NOT NULL, scene TEXT NOT NULL, "
        "scans INTEGER NOT NULL, follows INTEGER NOT NULL, "
        "PRIMARY KEY (tenant_id, account_id, scene)",
        QR_FANS: "tenant_id TEXT NOT NULL, account_id TEXT NOT NULL, openid TEXT NOT NULL, "
        "scene TEXT NOT NULL, followed_at TEXT NOT NULL, week_after TEXT NOT NULL, "
        "unfollowed_at TEXT, PRIMARY KEY (tenant_id, account_id, openid)",
    }
    indexes = {"wechat_qr_fans_scene": f"{QR_FANS} (tenant_id, account_id, scene)"}

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        statements: list[Statement] = []
        if isinstance(domain_event, Behaviour) and domain_event.channel == Channel.WECHAT:
            statements = self._counted(domain_event)
        self.view.write(tracking, statements)

    def _counted(self, behaviour: Behaviour) -> list[Statement]:
        properties = behaviour.properties
        account, openid = str(properties.get("account", "")), str(properties.get("openid", ""))
        scene = str(properties.get("scene") or "")
        tenant_id = str(behaviour.tenant_id)
        kind = behaviour.kind
        if kind == BehaviourKind.WECHAT_UNFOLLOWED and openid:
            return [
                (
                    f"UPDATE {QR_FANS} SET unfollowed_at = ? WHERE tenant_id = ? "
                    "AND account_id = ? AND openid = ? AND unfollowed_at IS NULL",
                    (iso(behaviour.occurred_at), tenant_id, account, openid),
                )
            ]
        if not scene or kind not in (BehaviourKind.WECHAT_FOLLOWED, BehaviourKind.WECHAT_SCANNED):
            return []
        follows = int(kind == BehaviourKind.WECHAT_FOLLOWED)
        statements: list[Statement] = [
            (
                f"INSERT INTO {COUNTS} (tenant_id, account_id, scene, scans, follows) "
                "VALUES (?, ?, ?, 1, ?) ON CONFLICT (tenant_id, account_id, scene) "
                f"DO UPDATE SET scans = {COUNTS}.scans + 1, "
                f"follows = {COUNTS}.follows + excluded.follows",
                (tenant_id, account, scene, follows),
            )
        ]
        if follows and openid:
            # A fan belongs to the code they last followed through (a re-follow by
            # another code moves them there, and starts their week again).
            followed_at = behaviour.occurred_at
            statements.append(
                (
                    f"INSERT INTO {QR_FANS} (tenant_id, account_id, openid, scene, followed_at, "
                    "week_after, unfollowed_at) VALUES (?, ?, ?, ?, ?, ?, NULL) "
                    "ON CONFLICT (tenant_id, account_id, openid) DO UPDATE SET "
                    "scene = excluded.scene, followed_at = excluded.followed_at, "
                    "week_after = excluded.week_after, unfollowed_at = NULL",
                    (tenant_id, account, openid, scene, iso(followed_at), iso(followed_at + WEEK)),
                )
            )
        return statements


class QrCodeQueries:
    """Codes of an account, the code of a scene, and a code's counts."""

    def __init__(self, codes: View, stats: View) -> None:
        self.codes = codes
        self.stats = stats

    def codes_of(
        self, tenant_id: UUID, account_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[QrCodeDetails]:
        """The account's codes, newest first."""
        page = fetch_page(
            self.codes,
            table=CODES,
            where="tenant_id = ? AND account_id = ?",
            params=[str(tenant_id), str(account_id)],
            order_by=("created_at", "code_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_details(row) for row in page.items], page.next_cursor)

    def code_for_scene(
        self, tenant_id: UUID, account_id: UUID, scene: str
    ) -> dict[str, Any] | None:
        """The live code of `scene`, if the account has one."""
        rows = self.codes.rows(
            f"SELECT * FROM {CODES} WHERE tenant_id = ? AND account_id = ? AND scene = ? "
            "AND archived = 0",
            (str(tenant_id), str(account_id), scene),
        )
        return rows[0] if rows else None

    def reply_for_scene(self, tenant_id: UUID, account_id: UUID, scene: str) -> str:
        """What a scan of `scene` is answered ("" for none)."""
        code = self.code_for_scene(tenant_id, account_id, scene)
        return str(code["reply"]) if code else ""

    def counts(
        self, tenant_id: UUID, account_id: UUID, scene: str, now: datetime
    ) -> QrCodeStatsDetails:
        key = (str(tenant_id), str(account_id), scene)
        counted = self.stats.rows(
            f"SELECT scans, follows FROM {COUNTS} WHERE tenant_id = ? AND account_id = ? "
            "AND scene = ?",
            key,
        )
        fans = self.stats.rows(
            "SELECT SUM(CASE WHEN unfollowed_at IS NULL THEN 1 ELSE 0 END) AS now_, "
            "SUM(CASE WHEN week_after <= ? THEN 1 ELSE 0 END) AS week_in, "
            "SUM(CASE WHEN week_after <= ? AND (unfollowed_at IS NULL "
            "OR unfollowed_at > week_after) THEN 1 ELSE 0 END) AS kept "
            f"FROM {QR_FANS} WHERE tenant_id = ? AND account_id = ? AND scene = ?",
            (iso(now), iso(now), *key),
        )[0]
        week_in, kept = int(fans["week_in"] or 0), int(fans["kept"] or 0)
        return QrCodeStatsDetails(
            scene=scene,
            scans=int(counted[0]["scans"]) if counted else 0,
            follows=int(counted[0]["follows"]) if counted else 0,
            retained_now=int(fans["now_"] or 0),
            followed_a_week_ago=week_in,
            retained_after_7_days=kept,
            retention_7_days=round(kept / week_in, 4) if week_in else None,
        )


def _details(row: dict[str, Any]) -> QrCodeDetails:
    created_at = parse_iso(row["created_at"])
    valid_days = row["valid_days"]
    return QrCodeDetails(
        id=UUID(row["code_id"]),
        account_id=UUID(row["account_id"]),
        name=row["name"],
        scene=row["scene"],
        permanent=valid_days is None,
        valid_days=valid_days,
        expires_at=created_at + timedelta(days=int(valid_days)) if valid_days else None,
        image_url=row["image_url"],
        reply=row["reply"],
        tag_id=row["tag_id"],
        archived=bool(row["archived"]),
        version=int(row["version"]),
        created_at=created_at,
    )
