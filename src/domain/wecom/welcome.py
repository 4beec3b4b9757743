"""Welcome messages (欢迎语) a new customer gets from the employee they added (WECOM-1).

A welcome message is a text and at most one attachment (a link card, a mini-program
card or an image), as WeCom's send_welcome_msg takes them. A live code carries its own
message, or says "use the department's": then the message of the employee's most
specific department that has one is sent (部门员工欢迎语: a sub-department's message
wins over its parent's), and a code's own message always wins over a department's.

`DepartmentWelcomes` holds one tenant's department messages, keyed by WeCom department
id, in one record (a tenant has tens of departments with a message, not thousands).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue

MAX_TEXT_BYTES = 4000  # WeCom: text.content 最长为4000个字节
MAX_TITLE = 64
MAX_URL = 2048
MAX_DESC = 512
_WELCOMES = uuid.UUID("5d8f6a2e-3b1c-4f0e-a7d9-2c6b8e1f4a30")  # uuid5 namespace


class WelcomeMode(StrEnum):
    """Which welcome message a live code's new customers get."""

    OWN = "own"  # the code's own message
    DEPARTMENT = "department"  # the employee's department's
    NONE = "none"  # none (the employee greets them)


class AttachmentKind(StrEnum):
    LINK = "link"  # 图文链接: title, url, optional cover (picurl) and desc
    MINIPROGRAM = "miniprogram"  # 小程序: title, appid, page, cover (media_id)
    IMAGE = "image"  # 图片: media_id (uploaded to WeCom) or pic_url


@dataclass(frozen=True)
class Attachment:
    """One attachment of a welcome message, in WeCom's fields."""

    kind: AttachmentKind
    title: str = ""
    url: str = ""  # link: the page opened; image: WeCom's picture URL (pic_url)
    picurl: str = ""  # link: the cover image
    desc: str = ""
    appid: str = ""  # miniprogram
    page: str = ""  # miniprogram: the page path (ending in .html, WeCom's rule)
    media_id: str = ""  # image, or the mini-program's cover (pic_media_id)

    @classmethod
    def checked(cls, fields: Mapping[str, Any]) -> Attachment:
        """An attachment from primitives, refused (`InvalidValue`) when WeCom would be."""
        try:
            kind = AttachmentKind(str(fields.get("kind", "")))
        except ValueError:
            raise InvalidValue(
                "an attachment is a link, a miniprogram or an image", field="attachment"
            ) from None
        text = {name: str(fields.get(name) or "").strip() for name in _TEXT_FIELDS}
        attachment = cls(kind=kind, **text)
        attachment._check()
        return attachment

    def _check(self) -> None:
        def need(*names: str) -> None:
            for name in names:
                if not getattr(self, name):
                    raise InvalidValue(
                        f"a {self.kind} attachment needs {name}", field=f"attachment.{name}"
                    )

        for name, limit in (("title", MAX_TITLE), ("desc", MAX_DESC)):
            if len(getattr(self, name)) > limit:
                raise InvalidValue(
                    f"{name} must be at most {limit} characters", field=f"attachment.{name}"
                )
        for name in ("url", "picurl"):
            value = getattr(self, name)
            if value and (len(value) > MAX_URL or not value.startswith(("https://", "http://"))):
                raise InvalidValue(f"{name} must be a web address", field=f"attachment.{name}")
        if self.kind == AttachmentKind.LINK:
            need("title", "url")
        elif self.kind == AttachmentKind.MINIPROGRAM:
            need("title", "appid", "page", "media_id")
        elif not (self.media_id or self.url):
            need("media_id")

    def as_dict(self) -> dict[str, str]:
        """The attachment as event primitives (empty fields left out)."""
        return {k: str(v) for k, v in asdict(self).items() if v}


_TEXT_FIELDS = ("title", "url", "picurl", "desc", "appid", "page", "media_id")


