"""How many interface accounts (企微注册服务) a tenant bought, for WECOM-5: the
`InterfaceAccounts` port of the WeCom mass sends over the tenancy context's plan
quotas (`PlanQuotas`). The quota `wecom_accounts` is a ceiling of the SCRM line: the
edition's own (0 in the 2026-11 catalogue) plus what the registration add-ons grant."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.tenancy.plans import Quota

QUOTA = Quota.WECOM_ACCOUNTS.value


class PlanAccounts:
    """`InterfaceAccounts` over `PlanQuotas` (and the billing store it reads)."""

    def __init__(self, quotas: Any) -> None:
        self.quotas = quotas

    def purchased(self, tenant_id: UUID) -> int | None:
        """The subscription in service's limit (None: unlimited); 0 without one."""
        billing = self.quotas.billing
        lines = sorted(
            {
                edition.product_line.value
                for edition in billing.catalogue.editions.values()
                if QUOTA in edition.quotas
            }
        )
        for line in lines:
            subscription = billing.subscription_of(tenant_id, line)
            if subscription is not None and subscription.in_service:
                for use in self.quotas.usage(subscription):
                    if use.quota == QUOTA:
                        return use.limit  # type: ignore[no-any-return]
                return 0
        return 0
