"""Leads (LEAD): intake, identities, the pool, settings, cleaning, imports, handover."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from adapters.leads.outbox_notifier import OutboxNotifier
from adapters.leads.xlsx_sheet import XlsxSheetWriter
from application.leads.bulk import BulkLeadActions
from application.leads.cleaning import DuplicateCases
from application.leads.cleaning_directory import (
    DuplicateQueries,
    DuplicateQueue,
    LeadCandidatesView,
)
from application.leads.consent import ConsentQueries, LeadConsent
from application.leads.counts import LeadCounts
from application.leads.demo import DemoLeads
from application.leads.directory import LeadDirectory
from application.leads.export import LeadExport
from application.leads.handover import LeadHandover
from application.leads.import_list import LeadImportList, LeadImportQueries
from application.leads.imports import LeadImports
from application.leads.leads import Leads
from application.leads.queries import LeadQueries
from application.leads.selection import LeadSelection
from application.leads.settings import MarketingTargets, TagRenames, TenantLeadSettings
from application.leads.tag_usage import TagUsage, TagUsageQueries
from domain.leads.permissions import LEADS_GRANTS
from entrypoints.http.lead_cleaning import DuplicateCaseController, MergeRulesController
from entrypoints.http.lead_handover import LeadHandoverController
from entrypoints.http.lead_imports import LeadImportController, LeadPasteController
from entrypoints.http.lead_lists import LeadListController
from entrypoints.http.lead_settings import LeadSettingsController
from entrypoints.http.leads import LeadActionController, LeadController, lead_filter_from_query
from entrypoints.manifest import Manifest
from entrypoints.settings import Settings
from entrypoints.web.leads import lead_data_pages, lead_pages


def build_notifier(settings: Settings) -> OutboxNotifier:
    return OutboxNotifier(settings.var_dir / "outbox")


def lead_settings_of(leads: Leads, usage: TagUsageQueries) -> TenantLeadSettings:
    """The settings every lead write is checked with, answering with tag usage counts."""
    leads.rules.count_usage_with(usage)
    return leads.rules


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    notifier = providers.Singleton(build_notifier, c.settings)
    leads = providers.Singleton(
        Leads,
        c.infrastructure,
        clock=c.clock,
        roster=c.org,
        notifier=notifier,
        teams=c.org_queries,
    )
    lead_queries = providers.Singleton(
        LeadQueries, c.lead_view, leads, c.lead_counts_view, c.lead_activity, c.lead_finders
    )
    lead_selection = providers.Singleton(LeadSelection, c.lead_view)
    lead_settings = providers.Singleton(
        lead_settings_of, leads, providers.Singleton(TagUsageQueries, c.tag_usage_view)
    )
    lead_cleaning = providers.Singleton(
        DuplicateCases, leads, providers.Singleton(LeadCandidatesView, c.lead_view)
    )
    return {
        "notifier": notifier,
        "leads": leads,
        "lead_queries": lead_queries,
        "lead_settings": lead_settings,
        "lead_targets": providers.Singleton(MarketingTargets, c.lead_view, leads),
        "duplicate_queries": providers.Singleton(DuplicateQueries, c.duplicate_view, leads),
        "lead_cleaning": lead_cleaning,
        "lead_handover": providers.Singleton(LeadHandover, leads, c.org, lead_queries),
        "lead_consent": providers.Singleton(LeadConsent, leads),
        "consent_queries": providers.Singleton(ConsentQueries, c.lead_view),
        "lead_selection": lead_selection,
        "lead_demo": providers.Singleton(DemoLeads, leads, lead_queries),
        "lead_bulk": providers.Singleton(BulkLeadActions, leads, lead_selection, c.lead_groups),
        "tag_renames": providers.Singleton(TagRenames, leads, lead_selection, lead_settings),
        "lead_export": providers.Singleton(
            LeadExport, leads, lead_selection, providers.Singleton(XlsxSheetWriter), c.clock
        ),
        "lead_imports": providers.Singleton(
            LeadImports, leads, lead_queries, duplicates=lead_cleaning
        ),
        "lead_import_queries": providers.Singleton(LeadImportQueries, c.import_view),
    }


MANIFEST = Manifest(
    name="leads",
    providers=wire,
    applications=("leads",),
    followers=(LeadDirectory, DuplicateQueue, LeadImportList, LeadCounts, TagUsage),
    views={
        "lead_view": LeadDirectory,
        "duplicate_view": DuplicateQueue,
        "import_view": LeadImportList,
        "lead_counts_view": LeadCounts,
        "tag_usage_view": TagUsage,
    },
    grants=(LEADS_GRANTS,),
    controllers=(
        LeadController,
        LeadActionController,
        LeadPasteController,
        LeadImportController,
        DuplicateCaseController,
        MergeRulesController,
        LeadHandoverController,
        LeadListController,
        LeadSettingsController,
    ),
    dependencies=(
        "leads",
        "lead_queries",
        "lead_settings",
        "lead_targets",
        "lead_cleaning",
        "duplicate_queries",
        "lead_handover",
        "lead_consent",
        "lead_bulk",
        "tag_renames",
        "lead_export",
        "lead_imports",
        "lead_import_queries",
    ),
    request_dependencies={"lead_filter": lead_filter_from_query},
    tags=(
        Tag(name="leads", description="线索 · leads: intake, pool, tags, consent (LEAD-1…11)"),
        Tag(name="lead cleaning", description="线索清洗 · duplicates and merge rules (LEAD-4)"),
        Tag(name="lead settings", description="线索设置 · fields, sources, statuses, tags"),
    ),
    configuration_events={
        "leads.LeadSettings.CustomFieldDefined": "新增自定义字段 · custom field defined",
        "leads.LeadSettings.CustomFieldChanged": "修改自定义字段 · custom field changed",
        "leads.LeadSettings.CustomFieldRemoved": "删除自定义字段 · custom field removed",
        "leads.LeadSettings.SourceAdded": "新增线索来源 · source added",
        "leads.LeadSettings.SourceRemoved": "删除线索来源 · source removed",
        "leads.LeadSettings.DefaultOwnerSet": "设置渠道负责人 · default owner set",
        "leads.LeadSettings.DefaultOwnerCleared": "清除渠道负责人 · default owner cleared",
        "leads.LeadSettings.DefaultStatusChosen": "设置默认状态 · default status chosen",
        "leads.LeadSettings.StatusAdded": "新增线索状态 · status added",
        "leads.LeadSettings.StatusRenamed": "线索状态更名 · status renamed",
        "leads.LeadSettings.StatusRemoved": "删除线索状态 · status removed",
        "leads.LeadSettings.TagGroupAdded": "新增标签组 · tag group added",
        "leads.LeadSettings.TagGroupRenamed": "标签组更名 · tag group renamed",
        "leads.LeadSettings.TagGroupRemoved": "删除标签组 · tag group removed",
        "leads.LeadSettings.TagsAdded": "新增标签 · tags added",
        "leads.LeadSettings.TagMoved": "标签移组 · tag moved",
        "leads.LeadSettings.TagRenamed": "标签更名 · tag renamed",
        "leads.LeadSettings.TagRemoved": "删除标签 · tag removed",
        "leads.LeadSettings.UserTypeAdded": "新增用户类型 · user type added",
        "leads.LeadSettings.UserTypeRenamed": "用户类型更名 · user type renamed",
        "leads.LeadSettings.UserTypeRemoved": "删除用户类型 · user type removed",
        "leads.MergeRules.Configured": "设置合并规则 · merge rules configured",
        "leads.MergeRules.Changed": "修改合并规则 · merge rules changed",
    },
    console=(*lead_pages.PAGES, *lead_data_pages.PAGES),
    console_nav=(*lead_pages.NAV, *lead_data_pages.NAV),
    # Other contexts' entries of the lead timeline (LeadActivitySource, ADR 0006), and
    # who answers the list's filter trees and saved searches (LeadFinder, SEG-2).
    # Static groups for the bulk action "add to group" (LeadGroups, SEG-1).
    needs=("lead_activity", "lead_finders", "lead_groups"),
)
