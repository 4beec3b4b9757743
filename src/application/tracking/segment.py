"""The Segment-compatible intake (TRK-1): Segment's HTTP Tracking API messages, as the
Segment and RudderStack SDKs and snippets send them, become `Behaviour` rows.

A request is one call (`identify`, `track`, `page`, `screen`, `alias`, `group`: one
message) or a `batch` of them. It is checked whole before anything is stored: a batch
with any invalid message is refused with every fault listed (index, field, reason) and
nothing of it is stored, so a sender never has to guess which half arrived. Only rows
the log has committed are acknowledged (`Ingestion.take`), and the message id makes a
retried request store nothing twice.

Decoding is msgspec into plain structs (no model per message): the API is meant to take
tens of thousands of messages a second on two cores.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import msgspec

from application.shared.behaviours import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    Behaviour,
    BehaviourKind,
    Channel,
)
from application.shared.clock import Clock
from application.shared.errors import ApplicationError, Unauthenticated
from application.tracking.ingestion import Ingestion
from application.tracking.ports import SourceOfKey, WriteKeys
from application.tracking.utm import utm_of

# Segment's limits (its SDKs keep to them): one message at most 32 KiB, a batch request
# at most 500 KiB, both counted on the JSON text after any gzip is undone.
MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024

CALLS = ("identify", "track", "page", "screen", "alias", "group")
BATCH = "batch"

# The channel a message names (Segment's `browser`/`mobile`/`server`, or ours), else
# the one its source's kind implies.
_MESSAGE_CHANNELS = {
    "browser": Channel.WEB.value,
    "web": Channel.WEB.value,
    "mobile": Channel.APP.value,
    "app": Channel.APP.value,
    "server": Channel.SERVER.value,
}
_SOURCE_CHANNELS = {
    "website": Channel.WEB.value,
    "app": Channel.APP.value,
    "server": Channel.SERVER.value,
}
_KINDS = {call: BehaviourKind(call).value for call in CALLS}
_PAGE_FIELDS = ("url", "path", "referrer", "title", "search")


class Message(msgspec.Struct, rename="camel", omit_defaults=True):
    """One Segment message: the fields huoke reads, the others (`integrations`…) ignored."""

    type: str | None = None
    user_id: str | int | None = None
    anonymous_id: str | int | None = None
    message_id: str | None = None
    timestamp: datetime | None = None
    original_timestamp: datetime | None = None
    sent_at: datetime | None = None
    event: str | None = None
    name: str | None = None
    category: str | None = None
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    previous_id: str | int | None = None
    group_id: str | int | None = None
    channel: str | None = None
    write_key: str | None = None


class Batch(msgspec.Struct, rename="camel"):
    """A `/v1/batch` body: the messages still as JSON text (each decoded and measured on
    its own), with what applies to all of them."""

    batch: list[msgspec.Raw]
    write_key: str | None = None
    sent_at: datetime | None = None
    context: dict[str, Any] | None = None


_decode_message = msgspec.json.Decoder(Message).decode
_decode_batch = msgspec.json.Decoder(Batch).decode


@dataclass(frozen=True)
class Fault:
    """What is wrong with one message (`index` in the batch; None for a single call or
    for the body as a whole)."""

    index: int | None
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason}


class TrackingPayloadRefused(ApplicationError):
    """The request's body cannot be taken (400): too large, not UTF-8 JSON, or invalid
    messages. Nothing of it was stored; `faults` names each problem."""

    code = "invalid_tracking_payload"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        faults: Sequence[Fault] = (),
        limit: int | None = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.faults = list(faults)
        self.field = self.faults[0].field if self.faults else "body"
        self.limit = limit


class UnknownWriteKey(Unauthenticated):
    """No write key, or one that is unknown or revoked (401)."""

    code = "unknown_write_key"


@dataclass(frozen=True)
class Arrival:
    """How a request reached huoke: what the transport knows, not the body."""

    write_key: str | None  # from HTTP Basic; the body's `writeKey` otherwise
    do_not_track: bool = False  # the browser sent `DNT: 1`
    request_id: str = ""
    client_ip: str | None = None


class SegmentIntake:
    """Takes Segment calls and batches from a tracking source into the behaviour log."""

    def __init__(
        self,
        write_keys: WriteKeys,
        ingestion: Ingestion,
        clock: Clock,
        *,
        admit: Callable[[SourceOfKey], None] = lambda source: None,
    ) -> None:
        self.write_keys = write_keys
        self.ingestion = ingestion
        self.clock = clock
        # Called once the source is known, before the body is read further: the
        # per-source rate limit raises here (a `Busy`), so a flood costs no decoding.
        self.admit = admit

    def accept(self, call: str, body: bytes, arrival: Arrival) -> int:
        """Store the messages of `body` (`call` is one of `CALLS` or `batch`), all or none.

        Raises `UnknownWriteKey` for a missing, unknown or revoked key,
        `TrackingPayloadRefused` for a body that is too large, not UTF-8 JSON, or holds
        an invalid message (each one listed), and `IngestionBusy` when the log's queue is
        full; in every case nothing was stored. Answers how many messages were taken
        (repeats of stored message ids included: they are already there); 0 when the
        source honours Do-Not-Track and the browser asked for it."""
        limit = MAX_BATCH_BYTES if call == BATCH else MAX_MESSAGE_BYTES
        if len(body) > limit:
            what = "a batch" if call == BATCH else "one message"
            raise TrackingPayloadRefused(
                f"the body is larger than {limit} bytes, the most {what} may be",
                code="payload_too_large",
                faults=[Fault(None, "body", f"larger than {limit} bytes")],
                limit=limit,
            )
        source = self._source(arrival.write_key) if arrival.write_key else None
        if call == BATCH:
            envelope = _decoded(_decode_batch, body)
            messages = envelope.batch
            sent_at, shared_context = envelope.sent_at, envelope.context
            body_key = envelope.write_key
        else:
            single = _decoded(_decode_message, body)
            messages, sent_at, shared_context = [single], None, None
            body_key = single.write_key
        if source is None:
            source = self._source(body_key)
        self.admit(source)
        rows = Rows(
            source,
            received_at=self.clock.now(),
            sent_at=sent_at,
            shared_context=shared_context,
            request_id=arrival.request_id,
            client_ip=arrival.client_ip,
        ).of(call, messages)
        if arrival.do_not_track and source.honour_do_not_track:
            return 0
        self.ingestion.take(rows)
        return len(rows)

    def _source(self, write_key: str | None) -> SourceOfKey:
        source = self.write_keys.source_for_key(write_key) if write_key else None
        if source is None:
            raise UnknownWriteKey(
                "send the source's write key as the HTTP Basic user name "
                "(Authorization: Basic base64('<write key>:')) or as `writeKey` in the body; "
                "an unknown or revoked key is refused"
            )
        return source


def _decoded(decode: Any, body: bytes) -> Any:
    try:
        return decode(body)
    except msgspec.ValidationError as error:
        field, reason = _fault_of(error)
        raise TrackingPayloadRefused(
            f"{field}: {reason}", code="invalid_json", faults=[Fault(None, field, reason)]
        ) from None
    except msgspec.DecodeError as error:
        reason = _decode_reason(error)
        raise TrackingPayloadRefused(
            f"the body is not JSON: {reason}",
            code="invalid_json",
            faults=[Fault(None, "body", reason)],
        ) from None
    except RecursionError:
        raise TrackingPayloadRefused(
            "the body nests arrays and objects too deeply",
            code="invalid_json",
            faults=[Fault(None, "body", "nested too deeply")],
        ) from None


def _decode_reason(error: msgspec.DecodeError) -> str:
    reason = str(error)
    return "the text is not UTF-8" if "UTF-8" in reason else reason


_MISSING = re.compile(r"missing required field `(\w+)`")


def _fault_of(error: msgspec.ValidationError) -> tuple[str, str]:
    """msgspec's "Expected `str`, got `int` - at `$.userId`" as (field, reason)."""
    text = str(error)
    reason, _, where = text.partition(" - at `$")
    field = where.rstrip("`").lstrip(".")
    missing = _MISSING.search(reason)
    if missing:
        field = f"{field}.{missing[1]}" if field else missing[1]
    return field or "body", reason


