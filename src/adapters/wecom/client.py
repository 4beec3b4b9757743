"""One corp's WeCom (企业微信) API through wechatpy's WeCom client (WECOM-1…5).

wechatpy's `wechatpy.enterprise.WeChatClient` makes the calls it has (department/list,
user/list, externalcontact/list, get, groupchat/list and get, get_corp_tag_list,
mark_tag, send_welcome_msg, add_contact_way, add_msg_template); what it lacks goes
through the same client as a thin `client.post(endpoint, data=…)` (the mass-send
task and result queries of WeCom's current API, the on-job and resigned transfers and
their results). Its API base is `base_url` (WeCom's, or a test's stand-in).

Tokens, as the Official Account adapter (`adapters.wechat.api`) does them: the
access_token is read per call from a token store instead of wechatpy's per-client
session, so several processes share one token and a refresh happens once, under the
store's lock. `AccessTokenCache` of `adapters.wechat.access_tokens` is such a store
(it keys tokens by a UUID: pass `token_key`, one per corp and secret); without one the
client keeps its token in the process (`ProcessTokens`), which is right for one
process but lets each process fetch its own. The token comes from `gettoken` by a
thin call of ours (wechatpy's fetch has a fixed host and no timeout) and is kept until
shortly before its `expires_in`; wechatpy's own retry on an invalid token is off (it
refetches without bound and per client).

Answers (https://developer.work.weixin.qq.com/document/path/90313): 40014/42001 (and
40001) on a call → the token is replaced once and the call retried once; 45009
(frequency limit) and -1 (system busy) → wait `backoff` one delay after another
(exponential) and retry, then `WecomRateLimited`; any other errcode, or a second
token refusal → `WecomRefused`. No answer (connection refused, timeout, HTTP error)
→ `ProviderUnavailable`, not retried: a send may have gone out.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException

from application.shared.errors import InvalidInput, ProviderUnavailable
from application.wecom.ports import (
    MAX_GROUPS_PER_TRANSFER,
    RATE_LIMITED,
    ContactWay,
    CorpTag,
    CustomerGroup,
    CustomerTransfer,
    ExternalContact,
    FollowUser,
    GroupTransferFailure,
    MassSendResult,
    MassSendSender,
    MassSendTask,
    MomentPublisher,
    MomentTask,
    Page,
    TransferResult,
    WecomDepartment,
    WecomEmployee,
    WecomRateLimited,
    WecomRefused,
    WelcomeAttachment,
    transfer_batch,
)

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com/cgi-bin/"
# 40014 invalid access_token, 42001 expired; 40001 is "invalid secret" on gettoken
# itself (refused there), but an old token on a call can meet it too.
TOKEN_CODES = frozenset({40001, 40014, 42001})
BUSY_CODES = frozenset({RATE_LIMITED, -1})
NO_CUSTOMERS = 84061  # externalcontact/list: "不存在外部联系人的关系"
MAX_WELCOME_ATTACHMENTS = 9  # send_welcome_msg: 最多可添加9个附件
MAX_MASS_ATTACHMENTS = 9  # add_msg_template: 最多支持添加9个附件
MAX_MOMENT_ATTACHMENTS = 9  # add_moment_task: 9 images, or 1 video, or 1 link
MAX_JOIN_WAY_GROUPS = 5  # groupchat/add_join_way: chat_id_list 最多支持5个
DEFAULT_BACKOFF = (1.0, 2.0, 4.0)  # WeCom: retry -1 at most 3 times
# Use a token until 5 minutes before WeCom's expiry, so it does not lapse on the way.
EXPIRY_MARGIN = 300.0
WECOM_TOKENS = uuid.UUID("9b0c8a52-6f1e-4c58-9d57-0c2f7e3a1b64")  # uuid5 namespace

# A token and its lifetime in seconds, as gettoken answers them.
Fetch = Callable[[], tuple[str, int]]


class TokenStore(Protocol):
    """Where access_tokens live (`AccessTokenCache` is one): the current token for
    `key`, fetched through `fetch` (once for everyone) when there is none, it is
    about to expire, or it is `stale` (WeCom just refused it)."""

    def token(self, key: uuid.UUID, fetch: Fetch, *, stale: str | None = None) -> str: ...


class ProcessTokens:
    """A `TokenStore` in this process's memory, under one lock."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, margin: float = EXPIRY_MARGIN
    ) -> None:
        self._clock = clock
        self._margin = margin
        self._tokens: dict[uuid.UUID, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, key: uuid.UUID, fetch: Fetch, *, stale: str | None = None) -> str:
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached[0] != stale and cached[1] > self._clock():
                return cached[0]
            token, expires_in = fetch()
            # A short lifetime (a test's) is still used for its first half.
            lifetime = expires_in - min(self._margin, expires_in / 2)
            self._tokens[key] = (token, self._clock() + lifetime)
            return token


