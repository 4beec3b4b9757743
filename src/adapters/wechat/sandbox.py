"""The embedded WeChat: nothing leaves the machine. Every call that would change
something at WeChat (messages, QR codes, menus, tags) becomes one JSON line in
`wechat.jsonl` under the outbox directory, flushed to disk before the call answers,
with plausible ids in the answer. Followers, profiles and material are what a test (or
an operator, by editing `wechat-sandbox.json` in the same directory) seeded, else empty.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from application.wechat.ports import (
    AccountKeys,
    FanProfile,
    FanTag,
    FollowerPage,
    Material,
    OutgoingMessage,
    QrTicket,
)

OUTBOX_FILE = "wechat.jsonl"
SEED_FILE = "wechat-sandbox.json"
PAGE = 10_000  # user/get's page


class SandboxWechatApi:
    """`WechatApi` writing to `outbox_dir / wechat.jsonl`; seeds read from
    `outbox_dir / wechat-sandbox.json` (by appid)."""

    def __init__(self, outbox_dir: Path, now: Callable[[], datetime] | None = None) -> None:
        self.directory = outbox_dir
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        # Ids unique across restarts: time-based start, counted up in the process.
        self._ids = itertools.count(int(time.time() * 1000))
        # Calls sent with a dedupe id (clientmsgid, client_msg_id), read back from the
        # outbox once after a restart.
        self._dedupe: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._dedupe_loaded = False

    # --- what would be sent -------------------------------------------------------------

    def send_customer_message(
        self, keys: AccountKeys, openid: str, message: OutgoingMessage
    ) -> None:
        self._record(keys, "customer_message", touser=openid, message=asdict(message))

    def mass_send(
        self,
        keys: AccountKeys,
        openids: Sequence[str],
        message: OutgoingMessage,
        clientmsgid: str = "",
    ) -> str:
        with self._lock:  # WeChat sends a clientmsgid once (within 24 h): so does this
            first = self._sent_as(keys, "mass_send", "clientmsgid", clientmsgid)
            if first is not None:
                return str(first["msg_id"])
            msg_id = str(next(self._ids))
            self._record(
                keys,
                "mass_send",
                locked=True,
                msg_id=msg_id,
                touser=list(openids),
                message=asdict(message),
                **({"clientmsgid": clientmsgid} if clientmsgid else {}),
            )
        return msg_id

    def mass_preview(self, keys: AccountKeys, openid: str, message: OutgoingMessage) -> None:
        self._record(keys, "mass_preview", touser=openid, message=asdict(message))

    def send_template(
        self,
        keys: AccountKeys,
        openid: str,
        template_id: str,
        data: Mapping[str, str],
        url: str = "",
        client_msg_id: str = "",
    ) -> str:
        with self._lock:
            first = self._sent_as(keys, "template", "client_msg_id", client_msg_id)
            if first is not None and first.get("touser") == openid:
                return str(first["msgid"])
            msgid = str(next(self._ids))
            self._record(
                keys,
                "template",
                locked=True,
                msgid=msgid,
                touser=openid,
                template_id=template_id,
                data=dict(data),
                url=url,
                **({"client_msg_id": client_msg_id} if client_msg_id else {}),
            )
        return msgid

    def create_qr_code(self, keys: AccountKeys, scene: str, expires_in: int | None) -> QrTicket:
        ticket = f"sandbox-{uuid.uuid4().hex}"
        self._record(keys, "qr_code", ticket=ticket, scene=scene, expires_in=expires_in)
        return QrTicket(
            ticket=ticket,
            url=f"https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket={quote(ticket)}",
            expires_in=expires_in,
        )

    def publish_menu(self, keys: AccountKeys, buttons: Sequence[Mapping[str, Any]]) -> None:
        self._record(keys, "menu", button=[dict(b) for b in buttons])

    def tag_fans(self, keys: AccountKeys, tag_id: int, openids: Sequence[str]) -> None:
        self._record(keys, "tag_fans", tagid=tag_id, openid_list=list(openids))

    def tags(self, keys: AccountKeys) -> list[FanTag]:
        seeded = self._seed().get("tags", {}).get(keys.appid, [])
        return [
            FanTag(tag_id=int(t["id"]), name=str(t["name"]), count=int(t.get("count", 0)))
            for t in seeded
        ]

    def seed_tags(self, appid: str, tags: Sequence[FanTag]) -> None:
        rows = [{"id": t.tag_id, "name": t.name, "count": t.count} for t in tags]
        self._update_seed(lambda s: s.setdefault("tags", {}).__setitem__(appid, rows))

    def sent(self) -> list[dict[str, Any]]:
        """Every recorded call, oldest first (tests and the console)."""
        path = self.directory / OUTBOX_FILE
        if not path.exists():
            return []
        with path.open(encoding="utf-8") as outbox:
            return [json.loads(line) for line in outbox if line.strip()]

    # --- what the account holds (seeded) ------------------------------------------------

    def followers(self, keys: AccountKeys, next_openid: str = "") -> FollowerPage:
        everyone = [str(o) for o in self._seed().get("followers", {}).get(keys.appid, [])]
        start = everyone.index(next_openid) + 1 if next_openid in everyone else 0
        page = everyone[start : start + PAGE]
        more = start + PAGE < len(everyone)
        return FollowerPage(len(everyone), tuple(page), page[-1] if more else "")

    def fan_profiles(self, keys: AccountKeys, openids: Sequence[str]) -> list[FanProfile]:
        seed = self._seed()
        known = seed.get("profiles", {}).get(keys.appid, {})
        following = set(seed.get("followers", {}).get(keys.appid, []))
        return [
            _profile(known[o]) if o in known else FanProfile(o, subscribed=o in following)
            for o in openids
        ]

    def materials(self, keys: AccountKeys, kind: str, offset: int, count: int) -> list[Material]:
        items = self._seed().get("materials", {}).get(keys.appid, {}).get(kind, [])
        return [_material(kind, item) for item in items[offset : offset + count]]

    def seed_followers(self, appid: str, openids: Sequence[str]) -> None:
        self._update_seed(lambda s: s.setdefault("followers", {}).__setitem__(appid, list(openids)))

    def seed_profiles(self, appid: str, profiles: Sequence[FanProfile]) -> None:
        def put(seed: dict[str, Any]) -> None:
            book = seed.setdefault("profiles", {}).setdefault(appid, {})
            for profile in profiles:
                book[profile.openid] = _profile_json(profile)

        self._update_seed(put)

    def seed_materials(self, appid: str, kind: str, materials: Sequence[Material]) -> None:
        def put(seed: dict[str, Any]) -> None:
            seed.setdefault("materials", {}).setdefault(appid, {})[kind] = [
                _material_json(m) for m in materials
            ]

        self._update_seed(put)

    # --- files --------------------------------------------------------------------------

    def _sent_as(
        self, keys: AccountKeys, call: str, name: str, value: str
    ) -> dict[str, Any] | None:
        """The recorded call whose `name` is `value` (a dedupe id), if any."""
        if not value:
            return None
        known = self._dedupe.get((keys.appid, call, value))
        if known is None and not self._dedupe_loaded:
            for record in self.sent():
                if record.get(name):
                    self._dedupe[(record["appid"], record["call"], record[name])] = record
            self._dedupe_loaded = True
            known = self._dedupe.get((keys.appid, call, value))
        return known

    def _record(self, keys: AccountKeys, call: str, *, locked: bool = False, **fields: Any) -> None:
        record = {
            "call": call,
            "account_id": str(keys.account_id),
            "appid": keys.appid,
            **fields,
            "at": self._now().isoformat(),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        self.directory.mkdir(parents=True, exist_ok=True)
        if locked:
            self._append(line)
        else:
            with self._lock:
                self._append(line)
        for name in ("clientmsgid", "client_msg_id"):
            if fields.get(name):
                self._dedupe[(keys.appid, call, fields[name])] = record

    def _append(self, line: str) -> None:
        with (self.directory / OUTBOX_FILE).open("a", encoding="utf-8") as outbox:
            outbox.write(line)
            outbox.flush()
            os.fsync(outbox.fileno())

    def _seed(self) -> dict[str, Any]:
        path = self.directory / SEED_FILE
        if not path.exists():
            return {}
        return dict(json.loads(path.read_text(encoding="utf-8")))

    def _update_seed(self, change: Callable[[dict[str, Any]], None]) -> None:
        with self._lock:
            seed = self._seed()
            change(seed)
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / SEED_FILE
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
            temporary.replace(path)  # readers never see half a file


def _profile_json(profile: FanProfile) -> dict[str, Any]:
    data = asdict(profile)
    data["subscribed_at"] = profile.subscribed_at.isoformat() if profile.subscribed_at else None
    data["tag_ids"] = list(profile.tag_ids)
    return data


def _profile(data: Mapping[str, Any]) -> FanProfile:
    moment = data.get("subscribed_at")
    return FanProfile(
        **{
            **data,
            "subscribed_at": datetime.fromisoformat(moment) if moment else None,
            "tag_ids": tuple(data.get("tag_ids") or ()),
        }
    )


def _material_json(material: Material) -> dict[str, Any]:
    data = asdict(material)
    data["updated_at"] = material.updated_at.isoformat() if material.updated_at else None
    data["articles"] = [dict(a) for a in material.articles]
    return data


def _material(kind: str, data: Mapping[str, Any]) -> Material:
    moment = data.get("updated_at")
    return Material(
        media_id=str(data["media_id"]),
        kind=kind,
        name=str(data.get("name", "")),
        url=str(data.get("url", "")),
        updated_at=datetime.fromisoformat(moment) if moment else None,
        articles=tuple(dict(a) for a in data.get("articles") or ()),
    )
