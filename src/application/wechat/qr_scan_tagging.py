"""A scan's tag (TRK-3): a fan who follows or scans through a parameter QR code with a
WeChat tag gets that tag at WeChat (and so in the next fan sync).

Tagging is idempotent at WeChat (a fan tagged twice has the tag once), so the policy
may tag again after a crash without harm; a failed call is logged, never retried
forever: it must not stop the log's followers.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind, Channel
from application.shared.errors import ApplicationError
from application.shared.policies import Policy
from application.shared.views import View
from application.wechat.accounts import OfficialAccounts
from application.wechat.ports import WechatApi
from application.wechat.qr_code_directory import QrCodeQueries
from domain.shared.errors import DomainError

log = logging.getLogger("huoke.wechat.qr_codes")
SCANS = (BehaviourKind.WECHAT_FOLLOWED, BehaviourKind.WECHAT_SCANNED)


class QrScanTagging(Policy):
    """Tags fans at WeChat by the code they scanned."""

    name = "wechat_qr_scan_tagging"
    follows = (BEHAVIOURS,)

    def __init__(
        self, view: View, *, accounts: OfficialAccounts, codes: QrCodeQueries, api: WechatApi
    ) -> None:
        super().__init__(view)
        self.accounts = accounts
        self.codes = codes
        self.api = api

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Behaviour) and domain_event.channel == Channel.WECHAT:
            self.consider(domain_event)
        self.view.write(tracking, ())

    def consider(self, behaviour: Behaviour) -> None:
        properties = behaviour.properties
        scene = str(properties.get("scene") or "")
        if behaviour.kind not in SCANS or not scene:
            return
        account_id = UUID(str(properties["account"]))
        code = self.codes.code_for_scene(behaviour.tenant_id, account_id, scene)
        if code is None or code["tag_id"] is None:
            return
        try:
            serving = self.accounts.bound_for(behaviour.tenant_id, account_id)
            self.api.tag_fans(serving.api_keys, int(code["tag_id"]), [str(properties["openid"])])
        except (ApplicationError, DomainError) as error:  # unbound meanwhile, WeChat refused
            log.warning(
                "tenant %s: fan not tagged by scene %s: %s", behaviour.tenant_id, scene, error
            )
