"""A customer added through a live code is greeted and tagged (WECOM-1).

The policy follows the behaviour log. A WECOM_CUSTOMER_ADDED row whose `state` names a
live code (`code_of_state`) gets, through the tenant's corp:

1. the welcome message, first, because WeCom's `welcome_code` is good for 20 seconds
   from the callback: the code's own message, or the adding employee's most specific
   department's (`domain.wecom.welcome`); the callback's row is stored before WeCom is
   answered and this policy runs right after the append, so the delay is the log's
   follow-up time (each outcome row records it as `delay_ms`: from the added row's
   `received_at` to the send);
2. the code's corp tags on the customer (`mark_tags`, as the adding employee);
3. one WECOM_WELCOME_SENT row saying what happened: `outcome` "ok", "failed" (with
   WeCom's `errcode` and `errmsg`) or "none" (no welcome code, or no message to send),
   the tags' outcome, and the attribution of the customer to the code (`live_code`,
   `live_code_name`, `state`, `employee`): the row carries the customer's anonymous id
   ("wecom:<external_userid>"), so it reaches the lead's timeline with their other
   WeCom rows, and the activity read model counts welcomes per code from it.

Exactly once per added row: the outcome row's message id is derived from the added
row's (tenant and message id), so a second look at the same row (a crash before the
tracking was recorded) stores nothing new; WeCom refuses a used welcome_code and
marking tags twice leaves them as once. A row appended twice is stored once by the log
(its message id is the callback's dedup key) and so is seen once here. A failure is
recorded, never raised: it must not stop the log's followers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.shared.errors import ApplicationError, NotFound
from application.shared.policies import Policy
from application.shared.views import View
from application.wecom.corps import WecomCorps
from application.wecom.department_welcomes import DepartmentWelcomeMessages
from application.wecom.ports import WecomApi, WecomRefused, WelcomeAttachment
from application.wecom.wecom import Wecom
from domain.shared.errors import DomainError
from domain.wecom.live_code import LiveCode, LiveCodeKind, code_of_state
from domain.wecom.welcome import WelcomeMessage, WelcomeMode, department_welcome, welcome_for

log = logging.getLogger("huoke.wecom.welcoming")
SOURCE = "wecom"
OK, FAILED, NONE = "ok", "failed", "none"
_WELCOMES = uuid.UUID("0e4b5f3c-8a2d-4c71-b9e6-5d1f2a7c3e80")  # uuid5 namespace


class Observations(Protocol):
    """The behaviour log's intake: rows are stored before the call returns."""

    def take(self, behaviours: Sequence[Behaviour]) -> int:
        """Store the rows (a tenant's repeated message id stores nothing)."""
        ...


class MemberDepartments(Protocol):
    """The departments of the corp's members (the member directory)."""

    def departments_of(self, tenant_id: UUID, userid: str) -> list[int]:
        """The member's WeCom departments, in WeCom's order ([] if unknown)."""
        ...


def welcome_message_id(added: Behaviour) -> str:
    """The outcome row's message id for one added row (the same each time it is seen)."""
    return f"wecom:welcome:{uuid.uuid5(_WELCOMES, f'{added.tenant_id}/{added.message_id}')}"


