"""Mass sends through employees' mass-send assistant (WECOM-2) and who they reach
(WECOM-5): drafted, planned, submitted to WeCom through the tenant's bound corp, their
results collected per employee and per customer (or group).

- Planning asks the member directory who the corp's members are (in the visible range,
  active, their seat) and, for an all-staff task, the plan how many interface accounts
  the tenant bought (`InterfaceAccounts`, the quota `wecom_accounts`), then lets the
  pure rule (`domain.wecom.visible_range`) choose; with a customer filter, an employee
  none of whose customers fits is left out too. The plan is recorded on the task with
  who was left out and why, and made again when the submission starts.
- Submitting hands WeCom one part per reached employee, as WeCom's API does it: an
  `add_msg_template` with the employee as sender (their filtered customers in calls
  of at most 10,000, or all of theirs; their groups for a group send), or one Moments
  job for every reached employee. Each part is recorded as soon as WeCom answers it, so
  a crash repeats at most the one call in flight. A refusal for one employee fails
  their part only; a rate limit or an unreachable WeCom stops the submission until the
  next round.
- "Submit now" hands over the first `INLINE_PARTS` parts in the request and leaves the
  rest (and scheduled tasks, and collecting results) to the worker round
  (`MassSendRounds`), which resumes a submission only once nobody touched it for
  `RESUME_AFTER` (the request may still be at it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol, TypeVar
from uuid import UUID

from application.shared.clock import Clock
from application.shared.errors import NotFound, ProviderUnavailable, VersionConflict
from application.shared.pages import Page
from application.wecom.mass_audience import has_filter
from application.wecom.mass_send_commands import (
    CancelMassSend,
    DraftWecomMassSend,
    LeftOutEmployee,
    MassContent,
    MassSendOutcome,
    MassSendPart,
    MassSendPlan,
    MassSendSummary,
    PartCounts,
    WecomMassSendDetails,
)
from application.wecom.mass_send_directory import MassSendQueries
from application.wecom.ports import (
    Page as WecomPage,
)
from application.wecom.ports import (
    WecomApi,
    WecomRateLimited,
    WecomRefused,
    WelcomeAttachment,
)
from application.wecom.wecom import Wecom
from domain.wecom.mass_send import (
    RESULT_NAMES,
    MassSendTask,
    PartState,
    Target,
    TaskState,
    customer_chunks,
)
from domain.wecom.visible_range import Candidate, LeftOut, Reach, reach_of

log = logging.getLogger("huoke.wecom.mass_sends")
T = TypeVar("T")
INLINE_PARTS = 100  # parts a "submit now" hands over itself; the worker does the rest
RESUME_AFTER = timedelta(seconds=30)
POLL_SECONDS = 300.0  # how often the worker asks WeCom about one task's results
MAX_PAGES = 1000


class CorpApis(Protocol):
    """The tenant's bound corp (`WecomCorps`)."""

    def api_of(self, tenant_id: UUID) -> WecomApi:
        """Its WeCom API (404 `corp` without one, 403 without an SCRM plan)."""
        ...


class InterfaceAccounts(Protocol):
    """What the tenant's plan holds (the tenancy context's quotas)."""

    def purchased(self, tenant_id: UUID) -> int | None:
        """The interface accounts bought (企微注册服务, quota `wecom_accounts` of the
        SCRM subscription in service): None for no limit, 0 without any."""
        ...


class CorpMembers(Protocol):
    """The corp's members as the contacts syncs found them."""

    def candidates(self, tenant_id: UUID) -> list[Candidate]:
        """Every member with their seat, range, status and whether they departed."""
        ...

    def names_of(self, tenant_id: UUID, userids: Iterable[str]) -> dict[str, str]: ...


class CustomerAudience(Protocol):
    """The employees' customers as the customer directory knows them."""

    def customers_of(self, tenant_id: UUID, userid: str, audience: Mapping[str, Any]) -> list[str]:
        """The employee's active customers the audience's filter takes."""
        ...

    def customer_counts(self, tenant_id: UUID, userids: Collection[str]) -> dict[str, int]:
        """Active customers per employee."""
        ...


