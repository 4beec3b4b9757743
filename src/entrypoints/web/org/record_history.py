"""A department's or employee's history on its page: the events the API's history route
answers (AUD-1), for callers whose roles may read history."""

from __future__ import annotations

from uuid import UUID

from application.shared.callers import TenantCaller
from application.shared.history import HistoryEntry, RecordHistory
from domain.shared.access import Action
from entrypoints.web.i18n import N_

EVENT_LABELS = {
    "org.Department.Established": N_("新建部门"),
    "org.Department.Renamed": N_("部门更名"),
    "org.Department.Moved": N_("部门调整"),
    "org.Department.Dissolved": N_("部门撤销"),
    "org.Employee.Hired": N_("新增员工"),
    "org.Employee.ProfileUpdated": N_("资料更新"),
    "org.Employee.RolesGranted": N_("角色变更"),
    "org.Employee.Transferred": N_("员工调岗"),
    "org.Employee.Left": N_("员工离职"),
}
ACTOR_LABELS = {
    "api_key": N_("API 密钥"),
    "employee": N_("员工"),
    "staff": N_("平台员工"),
    "system": N_("系统"),
    "visitor": N_("访客"),
}


def history_of(
    history: RecordHistory, caller: TenantCaller, aggregate_id: UUID
) -> list[HistoryEntry] | None:
    """The record's events, newest first; None when the caller may not read history."""
    if not caller.may("history", Action.READ):
        return None
    return list(reversed(history.seen_by(caller, aggregate_id)))
