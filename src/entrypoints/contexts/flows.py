"""Flows (FLOW-1…6): marketing automation flows, the policy that enrols leads when they
meet a start condition, the leads' dates for date start conditions, and the worker that
wakes due waits and enrols whoever's date has come."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from adapters.flows.channels import SetUpChannels
from adapters.flows.effects import ContextEffects
from application.flows.calendar import DateEnrolling
from application.flows.dates import LeadDateQueries, LeadDates
from application.flows.directory import FlowDirectory, FlowQueries
from application.flows.dry_run import DryRuns
from application.flows.enrolling import Enrolling
from application.flows.enrolments import Enrolments
from application.flows.flows import Flows
from application.flows.reach import ReachCampaigns
from application.flows.reach_directory import ReachDirectory, ReachQueries
from application.flows.reach_reading import ReachReading
from application.flows.reaching import Reaching
from application.flows.reading import FlowReading
from application.flows.stepping import Stepping
from application.flows.timeline import FlowTimeline
from application.flows.waking import Waking
from application.flows.worker import FlowWork
from application.messaging.flow_sends import FlowSends
from application.messaging.sending_domain_directory import SendingDomainQueries
from application.wechat.flow_sends import FlowWechatSends
from domain.flows.permissions import FLOWS_GRANTS
from entrypoints.http.flows import FlowController
from entrypoints.http.reach import ReachController
from entrypoints.manifest import Manifest
from entrypoints.send_worker import SendWorker
from entrypoints.web.flows import flow_pages, reach_pages

IDLE_SECONDS = 0.2  # how often an idle flow worker looks for due waits


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    channels = providers.Singleton(
        SetUpChannels,
        providers.Singleton(SendingDomainQueries, c.messaging_domain_view),
        c.sms_queries,
        c.wechat_account_queries,
    )
    flows = providers.Singleton(Flows, c.infrastructure, channels)
    queries = providers.Singleton(FlowQueries, c.flows_directory_view)
    effects = providers.Singleton(
        ContextEffects,
        leads=c.leads,
        scoring=c.scoring,
        groups=c.segment_groups,
        sends=providers.Singleton(
            FlowSends,
            c.messaging,
            c.send_queue,
            c.people,
            senders=c.sending_domains,
            templates=c.email_templates,
            signatures=c.sms_signatures,
            clock=c.clock,
        ),
        wechat=providers.Singleton(
            FlowWechatSends, c.wechat_accounts, c.wechat_fans, c.wechat_api, c.behaviours, c.clock
        ),
        behaviours=c.behaviours,
        notices=c.notifier,
        clock=c.clock,
    )
    stepping = providers.Singleton(Stepping, effects, c.profile_queries, c.tenancy, c.clock)
    enrolments = providers.Singleton(Enrolments, flows, stepping)
    dates = providers.Singleton(
        DateEnrolling,
        enrolments,
        queries,
        providers.Singleton(LeadDateQueries, c.flows_dates_view),
        c.tenancy,
        c.clock,
    )
    waking = providers.Singleton(Waking, flows, enrolments, stepping, queries, c.clock, dates=dates)
    reach = providers.Singleton(ReachCampaigns, flows, channels, c.clock)
    reach_queries = providers.Singleton(ReachQueries, c.flows_reach_view)
    reaching = providers.Singleton(
        Reaching,
        reach,
        flows,
        reach_queries,
        c.filter_selection,
        c.profile_queries,
        effects,
        c.clock,
    )
    return {
        "flows": flows,
        "reach_campaigns": reach,
        "reach_queries": reach_queries,
        "reach_reading": providers.Singleton(ReachReading, reach, reach_queries),
        "reach_reaching": reaching,
        "flow_queries": queries,
        "flow_enrolments": enrolments,
        "flow_waking": waking,
        "flow_effects": effects,
        "flow_stepping": stepping,
        "flow_reading": providers.Singleton(FlowReading, flows, queries, c.send_queue),
        "flow_dry_runs": providers.Singleton(DryRuns, flows, c.profile_queries, stepping, c.clock),
        "flow_worker": providers.Singleton(
            SendWorker,
            providers.Singleton(FlowWork, waking, reaching),
            IDLE_SECONDS,
            name="flow-worker",
            actor="flows",
        ),
        Enrolling.name: providers.Factory(Enrolling, enrolments=enrolments),
    }


def _offers(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    # The lead timeline (leads context) shows each flow step next to the lead's events.
    return {"lead_activity": providers.Singleton(FlowTimeline, c.flow_queries)}


MANIFEST = Manifest(
    name="flows",
    providers=wire,
    offers=_offers,
    applications=("flows",),
    followers=(Enrolling, FlowDirectory, LeadDates, ReachDirectory),
    views={
        "flows_directory_view": FlowDirectory,
        "flows_dates_view": LeadDates,
        "flows_reach_view": ReachDirectory,
    },
    grants=(FLOWS_GRANTS,),
    controllers=(FlowController, ReachController),
    dependencies=("flows", "flow_reading", "flow_dry_runs", "reach_campaigns", "reach_reading"),
    tags=(Tag(name="flows", description="营销流程 · marketing automation flows (FLOW-1…7)"),),
    configuration_events={
        "flows.Flow.Drafted": "新建营销流程 · flow drafted",
        "flows.Flow.Edited": "修改营销流程 · flow edited",
        "flows.Flow.VersionPublished": "营销流程发布新版本 · flow version published",
        "flows.Flow.Enabled": "启用营销流程 · flow enabled",
        "flows.Flow.Disabled": "停用营销流程 · flow disabled",
        "flows.Flow.Archived": "归档营销流程 · flow archived",
        "flows.ReachCampaign.Planned": "新建触达活动 · reach campaign planned",
        "flows.ReachCampaign.Scheduled": "启动触达活动 · reach campaign scheduled",
        "flows.ReachCampaign.Cancelled": "取消触达活动 · reach campaign cancelled",
    },
    console=(*flow_pages.PAGES, *reach_pages.PAGES),
    console_nav=(*flow_pages.NAV, *reach_pages.NAV),
    workers=("flow_worker",),
)
