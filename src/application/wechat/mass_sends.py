"""Mass sends (WX-3, WX-4) and template sends (WX-5): the use cases the API calls.
Sending itself is the pipeline's (`send_pipeline`); these record the decisions, fix the
recipients at once (so a daily limit's refusal is the caller's answer) and read back
the progress, the skipped fans with their reasons, and WeChat's results."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from uuid import UUID

from application.shared.clock import Clock
from application.shared.errors import InvalidInput
from application.shared.pages import MAX_LIMIT, Page
from application.wechat.accounts import OfficialAccounts
from application.wechat.ports import OutgoingMessage, WechatApi
from application.wechat.send_commands import (
    DraftMassSend,
    MassSendDetails,
    PreviewMassSend,
    PreviewSent,
    RecipientCounts,
    SendRecipient,
    SendSummary,
    SendTemplate,
    TemplateSendDetails,
)
from application.wechat.send_directory import MASS, TEMPLATE, SendQueries
from application.wechat.send_ledger import STATES, SendLedger
from application.wechat.send_pipeline import WechatDispatch
from application.wechat.wechat import Wechat
from domain.shared.errors import StateConflict
from domain.wechat.mass_send import MassSend
from domain.wechat.template_send import TemplateSend


class WechatSends:
    """Drafts, previews and sends mass messages; sends template messages."""

    def __init__(
        self,
        wechat: Wechat,
        accounts: OfficialAccounts,
        dispatch: WechatDispatch,
        ledger: SendLedger,
        queries: SendQueries,
        api: WechatApi,
        clock: Clock,
    ) -> None:
        self.wechat = wechat
        self.accounts = accounts
        self.dispatch = dispatch
        self.ledger = ledger
        self.queries = queries
        self.api = api
        self.clock = clock

    # --- mass sends ----------------------------------------------------------------------

    def draft(self, tenant_id: UUID, command: DraftMassSend) -> MassSendDetails:
        """Draft a mass send of one of the tenant's accounts (nothing is sent yet)."""
        serving = self.accounts.serving_for(tenant_id, command.account_id)
        if serving.unbound:
            raise StateConflict("the account is unbound", field="account_id")
        send = MassSend.draft(
            id=self.wechat.new_id("wechat_mass_send"),
            tenant_id=tenant_id,
            account_id=command.account_id,
            account_kind=serving.kind,
            name=command.name,
            mode=command.mode,
            audience=command.audience.as_dict(),
            message=command.message.model_dump(),
        )
        return self._mass_details(self.wechat.create(send))

    def mass_send(self, tenant_id: UUID, send_id: UUID) -> MassSendDetails:
        return self._mass_details(self._mass(tenant_id, send_id))

    def mass_sends(
        self, tenant_id: UUID, *, account_id: UUID | None, cursor: str | None, limit: int
    ) -> Page[SendSummary]:
        """The tenant's mass sends, newest first."""
        return self.queries.sends(
            tenant_id, MASS, account_id=account_id, cursor=cursor, limit=limit
        )

    def preview(self, tenant_id: UUID, send_id: UUID, command: PreviewMassSend) -> PreviewSent:
        """Send the message to one fan as WeChat's preview (counted against nothing)."""
        send = self._mass(tenant_id, send_id)
        serving = self.accounts.serving_for(tenant_id, send.account_id)
        self.api.mass_preview(serving.api_keys, command.openid, OutgoingMessage(**send.message))
        return PreviewSent(openid=command.openid, sent_at=self.clock.now())

    def send(
        self, tenant_id: UUID, send_id: UUID, *, expected_version: int | None
    ) -> MassSendDetails:
        """Send a draft now: its recipients are fixed at once — fans over the monthly cap
        skipped with the reason — and the pipeline sends them. A daily limit refuses the
        send (409 `wechat_daily_limit` naming the rule; the send is then failed)."""
        send = self.wechat.load(
            send_id, MassSend, tenant_id=tenant_id, expected_version=expected_version
        )
        if self.accounts.serving_for(tenant_id, send.account_id).unbound:
            raise StateConflict("the account is unbound", field="account_id")
        send.request_send(self.clock.now())
        self.wechat.commit(send)
        self.dispatch.fix(send)
        return self._mass_details(send)

    # --- template sends ------------------------------------------------------------------

    def send_template(self, tenant_id: UUID, command: SendTemplate) -> TemplateSendDetails:
        """Send a template message to the audience now (verified service accounts, an
        added template, a value for each of its keys; ≤ 100,000 a day per account)."""
        serving = self.accounts.serving_for(tenant_id, command.account_id)
        if serving.unbound:
            raise StateConflict("the account is unbound", field="account_id")
        account = serving.account
        send = TemplateSend.request(
            id=self.wechat.new_id("wechat_template_send"),
            tenant_id=tenant_id,
            account_id=command.account_id,
            account_kind=account.kind,
            verified=account.verified,
            templates=account.templates,
            template_id=command.template_id,
            data=command.data,
            url=command.url,
            audience=command.audience.as_dict(),
            at=self.clock.now(),
        )
        created = self.wechat.create(send)
        if created.version == 1 and created.recipients is None:
            self.dispatch.fix(created)
        return self._template_details(created)

    def template_send(self, tenant_id: UUID, send_id: UUID) -> TemplateSendDetails:
        return self._template_details(self.wechat.load(send_id, TemplateSend, tenant_id=tenant_id))

    def template_sends(
        self, tenant_id: UUID, *, account_id: UUID | None, cursor: str | None, limit: int
    ) -> Page[SendSummary]:
        return self.queries.sends(
            tenant_id, TEMPLATE, account_id=account_id, cursor=cursor, limit=limit
        )

    # --- recipients ----------------------------------------------------------------------

    def recipients(
        self,
        tenant_id: UUID,
        send_id: UUID,
        *,
        template: bool,
        state: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[SendRecipient]:
        """A send's fans by openid: sent, queued, skipped (with the reason) or failed,
        and WeChat's per-message result when it reported one."""
        cls: type[Any] = TemplateSend if template else MassSend
        self.wechat.load(send_id, cls, tenant_id=tenant_id)
        if state is not None and state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}", field="state")
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
        rows = self.ledger.recipients(
            tenant_id, send_id, state=state, after=cursor or "", limit=limit + 1
        )
        items = [SendRecipient(**vars(row)) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items, items[-1].openid if more and items else None)

    # --- reading -------------------------------------------------------------------------

    def _mass(self, tenant_id: UUID, send_id: UUID) -> MassSend:
        return self.wechat.load(send_id, MassSend, tenant_id=tenant_id)

    def _progress(self, send: Any) -> tuple[RecipientCounts, dict[str, int]]:
        if send.recipients is None:
            return RecipientCounts(), {}
        counts = self.ledger.counts(send.tenant_id, send.id)
        reasons: Counter[str] = Counter()
        after = ""
        while True:  # reasons are few; the skipped rows are read in pages
            rows = self.ledger.recipients(
                send.tenant_id, send.id, state="skipped", after=after, limit=1000
            )
            reasons.update(row.detail.partition(":")[0] for row in rows)
            if len(rows) < 1000:
                break
            after = rows[-1].openid
        return RecipientCounts(**counts), dict(reasons)

    def _mass_details(self, send: MassSend) -> MassSendDetails:
        counts, reasons = self._progress(send)
        return MassSendDetails(
            id=send.id,
            account_id=send.account_id,
            name=send.name,
            mode=send.mode,
            audience=send.audience,
            message=send.message,
            state=send.state,
            counted_against_monthly_cap=send.counted,
            month=send.month,
            requested_at=_moment(send.requested_at),
            refusal=send.refusal,
            recipients=counts,
            skipped_reasons=reasons,
            msg_ids=self.ledger.msg_ids(send.tenant_id, send.id) if send.recipients else [],
            results=send.results,
            finished_at=_moment(send.finished_at),
            version=send.version,
            created_at=send.created_on,
        )

    def _template_details(self, send: TemplateSend) -> TemplateSendDetails:
        counts, reasons = self._progress(send)
        return TemplateSendDetails(
            id=send.id,
            account_id=send.account_id,
            template_id=send.template_id,
            data=send.data,
            url=send.url,
            audience=send.audience,
            state=send.state,
            requested_at=datetime.fromisoformat(send.requested_at),
            refusal=send.refusal,
            recipients=counts,
            skipped_reasons=reasons,
            finished_at=_moment(send.finished_at),
            version=send.version,
        )


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
