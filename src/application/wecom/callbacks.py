"""WeCom's event callbacks (issue 20 deliverable 2; WECOM-1, WECOM-3): checked, stored,
acknowledged.

Each bound corp has its own URL, `/callbacks/wecom/{callback_key}`, the key random and
shown once the corp is bound. A callback is read with the corp's Token and
EncodingAESKey (signature and AES, wechatpy's crypto behind `CallbackCrypto`), turned
into one behaviour row and stored in the behaviour log before WeCom is answered, in the
request: nothing acknowledged is lost, and what must happen within WeCom's 20 seconds
(the welcome message of a customer added, by its `welcome_code`) can follow the row at
once. Everything else (the customer directory, leads, churn alerts) follows the log.

Row contract (read by the other parts of the context): kind WECOM_CUSTOMER_ADDED, _LOST
(the customer deleted the employee, del_follow_user), _REMOVED (the employee deleted the
customer, del_external_contact; `by_transfer` when WeCom did it for a handover, which is
no churn), _EDITED or WECOM_GROUP_CHANGED; properties `corp` (WeCom's corpid),
`employee` (the employee's userid), `external_userid`, and for an added customer
`state` (the "contact me" code's channel), `welcome_code` and `awaiting_employee`; for a
group `chat_id`, `change`, `update_detail`, `members`, `member_change_count`,
`member_version`. The anonymous id is "wecom:<external_userid>". The message id is the
event's `dedup_key`, so WeCom's retries of one callback store nothing twice. Events the
context does not act on are acknowledged and not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.shared.errors import NotFound, Unauthenticated
from application.wecom.callback_events import (
    CallbackEvent,
    CallbackRejected,
    CustomerAdded,
    CustomerDeletedByEmployee,
    CustomerEdited,
    CustomerGroupChanged,
    EmployeeDeletedByCustomer,
)
from application.wecom.corps import ServingCorp, WecomCorps

SOURCE = "wecom"
ACKNOWLEDGED = b"success"
CUSTOMER_KEY = "wecom:"  # the anonymous id of a customer's rows


def customer_key(external_userid: str) -> str:
    """The anonymous id of a customer's behaviours (an external_userid is per corp)."""
    return f"{CUSTOMER_KEY}{external_userid}"


class CorpCallbacks(Protocol):
    """One corp's callback crypto (`adapters.wecom.callbacks.WecomCallbacks`). Both
    methods raise `CallbackRejected` for anything not the corp's."""

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The decrypted `echostr` of WeCom's URL check."""
        ...

    def event(
        self, msg_signature: str, timestamp: str, nonce: str, body_xml: str | bytes
    ) -> CallbackEvent:
        """The event of a POSTed callback."""
        ...


# The crypto of a corp by its Token, EncodingAESKey and corpid.
CallbackCrypto = Callable[[str, str, str], CorpCallbacks]


class Observations(Protocol):
    """The behaviour log's group-committed intake (the tracking context's, wired by the
    container): rows are stored before the call returns."""

    def take(self, behaviours: Sequence[Behaviour]) -> int:
        """Store the rows (a tenant's repeated message id stores nothing)."""
        ...


class WecomCallbackIntake:
    """Checks, stores and answers WeCom's callbacks."""

    def __init__(
        self,
        corps: WecomCorps,
        crypto: CallbackCrypto,
        observations: Observations,
        clock: Clock,
    ) -> None:
        self.corps = corps
        self.crypto = crypto
        self.observations = observations
        self.clock = clock

    def verify_url(
        self, callback_key: str, *, msg_signature: str, timestamp: str, nonce: str, echostr: str
    ) -> str:
        """Answer WeCom's check of the URL (when the admin saves it) with the decrypted
        `echostr`; `Unauthenticated` (401) when the signature is not the corp's."""
        callbacks = self._callbacks(self._serving(callback_key))
        try:
            return callbacks.verify_url(msg_signature, timestamp, nonce, echostr)
        except CallbackRejected as rejected:
            raise Unauthenticated(rejected.reason) from None

    def receive(
        self, callback_key: str, body: bytes, *, msg_signature: str, timestamp: str, nonce: str
    ) -> bytes:
        """Store one callback's row and answer it. `Unauthenticated` (401) when it is not
        the corp's (forged, another key, not WeCom's XML): nothing is stored."""
        serving = self._serving(callback_key)
        try:
            event = self._callbacks(serving).event(msg_signature, timestamp, nonce, body)
        except CallbackRejected as rejected:
            raise Unauthenticated(rejected.reason) from None
        rows = behaviours_of(serving, event, self.clock.now())
        if rows:
            self.observations.take(rows)
        return ACKNOWLEDGED

    def _serving(self, callback_key: str) -> ServingCorp:
        serving = self.corps.serving(callback_key)
        if serving.unbound:
            raise NotFound("no WeCom callback here")
        return serving

    def _callbacks(self, serving: ServingCorp) -> CorpCallbacks:
        return self.crypto(serving.callback_token, serving.encoding_aes_key, serving.corpid)


def behaviours_of(serving: ServingCorp, event: CallbackEvent, now: datetime) -> list[Behaviour]:
    """The row one callback makes (none for an event the context does not act on)."""
    properties: dict[str, Any]
    if isinstance(event, CustomerGroupChanged):
        return [
            Behaviour(
                tenant_id=serving.tenant_id,
                kind=BehaviourKind.WECOM_GROUP_CHANGED.value,
                channel=Channel.WECOM.value,
                occurred_at=event.at,
                received_at=now,
                message_id=event.dedup_key,
                name=event.change,
                properties={
                    "corp": serving.corpid,
                    "chat_id": event.chat_id,
                    "change": event.change,
                    "update_detail": event.update_detail,
                    "members": list(event.members),
                    "member_change_count": event.member_change_count,
                    "member_version": event.member_version,
                },
                source_id=SOURCE,
            )
        ]
    if isinstance(event, CustomerAdded):
        kind = BehaviourKind.WECOM_CUSTOMER_ADDED
        name = "add_half_external_contact" if event.awaiting_employee else "add_external_contact"
        properties = {
            "state": event.state,
            "welcome_code": event.welcome_code,
            "awaiting_employee": event.awaiting_employee,
        }
    elif isinstance(event, EmployeeDeletedByCustomer):
        kind, name, properties = BehaviourKind.WECOM_CUSTOMER_LOST, "del_follow_user", {}
    elif isinstance(event, CustomerDeletedByEmployee):
        kind, name = BehaviourKind.WECOM_CUSTOMER_REMOVED, "del_external_contact"
        properties = {"by_transfer": event.by_transfer}
    elif isinstance(event, CustomerEdited):
        kind, name, properties = BehaviourKind.WECOM_CUSTOMER_EDITED, "edit_external_contact", {}
    else:
        return []  # WeCom's other events: acknowledged, not acted on
    return [
        Behaviour(
            tenant_id=serving.tenant_id,
            kind=kind.value,
            channel=Channel.WECOM.value,
            occurred_at=event.at,
            received_at=now,
            message_id=event.dedup_key,
            name=name,
            properties={
                "corp": serving.corpid,
                "employee": event.userid,
                "external_userid": event.external_userid,
                **properties,
            },
            context={"traits": {"wecom_external_userid": event.external_userid}},
            anonymous_id=customer_key(event.external_userid),
            source_id=SOURCE,
        )
    ]
