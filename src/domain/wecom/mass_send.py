"""Mass sends through employees' mass-send assistant (群发助手, WECOM-2), and who they
reach (WECOM-5, `domain.wecom.visible_range`).

A task goes to one of three targets, as WeCom's API has them:

- customers (客户群发, `chat_type` single): each reached employee's customers, all of
  them or those with the tags / added in the time range of the filter;
- customer groups (客户群群发, `chat_type` group): the groups each reached employee owns;
- Moments (朋友圈): one post the reached employees publish to their customers (those
  with the tags, when tags are given).

WeCom hands each employee their part in the assistant; the employee confirms it (or
not), and WeCom reports per employee and per customer (or group). Content is a text
(≤ 4,000 bytes) and attachments: up to 9 images, links or mini programs for messages;
for Moments up to 9 images or one link, not mixed (WeCom's limits).

States: draft → (scheduled →) submitting (each employee's part handed to WeCom, its
msgid recorded) → submitted (results collected as employees send) → finished (every
part sent, or the collection window closed); a draft or a scheduled task can be
cancelled. The plan (who is reached, who is left out and why) is recorded on the task
and fixed when the submission starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text
from domain.wecom.visible_range import Reach
from domain.wecom.welcome import Attachment, AttachmentKind

MAX_NAME = 64
MAX_TEXT_BYTES = 4000  # WeCom: text.content 最长为4000个字节
MAX_ATTACHMENTS = 9  # WeCom: attachments 最多支持添加9个附件
MAX_MOMENT_IMAGES = 9  # WeCom Moments: 9 images, or 1 video, or 1 link
MAX_EMPLOYEES = 10_000
MAX_TAGS = 100
MAX_USERID = 64
CUSTOMERS_PER_CALL = 10_000  # WeCom: external_userid 最多可一次指定1万个客户
# How long results are collected after the submission: an employee who has not sent
# their part by then is recorded as not sent (WeCom keeps the task; we stop asking).
COLLECTION_WINDOW = timedelta(days=3)
MAX_REASON = 300


class Target(StrEnum):
    CUSTOMERS = "customers"  # 群发客户 (chat_type single)
    GROUPS = "groups"  # 群发客户群 (chat_type group)
    MOMENTS = "moments"  # 朋友圈


class Scope(StrEnum):
    EMPLOYEES = "employees"  # the employees listed
    ALL_STAFF = "all_staff"  # 全员: limited by the visible range and the accounts (WECOM-5)


class TaskState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # submitted for a later time; the worker submits it then
    SUBMITTING = "submitting"  # employees' parts being handed to WeCom
    SUBMITTED = "submitted"  # every part handed over; results collected as they come
    FINISHED = "finished"
    CANCELLED = "cancelled"


class PartState(StrEnum):
    """One employee's part: handed to WeCom and waiting for them (shown as not sent
    yet), sent by them, refused by WeCom, or not sent when collection ended."""

    SUBMITTED = "submitted"
    SENT = "sent"
    FAILED = "failed"
    NOT_SENT = "not_sent"


class Finish(StrEnum):
    ALL_SENT = "all_sent"
    ALL_REFUSED = "all_refused"  # WeCom refused every employee's part
    WINDOW_CLOSED = "window_closed"
    NOBODY_REACHED = "nobody_reached"


# WeCom's per-customer (or per-group) status of a sent part.
RESULT_NAMES = {0: "not_sent", 1: "sent", 2: "not_friend", 3: "received_already"}


def checked_content(target: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """A text, attachments, or both, within WeCom's limits for the target."""
    text = str(content.get("text") or "").strip()
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise InvalidValue(
            f"the text must be at most {MAX_TEXT_BYTES} bytes (about 1,300 汉字)",
            field="content.text",
        )
    raw = content.get("attachments") or []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise InvalidValue("attachments must be a list", field="content.attachments")
    if len(raw) > MAX_ATTACHMENTS:
        raise InvalidValue(f"at most {MAX_ATTACHMENTS} attachments", field="content.attachments")
    attachments = []
    for n, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InvalidValue("an attachment is an object", field=f"content.attachments.{n}")
        try:
            attachments.append(Attachment.checked(item))
        except InvalidValue as invalid:
            where = (invalid.field or "attachment").replace("attachment", "", 1).lstrip(".")
            field = f"content.attachments.{n}" + (f".{where}" if where else "")
            raise InvalidValue(invalid.message, field=field) from None
    if not text and not attachments:
        raise InvalidValue("a mass send needs a text or an attachment", field="content.text")
    if target == Target.MOMENTS:
        kinds = {a.kind for a in attachments}
        if AttachmentKind.MINIPROGRAM in kinds:
            raise InvalidValue("Moments take images or a link", field="content.attachments")
        if len(kinds) > 1:
            raise InvalidValue(
                "Moments take images or one link, not both", field="content.attachments"
            )
        if AttachmentKind.LINK in kinds and len(attachments) > 1:
            raise InvalidValue("Moments take one link", field="content.attachments")
        if any(a.kind == AttachmentKind.IMAGE and not a.media_id for a in attachments):
            raise InvalidValue(
                "Moments images are uploaded to WeCom first (media_id)",
                field="content.attachments",
            )
        if len(attachments) > MAX_MOMENT_IMAGES:
            raise InvalidValue(
                f"Moments take at most {MAX_MOMENT_IMAGES} images", field="content.attachments"
            )
    return {"text": text, "attachments": [a.as_dict() for a in attachments]}