class Rows:
    """The behaviour rows of one request's messages (from one source, received at once)."""

    def __init__(
        self,
        source: SourceOfKey,
        *,
        received_at: datetime,
        sent_at: datetime | None = None,
        shared_context: Mapping[str, Any] | None = None,
        request_id: str = "",
        client_ip: str | None = None,
    ) -> None:
        self.source = source
        self.source_id = str(source.source_id)
        self.channel = _SOURCE_CHANNELS.get(source.kind, Channel.WEB.value)
        self.received_at = received_at
        self.sent_at = _utc(sent_at) if sent_at else None
        self.shared_context = shared_context
        self.request_id = request_id
        self.client_ip = client_ip

    def of(self, call: str, messages: Sequence[msgspec.Raw | Message]) -> list[Behaviour]:
        """Every message as a row, or `TrackingPayloadRefused` naming every fault."""
        rows: list[Behaviour] = []
        faults: list[Fault] = []
        batch = call == BATCH
        for index, item in enumerate(messages):
            where = index if batch else None
            try:
                if isinstance(item, msgspec.Raw):
                    if len(item) > MAX_MESSAGE_BYTES:
                        raise _Invalid("", f"larger than {MAX_MESSAGE_BYTES} bytes")
                    message = _decode_message(item)
                else:
                    message = item
                rows.append(self.row(message.type if batch else call, message))
            except _Invalid as invalid:
                faults.append(Fault(where, invalid.field, invalid.reason))
            except msgspec.ValidationError as error:
                faults.append(Fault(where, *_fault_of(error)))
            except msgspec.DecodeError as error:  # e.g. a string that is not UTF-8
                faults.append(Fault(where, "", _decode_reason(error)))
        if faults:
            first = faults[0]
            at = f"message {first.index}" if first.index is not None else "the message"
            field = f" {first.field}" if first.field else ""
            raise TrackingPayloadRefused(
                f"{len(faults)} invalid message(s), nothing stored; {at}{field}: {first.reason}",
                code="invalid_messages",
                faults=faults,
            )
        return rows

    def row(self, call: str | None, message: Message) -> Behaviour:
        kind = _KINDS.get(call or "")
        if kind is None:
            raise _Invalid("type", f"must be one of {', '.join(CALLS)}")
        user_id = _identifier(message.user_id, "userId")
        anonymous_id = _identifier(message.anonymous_id, "anonymousId")
        if user_id is None and anonymous_id is None:
            raise _Invalid("userId", "a userId or an anonymousId is required")
        name = ""
        properties: dict[str, Any]
        context = message.context if message.context is not None else {}
        if self.shared_context:
            context = {**self.shared_context, **context}
        if kind == "track":
            if not message.event:
                raise _Invalid("event", "a track call names its event")
            name = _name(message.event, "event")
            properties = message.properties or {}
        elif kind in ("page", "screen"):
            name = _name(message.name or "", "name")
            properties = message.properties or {}
            if message.category:
                properties.setdefault("category", _name(message.category, "category"))
            if kind == "page":
                _page_details(properties, context)
        elif kind == "identify":
            properties = message.traits or {}
        elif kind == "group":
            group_id = _identifier(message.group_id, "groupId")
            if group_id is None:
                raise _Invalid("groupId", "a group call names its groupId")
            properties = {"group_id": group_id, "traits": message.traits or {}}
        else:  # alias
            previous_id = _identifier(message.previous_id, "previousId")
            if previous_id is None or user_id is None:
                raise _Invalid("previousId", "an alias call names its userId and previousId")
            properties = {"previous_id": previous_id}
        if self.client_ip and "ip" not in context:
            context["ip"] = self.client_ip
        message_id = message.message_id
        if message_id is None or not message_id.strip():
            message_id = uuid4().hex
        elif len(message_id) > MAX_ID_LENGTH:
            raise _Invalid("messageId", f"longer than {MAX_ID_LENGTH} characters")
        return Behaviour(
            tenant_id=self.source.tenant_id,
            kind=kind,
            channel=_MESSAGE_CHANNELS.get(message.channel or "", self.channel),
            occurred_at=self.occurred_at(message),
            received_at=self.received_at,
            message_id=message_id,
            name=name,
            properties=properties,
            context=context,
            anonymous_id=anonymous_id,
            user_id=user_id,
            source_id=self.source_id,
            request_id=self.request_id,
        )

    def occurred_at(self, message: Message) -> datetime:
        """When it happened by the sender's clock, moved by how far that clock is off:
        `timestamp + (received_at - sentAt)` when the sender said when it sent."""
        at = message.timestamp or message.original_timestamp
        if at is None:
            return self.received_at
        at = _utc(at)
        sent_at = _utc(message.sent_at) if message.sent_at else self.sent_at
        if sent_at is None:
            return at
        try:
            return at + (self.received_at - sent_at)
        except OverflowError:
            raise _Invalid("timestamp", "out of range once corrected by sentAt") from None


