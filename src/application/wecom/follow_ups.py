"""Follow-up tasks and to-dos (跟进任务 / 待办, WECOM-2): head office assigns them to
front-line employees (WeCom userids), each assignee does their part, and everybody
sees the to-dos of their data scope (ORG-2): a sales key those of the WeCom member
linked to its employee, a sales manager their team's, every other role everyone's.

A caller may assign, change or cancel a task only for employees inside their scope
(a salesperson their own to-dos, a manager their team's), and mark done only an
assignee inside it; a task with no assignee in the caller's scope is not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.shared.callers import TenantCaller
from application.shared.clock import Clock
from application.shared.errors import InvalidInput, NotFound, PermissionDenied, VersionConflict
from application.shared.pages import Page
from application.wecom.follow_up_commands import (
    AboutInput,
    AssigneeResult,
    AssignFollowUp,
    CancelFollowUp,
    CompleteFollowUp,
    FollowUpDetails,
    FollowUpRow,
    ReopenFollowUp,
    RescheduleFollowUp,
    ToDo,
)
from application.wecom.follow_up_directory import STATUSES, FollowUpQueries
from application.wecom.wecom import Wecom
from domain.wecom.follow_up import FollowUpTask


class CallerScope(Protocol):
    """Whose WeCom customers and to-dos a caller sees (`WecomCustomers.scope`)."""

    def scope(self, caller: TenantCaller) -> list[str] | None:
        """The userids in the caller's data scope; None: all of them."""
        ...


class MemberNames(Protocol):
    def names_of(self, tenant_id: UUID, userids: Iterable[str]) -> dict[str, str]: ...


