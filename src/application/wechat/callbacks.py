"""WeChat's pushes to an Official Account (WX-2): checked, stored, acknowledged.

Each account has its own URL, `/callbacks/wechat/{account_id}`. A push is read with the
account's keys (signature, and in safe mode `msg_signature` and AES decryption), turned
into behaviours (the fan's anonymous id is `wechat:<openid>`, so identity stitching
carries every row to the fan's lead) and stored in the behaviour log before WeChat is
answered: nothing acknowledged is lost. The rest (the fan record, the lead and its
timeline, scores) is done by the log's followers after the answer, well within
WeChat's 5 seconds.

WeChat retries a push it got no answer to three times. A row's message id is the push's
`MsgId`, or `FromUserName + CreateTime + Event` for events, so a retry stores nothing
twice. An auto-reply (the follow reply, a keyword's reply) is the passive reply in the
answer itself: no API call, no token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.shared.errors import NotFound, Unauthenticated
from application.wechat.accounts import OfficialAccounts, ServingAccount
from application.wechat.ports import (
    CallbackCrypto,
    CallbackRefused,
    Observations,
    SceneReplies,
    WechatCallback,
)

SOURCE = "wechat"
ACKNOWLEDGED = b"success"  # what WeChat takes as "received, no reply"
MESSAGE_TYPES = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link"})
MENU_EVENTS = frozenset(
    {"CLICK", "VIEW", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
     "pic_photo_or_album", "pic_weixin", "location_select", "view_miniprogram"}
)  # fmt: skip
# WeChat's element names → the properties a message row keeps.
MESSAGE_FIELDS = {
    "Content": "text",
    "MediaId": "media_id",
    "PicUrl": "pic_url",
    "Format": "format",
    "Recognition": "recognition",
    "ThumbMediaId": "thumb_media_id",
    "Location_X": "latitude",
    "Location_Y": "longitude",
    "Scale": "scale",
    "Label": "label",
    "Title": "title",
    "Description": "description",
    "Url": "url",
}
MAX_PROPERTY = 2000
LEAD_SCENE = "lead-"  # a binding code's scene: "lead-" and the lead id's 32 hex digits
JOB_REPORTS = frozenset({"MASSSENDJOBFINISH", "TEMPLATESENDJOBFINISH"})
# The fan's own acts that name them to stitching (a menu click or a location does not
# need to: the fan is known by then, or is not worth a lead yet).
IDENTIFYING = frozenset(
    {BehaviourKind.WECHAT_FOLLOWED, BehaviourKind.WECHAT_SCANNED, BehaviourKind.WECHAT_MESSAGE}
)


def lead_scene(lead_id: UUID) -> str:
    """The scene of a QR code that binds whoever scans it to `lead_id` (issue 18 item 3)."""
    return f"{LEAD_SCENE}{lead_id.hex}"


def lead_of_scene(scene: str) -> UUID | None:
    """The lead a binding code's scene names, else None."""
    if not scene.startswith(LEAD_SCENE):
        return None
    try:
        return UUID(hex=scene.removeprefix(LEAD_SCENE))
    except ValueError:
        return None


def fan_key(openid: str) -> str:
    """The anonymous id of a fan's behaviours (an openid is unique per account)."""
    return f"wechat:{openid}"


class CallbackIntake:
    """Checks, stores and answers WeChat's pushes."""

    def __init__(
        self,
        accounts: OfficialAccounts,
        crypto: CallbackCrypto,
        observations: Observations,
        clock: Clock,
        scenes: SceneReplies,
    ) -> None:
        self.accounts = accounts
        self.crypto = crypto
        self.observations = observations
        self.clock = clock
        self.scenes = scenes

    def verify_url(
        self, account_id: UUID, *, signature: str, timestamp: str, nonce: str, echostr: str
    ) -> str:
        """Answer WeChat's check of the server address (服务器地址) with `echostr`."""
        serving = self._serving(account_id)
        try:
            return self.crypto.verify_url(
                serving.callback_keys,
                signature=signature,
                timestamp=timestamp,
                nonce=nonce,
                echostr=echostr,
            )
        except CallbackRefused as error:
            raise Unauthenticated(str(error)) from None

    def receive(
        self,
        account_id: UUID,
        body: bytes,
        *,
        signature: str,
        timestamp: str,
        nonce: str,
        msg_signature: str = "",
        encrypted: bool = False,
    ) -> bytes:
        """Store one push and answer it: a passive reply, or `success`. Raises
        `Unauthenticated` (401) when the push is not the account's: nothing is stored."""
        serving = self._serving(account_id)
        try:
            callback = self.crypto.read(
                serving.callback_keys,
                body,
                signature=signature,
                timestamp=timestamp,
                nonce=nonce,
                msg_signature=msg_signature,
                encrypted=encrypted,
            )
        except CallbackRefused as error:
            raise Unauthenticated(str(error)) from None
        now = self.clock.now()
        rows = behaviours_of(serving, callback, now)
        reply = self._scene_reply(serving, rows) or auto_reply(serving, callback)
        if reply:
            rows.append(_replied(rows[0], reply, now))
        self.observations.take(rows)
        if not reply:
            return ACKNOWLEDGED
        return self.crypto.passive_reply(
            serving.callback_keys, callback, reply, encrypted=encrypted
        )

    def _scene_reply(self, serving: ServingAccount, rows: list[Behaviour]) -> str:
        """A scan (or a follow by a scan) of a parameter QR code gets the code's reply."""
        scene = rows[0].properties.get("scene") if rows else None
        if not scene:
            return ""
        return self.scenes.reply_for_scene(serving.tenant_id, serving.account_id, str(scene))

    def _serving(self, account_id: UUID) -> ServingAccount:
        serving = self.accounts.serving(account_id)
        if serving.unbound:
            raise NotFound(f"no Official Account {account_id}")
        return serving


