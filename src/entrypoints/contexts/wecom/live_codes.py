"""WeCom part: live codes and welcome messages (渠道活码与欢迎语, WECOM-1) — the codes
made at WeCom through the core part's corp, their read models, the welcoming and
rotation policies following the behaviour log, the routes and the console pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from application.wecom.department_welcomes import DepartmentWelcomeMessages
from application.wecom.live_code_directory import (
    LiveCodeActivity,
    LiveCodeDirectory,
    LiveCodeQueries,
)
from application.wecom.live_code_members import LiveCodeMembers
from application.wecom.live_code_rotation import LiveCodeRotation
from application.wecom.live_codes import LiveCodes
from application.wecom.welcoming import Welcoming
from entrypoints.contexts.parts import Part
from entrypoints.http.wecom_live_codes import WecomLiveCodeController, WecomWelcomeController
from entrypoints.web.wecom import live_code_pages

LIVE_CODE_EVENTS = {
    "wecom.LiveCode.Made": "新建渠道活码 · live code made",
    "wecom.LiveCode.Revised": "修改渠道活码 · live code changed",
    "wecom.LiveCode.Archived": "归档渠道活码 · live code archived",
    "wecom.DepartmentWelcomes.MessageSet": "设置部门欢迎语 · department welcome set",
    "wecom.DepartmentWelcomes.MessageCleared": "清除部门欢迎语 · department welcome cleared",
}


def _plans(billing: Any) -> Any:
    """The tenancy context's quota service (`PlanQuotas`): its plan gate."""
    return billing.quotas


def _providers(
    c: containers.DynamicContainer, wecom: providers.Provider[Any]
) -> Mapping[str, providers.Provider[Any]]:
    members = providers.Singleton(LiveCodeMembers, c.wecom_members)
    queries = providers.Singleton(
        LiveCodeQueries, c.wecom_live_code_view, c.wecom_live_code_activity_view, c.tenancy
    )
    codes = providers.Singleton(
        LiveCodes,
        wecom,
        c.wecom_corps,
        queries,
        members,
        c.clock,
        providers.Singleton(_plans, c.billing),
    )
    welcomes = providers.Singleton(DepartmentWelcomeMessages, wecom, c.wecom_corps)
    return {
        "wecom_live_code_console": providers.Singleton(
            live_code_pages.LiveCodeConsole, c.wecom_members, c.wecom_corps
        ),
        "wecom_live_code_queries": queries,
        "wecom_live_codes": codes,
        "wecom_department_welcomes": welcomes,
        Welcoming.name: providers.Factory(
            Welcoming,
            wecom=wecom,
            corps=c.wecom_corps,
            welcomes=welcomes,
            members=members,
            observations=c.ingestion,
            clock=c.clock,
        ),
        LiveCodeRotation.name: providers.Factory(
            LiveCodeRotation, codes=codes, activity=c.wecom_live_code_activity_view
        ),
    }


PART = Part(
    providers=_providers,
    followers=(LiveCodeDirectory, LiveCodeActivity, Welcoming, LiveCodeRotation),
    views={
        "wecom_live_code_view": LiveCodeDirectory,
        "wecom_live_code_activity_view": LiveCodeActivity,
    },
    controllers=(WecomLiveCodeController, WecomWelcomeController),
    dependencies=(
        "wecom_live_code_queries",
        "wecom_live_codes",
        "wecom_department_welcomes",
        "wecom_live_code_console",
    ),
    configuration_events=LIVE_CODE_EVENTS,
    console=live_code_pages.PAGES,
    console_nav=live_code_pages.NAV,
)