class FollowUps:
    """The follow-up use cases of the API, the console and the chat sidebar."""

    def __init__(
        self,
        wecom: Wecom,
        queries: FollowUpQueries,
        scopes: CallerScope,
        members: MemberNames,
        clock: Clock,
    ) -> None:
        self.wecom = wecom
        self.queries = queries
        self.scopes = scopes
        self.members = members
        self.clock = clock

    def assign(self, caller: TenantCaller, command: AssignFollowUp) -> FollowUpDetails:
        """Assign the task (403 naming an employee outside the caller's scope)."""
        scope = self.scopes.scope(caller)
        outside = sorted(set(command.assignees) - set(scope)) if scope is not None else []
        if outside:
            raise PermissionDenied(f"{outside[0]} is not in the caller's data scope")
        task_id = self.wecom.new_id("wecom_follow_up")
        if task_id in self.wecom.repository:  # a repeated Idempotency-Key
            return self.task(caller, task_id)
        task = FollowUpTask.assign(
            id=task_id,
            tenant_id=caller.tenant_id,
            title=command.title,
            note=command.note,
            kind=command.kind,
            about=command.about.model_dump() if command.about else None,
            assignees=command.assignees,
            due_at=command.due_at,
            remind_before_minutes=command.remind_before_minutes,
        )
        return self._details(self.wecom.create(task))

    def assignable(self, caller: TenantCaller) -> list[str] | None:
        """The userids the caller may assign tasks to (None: anyone)."""
        return self.scopes.scope(caller)

    def task(self, caller: TenantCaller, task_id: UUID) -> FollowUpDetails:
        return self._details(self._load(caller, task_id))

    def complete(
        self, caller: TenantCaller, task_id: UUID, command: CompleteFollowUp
    ) -> FollowUpDetails:
        """The assignee's part is done (a repeat changes nothing)."""
        task = self._load(caller, task_id)
        userid = self._assignee(caller, task, command.userid)
        if task.complete(userid, at=self.clock.now(), note=command.note):
            self.wecom.commit(task)
        return self._details(task)

    def reopen(
        self, caller: TenantCaller, task_id: UUID, command: ReopenFollowUp
    ) -> FollowUpDetails:
        task = self._load(caller, task_id)
        if task.reopen(self._assignee(caller, task, command.userid)):
            self.wecom.commit(task)
        return self._details(task)

    def reschedule(
        self,
        caller: TenantCaller,
        task_id: UUID,
        command: RescheduleFollowUp,
        *,
        expected_version: int | None = None,
    ) -> FollowUpDetails:
        task = self._load(caller, task_id, expected_version, whole=True)
        task.reschedule(due_at=command.due_at, remind_before_minutes=command.remind_before_minutes)
        self.wecom.commit(task)
        return self._details(task)

    def cancel(
        self,
        caller: TenantCaller,
        task_id: UUID,
        command: CancelFollowUp,
        *,
        expected_version: int | None = None,
    ) -> FollowUpDetails:
        task = self._load(caller, task_id, expected_version, whole=True)
        task.cancel(command.reason)
        self.wecom.commit(task)
        return self._details(task)

    def to_dos(
        self,
        caller: TenantCaller,
        *,
        status: str = "open",
        userid: str | None = None,
        about_id: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[ToDo]:
        """The to-dos of the caller's scope by due time: open, overdue, done or all."""
        if status not in STATUSES:
            raise InvalidInput(f"status is one of {', '.join(STATUSES)}", field="status")
        page = self.queries.to_dos(
            caller.tenant_id,
            userids=self.scopes.scope(caller),
            now=self.clock.now(),
            status=status,
            userid=userid,
            about_id=about_id,
            cursor=cursor,
            limit=limit,
        )
        names = self.members.names_of(caller.tenant_id, {row["userid"] for row in page.items})
        return Page(
            [ToDo(**row, name=names.get(row["userid"], "")) for row in page.items],
            page.next_cursor,
        )

    def counts(self, caller: TenantCaller) -> dict[str, dict[str, int]]:
        """Per employee of the caller's scope: open, overdue and done to-dos."""
        return self.queries.counts(
            caller.tenant_id, userids=self.scopes.scope(caller), now=self.clock.now()
        )

    def tasks(
        self, caller: TenantCaller, *, state: str | None = None, cursor: str | None, limit: int
    ) -> Page[FollowUpRow]:
        """Tasks with an assignee in the caller's scope, newest first."""
        page = self.queries.tasks(
            caller.tenant_id,
            userids=self.scopes.scope(caller),
            state=state,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                FollowUpRow(
                    id=row["task_id"],
                    title=row["title"],
                    kind=row["kind"],
                    about=AboutInput(kind=row["about_kind"], id=row["about_id"]),
                    due_at=row["due_at"],
                    state=row["state"],
                    assignees=int(row["assignees"]),
                    done=int(row["done"]),
                    created_at=row["created_at"],
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    # --- loading ---------------------------------------------------------------------------

    def _load(
        self,
        caller: TenantCaller,
        task_id: UUID,
        expected_version: int | None = None,
        *,
        whole: bool = False,
    ) -> FollowUpTask:
        """The task if an assignee is in the caller's scope (every one of them, to
        change the task itself: `whole`); else 404, or 403 for a partly visible one."""
        task = self.wecom.load(task_id, FollowUpTask, tenant_id=caller.tenant_id)
        scope = self.scopes.scope(caller)
        if scope is not None:
            mine = set(task.assignees) & set(scope)
            if not mine:
                raise NotFound(f"no FollowUpTask {task_id}")
            if whole and mine != set(task.assignees):
                raise PermissionDenied("the task has assignees outside the caller's scope")
        if expected_version is not None and task.version != expected_version:
            raise VersionConflict(
                f"FollowUpTask is at version {task.version}, not {expected_version}"
            )
        return task

    def _assignee(self, caller: TenantCaller, task: FollowUpTask, userid: str | None) -> str:
        """The assignee the caller acts for: the one named, or their own member."""
        scope = self.scopes.scope(caller)
        if userid is None:
            mine = [u for u in task.assignees if scope is None or u in scope]
            if scope is None or len(mine) != 1:
                raise InvalidInput("name the assignee (userid)", field="userid")
            return mine[0]
        if scope is not None and userid not in scope:
            raise PermissionDenied(f"{userid} is not in the caller's data scope")
        return userid

    def _details(self, task: FollowUpTask) -> FollowUpDetails:
        now = self.clock.now()
        names = self.members.names_of(task.tenant_id, task.assignees)
        return FollowUpDetails(
            id=task.id,
            title=task.title,
            note=task.note,
            kind=task.kind,  # type: ignore[arg-type]
            about=AboutInput.model_validate(task.about),
            assignees=[
                AssigneeResult(
                    userid=userid,
                    name=names.get(userid, ""),
                    done=userid in task.results,
                    done_at=_moment(task.results.get(userid, {}).get("at")),
                    note=task.results.get(userid, {}).get("note", ""),
                )
                for userid in task.assignees
            ],
            due_at=_moment(task.due_at),
            remind_before_minutes=task.remind_before_minutes,
            remind_at=task.remind_at,
            state=task.state.value,  # type: ignore[arg-type]
            overdue=task.overdue(now),
            cancel_reason=task.cancel_reason,
            version=task.version,
            created_at=task.created_on,
        )


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
