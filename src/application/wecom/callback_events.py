"""The events WeCom (企业微信) calls back with that the SCRM acts on (issue 20,
deliverable 2 "Callbacks"; WECOM-1…5), in the domain's words.

WeCom posts them, signed and AES-encrypted, to the app's callback URL; the adapter
(`adapters.wecom.callbacks`) checks the signature, decrypts the body and hands over one
of these frozen records of primitives: a customer added (auto-tag, welcome message,
attach or create the lead by external_userid), a customer deleted by the employee or
the employee deleted by the customer (churn), a customer's details edited, a customer
group created, changed or dismissed. Anything else is kept as an `UnknownEvent`, not
an error: WeCom adds events over time and answering them with an error would only make
WeCom retry.

WeCom retries a callback it got no answer to (three times, a few seconds apart) with
the same content, so a duplicated callback must change nothing: each event has a
`dedup_key`, the same for every copy of one callback and different for two callbacks,
which the use case records as handled. The key names the corp (ToUserName), the event,
its change type, who or what changed and WeCom's CreateTime (seconds): one customer
adding two employees in the same second gives two callbacks, so customer keys name the
employee as well, and group keys the kind of update and WeCom's member version.

A callback whose signature is not the corp's, or whose body cannot be decrypted or read,
raises `CallbackRejected` (the endpoint answers 401 and records nothing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal


class CallbackRejected(Exception):
    """A callback that is not the corp's or cannot be read: `reason` says why. Nothing
    about it may be recorded."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CustomerAdded:
    """An employee (`userid`) and a customer (`external_userid`) became contacts
    (add_external_contact). `state` is the channel the "contact me" code carried ("" if
    none); `welcome_code` lets the welcome message go out once, within 20 seconds (""
    when WeCom gives none: the employee already sent one, or the customer came another
    way). `awaiting_employee` when the customer added an employee who skips
    verification and the employee has not confirmed yet (add_half_external_contact)."""

    corp_id: str
    userid: str
    external_userid: str
    state: str
    welcome_code: str
    at: datetime
    awaiting_employee: bool = False

    @property
    def dedup_key(self) -> str:
        change = "add_half_external_contact" if self.awaiting_employee else "add_external_contact"
        return _contact_key(self.corp_id, change, self.userid, self.external_userid, self.at)


@dataclass(frozen=True)
class CustomerDeletedByEmployee:
    """The employee deleted the customer (删除客户, del_external_contact): churn, unless
    `by_transfer` (WeCom deletes the old employee's contact when a customer is handed
    over to another employee: the customer stays with the corp)."""

    corp_id: str
    userid: str
    external_userid: str
    at: datetime
    by_transfer: bool = False

    @property
    def dedup_key(self) -> str:
        return _contact_key(
            self.corp_id, "del_external_contact", self.userid, self.external_userid, self.at
        )


@dataclass(frozen=True)
class EmployeeDeletedByCustomer:
    """The customer deleted the employee (被客户删除, del_follow_user): churn."""

    corp_id: str
    userid: str
    external_userid: str
    at: datetime

    @property
    def dedup_key(self) -> str:
        return _contact_key(
            self.corp_id, "del_follow_user", self.userid, self.external_userid, self.at
        )


@dataclass(frozen=True)
class CustomerEdited:
    """The employee edited the customer's remark, tags or description
    (edit_external_contact): the details are fetched again (WeCom does not send them)."""

    corp_id: str
    userid: str
    external_userid: str
    at: datetime

    @property
    def dedup_key(self) -> str:
        return _contact_key(
            self.corp_id, "edit_external_contact", self.userid, self.external_userid, self.at
        )


GroupChange = Literal["create", "update", "dismiss"]


@dataclass(frozen=True)
class CustomerGroupChanged:
    """A customer group (客户群) was created, changed or dismissed (change_external_chat).
    For an update, `update_detail` says what changed (add_member, del_member,
    change_owner, change_name, change_notice) and, for members, `members` lists the
    userids or external_userids who joined or left as WeCom sent them (it may list
    fewer than `member_change_count`); `member_version` is WeCom's CurMemVer ("" if none)."""

    corp_id: str
    chat_id: str
    change: GroupChange
    at: datetime
    update_detail: str = ""
    members: tuple[str, ...] = ()
    member_change_count: int = 0
    member_version: str = ""

    @property
    def dedup_key(self) -> str:
        return ":".join(
            (
                self.corp_id,
                "change_external_chat",
                self.change,
                self.chat_id,
                self.update_detail,
                self.member_version,
                _seconds(self.at),
            )
        )


@dataclass(frozen=True)
class UnknownEvent:
    """A callback the SCRM does not act on (yet): kept with WeCom's `event` and
    `change_type` (or MsgType for a non-event message) and every top-level field, as
    WeCom sent it, sorted by name."""

    corp_id: str
    event: str
    change_type: str
    at: datetime
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def dedup_key(self) -> str:
        # Unknown events have no known identity: every field of the callback makes it.
        digest = hashlib.sha256(repr(self.fields).encode("utf-8")).hexdigest()[:32]
        return ":".join((self.corp_id, self.event, self.change_type, digest, _seconds(self.at)))


CallbackEvent = (
    CustomerAdded
    | CustomerDeletedByEmployee
    | EmployeeDeletedByCustomer
    | CustomerEdited
    | CustomerGroupChanged
    | UnknownEvent
)


def _contact_key(corp_id: str, change: str, userid: str, external_userid: str, at: datetime) -> str:
    return ":".join(
        (corp_id, "change_external_contact", change, external_userid, userid, _seconds(at))
    )


def _seconds(at: datetime) -> str:
    # WeCom's CreateTime, which is whole seconds.
    return str(int(at.timestamp()))