class MassSends:
    """The mass-send use cases of the API, the console and the worker."""

    def __init__(
        self,
        wecom: Wecom,
        corps: CorpApis,
        members: CorpMembers,
        accounts: InterfaceAccounts,
        audience: CustomerAudience,
        queries: MassSendQueries,
        clock: Clock,
    ) -> None:
        self.wecom = wecom
        self.corps = corps
        self.members = members
        self.accounts = accounts
        self.audience = audience
        self.queries = queries
        self.clock = clock

    # --- use cases ------------------------------------------------------------------------

    def draft(self, tenant_id: UUID, command: DraftWecomMassSend) -> WecomMassSendDetails:
        """A draft (nothing reaches WeCom yet)."""
        task_id = self.wecom.new_id("wecom_mass_send")
        if task_id in self.wecom.repository:  # a repeated Idempotency-Key: made already
            return self.task(tenant_id, task_id)
        fields = command.model_dump(mode="json")
        task = MassSendTask.draft(
            id=task_id,
            tenant_id=tenant_id,
            name=command.name,
            target=command.target,
            content=fields["content"],
            audience=fields["audience"],
            send_at=command.send_at,
        )
        return self._details(self.wecom.create(task))

    def task(self, tenant_id: UUID, task_id: UUID) -> WecomMassSendDetails:
        return self._details(self._load(tenant_id, task_id))

    def tasks(
        self,
        tenant_id: UUID,
        *,
        state: str | None = None,
        target: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[MassSendSummary]:
        """The tenant's tasks, newest first."""
        page = self.queries.tasks(tenant_id, state=state, target=target, cursor=cursor, limit=limit)
        return Page([MassSendSummary(**row) for row in page.items], page.next_cursor)

    def plan(
        self, tenant_id: UUID, task_id: UUID, *, expected_version: int | None = None
    ) -> WecomMassSendDetails:
        """Who the task reaches now and who is left out, why (recorded on the task)."""
        task = self._load(tenant_id, task_id, expected_version)
        if self._plan(task):
            self.wecom.commit(task)
        return self._details(task)

    def submit(
        self, tenant_id: UUID, task_id: UUID, *, expected_version: int | None = None
    ) -> WecomMassSendDetails:
        """Plan again and send now (the first parts in this request, the rest by the
        worker), or at the task's `send_at` (the worker submits it then). 409 when the
        plan reaches nobody."""
        task = self._load(tenant_id, task_id, expected_version)
        api = self.corps.api_of(tenant_id)  # no corp or no plan: refused before anything
        self._plan(task)
        task.submit(self.clock.now())
        self.wecom.commit(task)
        if task.state == TaskState.SUBMITTING:
            self._hand_over(task, api, budget=INLINE_PARTS)
        return self._details(task)

    def cancel(
        self,
        tenant_id: UUID,
        task_id: UUID,
        command: CancelMassSend,
        *,
        expected_version: int | None = None,
    ) -> WecomMassSendDetails:
        """Cancel a draft or a scheduled task (409 once WeCom has it)."""
        task = self._load(tenant_id, task_id, expected_version)
        task.cancel(self.clock.now(), command.reason)
        self.wecom.commit(task)
        return self._details(task)

    def collect(self, tenant_id: UUID, task_id: UUID) -> WecomMassSendDetails:
        """Ask WeCom now which employees sent their part and what became of each
        customer (the worker asks every few minutes)."""
        task = self._load(tenant_id, task_id)
        if task.state in (TaskState.SUBMITTING, TaskState.SUBMITTED):
            api = self.corps.api_of(tenant_id)
            if task.state == TaskState.SUBMITTING and task.target == Target.MOMENTS:
                self._hand_over(task, api, budget=0)
            if task.state == TaskState.SUBMITTED:
                self._collect(task, api)
        return self._details(task)

    def parts(
        self,
        tenant_id: UUID,
        task_id: UUID,
        *,
        state: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[MassSendPart]:
        """Each employee's part: reached first (in seat order), then those left out."""
        self._load(tenant_id, task_id)  # another tenant's: 404
        return self.queries.parts(
            tenant_id,
            task_id,
            state=state,
            names=lambda userids: self.members.names_of(tenant_id, userids),
            cursor=cursor,
            limit=limit,
        )

    def outcomes(
        self,
        tenant_id: UUID,
        task_id: UUID,
        *,
        userid: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[MassSendOutcome]:
        """What became of each customer (or group) of each employee."""
        self._load(tenant_id, task_id)
        return self.queries.outcomes(tenant_id, task_id, userid=userid, cursor=cursor, limit=limit)

    # --- the worker's steps -----------------------------------------------------------------

    def advance(self, tenant_id: UUID, task_id: UUID, *, collect: bool) -> bool:
        """One step of a task the worker found: submit a due scheduled task, resume a
        submission nobody is at, collect results (when `collect`). True if it changed."""
        task = self._load(tenant_id, task_id)
        now = self.clock.now()
        version = task.version
        if task.due(now):
            api = self.corps.api_of(tenant_id)
            self._plan(task)
            task.start_submission(now)
            self.wecom.commit(task)
            if task.state == TaskState.SUBMITTING:
                self._hand_over(task, api, budget=INLINE_PARTS)
        elif task.state == TaskState.SUBMITTING:
            if now - task.modified_on < RESUME_AFTER:
                return False  # a request may still be handing parts over
            self._hand_over(task, self.corps.api_of(tenant_id), budget=INLINE_PARTS)
        elif task.state == TaskState.SUBMITTED and collect:
            self._collect(task, self.corps.api_of(tenant_id))
        return task.version != version

    # --- planning ---------------------------------------------------------------------------

    def _plan(self, task: MassSendTask) -> bool:
        tenant_id = task.tenant_id
        accounts = self.accounts.purchased(tenant_id) if task.all_staff else None
        reach = reach_of(
            self.members.candidates(tenant_id),
            accounts=accounts,
            all_staff=task.all_staff,
            named=task.audience.get("userids") or (),
        )
        customers: dict[str, int] = {}
        if task.target == Target.CUSTOMERS:
            if has_filter(task.audience):
                reached, left_out = [], list(reach.left_out)
                for userid in reach.reached:
                    matched = self.audience.customers_of(tenant_id, userid, task.audience)
                    if matched:
                        reached.append(userid)
                        customers[userid] = len(matched)
                    else:
                        left_out.append((userid, LeftOut.NO_CUSTOMERS))
                reach = Reach(tuple(reached), tuple(left_out))
            else:
                customers = self.audience.customer_counts(tenant_id, reach.reached)
        return task.record_plan(reach, accounts=accounts, customers=customers, at=self.clock.now())

    # --- handing parts to WeCom -------------------------------------------------------------

    def _hand_over(self, task: MassSendTask, api: WecomApi, *, budget: int) -> None:
        if task.target == Target.MOMENTS:
            self._hand_over_moment(task, api)
            return
        text = str(task.content.get("text") or "")
        attachments = _attachments(task.content)
        for userid in task.waiting_parts()[:budget]:
            try:
                self._hand_over_part(task, api, userid, text, attachments)
            except WecomRateLimited:
                log.info("mass send %s: WeCom rate-limits; the rest later", task.id)
                return
            except WecomRefused as refused:
                task.refuse_part(userid, f"{refused.errcode} {refused.errmsg}", at=self.clock.now())
            except ProviderUnavailable:
                log.info("mass send %s: WeCom unreachable; the rest later", task.id)
                return
            if not self._saved(task):
                return

    def _hand_over_part(
        self,
        task: MassSendTask,
        api: WecomApi,
        userid: str,
        text: str,
        attachments: list[WelcomeAttachment],
    ) -> None:
        now = self.clock.now()
        if task.target == Target.GROUPS:
            made = api.mass_send(userid, None, text, attachments=attachments, chat_type="group")
            task.record_part(userid, msgids=[made.msgid], failed=[], targets=0, at=now)
            return
        if not has_filter(task.audience):
            made = api.mass_send(userid, None, text, attachments=attachments)
            task.record_part(userid, msgids=[made.msgid], failed=made.failed, targets=0, at=now)
            return
        customers = self.audience.customers_of(task.tenant_id, userid, task.audience)
        if not customers:  # they lost every matching customer since the plan
            task.refuse_part(userid, LeftOut.NO_CUSTOMERS.value, at=now)
            return
        msgids: list[str] = []
        failed: list[str] = []
        for chunk in customer_chunks(customers):
            made = api.mass_send(userid, chunk, text, attachments=attachments)
            msgids.append(made.msgid)
            failed.extend(made.failed)
        task.record_part(userid, msgids=msgids, failed=failed, targets=len(customers), at=now)

    def _hand_over_moment(self, task: MassSendTask, api: WecomApi) -> None:
        now = self.clock.now()
        try:
            if not task.moment_jobid:
                tags = list(task.audience.get("tags") or ())
                ids = {tag.name: tag.id for tag in api.corp_tags()} if tags else {}
                unknown = [t for t in tags if t not in ids]
                if unknown:  # a post seen by more customers than meant is worse than none
                    for userid in task.waiting_parts():
                        task.refuse_part(userid, f"no corp tag {unknown[0]}", at=now)
                    self._saved(task)
                    return
                jobid = api.add_moment_task(
                    str(task.content.get("text") or ""),
                    _attachments(task.content),
                    userids=task.waiting_parts(),
                    tag_ids=[ids[t] for t in tags],
                )
                task.start_moment_job(jobid)
                if not self._saved(task):
                    return
            result = api.moment_task_result(task.moment_jobid)
        except WecomRefused as refused:
            if isinstance(refused, WecomRateLimited) or task.moment_jobid:
                return  # asked again next round
            for userid in task.waiting_parts():
                task.refuse_part(userid, f"{refused.errcode} {refused.errmsg}", at=now)
            self._saved(task)
            return
        except ProviderUnavailable:
            return
        if not result.done:
            return
        if not result.moment_id:
            for userid in task.waiting_parts():
                task.refuse_part(userid, "WeCom refused the Moments post", at=now)
        else:
            task.record_moment(result.moment_id, invalid=result.invalid_userids, at=now)
        self._saved(task)

    # --- collecting results -------------------------------------------------------------------

    def _collect(self, task: MassSendTask, api: WecomApi) -> None:
        now = self.clock.now()
        try:
            if task.target == Target.MOMENTS:
                self._collect_moment(task, api, now)
            else:
                for userid in task.unsent_parts():
                    self._collect_part(task, api, userid, now)
        except ProviderUnavailable as unavailable:  # refusals and rate limits alike
            log.info("mass send %s: results later (%s)", task.id, unavailable)
        task.close_collection(now)
        self._saved(task)

    def _collect_part(self, task: MassSendTask, api: WecomApi, userid: str, now: datetime) -> None:
        msgids = list(task.parts[userid]["msgids"])
        sent_at: datetime | None = None
        for msgid in msgids:
            senders = _walk(partial(api.mass_send_senders, msgid))
            mine = next((s for s in senders if s.userid == userid), None)
            if mine is None or mine.status != 2:
                return  # not sent yet (every call of their part must be)
            if mine.send_time is not None and (sent_at is None or mine.send_time > sent_at):
                sent_at = mine.send_time
        results: list[tuple[str, int]] = []
        for msgid in msgids:
            for result in _walk(partial(api.mass_send_results, msgid, userid)):
                results.append((result.chat_id or result.external_userid, result.status))
        task.record_sent(userid, sent_at=sent_at, results=results, at=now)

    def _collect_moment(self, task: MassSendTask, api: WecomApi, now: datetime) -> None:
        waiting = task.unsent_parts()
        if not waiting:
            return
        moment_id = task.parts[waiting[0]]["msgids"][0]
        for publisher in _walk(partial(api.moment_publishers, moment_id)):
            if publisher.published and publisher.userid in waiting:
                task.record_sent(publisher.userid, sent_at=None, results=[], at=now)

    # --- loading and answers ----------------------------------------------------------------

    def _load(
        self, tenant_id: UUID, task_id: UUID, expected_version: int | None = None
    ) -> MassSendTask:
        return self.wecom.load(
            task_id, MassSendTask, tenant_id=tenant_id, expected_version=expected_version
        )

    def _saved(self, task: MassSendTask) -> bool:
        """Commit what the task recorded; False when someone else changed it meanwhile
        (they carry on; this round stops)."""
        try:
            self.wecom.commit(task)
        except VersionConflict:
            log.info("mass send %s changed meanwhile; left to the next round", task.id)
            return False
        return True

    def _details(self, task: MassSendTask) -> WecomMassSendDetails:
        plan = None
        if task.plan is not None:
            left = [(str(u), str(r)) for u, r in task.plan["left_out"]]
            names = self.members.names_of(task.tenant_id, [u for u, _ in left])
            counts: dict[str, int] = {}
            for _u, reason in left:
                counts[reason] = counts.get(reason, 0) + 1
            plan = MassSendPlan(
                planned_at=datetime.fromisoformat(task.plan["at"]),
                accounts=task.plan["accounts"],
                reached=list(task.plan["reached"]),
                left_out=[
                    LeftOutEmployee(userid=u, name=names.get(u, ""), reason=r) for u, r in left
                ],
                left_out_by_reason=counts,
            )
        return WecomMassSendDetails(
            id=task.id,
            name=task.name,
            target=task.target,  # type: ignore[arg-type]
            state=task.state,  # type: ignore[arg-type]
            content=MassContent(**task.content),
            audience=task.audience,  # type: ignore[arg-type]
            send_at=datetime.fromisoformat(task.send_at) if task.send_at else None,
            plan=plan,
            parts=part_counts(task),
            customers=customer_counts(task),
            submitted_at=_moment(task.submitted_at),
            finished_at=_moment(task.finished_at),
            finish_reason=task.finish_reason,
            cancel_reason=task.cancel_reason,
            version=task.version,
            created_at=task.created_on,
        )


def part_counts(task: MassSendTask) -> PartCounts:
    states = [p["state"] for p in task.parts.values()]
    reached = task.reached
    return PartCounts(
        reached=len(reached),
        left_out=len(task.plan["left_out"]) if task.plan else 0,
        waiting=states.count(PartState.SUBMITTED),
        sent=states.count(PartState.SENT),
        failed=states.count(PartState.FAILED),
        not_sent=states.count(PartState.NOT_SENT),
    )


def customer_counts(task: MassSendTask) -> dict[str, int]:
    """Customers (or groups) per result over every part sent, and those WeCom would not
    include (`excluded`)."""
    counts: dict[str, int] = {}
    for part in task.parts.values():
        for name, n in (part.get("outcome") or {}).items():
            counts[name] = counts.get(name, 0) + int(n)
        if part.get("failed"):
            counts["excluded"] = counts.get("excluded", 0) + int(part["failed"])
    return {name: counts[name] for name in (*RESULT_NAMES.values(), "excluded") if name in counts}


def _attachments(content: Mapping[str, Any]) -> list[WelcomeAttachment]:
    return [
        WelcomeAttachment(**{k: str(v) for k, v in a.items()})
        for a in content.get("attachments") or ()
    ]


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _walk(fetch: Callable[[str], WecomPage[T]]) -> list[T]:
    """Every item of a list WeCom pages by cursor (stopping if it repeats a cursor)."""
    items: list[T] = []
    cursor, seen = "", set()
    for _ in range(MAX_PAGES):
        page = fetch(cursor)
        items.extend(page.items)
        if not page.next_cursor or page.next_cursor in seen:
            break
        seen.add(page.next_cursor)
        cursor = page.next_cursor
    return items


class Exclusive(Protocol):
    """A lock one process holds at a time (an advisory lock or a lock file)."""

    def acquire(self) -> bool:
        """Whether this process holds it now."""
        ...


@dataclass
class RoundReport:
    """What a worker round did: tasks it looked at and changed."""

    looked_at: int = 0
    changed: int = 0
    more: bool = False

    @property
    def busy(self) -> bool:
        return self.more or self.changed > 0

    @property
    def sent(self) -> int:
        return self.changed


class MassSendRounds:
    """The worker's round over every tenant's pending tasks (run by a `SendWorker`):
    scheduled tasks submitted when due, submissions resumed, results collected every
    `poll_seconds` per task. One process runs rounds at a time (`guard`)."""

    def __init__(
        self,
        sends: MassSends,
        queries: MassSendQueries,
        clock: Clock,
        guard: Exclusive,
        *,
        poll_seconds: float = POLL_SECONDS,
        batch: int = 20,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sends = sends
        self.queries = queries
        self.clock = clock
        self.guard = guard
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.monotonic = monotonic
        self._held = False
        self._after: UUID | None = None
        self._polled: dict[UUID, float] = {}

    def run_once(self) -> RoundReport:
        report = RoundReport()
        if not self._held:
            self._held = self.guard.acquire()
            if not self._held:
                return report
        pending = self.queries.pending(self.clock.now(), after=self._after, limit=self.batch)
        report.more = len(pending) == self.batch
        self._after = pending[-1][1] if report.more else None
        now = self.monotonic()
        for tenant_id, task_id in pending:
            report.looked_at += 1
            collect = now - self._polled.get(task_id, float("-inf")) >= self.poll_seconds
            try:
                if self.sends.advance(tenant_id, task_id, collect=collect):
                    report.changed += 1
            except NotFound:  # the corp was unbound meanwhile: nothing to do until rebound
                log.info("mass send %s: the tenant has no bound corp", task_id)
            except Exception:  # one task's trouble does not stop the others
                log.exception("mass send %s: round failed", task_id)
            if collect:
                self._polled[task_id] = now
        return report
