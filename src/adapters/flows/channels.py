"""The flows' `ChannelSetup` port over messaging and WeChat's read models: a channel is
set up when something can send on it (a verified sending domain, an approved SMS
signature, a bound Official Account)."""

from __future__ import annotations

from uuid import UUID

from application.messaging.sending_domain_directory import SendingDomainQueries
from application.messaging.sms_directory import SmsQueries
from application.wechat.account_directory import AccountQueries
from domain.flows.graph import Channel


class SetUpChannels:
    def __init__(
        self, domains: SendingDomainQueries, sms: SmsQueries, accounts: AccountQueries
    ) -> None:
        self.domains = domains
        self.sms = sms
        self.accounts = accounts

    def channels(self, tenant_id: UUID) -> set[Channel]:
        found = set()
        if self.domains.verified(tenant_id):
            found.add(Channel.EMAIL)
        if self.sms.has_approved_signature(tenant_id):
            found.add(Channel.SMS)
        if self.accounts.ids(tenant_id):
            found.add(Channel.WECHAT)
        return found
