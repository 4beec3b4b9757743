"""Caps and backup kept at WeCom (WECOM-1, ADR 0022): after each customer added through
a multi-employee or capped live code, the code's user list is set to what today's
counts call for (`LiveCodes.rotate`): an employee at their cap leaves it, the backup
comes in when nobody is left, a "load" code moves on to the employee with the fewest
customers today.

The counts are the activity read model's, which follows the same log: the policy
waits (`require_applied`) until the model has counted the row that prompted it, so a
cap is never judged on counts that miss the customer just added. A failure at WeCom
is logged, not raised (the next customer tries again): it must not stop the log.
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.errors import ApplicationError
from application.shared.policies import Policy
from application.shared.views import View, require_applied
from application.wecom.live_codes import LiveCodes
from domain.shared.errors import DomainError
from domain.wecom.live_code import code_of_state

log = logging.getLogger("huoke.wecom.live_codes")


class LiveCodeRotation(Policy):
    """Keeps each live code's user list within its caps."""

    name = "wecom_live_code_rotation"
    follows = (BEHAVIOURS,)

    def __init__(self, view: View, *, codes: LiveCodes, activity: View) -> None:
        super().__init__(view)
        self.codes = codes
        self.activity = activity

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if (
            isinstance(domain_event, Behaviour)
            and domain_event.kind == BehaviourKind.WECOM_CUSTOMER_ADDED
        ):
            code_id = code_of_state(str(domain_event.properties.get("state") or ""))
            if code_id is not None:
                require_applied(self.activity, tracking.application_name, tracking.notification_id)
                try:
                    self.codes.rotate(domain_event.tenant_id, code_id)
                except (ApplicationError, DomainError) as error:
                    log.warning(
                        "tenant %s: live code %s not rotated: %s",
                        domain_event.tenant_id,
                        code_id,
                        error,
                    )
        self.view.write(tracking, ())
