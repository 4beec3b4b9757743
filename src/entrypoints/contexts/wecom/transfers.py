"""WeCom part: customer inheritance (客户继承, WECOM-4 with ORG-3) — transfer batches
started by the leads' handover (a policy over the leads' events) or by a command, the
worker that sends their calls and polls WeCom's results, each outcome written on the
customer's lead, the routes and the console pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from adapters.wecom.lead_customers import LeadsAsTransferCustomers
from application.wecom.customer_directory import CustomerQueries
from application.wecom.handover_transfers import HandoverTransfers
from application.wecom.inheritance import CustomerInheritance
from application.wecom.transfer_directory import TransferDirectory, TransferQueries
from application.wecom.transfer_notes import TransferNotes
from application.wecom.transfer_work import TransferWork
from entrypoints.contexts.parts import Part
from entrypoints.http.wecom_transfers import WecomTransferController
from entrypoints.send_worker import SendWorker
from entrypoints.web.wecom import transfer_pages

IDLE_SECONDS = 1.0  # how often an idle transfer worker looks for due batches

TRANSFER_EVENTS = {
    "wecom.CustomerTransferBatch.Started": "发起客户继承 · customer transfer started",
    "wecom.CustomerTransferBatch.CustomersAdded": "加入继承客户 · customers added to a transfer",
    "wecom.CustomerTransferBatch.GroupsAdded": "加入继承客户群 · groups added to a transfer",
}


def _providers(
    c: containers.DynamicContainer, wecom: providers.Provider[Any]
) -> Mapping[str, providers.Provider[Any]]:
    queries = providers.Singleton(TransferQueries, c.wecom_transfer_view)
    inheritance = providers.Singleton(
        CustomerInheritance,
        wecom,
        c.wecom_members,
        providers.Singleton(CustomerQueries, c.wecom_customer_view),
        providers.Singleton(LeadsAsTransferCustomers, c.leads),
        queries,
        c.wecom_customers,  # whose customers a caller sees
        c.clock,
    )
    work = providers.Singleton(TransferWork, wecom, c.wecom_corps, queries, c.tenancy, c.clock)
    return {
        "wecom_transfer_queries": queries,
        "wecom_inheritance": inheritance,
        "wecom_transfer_work": work,
        # Any number of processes may run one: each call is claimed on its batch first.
        "wecom_transfer_worker": providers.Singleton(
            SendWorker, work, IDLE_SECONDS, name="wecom-transfer-worker", actor="wecom-transfers"
        ),
        "wecom_transfer_console": providers.Singleton(
            transfer_pages.TransferConsole, c.wecom_members
        ),
        HandoverTransfers.name: providers.Factory(HandoverTransfers, inheritance=inheritance),
        TransferNotes.name: providers.Factory(
            TransferNotes, wecom=wecom, corps=c.wecom_corps, observations=c.ingestion
        ),
    }


PART = Part(
    providers=_providers,
    followers=(TransferDirectory, HandoverTransfers, TransferNotes),
    views={"wecom_transfer_view": TransferDirectory},
    controllers=(WecomTransferController,),
    dependencies=("wecom_inheritance", "wecom_transfer_console"),
    configuration_events=TRANSFER_EVENTS,
    workers=("wecom_transfer_worker",),
    console=transfer_pages.PAGES,
    console_nav=transfer_pages.NAV,
)
