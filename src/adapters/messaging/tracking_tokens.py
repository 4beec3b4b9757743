"""The `TrackingTokens` port over the tracking context: signed open pixels and click
redirects for e-mail, recipient short links for SMS (their visits become the lead's
open and click behaviours, with our message id in `properties.message`)."""

from __future__ import annotations

import threading
from uuid import UUID

from application.tracking.link_codes import LinkCodes
from application.tracking.link_commands import CreateLink
from application.tracking.links import PromotionLinks

SMS_CHANNEL_LABEL = "短信"


class TrackingLinkTokens:
    def __init__(self, codes: LinkCodes, links: PromotionLinks, public_url: str) -> None:
        self.codes = codes
        self.links = links
        self.public_url = public_url.rstrip("/")
        self._short_codes: dict[tuple[UUID, UUID, str], str] = {}
        self._lock = threading.Lock()

    def open_pixel_url(self, *, tenant_id: UUID, lead_id: UUID, message_id: str) -> str:
        token = self.codes.open_token(tenant_id=tenant_id, lead_id=lead_id, message_key=message_id)
        return f"{self.public_url}/o/{token}.gif"

    def click_url(self, *, tenant_id: UUID, lead_id: UUID, message_id: str, url: str) -> str:
        token = self.codes.click_token(
            tenant_id=tenant_id, lead_id=lead_id, message_key=message_id, url=url
        )
        return f"{self.public_url}/c/{token}"

    def short_link(
        self, *, tenant_id: UUID, task_id: UUID, lead_id: UUID, url: str, channel: str
    ) -> str:
        # One promotion link per task and URL (kept for the process; a restart makes a
        # second link of the same URL, which counts the same way), one code per lead.
        key = (tenant_id, task_id, url)
        with self._lock:
            short_code = self._short_codes.get(key)
        if short_code is None:
            made = self.links.create(
                tenant_id,
                CreateLink(
                    target_url=url,
                    title=f"短信任务 {str(task_id)[:8]}",
                    channel=SMS_CHANNEL_LABEL if channel == "sms" else channel,
                ),
            )
            short_code = made.code
            with self._lock:
                self._short_codes[key] = short_code
        code = self.codes.for_recipient(short_code, lead_id=lead_id, channel=channel)
        return f"{self.public_url}/s/{code}"
