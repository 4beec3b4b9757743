"""The flows' `FlowEffects` port over the other contexts (FLOW-3): each action node
becomes a command of the context it concerns, made once per step key.

Lead changes (tags, status, owner) and group membership are states, the same however
often they are set; sends take the step's message id (the messaging pipeline queues an
id once); points remember the step's key (`LeadScore.give`); an owner's notice is a
behaviour whose id is the key, written to the owner's outbox only when first stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from uuid import UUID

from application.flows.ports import Effect, EffectFailed, send_task_id, step_id
from application.leads.commands import AssignLead
from application.leads.leads import Leads
from application.leads.scope import LeadScope
from application.messaging.flow_sends import FlowSends
from application.scoring.scoring import Scoring
from application.segments.groups import Groups
from application.shared.behaviours import Behaviour, BehaviourKind, BehaviourLog, Channel
from application.shared.clock import Clock
from application.shared.errors import InvalidInput, NotFound
from application.wechat.ports import WechatRefused
from domain.flows.graph import NodeKind
from domain.shared.errors import DomainError

SOURCE = "flows"


class OwnerNotices(Protocol):
    def owner_notified(self, tenant_id: UUID, lead_id: UUID, owner_id: UUID, text: str) -> None:
        """Deliver a flow's notice to the lead's owner (must not raise on delivery)."""
        ...


class WechatMessages(Protocol):
    def send_to_lead(
        self, tenant_id: UUID, lead_id: UUID, kind: str, params: Mapping[str, Any], message_id: str
    ) -> str | None:
        """A flow's WeChat message to the lead's fan; None once sent, else why not."""
        ...


class ContextEffects:
    def __init__(
        self,
        leads: Leads,
        scoring: Scoring,
        groups: Groups,
        sends: FlowSends,
        wechat: WechatMessages,
        behaviours: BehaviourLog,
        notices: OwnerNotices,
        clock: Clock,
    ) -> None:
        self.leads = leads
        self.scoring = scoring
        self.groups = groups
        self.sends = sends
        self.wechat = wechat
        self.behaviours = behaviours
        self.notices = notices
        self.clock = clock

    def make(self, effect: Effect) -> str | None:
        try:
            return self._make(effect)
        except (DomainError, InvalidInput, NotFound, WechatRefused) as refused:
            raise EffectFailed(str(refused)) from None
        # Anything else (a database or provider out of reach, a busy record) propagates:
        # the walk is tried again later and repeats nothing already made.

    def _make(self, effect: Effect) -> str | None:
        node, params = effect.node, effect.node.params
        scope = LeadScope.whole_company(effect.tenant_id)
        kind = node.kind
        if kind in (NodeKind.SEND_EMAIL, NodeKind.SEND_SMS):
            channel = "email" if kind is NodeKind.SEND_EMAIL else "sms"
            task_id = send_task_id(effect.flow_id, effect.flow_version, node.id)
            content = {"name": f"{effect.flow_name} · {node.id}"[:100], **params}
            message_id = str(step_id(effect.key, "message"))
            return self.sends.send(
                effect.tenant_id, channel, task_id, content, message_id, effect.lead_id
            )
        if kind in (NodeKind.SEND_WECHAT, NodeKind.SEND_WECHAT_TEMPLATE):
            message_id = str(step_id(effect.key, "wechat"))
            return self.wechat.send_to_lead(
                effect.tenant_id, effect.lead_id, kind.value, params, message_id
            )
        if kind in (NodeKind.ADD_TAG, NodeKind.REMOVE_TAG):
            self.leads.tag(scope, effect.lead_id, [params["tag"]], add=kind is NodeKind.ADD_TAG)
            return None
        if kind is NodeKind.CHANGE_STATUS:
            self.leads.change_status(scope, effect.lead_id, params["status"])
            return None
        if kind is NodeKind.ASSIGN_OWNER:
            owner = _uuid(params["employee_id"], "employee_id")
            self.leads.assign_owner(scope, effect.lead_id, AssignLead(owner_id=owner))
            return None
        if kind in (NodeKind.ADD_SCORE, NodeKind.SUBTRACT_SCORE):
            points = params["points"] if kind is NodeKind.ADD_SCORE else -params["points"]
            self.scoring.give(
                effect.tenant_id,
                effect.lead_id,
                points,
                reason=f"流程 · flow {effect.flow_name}"[:200],
                key=effect.key,
                valid_days=params.get("valid_days"),
            )
            return None
        if kind in (NodeKind.JOIN_GROUP, NodeKind.LEAVE_GROUP):
            group_id = _uuid(params["group_id"], "group_id")
            if kind is NodeKind.JOIN_GROUP:
                self.groups.list_lead(effect.tenant_id, group_id, effect.lead_id, reason="flow")
            else:
                self.groups.unlist(effect.tenant_id, group_id, effect.lead_id)
            return None
        if kind is NodeKind.NOTIFY_OWNER:
            return self._notify_owner(effect, scope)
        raise EffectFailed(f"{kind.value} is no action")

    def _notify_owner(self, effect: Effect, scope: LeadScope) -> str | None:
        owner = self.leads.lead(scope, effect.lead_id).owner_id
        if owner is None:
            return "线索没有负责人 · the lead has no owner"
        now = self.clock.now()
        text = str(effect.node.params["text"])
        stored = self.behaviours.append(
            [
                Behaviour(
                    tenant_id=effect.tenant_id,
                    kind=BehaviourKind.FLOW_OWNER_NOTIFIED.value,
                    channel=Channel.SERVER.value,
                    occurred_at=now,
                    received_at=now,
                    message_id=f"flow-notice-{step_id(effect.key, 'notice')}",
                    name=effect.flow_name[:200],
                    properties={"flow": str(effect.flow_id), "owner": str(owner), "text": text},
                    lead_id=effect.lead_id,
                    source_id=SOURCE,
                )
            ]
        )
        if stored and stored[0]:  # the first time only: a redone step notifies nobody again
            self.notices.owner_notified(effect.tenant_id, effect.lead_id, owner, text)
        return None


def _uuid(value: Any, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise EffectFailed(f"{field}: not an id") from None
