"""The core of the WeCom context: the bound corp and its keys (WECOM-8), the WeCom API
every part calls through (`wecom_corps.api_of`), callbacks into the behaviour log, the
contacts and their links to employees, customers as leads, churn and its alerts, and
customer groups (WECOM-3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from adapters.wecom.callbacks import WecomCallbacks
from adapters.wecom.customer_leads import LeadsAsCustomers
from application.wecom.callbacks import WecomCallbackIntake
from application.wecom.churn_notices import ChurnNotices
from application.wecom.contacts import ContactsSync, MemberLinks
from application.wecom.corps import WecomCorps
from application.wecom.customer_directory import CustomerDirectory, CustomerQueries
from application.wecom.customer_leads import CustomerLeads
from application.wecom.customer_profiles import CustomerProfiles
from application.wecom.customers import WecomCustomers
from application.wecom.groups import GroupSync
from application.wecom.member_directory import MemberDirectory, MemberQueries
from entrypoints.contexts.parts import Part
from entrypoints.http.wecom import (
    WecomCorpController,
    WecomCustomerController,
    WecomMemberController,
)
from entrypoints.public.refusals import RefusalLimit
from entrypoints.public.wecom_callbacks import WecomCallbackController
from entrypoints.web.wecom import corp_pages, customer_pages, member_pages
from entrypoints.web.wecom.corp_pages import CorpConsole

CORP_EVENTS = {
    "wecom.WecomCorp.Bound": "绑定企业微信 · WeCom corp bound",
    "wecom.WecomCorp.Rebound": "重新绑定企业微信 · WeCom corp bound again",
    "wecom.WecomCorp.Renamed": "企业微信更名 · WeCom corp renamed",
    "wecom.WecomCorp.KeysChanged": "更换企业微信密钥 · WeCom keys changed",
    "wecom.WecomCorp.DepartmentsSynced": "同步企业微信部门 · WeCom departments synced",
    "wecom.WecomCorp.Unbound": "解绑企业微信 · WeCom corp unbound",
    "wecom.CallbackAddress.Claimed": "企业微信回调地址 · WeCom callback URL issued",
    "wecom.WecomMember.Found": "同步到企业微信成员 · WeCom member found",
    "wecom.WecomMember.Synced": "企业微信成员变更 · WeCom member changed",
    "wecom.WecomMember.LeftRange": "成员离开可见范围 · WeCom member out of range",
    "wecom.WecomMember.Linked": "关联企业微信成员与员工 · WeCom member linked",
}


def _connector(settings: Any, storage: Any, tokens: providers.Provider[Any]) -> Any:
    """The sandbox (embedded default: records to var/outbox/wecom.jsonl) or WeCom, the
    access tokens shared with the WeChat context's table (keys never collide: UUIDs)."""
    from adapters.wecom.sandbox import SandboxConnector

    if settings.wecom.api == "sandbox":
        return SandboxConnector(storage.var_dir / "outbox")
    from adapters.wecom.connector import WecomClientConnector

    return WecomClientConnector(tokens(), base_url=settings.wecom.api_base)


def _plans(billing: Any) -> Any:
    """The tenancy context's quota service (`PlanQuotas`)."""
    return billing.quotas


def _corp_console(settings: Any) -> CorpConsole:
    return CorpConsole(str(settings.public_url))


def _refusals(settings: Any) -> RefusalLimit:
    return RefusalLimit(settings.wecom.refusals_per_minute, "WeCom callbacks")


def _providers(
    c: containers.DynamicContainer, wecom: providers.Provider[Any]
) -> Mapping[str, providers.Provider[Any]]:
    connector = providers.Singleton(
        _connector, c.settings, c.storage, c.wechat_access_tokens.provider
    )
    corps = providers.Singleton(
        WecomCorps, wecom, connector, providers.Singleton(_plans, c.billing)
    )
    members = providers.Singleton(MemberQueries, c.wecom_member_view)
    customer_leads = providers.Singleton(LeadsAsCustomers, c.leads)
    return {
        "wecom_connector": connector,
        "wecom_corps": corps,
        "wecom_callbacks": providers.Singleton(
            WecomCallbackIntake, corps, providers.Object(WecomCallbacks), c.ingestion, c.clock
        ),
        "wecom_refusals": providers.Singleton(_refusals, c.settings),
        "wecom_members": members,
        "wecom_contacts_sync": providers.Singleton(ContactsSync, wecom, corps, members),
        "wecom_member_links": providers.Singleton(MemberLinks, wecom, members),
        "wecom_leads_of_customers": customer_leads,
        "wecom_customers": providers.Singleton(
            WecomCustomers,
            providers.Singleton(CustomerQueries, c.wecom_customer_view),
            members,
            c.org_queries,
            c.tenancy,
            customer_leads,
            c.clock,
        ),
        "wecom_group_sync": providers.Singleton(GroupSync, corps, c.ingestion, c.clock),
        "wecom_corp_console": providers.Singleton(_corp_console, c.settings),
        CustomerProfiles.name: providers.Factory(
            CustomerProfiles, corps=corps, observations=c.ingestion, clock=c.clock
        ),
        CustomerLeads.name: providers.Factory(CustomerLeads, leads=customer_leads, members=members),
        ChurnNotices.name: providers.Factory(
            ChurnNotices, members=members, leads=customer_leads, notices=c.notifier
        ),
    }


PART = Part(
    providers=_providers,
    followers=(MemberDirectory, CustomerDirectory, CustomerProfiles, CustomerLeads, ChurnNotices),
    views={
        "wecom_member_view": MemberDirectory,
        "wecom_customer_view": CustomerDirectory,
    },
    controllers=(
        WecomCorpController,
        WecomMemberController,
        WecomCustomerController,
        WecomCallbackController,
    ),
    dependencies=(
        "wecom_corps",
        "wecom_callbacks",
        "wecom_refusals",
        "wecom_members",
        "wecom_contacts_sync",
        "wecom_member_links",
        "wecom_customers",
        "wecom_group_sync",
        "wecom_corp_console",
    ),
    configuration_events=CORP_EVENTS,
    console=(*corp_pages.PAGES, *member_pages.PAGES, *customer_pages.PAGES),
    console_nav=(*corp_pages.NAV, *member_pages.NAV, *customer_pages.NAV),
)