class Welcoming(Policy):
    """Greets and tags customers added through live codes."""

    name = "wecom_welcoming"
    follows = (BEHAVIOURS,)

    def __init__(
        self,
        view: View,
        *,
        wecom: Wecom,
        corps: WecomCorps,
        welcomes: DepartmentWelcomeMessages,
        members: MemberDepartments,
        observations: Observations,
        clock: Clock,
    ) -> None:
        super().__init__(view)
        self.wecom = wecom
        self.corps = corps
        self.welcomes = welcomes
        self.members = members
        self.observations = observations
        self.clock = clock

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if (
            isinstance(domain_event, Behaviour)
            and domain_event.kind == BehaviourKind.WECOM_CUSTOMER_ADDED
        ):
            self.greet(domain_event)
        self.view.write(tracking, ())

    def greet(self, added: Behaviour) -> None:
        """Welcome and tag the customer of one added row, and record what happened."""
        properties = added.properties
        code_id = code_of_state(str(properties.get("state") or ""))
        if code_id is None:
            return  # not a live code's customer (another channel, or no state)
        try:
            code = self.wecom.load(code_id, LiveCode, tenant_id=added.tenant_id)
        except NotFound:
            return  # a state of another tenant's code, or a made-up one
        if code.archived or code.kind != LiveCodeKind.EMPLOYEE:
            return
        setup = code.employee_setup
        userid = str(properties.get("employee", ""))
        external_userid = str(properties.get("external_userid", ""))
        outcome: dict[str, Any] = {
            "added": added.message_id,
            "live_code": str(code.id),
            "live_code_name": code.name,
            "state": code.state,
            "corp": str(properties.get("corp", "")),
            "employee": userid,
            "external_userid": external_userid,
        }
        try:
            api = self.corps.api_of(added.tenant_id)
        except (ApplicationError, DomainError) as error:  # unbound meanwhile, plan lapsed
            log.warning("tenant %s: live code %s not acted on: %s", added.tenant_id, code.id, error)
            self._record(added, {**outcome, "outcome": FAILED, "error": str(error)[:200]})
            return
        outcome.update(self._send_welcome(api, added, code, userid))
        if setup.tags:
            outcome.update(self._tag(api, userid, external_userid, setup.tags))
        self._record(added, outcome)

    def _send_welcome(
        self, api: WecomApi, added: Behaviour, code: LiveCode, userid: str
    ) -> dict[str, Any]:
        setup = code.employee_setup
        welcome_code = str(added.properties.get("welcome_code") or "")
        message, source = self._message(added.tenant_id, setup.welcome_mode, setup.welcome, userid)
        if not welcome_code or message is None:
            reason = "no_welcome_code" if message is not None else "no_message"
            return {"outcome": NONE, "reason": reason, "welcome_source": source}
        try:
            api.send_welcome(welcome_code, message.text, _attachments(message))
        except WecomRefused as refused:
            result: dict[str, Any] = {"outcome": FAILED, "errcode": refused.errcode,
                                      "errmsg": refused.errmsg[:200]}  # fmt: skip
        except ApplicationError as error:  # WeCom could not be reached
            result = {"outcome": FAILED, "error": str(error)[:200]}
        else:
            result = {"outcome": OK}
        return {**result, "welcome_source": source, "delay_ms": _ms(added.received_at, self.clock)}

    def _message(
        self, tenant_id: UUID, mode: WelcomeMode, own: WelcomeMessage | None, userid: str
    ) -> tuple[WelcomeMessage | None, str]:
        if mode == WelcomeMode.OWN and own is not None:
            return own, "code"
        if mode != WelcomeMode.DEPARTMENT:
            return None, ""
        try:
            found = department_welcome(
                self.members.departments_of(tenant_id, userid),
                self.welcomes.parents(tenant_id),
                self.welcomes.messages(tenant_id),
            )
        except (ApplicationError, DomainError) as error:
            log.warning("tenant %s: no department welcome: %s", tenant_id, error)
            found = None
        chosen = welcome_for(mode, None, found)
        return chosen, "department" if chosen else ""

    def _tag(
        self, api: WecomApi, userid: str, external_userid: str, tags: Sequence[str]
    ) -> dict[str, Any]:
        try:
            api.mark_tags(userid, external_userid, add=list(tags))
        except WecomRefused as refused:
            return {"tags": FAILED, "tags_errcode": refused.errcode}
        except ApplicationError as error:
            return {"tags": FAILED, "tags_error": str(error)[:200]}
        return {"tags": OK, "tagged": list(tags)}

    def _record(self, added: Behaviour, outcome: dict[str, Any]) -> None:
        now = self.clock.now()
        row = Behaviour(
            tenant_id=added.tenant_id,
            kind=BehaviourKind.WECOM_WELCOME_SENT.value,
            channel=Channel.WECOM.value,
            occurred_at=now,
            received_at=now,
            message_id=welcome_message_id(added),
            name=str(outcome.get("outcome", NONE)),
            properties=outcome,
            anonymous_id=added.anonymous_id,
            source_id=SOURCE,
        )
        try:
            self.observations.take([row])
        except ApplicationError as error:  # the log refused (busy): the welcome went out
            log.warning("tenant %s: welcome outcome not recorded: %s", added.tenant_id, error)


def _attachments(message: WelcomeMessage) -> list[WelcomeAttachment]:
    attachment = message.attachment
    if attachment is None:
        return []
    return [
        WelcomeAttachment(
            kind=attachment.kind.value,
            title=attachment.title,
            url=attachment.url,
            picurl=attachment.picurl,
            desc=attachment.desc,
            appid=attachment.appid,
            page=attachment.page,
            media_id=attachment.media_id,
        )
    ]


def _ms(since: datetime, clock: Clock) -> int:
    return max(0, round((clock.now() - since).total_seconds() * 1000))
