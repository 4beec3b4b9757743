"""Archived messages for the screening and reply-timeout tests: made as the finance SDK
gives them, screened and appended with their alerts the way ingestion does (one call),
then waited for until the alert board and the reply waits have read them."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from application.archive.messages import Alert, ArchivedMessage, behaviour_of
from application.shared.behaviours import BEHAVIOURS
from entrypoints.container import Runtime

SHANGHAI = timedelta(hours=8)
_seq = itertools.count(1)


def shanghai(text: str) -> datetime:
    """A wall-clock time in Shanghai, in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) - SHANGHAI


def said(
    sender: str, to: str, text: str = "", *, at: datetime, kind: str = "text", **content: Any
) -> ArchivedMessage:
    return ArchivedMessage(
        seq=next(_seq),
        msgid=f"s{uuid.uuid4().hex[:14]}",
        action="send",
        sender=sender,
        tolist=(to,),
        roomid="",
        msgtime=at,
        msgtype=kind,
        content=content or {"content": text},
    )


def ingest(
    runtime: Runtime, tenant_id: UUID | str, messages: Sequence[ArchivedMessage]
) -> list[Alert]:
    """Screen `messages`, append them with their alerts in one call, wait for the views."""
    tenant = UUID(str(tenant_id))
    alerts = runtime.container.archive_screen().alerts(tenant, messages)
    by_id = {m.msgid: m for m in messages}
    now = datetime.now(UTC)
    rows = [behaviour_of(tenant, m, received_at=now) for m in messages]
    rows += [a.behaviour(tenant, by_id[a.msgid], now) for a in alerts]
    position = runtime.container.ingestion().take(rows)
    for view in (runtime.container.archive_alert_view(), runtime.container.archive_reply_view()):
        view.wait(BEHAVIOURS, position, timeout=20)
    return alerts