def checked_audience(target: str, audience: Mapping[str, Any]) -> dict[str, Any]:
    """The employees (listed, or all staff) and, for customers, a filter of their
    customers: any of `tags`, none of `exclude_tags`, added from/to (ISO-8601 with a
    zone). Moments filter by `tags` only (WeCom's visible range of a post); groups by
    nothing."""
    try:
        scope = Scope(str(audience.get("scope") or Scope.EMPLOYEES.value))
    except ValueError:
        raise InvalidValue(
            "scope must be 'employees' or 'all_staff'", field="audience.scope"
        ) from None
    userids = _userids(audience.get("userids") or [])
    if scope == Scope.EMPLOYEES and not userids:
        raise InvalidValue("name the employees, or send to all staff", field="audience.userids")
    if scope == Scope.ALL_STAFF and userids:
        raise InvalidValue("an all-staff task lists no employees", field="audience.userids")
    tags = _tags(audience.get("tags"), "audience.tags")
    exclude = _tags(audience.get("exclude_tags"), "audience.exclude_tags")
    added_from = _moment(audience.get("added_from"), "audience.added_from")
    added_to = _moment(audience.get("added_to"), "audience.added_to")
    if added_from and added_to and added_from > added_to:
        raise InvalidValue("added_from must not be after added_to", field="audience.added_from")
    if target == Target.GROUPS and (tags or exclude or added_from or added_to):
        raise InvalidValue("a group send has no customer filter", field="audience.tags")
    if target == Target.MOMENTS and (exclude or added_from or added_to):
        raise InvalidValue("Moments filter customers by tags only", field="audience.exclude_tags")
    if set(tags) & set(exclude):
        raise InvalidValue("a tag is both wanted and excluded", field="audience.exclude_tags")
    return {
        "scope": scope.value,
        "userids": userids,
        "tags": tags,
        "exclude_tags": exclude,
        "added_from": added_from,
        "added_to": added_to,
    }


def customer_chunks(customers: Sequence[str]) -> list[list[str]]:
    """An employee's customers in WeCom's calls of at most 10,000."""
    return [
        list(customers[start : start + CUSTOMERS_PER_CALL])
        for start in range(0, len(customers), CUSTOMERS_PER_CALL)
    ]


def collection_over(submitted_at: datetime, now: datetime) -> bool:
    return now - submitted_at >= COLLECTION_WINDOW


def _userids(raw: Any) -> list[str]:
    if not isinstance(raw, list):
        raise InvalidValue("userids must be a list", field="audience.userids")
    if len(raw) > MAX_EMPLOYEES:
        raise InvalidValue(f"at most {MAX_EMPLOYEES} employees a task", field="audience.userids")
    return sorted(
        {required_text(str(u), field="audience.userids", max_length=MAX_USERID) for u in raw}
    )


