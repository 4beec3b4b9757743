"""What the WeChat pages share: where they live, the console's view of the outside (the
public address WeChat calls back, the clock the 48-hour window is measured by), and a
wait for the fan directory after a reply (the behaviour log has no read-your-writes)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from application.shared.behaviours import BEHAVIOURS
from application.shared.clock import Clock
from application.shared.views import View
from application.wechat.commands import FanDetails
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _
from entrypoints.web.tables import Cell

ACCOUNTS = "/console/wechat/accounts"
SECTION = "营销触达"
# How long a reply's page waits for the conversation to show it (the reply is sent and
# kept either way; a slower view shows it on the next load).
REPLY_SHOWN_SECONDS = 5.0
KIND_NAMES = {"service": N_("服务号"), "subscription": N_("订阅号")}


@dataclass(frozen=True)
class WechatConsole:
    """The console's view of the outside world for the WeChat pages."""

    public_url: str
    clock: Clock
    fan_view: View
    behaviours: Any  # the behaviour log (its recorder's head is what a reply wrote)
    material_view: View | None = None  # the material library, shown after a sync

    def callback_url(self, callback_path: str) -> str:
        """The server address (服务器地址) to type into WeChat's console."""
        return self.public_url.rstrip("/") + callback_path

    def now(self) -> datetime:
        return self.clock.now()

    def wait_for_fans(self) -> None:
        """Until the fan directory has read the behaviour log's head (a reply just went
        there), so the conversation the browser goes to next shows the reply."""
        self._wait(self.fan_view)

    def wait_for_materials(self) -> None:
        """Until the material library has read what a sync just stored."""
        if self.material_view is not None:
            self._wait(self.material_view)

    def _wait(self, view: View) -> None:
        head = self.behaviours.recorder.max_notification_id() or 0
        if not head:
            return
        # A slower view shows it a moment later: what was written is kept either way.
        with contextlib.suppress(TimeoutError):
            view.wait(BEHAVIOURS, head, timeout=REPLY_SHOWN_SECONDS)


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def window_cell(fan: FanDetails, now: datetime) -> Cell:
    """The 48-hour customer-service window (WX-3): how long replies are still allowed."""
    until = fan.service_window_until
    if until is None:
        return Cell(_("未互动"), badge="bad")
    left = until - now
    if left <= timedelta(0):
        return Cell(_("已过期"), badge="bad")
    hours = int(left.total_seconds() // 3600)
    if hours < 1:
        minutes = max(1, int(left.total_seconds() // 60))
        return Cell(_("剩余 {n} 分钟").format(n=minutes), badge="warn")
    return Cell(_("剩余 {n} 小时").format(n=hours), badge="ok" if hours >= 6 else "warn")