class _Invalid(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _utc(moment: datetime) -> datetime:
    """A time without a zone is UTC (Segment's times are ISO 8601 in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _identifier(value: str | int | None, field: str) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if not text.strip():
        return None
    if len(text) > MAX_ID_LENGTH:
        raise _Invalid(field, f"longer than {MAX_ID_LENGTH} characters")
    return text


def _name(value: str, field: str) -> str:
    if len(value) > MAX_NAME_LENGTH:
        raise _Invalid(field, f"longer than {MAX_NAME_LENGTH} characters")
    return value


def _page_details(properties: dict[str, Any], context: dict[str, Any]) -> None:
    """A page's url, path, referrer and title in its properties (analytics.js sends them
    in `context.page` too), and its UTM parameters in `context.campaign`: as sent, else
    read from the page's URL."""
    page = context.get("page")
    if isinstance(page, dict):
        for key in _PAGE_FIELDS:
            if key not in properties and isinstance(page.get(key), str):
                properties[key] = page[key]
    if "campaign" not in context:
        url = properties.get("url")
        campaign = utm_of(url) if isinstance(url, str) and "utm_" in url else {}
        if campaign:
            context["campaign"] = campaign


__all__ = [
    "BATCH",
    "CALLS",
    "MAX_BATCH_BYTES",
    "MAX_MESSAGE_BYTES",
    "Arrival",
    "Batch",
    "Fault",
    "Message",
    "Rows",
    "SegmentIntake",
    "TrackingPayloadRefused",
    "UnknownWriteKey",
]