def _tags(raw: Any, field: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_TAGS:
        raise InvalidValue(f"{field} is a list of at most {MAX_TAGS} tags", field=field)
    return sorted({required_text(str(t), field=field, max_length=64) for t in raw})


def _moment(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(f"{field} must be an ISO-8601 time", field=field) from None
    if moment.tzinfo is None:
        raise InvalidValue(f"{field} needs a time zone", field=field)
    return moment.isoformat()


class MassSendTask(Aggregate):
    """One mass send (群发任务) of the tenant's corp."""

    TOPIC = "wecom.MassSendTask"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Drafted: ClassVar[type[AggregateEvent]]
        Planned: ClassVar[type[AggregateEvent]]
        Scheduled: ClassVar[type[AggregateEvent]]
        SubmissionStarted: ClassVar[type[AggregateEvent]]
        PartSubmitted: ClassVar[type[AggregateEvent]]
        PartRefused: ClassVar[type[AggregateEvent]]
        MomentJobStarted: ClassVar[type[AggregateEvent]]
        Submitted: ClassVar[type[AggregateEvent]]
        PartSent: ClassVar[type[AggregateEvent]]
        Finished: ClassVar[type[AggregateEvent]]
        Cancelled: ClassVar[type[AggregateEvent]]

    @classmethod
    def draft(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        name: str,
        target: str,
        content: Mapping[str, Any],
        audience: Mapping[str, Any],
        send_at: datetime | None,
    ) -> MassSendTask:
        """A draft: nothing reaches WeCom until `submit`."""
        try:
            chosen = Target(target)
        except ValueError:
            raise InvalidValue(
                "target must be customers, groups or moments", field="target"
            ) from None
        if send_at is not None and send_at.tzinfo is None:
            raise InvalidValue("send_at needs a time zone", field="send_at")
        return cls(
            id=id,
            tenant_id=tenant_id,
            name=required_text(name, field="name", max_length=MAX_NAME),
            target=chosen.value,
            content=checked_content(chosen, content),
            audience=checked_audience(chosen, audience),
            send_at=send_at.isoformat() if send_at else None,
        )

    @event("Drafted", topic="wecom.MassSendTask.Drafted")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        name: str,
        target: str,
        content: dict[str, Any],
        audience: dict[str, Any],
        send_at: str | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.target = target
        self.content = content
        self.audience = audience
        self.send_at = send_at
        self.state = TaskState.DRAFT.value
        self.plan: dict[str, Any] | None = None
        self.submission_started_at: str | None = None
        self.submitted_at: str | None = None
        self.finished_at: str | None = None
        self.finish_reason = ""
        self.cancel_reason = ""
        self.parts: dict[str, dict[str, Any]] = {}  # by userid
        self.moment_jobid = ""

    # --- reading -------------------------------------------------------------------------

    @property
    def all_staff(self) -> bool:
        return bool(self.audience.get("scope") == Scope.ALL_STAFF)

    @property
    def reached(self) -> list[str]:
        return list(self.plan["reached"]) if self.plan else []

    def due(self, now: datetime) -> bool:
        """Whether a scheduled task's time has come."""
        return self.state == TaskState.SCHEDULED and (
            self.send_at is None or datetime.fromisoformat(self.send_at) <= now
        )

    def waiting_parts(self) -> list[str]:
        """Reached employees whose part has no outcome of the submission yet."""
        return [u for u in self.reached if u not in self.parts]

    def unsent_parts(self) -> list[str]:
        """Employees whose part WeCom has and who have not sent it yet."""
        return sorted(u for u, p in self.parts.items() if p["state"] == PartState.SUBMITTED)

    # --- planning and submitting ---------------------------------------------------------

    def record_plan(
        self,
        reach: Reach,
        *,
        accounts: int | None,
        customers: Mapping[str, int],
        at: datetime,
    ) -> bool:
        """Who the task reaches now (and who is left out, why); fixed once submitting.
        True when it changed."""
        if self.state not in (TaskState.DRAFT, TaskState.SCHEDULED):
            raise StateConflict(f"a {self.state} task's plan is fixed", field="state")
        reached = list(reach.reached)
        left_out = [[userid, reason.value] for userid, reason in reach.left_out]
        counts = {u: int(customers.get(u, 0)) for u in reached if u in customers}
        plan = {"reached": reached, "left_out": left_out, "accounts": accounts, "customers": counts}
        if self.plan is not None and {k: v for k, v in self.plan.items() if k != "at"} == plan:
            return False
        self._planned(
            at=at.isoformat(),
            accounts=accounts,
            reached=reached,
            left_out=left_out,
            customers=counts,
        )
        return True

    @event("Planned", topic="wecom.MassSendTask.Planned")
    def _planned(
        self,
        at: str,
        accounts: int | None,
        reached: list[str],
        left_out: list[list[str]],
        customers: dict[str, int],
    ) -> None:
        self.plan = {
            "at": at,
            "reached": reached,
            "left_out": left_out,
            "accounts": accounts,
            "customers": customers,
        }

    def submit(self, at: datetime) -> None:
        """Send now, or at `send_at` when that is later (then the worker submits it)."""
        if self.state != TaskState.DRAFT:
            raise StateConflict(f"a {self.state} task cannot be submitted", field="state")
        if self.send_at is not None and datetime.fromisoformat(self.send_at) > at:
            self._scheduled(at=at.isoformat())
            return
        self.start_submission(at)

    @event("Scheduled", topic="wecom.MassSendTask.Scheduled")
    def _scheduled(self, at: str) -> None:
        self.state = TaskState.SCHEDULED.value

    def start_submission(self, at: datetime) -> None:
        """Hand the parts to WeCom from now on: the plan is fixed. A plan that reaches
        nobody finishes the task instead (nothing to send)."""
        if self.state not in (TaskState.DRAFT, TaskState.SCHEDULED):
            raise StateConflict(f"a {self.state} task cannot be submitted", field="state")
        if self.plan is None:
            raise StateConflict("plan the task before submitting it", field="state")
        if not self.plan["reached"]:
            if self.state == TaskState.DRAFT:
                raise StateConflict(
                    "the task reaches nobody: see who is left out and why", field="audience"
                )
            self._finished(at=at.isoformat(), reason=Finish.NOBODY_REACHED.value)
            return
        self._submission_started(at=at.isoformat())

    @event("SubmissionStarted", topic="wecom.MassSendTask.SubmissionStarted")
    def _submission_started(self, at: str) -> None:
        self.state = TaskState.SUBMITTING.value
        self.submission_started_at = at

    def record_part(
        self, userid: str, *, msgids: Sequence[str], failed: Sequence[str], targets: int,
        at: datetime,
    ) -> None:  # fmt: skip
        """WeCom took the employee's part (one msgid per call; `failed` are the
        customers it would not include; `targets` how many were named, 0 for "all")."""
        self._require_waiting(userid)
        self._part_submitted(
            userid=userid, msgids=list(msgids), failed=sorted(failed), targets=targets
        )
        self._maybe_submitted(at)

    @event("PartSubmitted", topic="wecom.MassSendTask.PartSubmitted")
    def _part_submitted(
        self, userid: str, msgids: list[str], failed: list[str], targets: int
    ) -> None:
        self.parts[userid] = {
            "state": PartState.SUBMITTED.value,
            "msgids": msgids,
            "failed": len(failed),
            "targets": targets,
            "sent_at": None,
            "outcome": {},
            "reason": "",
        }

    def refuse_part(self, userid: str, reason: str, *, at: datetime) -> None:
        """WeCom refused the employee's part (e.g. not in the visible range any more)."""
        self._require_waiting(userid)
        self._part_refused(userid=userid, reason=reason.strip()[:MAX_REASON] or "refused")
        self._maybe_submitted(at)

    @event("PartRefused", topic="wecom.MassSendTask.PartRefused")
    def _part_refused(self, userid: str, reason: str) -> None:
        self.parts[userid] = {
            "state": PartState.FAILED.value,
            "msgids": [],
            "failed": 0,
            "targets": 0,
            "sent_at": None,
            "outcome": {},
            "reason": reason,
        }

    def start_moment_job(self, jobid: str) -> None:
        """Moments: WeCom took the post as one job for every reached employee; which of
        them it accepted comes with the job's result (`record_moment`)."""
        if self.target != Target.MOMENTS or self.state != TaskState.SUBMITTING:
            raise StateConflict("only a Moments task being submitted has a job", field="state")
        if self.moment_jobid:
            return
        self._moment_job_started(jobid=required_text(jobid, field="jobid", max_length=128))

    @event("MomentJobStarted", topic="wecom.MassSendTask.MomentJobStarted")
    def _moment_job_started(self, jobid: str) -> None:
        self.moment_jobid = jobid

    def record_moment(self, moment_id: str, *, invalid: Sequence[str], at: datetime) -> None:
        """The Moments job is done: every reached employee WeCom accepted has the post
        to publish; those it named invalid are refused."""
        if not self.moment_jobid or self.state != TaskState.SUBMITTING:
            raise StateConflict("no Moments job is waiting", field="state")
        refused = set(invalid)
        for userid in self.waiting_parts():
            if userid in refused:
                self._part_refused(userid=userid, reason="WeCom: not a valid sender")
            else:
                self._part_submitted(userid=userid, msgids=[moment_id], failed=[], targets=0)
        self._maybe_submitted(at)

    def _require_waiting(self, userid: str) -> None:
        if self.state != TaskState.SUBMITTING:
            raise StateConflict(f"a {self.state} task takes no submissions", field="state")
        if userid not in self.reached:
            raise InvalidValue(f"{userid} is not reached by the task", field="userid")
        if userid in self.parts:
            raise StateConflict(f"{userid}'s part was handed over already", field="userid")

    def _maybe_submitted(self, at: datetime) -> None:
        if self.state == TaskState.SUBMITTING and not self.waiting_parts():
            self._submitted(at=at.isoformat())
            if not self.unsent_parts():  # WeCom refused every part
                self._finished(at=at.isoformat(), reason=Finish.ALL_REFUSED.value)

    @event("Submitted", topic="wecom.MassSendTask.Submitted")
    def _submitted(self, at: str) -> None:
        self.state = TaskState.SUBMITTED.value
        self.submitted_at = at

    # --- results -------------------------------------------------------------------------

    def record_sent(
        self,
        userid: str,
        *,
        sent_at: datetime | None,
        results: Sequence[tuple[str, int]],
        at: datetime,
    ) -> bool:
        """The employee sent their part: WeCom's status for each customer (or group) of
        it. A repeat changes nothing (False)."""
        part = self.parts.get(userid)
        if self.state != TaskState.SUBMITTED or part is None:
            return False
        if part["state"] != PartState.SUBMITTED:
            return False
        rows = [[str(key), int(status)] for key, status in results]
        self._part_sent(
            userid=userid, sent_at=sent_at.isoformat() if sent_at else None, results=rows
        )
        if not self.unsent_parts():
            self._finished(at=at.isoformat(), reason=Finish.ALL_SENT.value)
        return True

    @event("PartSent", topic="wecom.MassSendTask.PartSent")
    def _part_sent(self, userid: str, sent_at: str | None, results: list[list[Any]]) -> None:
        outcome: dict[str, int] = {}
        for _key, status in results:
            name = RESULT_NAMES.get(int(status), "not_sent")
            outcome[name] = outcome.get(name, 0) + 1
        self.parts[userid] = {
            **self.parts[userid],
            "state": PartState.SENT.value,
            "sent_at": sent_at,
            "outcome": outcome,
        }

    def close_collection(self, at: datetime) -> bool:
        """Stop collecting once the window has passed: parts not sent stay not sent."""
        if self.state != TaskState.SUBMITTED or self.submitted_at is None:
            return False
        if not collection_over(datetime.fromisoformat(self.submitted_at), at):
            return False
        self._finished(at=at.isoformat(), reason=Finish.WINDOW_CLOSED.value)
        return True

    @event("Finished", topic="wecom.MassSendTask.Finished")
    def _finished(self, at: str, reason: str) -> None:
        self.state = TaskState.FINISHED.value
        self.finished_at = at
        self.finish_reason = reason
        for part in self.parts.values():
            if part["state"] == PartState.SUBMITTED:
                part["state"] = PartState.NOT_SENT.value

    def cancel(self, at: datetime, reason: str = "") -> None:
        """Cancel before anything was handed to WeCom (a draft or a scheduled task)."""
        if self.state not in (TaskState.DRAFT, TaskState.SCHEDULED):
            raise StateConflict(
                f"a {self.state} task cannot be cancelled: WeCom has it", field="state"
            )
        self._cancelled(at=at.isoformat(), reason=reason.strip()[:MAX_REASON])

    @event("Cancelled", topic="wecom.MassSendTask.Cancelled")
    def _cancelled(self, at: str, reason: str) -> None:
        self.state = TaskState.CANCELLED.value
        self.finished_at = at
        self.cancel_reason = reason
