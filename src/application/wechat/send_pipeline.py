"""The WeChat send pipeline (WX-3, WX-4, WX-5; ADR 0016).

A send is asked for (the aggregate records `SendingRequested` with the month and day it
counts against), then its recipients are fixed in the ledger — once, under the
account's lock, deciding the monthly cap and the daily limits on what the ledger holds
right then, counting messages still in flight — and then batches are claimed, sent and
settled:

- mass batches (normal, targeted) of up to 10,000 openids go in one `message/mass/send`
  with a `clientmsgid` derived from the send and the batch, so a batch sent again after
  a crash is refused by WeChat as a duplicate and answers the first msg_id;
- unlimited batches are customer-service messages, marked sent before each call (a
  crash may skip one, never send one twice), each fan's 48-hour window checked again;
- template batches send one message per fan with a `client_msg_id` derived from the
  send and the fan.

Each round also fixes sends asked for but not yet fixed (a crash between the two) and
finishes sends whose batches are all settled.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.shared.errors import NotFound, ProviderUnavailable, VersionConflict
from application.wechat.accounts import OfficialAccounts
from application.wechat.mass_audience import AudienceFan, MassAudience
from application.wechat.ports import Observations, OutgoingMessage, WechatApi, WechatRefused
from application.wechat.send_directory import MASS, SendQueries
from application.wechat.send_ledger import (
    FAILED,
    QUEUED,
    SENT,
    SKIPPED,
    TEMPLATE,
    Allowances,
    Batch,
    Fixed,
    FixPlan,
    Planned,
    SendLedger,
    Settled,
)
from application.wechat.wechat import Wechat
from domain.wechat.mass_send import (
    MONTHLY_CAP_RULE,
    OPENIDS_PER_CALL,
    WINDOW_RULE,
    DailyLimitReached,
    MassMode,
    MassSend,
    SkipReason,
    allot,
    require_day_allowance,
)
from domain.wechat.template_send import TemplateSend, personalised, require_template_allowance
from domain.wechat.windows import CUSTOMER_SERVICE_WINDOW, mass_month

log = logging.getLogger("huoke.wechat.sends")
SOURCE = "wechat"
PER_FAN_BATCH = 100  # customer-service and template messages: one call each
MAX_ATTEMPTS = 5  # a batch WeChat could not be reached for is tried this many times
_IDS = uuid.UUID("0b8f3c52-7d5e-4a8e-9f61-2c3d4e5f6a7b")


@dataclass(frozen=True)
class SendLimits:
    """`lease`: how long a claimed batch is a worker's; `batches`: batches per round;
    `grace`: how long after its request a send not yet fixed is fixed by a round."""

    lease: timedelta = timedelta(minutes=2)
    batches: int = 20
    grace: timedelta = timedelta(seconds=30)


@dataclass
class SendRound:
    fixed: int = 0
    batches: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    finished: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.fixed or self.batches or self.finished)


class WechatDispatch:
    """Fixes, sends and finishes mass and template sends."""

    def __init__(
        self,
        wechat: Wechat,
        accounts: OfficialAccounts,
        audience: MassAudience,
        ledger: SendLedger,
        queries: SendQueries,
        api: WechatApi,
        observations: Observations,
        clock: Clock,
        limits: SendLimits = SendLimits(),
    ) -> None:
        self.wechat = wechat
        self.accounts = accounts
        self.audience = audience
        self.ledger = ledger
        self.queries = queries
        self.api = api
        self.observations = observations
        self.clock = clock
        self.limits = limits

    def run_once(self) -> SendRound:
        """One round: fix what was asked for, send up to `limits.batches`, finish."""
        done = SendRound()
        now = self.clock.now()
        for tenant_id, send_id, kind, fixed in self.queries.in_flight():
            send = self._send(tenant_id, send_id, kind)
            if send is None or send.state != "sending":
                continue
            if not fixed and send.recipients is None:
                requested = datetime.fromisoformat(send.requested_at or now.isoformat())
                if now - requested >= self.limits.grace:
                    try:
                        self.fix(send)
                        done.fixed += 1
                    except DailyLimitReached:
                        pass  # recorded as the send's refusal
            elif self.finish_if_done(send):
                done.finished += 1
        for _ in range(self.limits.batches):
            batch = self.ledger.claim(self.clock.now(), self.clock.now() + self.limits.lease)
            if batch is None:
                break
            self.send_batch(batch, done)
        return done

    # --- fixing --------------------------------------------------------------------------------

    def fix(self, send: MassSend | TemplateSend) -> Fixed:
        """Fix the recipients of a send asked for (once); a daily limit's refusal is
        recorded on the send and raised."""
        if isinstance(send, MassSend):
            plan, decide = self._mass_plan(send)
        else:
            plan, decide = self._template_plan(send)
        try:
            fixed = self.ledger.fix(plan, decide)
        except DailyLimitReached as refusal:
            send.refuse(refusal.message)
            self._commit(send)
            raise
        send.fix_recipients(queued=fixed.queued, skipped=fixed.skipped)
        self._commit(send)
        if fixed.queued == 0:
            self.finish_if_done(send)
        return fixed

    def _mass_plan(self, send: MassSend) -> tuple[FixPlan, Any]:
        at = datetime.fromisoformat(send.requested_at or "")
        plan = FixPlan(
            tenant_id=send.tenant_id,
            account_id=send.account_id,
            send_id=send.id,
            kind=send.mode,
            month=send.month,
            day=send.day,
            at=at,
            batch_size=PER_FAN_BATCH if send.mode == MassMode.UNLIMITED else OPENIDS_PER_CALL,
        )
        candidates, refused = self._candidates(
            send.tenant_id, send.account_id, send.audience, at, send.mode
        )
        counted = send.counted

        def decide(allowances: Allowances) -> Sequence[Planned]:
            require_day_allowance(send.mode, send.account_kind, allowances.starts_today)
            if not counted:
                return [Planned(f.openid, QUEUED) for f in candidates] + refused
            received = {
                f.openid: max(allowances.received.get(f.openid, 0), f.received_in(send.month))
                for f in candidates
            }
            granted, capped = allot(received, [f.openid for f in candidates])
            reason = f"{SkipReason.MONTHLY_CAP}: {MONTHLY_CAP_RULE}"
            return [
                *(Planned(o, QUEUED, counted=True) for o in granted),
                *(Planned(o, SKIPPED, reason) for o in capped),
                *refused,
            ]

        return plan, decide

    def _template_plan(self, send: TemplateSend) -> tuple[FixPlan, Any]:
        at = datetime.fromisoformat(send.requested_at)
        plan = FixPlan(
            tenant_id=send.tenant_id,
            account_id=send.account_id,
            send_id=send.id,
            kind=TEMPLATE,
            month=mass_month(at),
            day=send.day,
            at=at,
            batch_size=PER_FAN_BATCH,
        )
        mode = MassMode.TARGETED if send.audience.get("openids") else MassMode.NORMAL
        candidates, refused = self._candidates(
            send.tenant_id, send.account_id, send.audience, at, mode
        )

        def decide(allowances: Allowances) -> Sequence[Planned]:
            require_template_allowance(allowances.template_today, len(candidates))
            return [Planned(f.openid, QUEUED) for f in candidates] + refused

        return plan, decide

    def _candidates(
        self, tenant_id: UUID, account_id: UUID, audience: dict[str, Any], at: datetime, mode: str
    ) -> tuple[list[AudienceFan], list[Planned]]:
        """The fans a send may reach, and those it lists but may not (skipped)."""
        if mode == MassMode.TARGETED:
            openids = list(audience.get("openids") or [])
            known = self.audience.named(tenant_id, account_id, openids)
            fans, refused = [], []
            for openid in openids:
                fan = known.get(openid)
                if fan is None:
                    refused.append(
                        Planned(
                            openid, SKIPPED, f"{SkipReason.NOT_A_FAN}: not a fan of the account"
                        )
                    )
                elif not fan.subscribed:
                    refused.append(
                        Planned(openid, SKIPPED, f"{SkipReason.UNFOLLOWED}: no longer follows")
                    )
                else:
                    fans.append(fan)
            return fans, refused
        since = at - CUSTOMER_SERVICE_WINDOW if mode == MassMode.UNLIMITED else None
        return self.audience.members(tenant_id, account_id, audience, active_since=since), []

    # --- sending -------------------------------------------------------------------------------

    def send_batch(self, batch: Batch, done: SendRound) -> None:
        """Send one claimed batch and settle it."""
        done.batches += 1
        kind = "template" if batch.kind == TEMPLATE else MASS
        send = self._send(batch.tenant_id, batch.send_id, kind)
        now = self.clock.now()
        if send is None or send.state != "sending" or not batch.openids:
            gone = [(o, "the send is gone") for o in batch.openids]
            self.ledger.settle(batch, Settled(skipped=gone), now)
            done.skipped += len(gone)
            return
        try:
            keys = self.accounts.serving_for(batch.tenant_id, batch.account_id)
        except NotFound:
            keys = None
        if keys is None or keys.unbound:
            failed = [(o, "the account is unbound") for o in batch.openids]
            self.ledger.settle(batch, Settled(failed=failed), now)
            done.failed += len(failed)
        elif isinstance(send, TemplateSend):
            self._template_batch(send, batch, keys.api_keys, done)
        elif send.mode == MassMode.UNLIMITED:
            self._unlimited_batch(send, batch, keys.api_keys, done)
        else:
            self._mass_batch(send, batch, keys.api_keys, done)
        self.finish_if_done(send)

    def _mass_batch(self, send: MassSend, batch: Batch, keys: Any, done: SendRound) -> None:
        openids = list(batch.openids)
        # WeChat takes 2…10,000 openids: one fan is named twice (WeChat sends once).
        touser = openids if len(openids) > 1 else openids * 2
        try:
            msg_id = self.api.mass_send(
                keys,
                touser,
                OutgoingMessage(**send.message),
                clientmsgid=f"{send.id.hex}-{batch.batch}",
            )
        except WechatRefused as refused:
            detail = f"WeChat refused: {refused.errcode} {refused.errmsg}"
            self.ledger.settle(
                batch, Settled(failed=[(o, detail) for o in openids]), self.clock.now()
            )
            done.failed += len(openids)
            return
        except ProviderUnavailable as error:
            self._unreachable(batch, openids, error, done)
            return
        now = self.clock.now()
        self.observations.take(
            [
                self._observed(send, o, BehaviourKind.WECHAT_MASS_SENT, f"mass:{send.id}", now,
                               {"mass": str(send.id), "msg_id": msg_id, "counted": send.counted})
                for o in openids
            ]
        )  # fmt: skip
        self.ledger.settle(batch, Settled(sent=openids, msg_id=msg_id), now)
        done.sent += len(openids)

    def _unlimited_batch(self, send: MassSend, batch: Batch, keys: Any, done: SendRound) -> None:
        now = self.clock.now()
        fans = self.audience.named(send.tenant_id, send.account_id, list(batch.openids))
        skipped, eligible = [], []
        for openid in batch.openids:
            fan = fans.get(openid)
            last = fan.last_interaction_at if fan else None
            if fan is None or not fan.subscribed:
                skipped.append((openid, f"{SkipReason.UNFOLLOWED}: no longer follows"))
            elif last is None or now - last >= CUSTOMER_SERVICE_WINDOW:
                skipped.append((openid, f"{SkipReason.OUTSIDE_WINDOW}: {WINDOW_RULE}"))
            else:
                eligible.append(openid)
        self.ledger.hand_over(batch, eligible, now)  # at most once: marked before the call
        message = OutgoingMessage(**send.message)
        sent, failed = [], []
        for openid in eligible:
            try:
                self.api.send_customer_message(keys, openid, message)
                sent.append(openid)
            except WechatRefused as refused:
                failed.append((openid, f"WeChat refused: {refused.errcode} {refused.errmsg}"))
            except ProviderUnavailable as error:
                failed.append((openid, f"WeChat unreachable: {error}"))
        at = self.clock.now()
        text = send.message.get("text") or send.message.get("kind", "")
        self.observations.take(
            [
                self._observed(send, o, BehaviourKind.WECHAT_REPLIED, f"unlimited:{send.id}", at,
                               {"text": text, "msg_type": send.message["kind"],
                                "by": f"mass:{send.id}", "mass": str(send.id)},
                               name="unlimited_mass")
                for o in sent
            ]
        )  # fmt: skip
        self.ledger.settle(batch, Settled(sent=sent, failed=failed, skipped=skipped), at)
        done.sent += len(sent)
        done.failed += len(failed)
        done.skipped += len(skipped)

    def _template_batch(self, send: TemplateSend, batch: Batch, keys: Any, done: SendRound) -> None:
        fans = self.audience.named(send.tenant_id, send.account_id, list(batch.openids))
        sent: list[str] = []
        msg_ids: dict[str, str] = {}
        failed: list[tuple[str, str]] = []
        skipped: list[tuple[str, str]] = []
        for openid in batch.openids:
            fan = fans.get(openid)
            if fan is None or not fan.subscribed:
                skipped.append((openid, f"{SkipReason.UNFOLLOWED}: no longer follows"))
                continue
            try:
                msg_ids[openid] = self.api.send_template(
                    keys,
                    openid,
                    send.template_id,
                    personalised(send.data, fan.fields),
                    url=send.url,
                    client_msg_id=uuid.uuid5(_IDS, f"{send.id}/{openid}").hex,
                )
                sent.append(openid)
            except WechatRefused as refused:
                failed.append((openid, f"WeChat refused: {refused.errcode} {refused.errmsg}"))
            except ProviderUnavailable as error:
                if batch.attempts < MAX_ATTEMPTS:  # the rest of the batch: next lease
                    self._template_sent(send, sent, msg_ids)
                    self._partial(batch, sent, msg_ids, failed, skipped)
                    return
                failed.append((openid, f"WeChat unreachable: {error}"))
        self._template_sent(send, sent, msg_ids)
        self.ledger.settle(
            batch,
            Settled(sent=sent, failed=failed, skipped=skipped, msg_ids=msg_ids),
            self.clock.now(),
        )
        done.sent += len(sent)
        done.failed += len(failed)
        done.skipped += len(skipped)

    def _partial(
        self,
        batch: Batch,
        sent: list[str],
        msg_ids: dict[str, str],
        failed: list[tuple[str, str]],
        skipped: list[tuple[str, str]],
    ) -> None:
        """Record what a batch sent before WeChat became unreachable; the rest stays
        queued for the batch's next claim."""
        now = self.clock.now()
        settled = Settled(sent=sent, failed=failed, skipped=skipped, msg_ids=msg_ids)
        self.ledger.settle_rows(batch, settled, now)

    def _template_sent(self, send: TemplateSend, sent: list[str], msg_ids: dict[str, str]) -> None:
        now = self.clock.now()
        self.observations.take(
            [
                self._observed(send, o, BehaviourKind.WECHAT_TEMPLATE_SENT, f"template:{send.id}",
                               now, {"template_send": str(send.id), "template_id": send.template_id,
                                     "msg_id": msg_ids[o]})
                for o in sent
            ]
        )  # fmt: skip

    def _unreachable(
        self, batch: Batch, openids: list[str], error: Exception, done: SendRound
    ) -> None:
        """WeChat could not be reached: the batch is tried again when its lease lapses
        (the clientmsgid keeps a batch that did go out from going twice), up to
        `MAX_ATTEMPTS` times."""
        if batch.attempts >= MAX_ATTEMPTS:
            failed = [(o, f"WeChat unreachable: {error}") for o in openids]
            self.ledger.settle(batch, Settled(failed=failed), self.clock.now())
            done.failed += len(failed)
        else:
            log.warning(
                "WeChat unreachable for send %s batch %s: %s", batch.send_id, batch.batch, error
            )

    # --- finishing -----------------------------------------------------------------------------

    def finish_if_done(self, send: MassSend | TemplateSend) -> bool:
        """Finish a sending send whose batches are all settled."""
        if send.state != "sending" or send.recipients is None:
            return False
        if self.ledger.open_batches(send.tenant_id, send.id):
            return False
        counts = self.ledger.counts(send.tenant_id, send.id)
        send.finish(
            at=self.clock.now(),
            sent=counts.get(SENT, 0),
            skipped=counts.get(SKIPPED, 0),
            failed=counts.get(FAILED, 0),
        )
        return self._commit(send)

    # --- helpers -------------------------------------------------------------------------------

    def _observed(
        self,
        send: MassSend | TemplateSend,
        openid: str,
        kind: BehaviourKind,
        prefix: str,
        at: datetime,
        extra: dict[str, Any],
        name: str = "",
    ) -> Behaviour:
        return Behaviour(
            tenant_id=send.tenant_id,
            kind=kind.value,
            channel=Channel.WECHAT.value,
            occurred_at=at,
            received_at=at,
            # One row per send and fan: a batch sent again after a crash adds none.
            message_id=f"wechat:{send.account_id}:{prefix}:{openid}",
            name=name or kind.value,
            properties={"account": str(send.account_id), "openid": openid, **extra},
            anonymous_id=f"wechat:{openid}",
            source_id=SOURCE,
        )

    def _send(self, tenant_id: UUID, send_id: UUID, kind: str) -> Any:
        cls: type[Any] = MassSend if kind == MASS else TemplateSend
        try:
            return self.wechat.load(send_id, cls, tenant_id=tenant_id)
        except NotFound:
            return None

    def _commit(self, send: MassSend | TemplateSend) -> bool:
        try:
            return self.wechat.commit(send) is not None
        except VersionConflict:  # another worker or the request recorded it first
            return False