def auto_reply(serving: ServingAccount, callback: WechatCallback) -> str:
    """The follow reply to a new follower, a keyword's reply to a text (WX-6), or ""."""
    if callback.msg_type == "event" and callback.event == "subscribe":
        return serving.account.follow_reply
    if callback.msg_type == "text":
        return serving.account.reply_to(callback.fields.get("Content", ""))
    return ""


def behaviours_of(
    serving: ServingAccount, callback: WechatCallback, now: datetime
) -> list[Behaviour]:
    """The rows one push makes: what the fan did, and for a follow, a scan or a message
    an identify naming the fan by openid (stitching makes or finds their lead)."""
    if callback.event in JOB_REPORTS:
        return [_job_report(serving, callback, now)]
    kind, properties = _observed(callback)
    if kind is None:
        return []
    base = _message_id(serving.account_id, callback)
    occurred_at = datetime.fromtimestamp(callback.create_time, UTC) if callback.create_time else now
    openid = callback.from_user
    common: dict[str, Any] = {
        "tenant_id": serving.tenant_id,
        "channel": Channel.WECHAT.value,
        "occurred_at": occurred_at,
        "received_at": now,
        "anonymous_id": fan_key(openid),
        "source_id": SOURCE,
        "context": {"traits": {"wechat_openid": openid}},
    }
    account = str(serving.account_id)
    rows = [
        Behaviour(
            kind=kind,
            message_id=base,
            name=callback.event or callback.msg_type,
            properties={"account": account, "openid": openid, **properties},
            **common,
        )
    ]
    if kind in IDENTIFYING:
        rows.append(
            Behaviour(
                kind=BehaviourKind.IDENTIFY.value,
                message_id=f"{base}:identify",
                name="wechat",
                properties={"wechat_openid": openid},
                lead_id=lead_of_scene(str(properties.get("scene") or "")),
                **common,
            )
        )
    return rows


def _observed(callback: WechatCallback) -> tuple[str | None, dict[str, str]]:
    fields = callback.fields
    if callback.msg_type in MESSAGE_TYPES:
        properties = {
            name: fields[element][:MAX_PROPERTY]
            for element, name in MESSAGE_FIELDS.items()
            if fields.get(element)
        }
        return BehaviourKind.WECHAT_MESSAGE.value, {"msg_type": callback.msg_type, **properties}
    if callback.msg_type != "event":
        return None, {}
    event, key = callback.event, fields.get("EventKey", "")
    if event == "subscribe":
        # A follow by a parameter QR carries its scene as "qrscene_<scene>".
        scene = key.removeprefix("qrscene_") if key.startswith("qrscene_") else ""
        return BehaviourKind.WECHAT_FOLLOWED.value, _present(
            scene=scene, ticket=fields.get("Ticket")
        )
    if event == "unsubscribe":
        return BehaviourKind.WECHAT_UNFOLLOWED.value, {}
    if event == "SCAN":
        return BehaviourKind.WECHAT_SCANNED.value, _present(scene=key, ticket=fields.get("Ticket"))
    if event in MENU_EVENTS:
        return BehaviourKind.WECHAT_MENU_CLICKED.value, _present(
            menu_event=event, key=key if event != "VIEW" else "", url=key if event == "VIEW" else ""
        )
    if event == "LOCATION":
        return BehaviourKind.WECHAT_LOCATION.value, _present(
            latitude=fields.get("Latitude"),
            longitude=fields.get("Longitude"),
            precision=fields.get("Precision"),
        )
    return None, {}  # job reports and others: not a fan's behaviour


def _job_report(serving: ServingAccount, callback: WechatCallback, now: datetime) -> Behaviour:
    """WeChat's report on a mass or template send: the account's, not a fan's."""
    fields = callback.fields
    return Behaviour(
        tenant_id=serving.tenant_id,
        kind=BehaviourKind.WECHAT_JOB_FINISHED.value,
        channel=Channel.WECHAT.value,
        occurred_at=datetime.fromtimestamp(callback.create_time, UTC)
        if callback.create_time
        else now,
        received_at=now,
        message_id=f"wechat:{serving.account_id}:job:{callback.event}:{callback.msg_id}",
        name=callback.event,
        properties={
            "account": str(serving.account_id),
            "msg_id": callback.msg_id,
            **_present(
                status=fields.get("Status"),
                total_count=fields.get("TotalCount"),
                filter_count=fields.get("FilterCount"),
                sent_count=fields.get("SentCount"),
                error_count=fields.get("ErrorCount"),
            ),
        },
        source_id=SOURCE,
    )


def _present(**values: str | None) -> dict[str, str]:
    return {name: value[:MAX_PROPERTY] for name, value in values.items() if value}


def _message_id(account_id: UUID, callback: WechatCallback) -> str:
    if callback.msg_id:
        return f"wechat:{account_id}:{callback.msg_id}"
    return f"wechat:{account_id}:{callback.from_user}:{callback.create_time}:{callback.event}"


def _replied(observed: Behaviour, text: str, now: datetime) -> Behaviour:
    return Behaviour(
        tenant_id=observed.tenant_id,
        kind=BehaviourKind.WECHAT_REPLIED.value,
        channel=observed.channel,
        occurred_at=now,
        received_at=now,
        message_id=f"{observed.message_id}:reply",
        name="auto_reply",
        properties={
            "account": observed.properties["account"],
            "openid": observed.properties["openid"],
            "text": text,
            "by": "auto",
        },
        anonymous_id=observed.anonymous_id,
        source_id=SOURCE,
    )
