"""The console's navigation: each context's manifest lists its entries, and a person
sees those their roles may read (tenant roles for employees, staff roles for staff)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from application.shared.callers import Caller, StaffCaller, TenantCaller
from domain.shared.access import Action


class Audience(StrEnum):
    TENANT = "tenant"  # employees signed in for their company
    STAFF = "staff"  # platform staff (back office)


# Sections in the order the sidebar shows them (Chinese msgids, English in the catalogue).
SECTIONS = ("工作台", "线索", "营销", "营销触达", "企业设置", "平台后台", "审计")


@dataclass(frozen=True)
class NavItem:
    label: str  # a Chinese msgid of the console catalogue
    path: str
    resource: str
    audience: Audience
    section: str
    action: Action = Action.READ
    order: int = 50

    def visible_to(self, caller: Caller | None) -> bool:
        if isinstance(caller, TenantCaller):
            return self.audience is Audience.TENANT and caller.may(self.resource, self.action)
        if isinstance(caller, StaffCaller):
            return self.audience is Audience.STAFF and caller.may(self.resource, self.action)
        return False


@dataclass(frozen=True)
class NavSection:
    label: str
    items: tuple[NavItem, ...]


def navigation(items: list[NavItem], caller: Caller | None) -> list[NavSection]:
    """The sidebar for `caller`: visible items, grouped by section, in order."""
    visible = [item for item in items if item.visible_to(caller)]
    return [
        NavSection(
            section,
            tuple(
                sorted(
                    (i for i in visible if i.section == section), key=lambda i: (i.order, i.path)
                )
            ),
        )
        for section in SECTIONS
        if any(i.section == section for i in visible)
    ]