@dataclass(frozen=True)
class WelcomeMessage:
    """A text and at most one attachment; at least one of the two."""

    text: str = ""
    attachment: Attachment | None = None

    @classmethod
    def checked(cls, text: str, attachment: Mapping[str, Any] | None = None) -> WelcomeMessage:
        body = text.strip()
        if len(body.encode("utf-8")) > MAX_TEXT_BYTES:
            raise InvalidValue(
                f"a welcome text must be at most {MAX_TEXT_BYTES} bytes (about 1,300 汉字)",
                field="welcome.text",
            )
        extra = Attachment.checked(attachment) if attachment else None
        if not body and extra is None:
            raise InvalidValue("a welcome message needs a text or an attachment", field="welcome")
        return cls(body, extra)

    @classmethod
    def of(cls, primitives: Mapping[str, Any]) -> WelcomeMessage:
        """The message an event recorded (`as_dict`)."""
        attachment = primitives.get("attachment")
        return cls(
            str(primitives.get("text", "")),
            Attachment.checked(attachment) if attachment else None,
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.attachment is not None:
            out["attachment"] = self.attachment.as_dict()
        return out


def ancestry(department_id: int, parents: Mapping[int, int]) -> list[int]:
    """The department, its parent, … up to the root (a loop in the tree stops the walk)."""
    chain = [department_id]
    while (parent := parents.get(chain[-1], 0)) and parent not in chain:
        chain.append(parent)
    return chain


def department_welcome(
    departments: Sequence[int],
    parents: Mapping[int, int],
    messages: Mapping[int, WelcomeMessage],
) -> WelcomeMessage | None:
    """The message of the employee's most specific department that has one: for each of
    their departments the nearest one up the tree with a message, and of those the
    deepest (ties: the first of `departments`, WeCom's order). None if none has one."""
    best: WelcomeMessage | None = None
    best_depth = -1
    for department_id in departments:
        chain = ancestry(department_id, parents)
        for index, candidate in enumerate(chain):
            if candidate in messages:
                depth = len(chain) - 1 - index  # distance from the root
                if depth > best_depth:
                    best, best_depth = messages[candidate], depth
                break
    return best


def welcome_for(
    mode: WelcomeMode, own: WelcomeMessage | None, department: WelcomeMessage | None
) -> WelcomeMessage | None:
    """What a code's new customer gets: the code's own message wins whenever it has one
    (mode "own"); "department" takes the department's; "none" sends nothing."""
    if mode == WelcomeMode.OWN and own is not None:
        return own
    if mode == WelcomeMode.DEPARTMENT:
        return own or department
    return None


def welcomes_id(tenant_id: UUID) -> UUID:
    """The id of a tenant's one `DepartmentWelcomes` record."""
    return uuid.uuid5(_WELCOMES, str(tenant_id))


class DepartmentWelcomes(Aggregate):
    """A tenant's department welcome messages (部门欢迎语), by WeCom department id."""

    TOPIC = "wecom.DepartmentWelcomes"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Started: ClassVar[type[AggregateEvent]]
        MessageSet: ClassVar[type[AggregateEvent]]
        MessageCleared: ClassVar[type[AggregateEvent]]

    @classmethod
    def start(cls, *, tenant_id: UUID) -> DepartmentWelcomes:
        return cls(id=welcomes_id(tenant_id), tenant_id=tenant_id)

    @event("Started", topic="wecom.DepartmentWelcomes.Started")
    def __init__(self, id: UUID, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.messages: dict[str, dict[str, Any]] = {}  # str(department id) → message

    def set_message(self, department_id: int, message: WelcomeMessage) -> None:
        """The department's message from now on (replacing any)."""
        key = _department_key(department_id)
        if self.messages.get(key) != message.as_dict():
            self._message_set(department_id=department_id, message=message.as_dict())

    @event("MessageSet", topic="wecom.DepartmentWelcomes.MessageSet")
    def _message_set(self, department_id: int, message: dict[str, Any]) -> None:
        self.messages = {**self.messages, str(department_id): message}

    def clear_message(self, department_id: int) -> None:
        """The department has no message of its own any more (its parent's applies)."""
        key = _department_key(department_id)
        if key in self.messages:
            self._message_cleared(department_id=department_id)

    @event("MessageCleared", topic="wecom.DepartmentWelcomes.MessageCleared")
    def _message_cleared(self, department_id: int) -> None:
        self.messages = {k: v for k, v in self.messages.items() if k != str(department_id)}

    def by_department(self) -> dict[int, WelcomeMessage]:
        return {int(k): WelcomeMessage.of(v) for k, v in self.messages.items()}


def _department_key(department_id: int) -> str:
    if not 0 < department_id < 2**32:
        raise InvalidValue("a department id is WeCom's (a positive number)", field="department_id")
    return str(department_id)
