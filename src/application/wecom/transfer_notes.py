"""A customer's transfer on the customer (ORG-3: "the transfer is recorded on each
customer"): when a customer's outcome is final (taken over, or failed with its reason),
a row goes to the behaviour log with the customer's lead, so the lead's timeline shows
it beside the customer's other WeCom rows (kind WECOM_CUSTOMER_TRANSFERRED, properties:
handover and takeover userids, outcome, reason, WeCom's errcode, the batch). WeCom's own
callbacks say how the customer's follow users changed.

A policy over the WeCom application's batch events; a row's message id is the batch's
and the customer's, so a replay stores nothing new."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.shared.errors import ApplicationError
from application.shared.policies import Policy
from application.shared.stamping import tenant_of
from application.shared.views import View
from application.wecom.callbacks import SOURCE, Observations
from application.wecom.wecom import Wecom
from domain.wecom.transfer import FINAL, CustomerTransferBatch

TRANSFERRED = "transferred"  # the name of the row
OUTCOME_EVENTS = frozenset(
    f"wecom.CustomerTransferBatch.{name}"
    for name in ("CallAnswered", "CallReconciled", "ResultsRecorded", "CustomersGivenUp")
)


class CorpIds(Protocol):
    def corpid_of(self, tenant_id: UUID) -> str:
        """The WeCom id of the tenant's bound corp (`CorpNotBound` if none)."""
        ...


def note_id(batch_id: Any, external_userid: str) -> str:
    return f"wecom:transfer:{batch_id}:{external_userid}"[:200]


class TransferNotes(Policy):
    """Writes each final transfer outcome on the customer's lead."""

    name = "wecom_transfer_notes"
    follows = ("wecom",)

    def __init__(
        self, view: View, *, wecom: Wecom, corps: CorpIds, observations: Observations
    ) -> None:
        super().__init__(view)
        self.wecom = wecom
        self.corps = corps
        self.observations = observations

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if get_topic(type(domain_event)) in OUTCOME_EVENTS:
            final = [o for o in domain_event.outcomes if o["state"] in FINAL]
            if final:
                self.note(domain_event, final)
        self.view.write(tracking, ())

    def note(self, event: Any, outcomes: list[dict[str, Any]]) -> None:
        tenant_id = tenant_of(event)
        if tenant_id is None:
            return
        batch = self.wecom.load(event.originator_id, CustomerTransferBatch, tenant_id=tenant_id)
        try:
            corpid = self.corps.corpid_of(tenant_id)
        except ApplicationError:  # unbound since: the row still says what happened
            corpid = ""
        rows = []
        for outcome in outcomes:
            external = outcome["external_userid"]
            customer = batch.customers.get(external) or {}
            at = outcome.get("at") or event.at
            lead_id = customer.get("lead_id")
            rows.append(
                Behaviour(
                    tenant_id=tenant_id,
                    kind=BehaviourKind.WECOM_CUSTOMER_TRANSFERRED.value,
                    channel=Channel.WECOM.value,
                    occurred_at=at,
                    received_at=event.at,
                    message_id=note_id(batch.id, external),
                    name=TRANSFERRED,
                    properties={
                        "corp": corpid,
                        "external_userid": external,
                        "employee": batch.takeover_userid,
                        "handover": batch.handover_userid,
                        "kind": "resigned" if batch.resigned else "on_job",
                        "outcome": outcome["state"],
                        "reason": outcome.get("reason") or "",
                        "errcode": int(outcome.get("errcode") or 0),
                        "batch": str(batch.id),
                    },
                    anonymous_id=f"wecom:{external}",
                    lead_id=UUID(str(lead_id)) if lead_id else None,
                    source_id=SOURCE,
                )
            )
        self.observations.take(rows)
