"""Segments (SEG): the profile read model filters read, saved searches, static and smart
groups with their members (issue 16).

Each part keeps to its own block below (profiles, groups), so the parts can be read,
and grown, one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from adapters.segments.lead_members import LeadsAsMembers
from application.segments.adoption import InterimListings
from application.segments.group_directory import GroupDirectory, GroupQueries
from application.segments.groups import Groups
from application.segments.lead_search import FilteredLeads
from application.segments.profiles import ProfileQueries, SegmentProfiles
from application.segments.saved_search_directory import SavedSearchDirectory, SavedSearchQueries
from application.segments.saved_searches import SavedSearches
from application.segments.segments import Segments
from application.segments.selection import FilterSelection
from application.segments.smart_groups import SmartGroups, TimeRelativePass
from domain.segments.group_permissions import GROUP_GRANTS
from domain.segments.saved_search_permissions import SAVED_SEARCH_GRANTS
from entrypoints.http.saved_searches import SavedSearchController
from entrypoints.http.segment_groups import GroupController
from entrypoints.manifest import Manifest
from entrypoints.web.segments import group_pages, saved_search_pages

# --- profiles: what filters read -----------------------------------------------------------
PROFILE_FOLLOWERS = (SegmentProfiles,)
PROFILE_VIEWS = {"segment_profile_view": SegmentProfiles}


def _profile_providers(c: containers.DynamicContainer) -> dict[str, providers.Provider[Any]]:
    return {
        "profile_queries": providers.Singleton(ProfileQueries, c.segment_profile_view),
        "filter_selection": providers.Singleton(FilterSelection, c.segment_profile_view),
    }


# --- groups and their members (SEG-1, SEG-3) -----------------------------------------------
GROUP_EVENTS = {
    "segments.Group.Formed": "新建用户组 · group formed",
    "segments.Group.Renamed": "用户组更名 · group renamed",
    "segments.Group.FilterChanged": "修改智能组条件 · smart group filter changed",
    "segments.Group.MergedInto": "合并用户组 · group merged",
    "segments.Group.Deleted": "删除用户组 · group deleted",
}
GROUP_FOLLOWERS = (GroupDirectory, SmartGroups, InterimListings)
GROUP_VIEWS = {"segment_group_view": GroupDirectory}
GROUP_CONTROLLERS = (GroupController,)
GROUP_DEPENDENCIES = ("segment_groups", "group_queries")


def _group_providers(
    c: containers.DynamicContainer,
    segments: providers.Provider[Any],
    profiles: Mapping[str, providers.Provider[Any]],
) -> dict[str, providers.Provider[Any]]:
    queries = providers.Singleton(GroupQueries, c.segment_group_view, c.segment_profile_view)
    # The leads' bulk actions need the groups (the lead_groups port) and the groups act
    # on members through those bulk actions: handed over lazily, built on first use.
    members = providers.Singleton(LeadsAsMembers, c.leads, c.lead_bulk.provider)
    groups = providers.Singleton(
        Groups,
        segments,
        queries,
        profiles["filter_selection"],
        profiles["profile_queries"],
        members,
        c.clock,
    )
    return {
        "group_queries": queries,
        "member_leads": members,
        "segment_groups": groups,
        # Policies, under their followers' names (their application is the groups').
        SmartGroups.name: providers.Factory(
            SmartGroups, groups=groups, profiles=c.segment_profile_view, clock=c.clock
        ),
        InterimListings.name: providers.Factory(InterimListings, groups=groups),
        # The scheduler's pass over smart groups on "in the last N days".
        "time_relative_groups": providers.Singleton(TimeRelativePass, groups, c.clock),
    }


# --- saved searches (SEG-2) and the lead list's filter trees -----------------------------
SEARCH_EVENTS = {
    "segments.SavedSearch.Saved": "新建常用搜索 · search saved",
    "segments.SavedSearch.Revised": "修改常用搜索 · saved search revised",
    "segments.SavedSearch.Deleted": "删除常用搜索 · saved search deleted",
}
SEARCH_FOLLOWERS = (SavedSearchDirectory,)
SEARCH_VIEWS = {"saved_search_view": SavedSearchDirectory}


def _search_providers(
    c: containers.DynamicContainer, segments: providers.Provider[Any]
) -> dict[str, providers.Provider[Any]]:
    searches = providers.Singleton(
        SavedSearches, segments, providers.Singleton(SavedSearchQueries, c.saved_search_view)
    )
    return {
        "saved_searches": searches,
        "filtered_leads": providers.Singleton(
            FilteredLeads, c.segment_profile_view, searches, c.clock
        ),
    }


def _offers(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    # The lead list's bulk action "add to group" lists leads in static groups; its
    # filter trees and saved searches are answered from the profiles.
    return {"lead_groups": c.segment_groups, "lead_finders": c.filtered_leads}


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    segments = providers.Singleton(Segments, c.infrastructure)
    profiles = _profile_providers(c)
    return {
        "segments": segments,
        **profiles,
        **_group_providers(c, segments, profiles),
        **_search_providers(c, segments),
    }


MANIFEST = Manifest(
    name="segments",
    providers=wire,
    applications=("segments",),
    followers=(*PROFILE_FOLLOWERS, *GROUP_FOLLOWERS, *SEARCH_FOLLOWERS),
    views={**PROFILE_VIEWS, **GROUP_VIEWS, **SEARCH_VIEWS},
    grants=(GROUP_GRANTS, SAVED_SEARCH_GRANTS),
    controllers=(*GROUP_CONTROLLERS, SavedSearchController),
    dependencies=(*GROUP_DEPENDENCIES, "saved_searches"),
    tags=(Tag(name="segments", description="分群 · groups, saved searches, filters (SEG-1…4)"),),
    configuration_events={**GROUP_EVENTS, **SEARCH_EVENTS},
    console=(*saved_search_pages.PAGES, *group_pages.PAGES),
    console_nav=(*saved_search_pages.NAV, *group_pages.NAV),
    offers=_offers,
)
