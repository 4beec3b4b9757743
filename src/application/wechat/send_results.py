"""WeChat's reports on sends (WX-4, WX-5): a policy following the behaviour log turns
each stored MASSSENDJOBFINISH / TEMPLATESENDJOBFINISH push (a `wechat_job_finished`
row, see `callbacks`) into the send's results.

Every report is kept in the ledger by msg_id (so a template message's result shows
with its fan whenever the push came); a mass batch's report is also recorded on its
`MassSend` (once per msg_id: a repeated push changes nothing)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.clock import Clock
from application.shared.errors import NotFound, VersionConflict
from application.shared.policies import Policy
from application.shared.views import View
from application.wechat.send_ledger import SendLedger
from application.wechat.wechat import Wechat
from domain.wechat.mass_send import MassSend

MASS_REPORT = "MASSSENDJOBFINISH"
TEMPLATE_REPORT = "TEMPLATESENDJOBFINISH"


class SendResults(Policy):
    """Records WeChat's job-finish reports on the sends they are about."""

    name = "wechat_send_results"
    follows = (BEHAVIOURS,)

    def __init__(self, view: View, *, wechat: Wechat, ledger: SendLedger, clock: Clock) -> None:
        super().__init__(view)
        self.wechat = wechat
        self.ledger = ledger
        self.clock = clock

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if (
            isinstance(domain_event, Behaviour)
            and domain_event.kind == BehaviourKind.WECHAT_JOB_FINISHED
            and domain_event.name in (MASS_REPORT, TEMPLATE_REPORT)
        ):
            self._report(domain_event)
        self.view.write(tracking, ())

    def _report(self, behaviour: Behaviour) -> None:
        properties = behaviour.properties
        msg_id = str(properties.get("msg_id") or "")
        try:
            account_id = UUID(str(properties.get("account")))
        except ValueError:
            return
        if not msg_id:
            return
        status = str(properties.get("status") or "")
        self.ledger.report(behaviour.tenant_id, account_id, msg_id, status, self.clock.now())
        if behaviour.name != MASS_REPORT:
            return
        send_id = self.ledger.send_of(behaviour.tenant_id, account_id, msg_id)
        if send_id is None:  # a send made elsewhere (WeChat's own console)
            return
        for attempt in range(2):  # once more, fresh, if the pipeline saved meanwhile
            try:
                send = self.wechat.load(send_id, MassSend, tenant_id=behaviour.tenant_id)
            except NotFound:
                return
            if not send.report_results(
                msg_id=msg_id,
                status=status,
                total=_count(properties.get("total_count")),
                filtered=_count(properties.get("filter_count")),
                sent=_count(properties.get("sent_count")),
                errors=_count(properties.get("error_count")),
            ):
                return
            try:
                self.wechat.commit(send)
                return
            except VersionConflict:
                if attempt:
                    raise


def _count(value: Any) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0
