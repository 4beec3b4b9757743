"""Ports of the WeCom (企业微信) SCRM context (WECOM-1…5): what its use cases need from
one corp's WeCom, as the app holding the customer-contact (客户联系) secret sees it.

The adapter is wechatpy's WeCom client against qyapi.weixin.qq.com (tests: a local
server answering in WeCom's documented JSON). It gets, caches and refreshes the
access_token itself and waits out WeCom's rate limit (45009) within bounds; what is
left for a caller is `WecomRateLimited` (still limited after the back-off), another
`WecomRefused` (WeCom's errcode and errmsg) or `ProviderUnavailable` (no answer).

Answers are small frozen records of primitives in WeCom's own terms (userid,
external_userid, chat_id…), so a use case never sees WeCom's JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from application.shared.errors import InvalidInput, ProviderUnavailable

# WeCom transfers at most 100 customers a call (on-job and resigned alike).
MAX_CUSTOMERS_PER_TRANSFER = 100
MAX_GROUPS_PER_TRANSFER = 100  # groupchat/transfer and onjob_transfer: chat_id_list
RATE_LIMITED = 45009

T = TypeVar("T")


class WecomRefused(ProviderUnavailable):
    """WeCom answered with an error code the adapter does not handle itself (token and
    rate-limit codes it does): `errcode` and `errmsg` are WeCom's."""

    code = "wecom_refused"

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeCom refused the call: {errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WecomRateLimited(WecomRefused):
    """WeCom kept answering its frequency limit (45009, or -1 "system busy") after the
    adapter's bounded back-off: nothing was done; try again later."""

    code = "wecom_rate_limited"

    def __init__(self, errcode: int, errmsg: str, *, retry_after: int = 1) -> None:
        super().__init__(errcode, errmsg)
        self.retry_after = retry_after


class TooManyCustomers(InvalidInput):
    """A transfer named more customers than WeCom takes in one call: nothing was sent
    (the caller splits the list into calls of at most `MAX_CUSTOMERS_PER_TRANSFER`)."""

    code = "too_many_customers"

    def __init__(self, count: int) -> None:
        super().__init__(
            f"WeCom transfers at most {MAX_CUSTOMERS_PER_TRANSFER} customers a call, not {count}",
            field="external_userids",
        )
        self.count = count


def transfer_batch(external_userids: Sequence[str]) -> tuple[str, ...]:
    """The customers of one transfer call, refused (`TooManyCustomers`) when WeCom would
    refuse them: every adapter checks here before calling."""
    batch = tuple(external_userids)
    if len(batch) > MAX_CUSTOMERS_PER_TRANSFER:
        raise TooManyCustomers(len(batch))
    return batch


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list WeCom pages by cursor; `next_cursor` is "" after the last."""

    items: tuple[T, ...]
    next_cursor: str = ""


@dataclass(frozen=True)
class WecomDepartment:
    """A department of the corp's contacts (通讯录); the root's `parent_id` is 0."""

    id: int
    name: str
    parent_id: int
    order: int = 0


@dataclass(frozen=True)
class WecomEmployee:
    """A member of the corp. `status`: 1 active, 2 disabled, 4 not yet activated,
    5 left (WeCom's codes). WeCom hands out `mobile` and `email` only to some apps: ""
    otherwise."""

    userid: str
    name: str
    department_ids: tuple[int, ...]
    status: int
    mobile: str = ""
    email: str = ""


@dataclass(frozen=True)
class CorpTag:
    """A customer tag. `id` is "" for an employee's personal tag (only corp tags have
    ids, and only corp tags can be marked through the API)."""

    id: str
    name: str
    group_name: str


@dataclass(frozen=True)
class FollowUser:
    """An employee who added the customer, with what they noted. `add_way` is WeCom's
    code for how (1 scanned a QR code, 2 searched a mobile number, …, 202 assigned by
    an admin); `state` is the channel a "contact me" code carried ("" if none)."""

    userid: str
    remark: str
    tags: tuple[CorpTag, ...]
    add_way: int
    createtime: datetime
    state: str = ""


@dataclass(frozen=True)
class ExternalContact:
    """A customer (外部联系人) and, page by page, the employees who follow them.
    `type`: 1 a WeChat user, 2 a WeCom user (then `corp_name` is their corp)."""

    external_userid: str
    name: str
    type: int
    corp_name: str = ""
    unionid: str = ""
    follow_users: tuple[FollowUser, ...] = ()
    next_cursor: str = ""  # more follow users after this page; "" on the last


@dataclass(frozen=True)
class CustomerGroup:
    """A customer group chat (客户群). `status`: 0 followed normally, 1 owner left and
    the group awaits inheritance, 2 being inherited, 3 inherited."""

    chat_id: str
    name: str
    owner: str
    member_count: int
    status: int = 0


@dataclass(frozen=True)
class ContactWay:
    """A "contact me" (联系我) configuration and its QR code's image URL."""

    config_id: str
    qr_code: str


@dataclass(frozen=True)
class WelcomeAttachment:
    """An attachment of a welcome message, in WeCom's fields: `kind` "link" (title, url,
    picurl, desc), "miniprogram" (title, appid, page, media_id: the cover's
    pic_media_id) or "image" (media_id, or url: WeCom's pic_url)."""

    kind: str
    title: str = ""
    url: str = ""
    picurl: str = ""
    desc: str = ""
    appid: str = ""
    page: str = ""
    media_id: str = ""


@dataclass(frozen=True)
class MassSendTask:
    """A mass-send task handed to employees' mass-send assistant (群发助手):
    `failed` are the customers WeCom would not include (not a customer of the sender,
    or over the limits)."""

    msgid: str
    failed: tuple[str, ...] = ()


@dataclass(frozen=True)
class MassSendSender:
    """One employee's part of a mass send. `status`: 0 not yet sent, 2 sent (the
    employee confirmed it in the assistant; WeCom's codes)."""

    userid: str
    status: int
    send_time: datetime | None = None


@dataclass(frozen=True)
class MassSendResult:
    """What became of a mass send for one customer (or, for a group send, one group:
    `chat_id`, and `external_userid` ""). `status`: 0 not sent, 1 sent, 2 not a
    customer (friend) any more, 3 the customer already got a mass send."""

    external_userid: str
    userid: str
    status: int
    send_time: datetime | None = None
    chat_id: str = ""


@dataclass(frozen=True)
class MomentTask:
    """A Moments (朋友圈) job of WeCom: `status` 1 started, 2 running, 3 done; once done,
    the post's `moment_id` and the senders WeCom would not take (`invalid_userids`)."""

    status: int
    moment_id: str = ""
    invalid_userids: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        return self.status == 3


@dataclass(frozen=True)
class MomentPublisher:
    """One employee's part of a Moments post: whether they published it yet."""

    userid: str
    published: bool


@dataclass(frozen=True)
class CustomerTransfer:
    """WeCom's answer for one customer of a transfer call: `errcode` 0 when the
    transfer was accepted (the takeover employee has 24 hours), else WeCom's reason."""

    external_userid: str
    errcode: int

    @property
    def accepted(self) -> bool:
        return self.errcode == 0


@dataclass(frozen=True)
class TransferResult:
    """How a transfer ended for one customer. `status`: 1 taken over, 2 waiting,
    3 the customer refused, 4 the takeover employee is at their customer limit,
    5 no such transfer (WeCom's codes)."""

    external_userid: str
    status: int
    takeover_time: datetime | None = None


@dataclass(frozen=True)
class GroupTransferFailure:
    """A customer group WeCom would not hand to the new owner, with its reason."""

    chat_id: str
    errcode: int
    errmsg: str = ""


class WecomApi(Protocol):
    """One corp's WeCom API. Raises `WecomRefused` (or `WecomRateLimited`) when WeCom
    refuses a call, `ProviderUnavailable` when it cannot be reached."""

    # --- contacts (通讯录) ----------------------------------------------------------------

    def departments(self) -> list[WecomDepartment]:
        """Every department the app may see (its visible range)."""
        ...

    def employees(self, department_id: int) -> list[WecomEmployee]:
        """The members directly in the department (not its sub-departments)."""
        ...

    # --- customers ----------------------------------------------------------------------

    def customers_of(self, userid: str) -> list[str]:
        """The external_userids of the employee's customers ([] when they have none)."""
        ...

    def customer(self, external_userid: str, cursor: str = "") -> ExternalContact:
        """The customer with one page of their follow users; pass `next_cursor` back
        for the next page (`whole_customer` walks them all)."""
        ...

    def customer_groups(self, cursor: str = "", limit: int = 100) -> Page[CustomerGroup]:
        """One page (at most `limit`, 1…1000) of the customer groups of the employees in
        the app's visible range."""
        ...

    # --- tags ---------------------------------------------------------------------------

    def corp_tags(self) -> list[CorpTag]:
        """The corp's customer tags, group by group (deleted ones left out)."""
        ...

    def mark_tags(
        self,
        userid: str,
        external_userid: str,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
    ) -> None:
        """Put corp tags (ids) on, or take them off, the customer as `userid` follows them."""
        ...

    # --- reaching customers -------------------------------------------------------------

    def send_welcome(
        self, welcome_code: str, text: str, attachments: Sequence[WelcomeAttachment] = ()
    ) -> None:
        """The welcome message of a new customer: `welcome_code` came with the "customer
        added" callback and is valid for 20 seconds, once. `text` may be "" when there
        is an attachment (at most 9)."""
        ...

    def add_contact_way(
        self,
        userids: Sequence[str],
        state: str = "",
        *,
        remark: str = "",
        skip_verify: bool = True,
    ) -> ContactWay:
        """A "contact me" QR code for one employee or rotating across several; `state`
        (≤ 30 characters) comes back on every customer added through it."""
        ...

    def update_contact_way(
        self,
        config_id: str,
        userids: Sequence[str],
        state: str = "",
        *,
        remark: str = "",
        skip_verify: bool = True,
    ) -> None:
        """Replace the code's user list (its QR image stays). A single employee's code
        (made with one userid) takes one userid; one made for several takes any number."""
        ...

    def delete_contact_way(self, config_id: str) -> None:
        """The code stops working (scanning it adds nobody)."""
        ...

    def add_join_way(
        self,
        chat_ids: Sequence[str],
        state: str = "",
        *,
        remark: str = "",
        auto_create_room: bool = False,
        room_base_name: str = "",
        room_base_id: int = 1,
    ) -> ContactWay:
        """A "join the group" (加入群聊) QR code over up to 5 customer groups, filled in
        turn (a group takes 200 members by QR code); `auto_create_room` makes a new
        group named `room_base_name` + number (from `room_base_id`) when all are full."""
        ...

    def update_join_way(
        self,
        config_id: str,
        chat_ids: Sequence[str],
        state: str = "",
        *,
        remark: str = "",
        auto_create_room: bool = False,
        room_base_name: str = "",
        room_base_id: int = 1,
    ) -> None:
        """Replace the join way's groups and settings (its QR image stays)."""
        ...

    def delete_join_way(self, config_id: str) -> None:
        """The join way stops working."""
        ...

    def mass_send(
        self,
        sender_userid: str | None,
        external_userids: Sequence[str] | None,
        text: str,
        *,
        attachments: Sequence[WelcomeAttachment] = (),
        chat_type: str = "single",
    ) -> MassSendTask:
        """A mass-send task: to `external_userids` (through each one's employees, or only
        `sender_userid`'s), or to all of `sender_userid`'s customers when None. At least
        one of the two must be given (`InvalidInput` otherwise, before any call).
        `chat_type` "group" sends to the customer groups `sender_userid` owns (then the
        sender is required and no customers are named). `text` may be "" with
        attachments (at most 9, in a welcome message's fields)."""
        ...

    def mass_send_senders(self, msgid: str, cursor: str = "") -> Page[MassSendSender]:
        """Per employee: whether they sent the task yet."""
        ...

    def mass_send_results(self, msgid: str, userid: str, cursor: str = "") -> Page[MassSendResult]:
        """Per customer of one employee's part of the task: what became of it."""
        ...

    # --- Moments (朋友圈) ----------------------------------------------------------------

    def add_moment_task(
        self,
        text: str,
        attachments: Sequence[WelcomeAttachment] = (),
        *,
        userids: Sequence[str],
        tag_ids: Sequence[str] = (),
    ) -> str:
        """A Moments post for the employees `userids` to publish, seen by their
        customers with any of the corp tags `tag_ids` (all their customers when none):
        WeCom answers a job id (`moment_task_result` says how it went). At most 9
        images or one link."""
        ...

    def moment_task_result(self, jobid: str) -> MomentTask:
        """How the Moments job is going (done: its moment_id)."""
        ...

    def moment_publishers(self, moment_id: str, cursor: str = "") -> Page[MomentPublisher]:
        """Per employee: whether they published the post yet."""
        ...

    # --- inheritance (在职继承, 离职继承) -------------------------------------------------

    def transfer_customers(
        self,
        handover_userid: str,
        takeover_userid: str,
        external_userids: Sequence[str],
        *,
        resigned: bool,
    ) -> list[CustomerTransfer]:
        """Hand the customers over, `resigned` for an employee who left (else on the
        job). At most 100 a call: more raise `TooManyCustomers` before any call."""
        ...

    def transfer_results(
        self,
        handover_userid: str,
        takeover_userid: str,
        cursor: str = "",
        *,
        resigned: bool,
    ) -> Page[TransferResult]:
        """How the transfers from `handover_userid` to `takeover_userid` ended, by page."""
        ...

    def transfer_groups(
        self, chat_ids: Sequence[str], new_owner: str, *, resigned: bool
    ) -> list[GroupTransferFailure]:
        """Hand customer groups to `new_owner`, `resigned` for an owner who left (else on
        the job); answers the groups WeCom refused (the others moved). At most 100 a
        call (`InvalidInput` before any call); WeCom moves at most 300 a day per corp."""
        ...


def whole_customer(api: WecomApi, external_userid: str) -> ExternalContact:
    """The customer with all their follow users, the pages walked one after another."""
    contact = api.customer(external_userid)
    follow_users = list(contact.follow_users)
    seen: set[str] = set()
    while contact.next_cursor:
        if contact.next_cursor in seen:  # would walk in a circle
            raise ProviderUnavailable(f"WeCom repeated the cursor {contact.next_cursor!r}")
        seen.add(contact.next_cursor)
        contact = api.customer(external_userid, contact.next_cursor)
        follow_users.extend(contact.follow_users)
    return ExternalContact(
        external_userid=contact.external_userid,
        name=contact.name,
        type=contact.type,
        corp_name=contact.corp_name,
        unionid=contact.unionid,
        follow_users=tuple(follow_users),
    )