class _BusyToken(Exception):
    """gettoken answered a busy code (handled like a busy API answer)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class _CorpClient(WeChatClient):  # type: ignore[misc]
    """wechatpy's WeCom client for one corp and secret, its token from the store."""

    def __init__(
        self,
        corp_id: str,
        secret: str,
        tokens: TokenStore,
        key: uuid.UUID,
        fetch: Fetch,
        *,
        base_url: str,
        timeout: float,
    ) -> None:
        super().__init__(corp_id, secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = base_url  # wechatpy joins every endpoint onto this
        self._tokens = tokens
        self._key = key
        self._fetch = fetch
        self._handed_out = threading.local()

    @property
    def access_token(self) -> str:
        """What wechatpy puts in each request's query (read per call)."""
        token = self._tokens.token(self._key, self._fetch)
        self._handed_out.token = token
        return token

    def refresh(self) -> None:
        """WeCom refused the token this thread used: replace it (once for everyone)."""
        stale = getattr(self._handed_out, "token", None)
        self._tokens.token(self._key, self._fetch, stale=stale)


class WecomClient:
    """`WecomApi` for one corp over wechatpy's WeCom client."""

    def __init__(
        self,
        corp_id: str,
        secret: str,
        *,
        tokens: TokenStore | None = None,
        token_key: uuid.UUID | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._corp_id = corp_id
        self._secret = secret
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._timeout = timeout
        self._backoff = tuple(backoff)
        self._sleep = sleep
        # Keyed by the secret too (as wechatpy's own key): a new secret, a new token.
        key = token_key or uuid.uuid5(WECOM_TOKENS, f"{corp_id}:{secret[:10]}")
        self._client = _CorpClient(
            corp_id,
            secret,
            tokens or ProcessTokens(),
            key,
            self._fetch_token,
            base_url=self._base_url,
            timeout=timeout,
        )

    # --- contacts -----------------------------------------------------------------------

    def departments(self) -> list[WecomDepartment]:
        answer = self._call(lambda c: c.department.get())
        return [
            WecomDepartment(
                id=int(d["id"]),
                name=str(d.get("name", "")),
                parent_id=int(d.get("parentid", 0)),
                order=int(d.get("order", 0)),
            )
            for d in answer
        ]

    def employees(self, department_id: int) -> list[WecomEmployee]:
        answer = self._call(lambda c: c.user.list(department_id, fetch_child=False))
        return [
            WecomEmployee(
                userid=str(u["userid"]),
                name=str(u.get("name", "")),
                department_ids=tuple(int(d) for d in u.get("department") or ()),
                status=int(u.get("status", 1)),
                mobile=str(u.get("mobile") or ""),
                email=str(u.get("email") or u.get("biz_mail") or ""),
            )
            for u in answer
        ]

    # --- customers ----------------------------------------------------------------------

    def customers_of(self, userid: str) -> list[str]:
        try:
            answer = self._call(lambda c: c.external_contact.list(userid))
        except WecomRefused as error:
            if error.errcode == NO_CUSTOMERS:
                return []  # WeCom refuses the list of someone with no customer
            raise
        return [str(e) for e in answer.get("external_userid") or ()]

    def customer(self, external_userid: str, cursor: str = "") -> ExternalContact:
        params = {"external_userid": external_userid}
        if cursor:
            params["cursor"] = cursor
        # wechatpy's `external_contact.get` takes no cursor: the same GET with one.
        answer = self._call(lambda c: c.get("externalcontact/get", params=params))
        contact = answer.get("external_contact") or {}
        return ExternalContact(
            external_userid=str(contact.get("external_userid", external_userid)),
            name=str(contact.get("name", "")),
            type=int(contact.get("type", 1)),
            corp_name=str(contact.get("corp_name", "")),
            unionid=str(contact.get("unionid", "")),
            follow_users=tuple(_follow_user(f) for f in answer.get("follow_user") or ()),
            next_cursor=str(answer.get("next_cursor") or ""),
        )

    def customer_groups(self, cursor: str = "", limit: int = 100) -> Page[CustomerGroup]:
        listed = self._call(
            lambda c: c.external_contact_group_chat.list(cursor=cursor or None, limit=limit)
        )
        groups = []
        # The list names chat_ids only; each group's name, owner and members need a get.
        for item in listed.get("group_chat_list") or ():
            chat_id = str(item["chat_id"])
            answer = self._call(
                lambda c, chat_id=chat_id: c.external_contact_group_chat.get(chat_id)
            )
            chat = answer.get("group_chat") or {}
            groups.append(
                CustomerGroup(
                    chat_id=chat_id,
                    name=str(chat.get("name", "")),
                    owner=str(chat.get("owner", "")),
                    member_count=len(chat.get("member_list") or ()),
                    status=int(item.get("status", 0)),
                )
            )
        return Page(tuple(groups), str(listed.get("next_cursor") or ""))

    # --- tags ---------------------------------------------------------------------------

    def corp_tags(self) -> list[CorpTag]:
        answer = self._call(lambda c: c.external_contact.get_corp_tag_list())
        tags = []
        for group in answer.get("tag_group") or ():
            group_name = str(group.get("group_name", ""))
            tags.extend(
                CorpTag(id=str(tag["id"]), name=str(tag.get("name", "")), group_name=group_name)
                for tag in group.get("tag") or ()
                if not tag.get("deleted") and not group.get("deleted")
            )
        return tags

    def mark_tags(
        self,
        userid: str,
        external_userid: str,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
    ) -> None:
        self._call(
            lambda c: c.external_contact.mark_tag(userid, external_userid, list(add), list(remove))
        )

    # --- reaching customers -------------------------------------------------------------

    def send_welcome(
        self, welcome_code: str, text: str, attachments: Sequence[WelcomeAttachment] = ()
    ) -> None:
        if not text and not attachments:
            raise InvalidInput("a welcome message needs a text or an attachment", field="text")
        if len(attachments) > MAX_WELCOME_ATTACHMENTS:
            raise InvalidInput(
                f"a welcome message has at most {MAX_WELCOME_ATTACHMENTS} attachments",
                field="attachments",
            )
        body: dict[str, Any] = {"welcome_code": welcome_code}
        if text:
            body["text"] = {"content": text}
        if attachments:
            body["attachments"] = [_attachment(a) for a in attachments]
        self._call(lambda c: c.external_contact.send_welcome_msg(body))

    def add_contact_way(
        self,
        userids: Sequence[str],
        state: str = "",
        *,
        remark: str = "",
        skip_verify: bool = True,
    ) -> ContactWay:
        users = list(userids)
        if not users:
            raise InvalidInput("a contact way needs at least one employee", field="userids")
        answer = self._call(
            lambda c: c.external_contact.add_contact_way(
                type=1 if len(users) == 1 else 2,  # one employee, or several in turn
                scene=2,  # a QR code (1 would be a button in a mini program)
                remark=remark or None,
                skip_verify=skip_verify,
                state=state or None,
                user=users,
            )
        )
        return ContactWay(config_id=str(answer["config_id"]), qr_code=str(answer["qr_code"]))

    def update_contact_way(
        self,
        config_id: str,
        userids: Sequence[str],
        state: str = "",
        *,
        remark: str = "",
        skip_verify: bool = True,
    ) -> None:
        users = list(userids)
        if not users:
            raise InvalidInput("a contact way needs at least one employee", field="userids")
        self._call(
            lambda c: c.external_contact.update_contact_way(
                config_id,
                remark or None,
                skip_verify=skip_verify,
                state=state or None,
                user=users,
            )
        )

    def delete_contact_way(self, config_id: str) -> None:
        self._call(lambda c: c.external_contact.del_contact_way(config_id))

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
        body = _join_way(chat_ids, state, remark, auto_create_room, room_base_name, room_base_id)
        # wechatpy has no join ways: WeCom answers the config_id, and its QR image URL
        # only to a get_join_way.
        made = self._call(lambda c: c.post("externalcontact/groupchat/add_join_way", data=body))
        config_id = str(made["config_id"])
        answer = self._call(
            lambda c: c.post(
                "externalcontact/groupchat/get_join_way", data={"config_id": config_id}
            )
        )
        join_way = answer.get("join_way") or {}
        return ContactWay(config_id=config_id, qr_code=str(join_way.get("qr_code", "")))

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
        body = {
            "config_id": config_id,
            **_join_way(chat_ids, state, remark, auto_create_room, room_base_name, room_base_id),
        }
        self._call(lambda c: c.post("externalcontact/groupchat/update_join_way", data=body))

    def delete_join_way(self, config_id: str) -> None:
        body = {"config_id": config_id}
        self._call(lambda c: c.post("externalcontact/groupchat/del_join_way", data=body))

    def mass_send(
        self,
        sender_userid: str | None,
        external_userids: Sequence[str] | None,
        text: str,
        *,
        attachments: Sequence[WelcomeAttachment] = (),
        chat_type: str = "single",
    ) -> MassSendTask:
        _check_mass_send(sender_userid, external_userids, text, attachments, chat_type)
        template: dict[str, Any] = {"chat_type": chat_type}
        if text:
            template["text"] = {"content": text}
        if attachments:
            template["attachments"] = [_attachment(a) for a in attachments]
        if sender_userid:
            template["sender"] = sender_userid
        if external_userids and chat_type == "single":
            template["external_userid"] = list(external_userids)
        answer = self._call(lambda c: c.external_contact.add_msg_template(template))
        return MassSendTask(
            msgid=str(answer["msgid"]),
            failed=tuple(str(e) for e in answer.get("fail_list") or ()),
        )

    def mass_send_senders(self, msgid: str, cursor: str = "") -> Page[MassSendSender]:
        body: dict[str, Any] = {"msgid": msgid, "limit": 1000}
        if cursor:
            body["cursor"] = cursor
        answer = self._call(lambda c: c.post("externalcontact/get_groupmsg_task", data=body))
        return Page(
            tuple(
                MassSendSender(
                    userid=str(t["userid"]),
                    status=int(t.get("status", 0)),
                    send_time=_moment(t.get("send_time")),
                )
                for t in answer.get("task_list") or ()
            ),
            str(answer.get("next_cursor") or ""),
        )

    def mass_send_results(self, msgid: str, userid: str, cursor: str = "") -> Page[MassSendResult]:
        body: dict[str, Any] = {"msgid": msgid, "userid": userid, "limit": 1000}
        if cursor:
            body["cursor"] = cursor
        answer = self._call(lambda c: c.post("externalcontact/get_groupmsg_send_result", data=body))
        return Page(
            tuple(
                MassSendResult(
                    external_userid=str(r.get("external_userid", "")),
                    userid=str(r.get("userid", userid)),
                    status=int(r.get("status", 0)),
                    send_time=_moment(r.get("send_time")),
                    chat_id=str(r.get("chat_id", "")),
                )
                for r in answer.get("send_list") or ()
            ),
            str(answer.get("next_cursor") or ""),
        )

    # --- Moments ------------------------------------------------------------------------

    def add_moment_task(
        self,
        text: str,
        attachments: Sequence[WelcomeAttachment] = (),
        *,
        userids: Sequence[str],
        tag_ids: Sequence[str] = (),
    ) -> str:
        _check_moment(text, attachments, userids)
        body: dict[str, Any] = {
            "visible_range": {"sender_list": {"user_list": list(userids)}},
        }
        if text:
            body["text"] = {"content": text}
        if attachments:
            body["attachments"] = [_moment_attachment(a) for a in attachments]
        if tag_ids:
            body["visible_range"]["external_contact_list"] = {"tag_list": list(tag_ids)}
        # wechatpy has no Moments: the documented POST through the same client.
        answer = self._call(lambda c: c.post("externalcontact/add_moment_task", data=body))
        return str(answer["jobid"])

    def moment_task_result(self, jobid: str) -> MomentTask:
        answer = self._call(
            lambda c: c.get("externalcontact/get_moment_task_result", params={"jobid": jobid})
        )
        result = answer.get("result") or {}
        invalid = (result.get("invalid_sender_list") or {}).get("user_list") or ()
        return MomentTask(
            status=int(answer.get("status", 0)),
            moment_id=str(result.get("moment_id") or ""),
            invalid_userids=tuple(str(u) for u in invalid),
        )

    def moment_publishers(self, moment_id: str, cursor: str = "") -> Page[MomentPublisher]:
        body: dict[str, Any] = {"moment_id": moment_id, "limit": 1000}
        if cursor:
            body["cursor"] = cursor
        answer = self._call(lambda c: c.post("externalcontact/get_moment_task", data=body))
        return Page(
            tuple(
                MomentPublisher(
                    userid=str(t["userid"]), published=int(t.get("publish_status", 0)) == 1
                )
                for t in answer.get("task_list") or ()
            ),
            str(answer.get("next_cursor") or ""),
        )

    # --- inheritance --------------------------------------------------------------------

    def transfer_customers(
        self,
        handover_userid: str,
        takeover_userid: str,
        external_userids: Sequence[str],
        *,
        resigned: bool,
    ) -> list[CustomerTransfer]:
        batch = transfer_batch(external_userids)  # > 100 refused before any call
        if not batch:
            return []
        body = {
            "handover_userid": handover_userid,
            "takeover_userid": takeover_userid,
            "external_userid": list(batch),
        }
        # wechatpy has only the retired `externalcontact/transfer`.
        endpoint = _transfer_endpoint("transfer_customer", resigned)
        answer = self._call(lambda c: c.post(endpoint, data=body))
        return [
            CustomerTransfer(str(item["external_userid"]), int(item.get("errcode", 0)))
            for item in answer.get("customer") or ()
        ]

    def transfer_results(
        self,
        handover_userid: str,
        takeover_userid: str,
        cursor: str = "",
        *,
        resigned: bool,
    ) -> Page[TransferResult]:
        body = {"handover_userid": handover_userid, "takeover_userid": takeover_userid}
        if cursor:
            body["cursor"] = cursor
        endpoint = _transfer_endpoint("transfer_result", resigned)
        answer = self._call(lambda c: c.post(endpoint, data=body))
        return Page(
            tuple(
                TransferResult(
                    external_userid=str(item["external_userid"]),
                    status=int(item.get("status", 0)),
                    takeover_time=_moment(item.get("takeover_time")),
                )
                for item in answer.get("customer") or ()
            ),
            str(answer.get("next_cursor") or ""),
        )

    def transfer_groups(
        self, chat_ids: Sequence[str], new_owner: str, *, resigned: bool
    ) -> list[GroupTransferFailure]:
        chats = list(chat_ids)
        if len(chats) > MAX_GROUPS_PER_TRANSFER:
            raise InvalidInput(
                f"WeCom hands over at most {MAX_GROUPS_PER_TRANSFER} groups a call",
                field="chat_ids",
            )
        if not chats:
            return []
        # 离职: groupchat/transfer; 在职: groupchat/onjob_transfer (same body and answer).
        name = "transfer" if resigned else "onjob_transfer"
        body = {"chat_id_list": chats, "new_owner": new_owner}
        answer = self._call(lambda c: c.post(f"externalcontact/groupchat/{name}", data=body))
        return [
            GroupTransferFailure(
                str(item["chat_id"]), int(item.get("errcode", 0)), str(item.get("errmsg", ""))
            )
            for item in answer.get("failed_chat_list") or ()
        ]

    # --- calling ------------------------------------------------------------------------

    def _call(self, call: Callable[[WeChatClient], Any]) -> Any:
        client = self._client
        refreshed = refresh = False
        delays = list(self._backoff)
        while True:
            try:
                if refresh:  # inside the try: gettoken may be rate-limited too
                    refresh = False
                    client.refresh()
                answer = call(client)
            except WeChatClientException as error:
                if error.errcode is None:  # an HTTP error status, no WeCom answer
                    status = getattr(error.response, "status_code", "?")
                    raise ProviderUnavailable(f"WeCom answered HTTP {status}") from error
                code, message = int(error.errcode), str(error.errmsg)
                if code in TOKEN_CODES and not refreshed:
                    refreshed = refresh = True
                    continue
                if code not in BUSY_CODES:
                    raise WecomRefused(code, message) from error
            except _BusyToken as error:
                code, message = error.errcode, error.errmsg
            except requests.RequestException as error:
                raise ProviderUnavailable(f"WeCom could not be reached: {error}") from error
            else:
                if isinstance(answer, requests.Response):  # wechatpy: "not JSON"
                    raise ProviderUnavailable("WeCom answered something other than JSON")
                return answer
            if not delays:
                raise WecomRateLimited(code, message, retry_after=max(1, round(sum(self._backoff))))
            self._sleep(delays.pop(0))

    def _fetch_token(self) -> tuple[str, int]:
        """`gettoken` by a thin call of ours, through wechatpy's HTTP session."""
        try:
            response = self._client._http.get(
                f"{self._base_url}gettoken",
                params={"corpid": self._corp_id, "corpsecret": self._secret},
                timeout=self._timeout,
            )
            response.raise_for_status()
            answer = response.json()
        except requests.RequestException as error:
            raise ProviderUnavailable(f"WeCom's gettoken failed: {error}") from error
        except ValueError as error:
            raise ProviderUnavailable("WeCom's gettoken answered no JSON") from error
        code = int(answer.get("errcode") or 0)
        if code in BUSY_CODES:
            raise _BusyToken(code, str(answer.get("errmsg", "")))
        if code or "access_token" not in answer:
            raise WecomRefused(code, str(answer.get("errmsg", "no access_token")))
        return str(answer["access_token"]), int(answer.get("expires_in", 7200))

    def close(self) -> None:
        self._client._http.close()


def _attachment(attachment: WelcomeAttachment) -> dict[str, Any]:
    """One attachment as send_welcome_msg takes it."""
    kind = attachment.kind
    if kind == "link":
        fields = {"title": attachment.title, "url": attachment.url,
                  "picurl": attachment.picurl, "desc": attachment.desc}  # fmt: skip
    elif kind == "miniprogram":
        fields = {"title": attachment.title, "pic_media_id": attachment.media_id,
                  "appid": attachment.appid, "page": attachment.page}  # fmt: skip
    elif kind == "image":
        fields = (
            {"media_id": attachment.media_id}
            if attachment.media_id
            else {"pic_url": attachment.url}
        )
    else:
        raise InvalidInput(f"WeCom takes no {kind!r} attachment here", field="attachments")
    return {"msgtype": kind, kind: {k: v for k, v in fields.items() if v}}


def _check_mass_send(
    sender_userid: str | None,
    external_userids: Sequence[str] | None,
    text: str,
    attachments: Sequence[WelcomeAttachment],
    chat_type: str,
) -> None:
    """What add_msg_template would refuse, refused before the call (every adapter)."""
    if chat_type not in ("single", "group"):
        raise InvalidInput("chat_type is single or group", field="chat_type")
    if chat_type == "group" and not sender_userid:
        raise InvalidInput("a group send names its sender", field="sender")
    if chat_type == "single" and not sender_userid and not external_userids:
        raise InvalidInput(
            "a mass send names its sender, its customers or both", field="external_userids"
        )
    if not text and not attachments:
        raise InvalidInput("a mass send needs a text or an attachment", field="text")
    if len(attachments) > MAX_MASS_ATTACHMENTS:
        raise InvalidInput(
            f"a mass send has at most {MAX_MASS_ATTACHMENTS} attachments", field="attachments"
        )


def _check_moment(
    text: str, attachments: Sequence[WelcomeAttachment], userids: Sequence[str]
) -> None:
    if not userids:
        raise InvalidInput("a Moments post names its employees", field="userids")
    if not text and not attachments:
        raise InvalidInput("a Moments post needs a text or an attachment", field="text")
    kinds = {a.kind for a in attachments}
    if (
        len(attachments) > MAX_MOMENT_ATTACHMENTS
        or not kinds <= {"image", "link"}
        or len(kinds) > 1
        or ("link" in kinds and len(attachments) > 1)
    ):
        raise InvalidInput("a Moments post takes up to 9 images or one link", field="attachments")


def _moment_attachment(attachment: WelcomeAttachment) -> dict[str, Any]:
    """One attachment as add_moment_task takes it: images and links by media_id (the
    link's cover), uploaded to WeCom before."""
    if attachment.kind == "image":
        return {"msgtype": "image", "image": {"media_id": attachment.media_id}}
    link = {"title": attachment.title, "url": attachment.url, "media_id": attachment.media_id}
    return {"msgtype": "link", "link": {k: v for k, v in link.items() if v}}


def _join_way(
    chat_ids: Sequence[str],
    state: str,
    remark: str,
    auto_create_room: bool,
    room_base_name: str,
    room_base_id: int,
) -> dict[str, Any]:
    chats = list(chat_ids)
    if not 1 <= len(chats) <= MAX_JOIN_WAY_GROUPS:
        raise InvalidInput(
            f"a join way has 1 to {MAX_JOIN_WAY_GROUPS} customer groups", field="chat_ids"
        )
    body: dict[str, Any] = {
        "scene": 2,  # a QR code (1: a mini program's button)
        "chat_id_list": chats,
        "auto_create_room": 1 if auto_create_room else 0,
    }
    if remark:
        body["remark"] = remark[:30]  # WeCom cuts it at 30 characters
    if state:
        body["state"] = state
    if auto_create_room:
        body["room_base_name"] = room_base_name
        body["room_base_id"] = room_base_id
    return body


def _transfer_endpoint(name: str, resigned: bool) -> str:
    return f"externalcontact/resigned/{name}" if resigned else f"externalcontact/{name}"


def _moment(seconds: Any) -> datetime | None:
    return datetime.fromtimestamp(int(seconds), UTC) if seconds else None


def _follow_user(item: dict[str, Any]) -> FollowUser:
    return FollowUser(
        userid=str(item["userid"]),
        remark=str(item.get("remark", "")),
        tags=tuple(
            CorpTag(
                id=str(tag.get("tag_id") or ""),
                name=str(tag.get("tag_name", "")),
                group_name=str(tag.get("group_name", "")),
            )
            for tag in item.get("tags") or ()
        ),
        add_way=int(item.get("add_way", 0)),
        createtime=datetime.fromtimestamp(int(item.get("createtime", 0)), UTC),
        state=str(item.get("state", "")),
    )
