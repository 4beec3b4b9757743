"""WeCom part: mass sends (客户群发 / 客户群群发 / 朋友圈), follow-up tasks and to-dos, the
chat-sidebar materials (WECOM-2), and who all-staff tasks reach (WECOM-5) — their use
cases through the core part's corp and member directory, their read models, the worker
round that submits scheduled tasks and collects results, the routes and the pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from adapters.persistence.runners import NamedGuard
from adapters.wecom.interface_accounts import PlanAccounts
from application.wecom.follow_up_directory import FollowUpDirectory, FollowUpQueries
from application.wecom.follow_ups import FollowUps
from application.wecom.mass_audience import RelationAudience
from application.wecom.mass_send_directory import MassSendDirectory, MassSendQueries
from application.wecom.mass_send_members import SeatedMembers
from application.wecom.mass_sends import MassSendRounds, MassSends
from application.wecom.sidebar_directory import SidebarDirectory, SidebarQueries
from application.wecom.sidebar_materials import SidebarMaterials
from entrypoints.contexts.parts import Part
from entrypoints.http.wecom_mass_sends import WecomMassSendController
from entrypoints.http.wecom_tasks import (
    WecomFollowUpController,
    WecomSidebarController,
    WecomSidebarMaterialController,
)
from entrypoints.send_worker import SendWorker
from entrypoints.web.wecom import mass_send_pages, task_pages
from entrypoints.web.wecom.mass_send_pages import MassSendConsole

TASK_EVENTS = {
    "wecom.MassSendTask.Drafted": "新建企微群发 · WeCom mass send drafted",
    "wecom.MassSendTask.Scheduled": "定时企微群发 · WeCom mass send scheduled",
    "wecom.MassSendTask.SubmissionStarted": "提交企微群发 · WeCom mass send submitted",
    "wecom.MassSendTask.Cancelled": "取消企微群发 · WeCom mass send cancelled",
    "wecom.FollowUpTask.Assigned": "分配跟进任务 · follow-up task assigned",
    "wecom.FollowUpTask.Rescheduled": "调整跟进任务时间 · follow-up task rescheduled",
    "wecom.FollowUpTask.Cancelled": "取消跟进任务 · follow-up task cancelled",
    "wecom.SidebarMaterial.Added": "新增侧边栏素材 · sidebar material added",
    "wecom.SidebarMaterial.Revised": "修改侧边栏素材 · sidebar material changed",
    "wecom.SidebarMaterial.Enabled": "启用侧边栏素材 · sidebar material enabled",
    "wecom.SidebarMaterial.Disabled": "停用侧边栏素材 · sidebar material disabled",
}
IDLE_SECONDS = 5.0  # how often an idle worker looks for due tasks and results
GUARD = "wecom-mass-sends"  # one process submits and collects at a time


def _accounts(billing: Any) -> PlanAccounts:
    """The interface accounts bought, from the tenancy context's quotas."""
    return PlanAccounts(billing.quotas)


def _guard(storage: Any) -> NamedGuard:
    return NamedGuard(storage, GUARD)


def _providers(
    c: containers.DynamicContainer, wecom: providers.Provider[Any]
) -> Mapping[str, providers.Provider[Any]]:
    queries = providers.Singleton(MassSendQueries, c.wecom_mass_send_view)
    sends = providers.Singleton(
        MassSends,
        wecom,
        c.wecom_corps,
        providers.Singleton(SeatedMembers, c.wecom_members, queries),
        providers.Singleton(_accounts, c.billing),
        providers.Singleton(RelationAudience, c.wecom_customer_view),
        queries,
        c.clock,
    )
    follow_ups = providers.Singleton(
        FollowUps,
        wecom,
        providers.Singleton(FollowUpQueries, c.wecom_follow_up_view),
        c.wecom_customers,
        c.wecom_members,
        c.clock,
    )
    return {
        "wecom_mass_send_console": providers.Singleton(
            MassSendConsole, c.wecom_members, c.wecom_corps
        ),
        "wecom_mass_send_queries": queries,
        "wecom_mass_sends": sends,
        "wecom_mass_send_worker": providers.Singleton(
            SendWorker,
            providers.Singleton(
                MassSendRounds, sends, queries, c.clock, providers.Singleton(_guard, c.storage)
            ),
            IDLE_SECONDS,
            name="wecom-mass-send-worker",
            actor="wecom-mass-sends",
        ),
        "wecom_follow_ups": follow_ups,
        "wecom_sidebar_materials": providers.Singleton(
            SidebarMaterials,
            wecom,
            providers.Singleton(SidebarQueries, c.wecom_sidebar_view),
            follow_ups,
        ),
    }


PART = Part(
    providers=_providers,
    followers=(MassSendDirectory, FollowUpDirectory, SidebarDirectory),
    views={
        "wecom_mass_send_view": MassSendDirectory,
        "wecom_follow_up_view": FollowUpDirectory,
        "wecom_sidebar_view": SidebarDirectory,
    },
    controllers=(
        WecomMassSendController,
        WecomFollowUpController,
        WecomSidebarMaterialController,
        WecomSidebarController,
    ),
    dependencies=(
        "wecom_mass_sends",
        "wecom_follow_ups",
        "wecom_sidebar_materials",
        "wecom_mass_send_console",
    ),
    configuration_events=TASK_EVENTS,
    console=(*mass_send_pages.PAGES, *task_pages.PAGES),
    console_nav=(*mass_send_pages.NAV, *task_pages.NAV),
    workers=("wecom_mass_send_worker",),
)
