"""The WeChat Official Account API through wechatpy's client (WX-1…6, TRK-3).

One `WeChatClient` per account, its API base pointed at `base_url` (WeChat's, or a
test's stand-in) and its access_token read from the shared `AccessTokenCache` instead
of wechatpy's per-client session: wechatpy's session storage has no "refresh under a
lock" step, so several processes (or threads) would each fetch a token and retire the
others'. wechatpy's own retry on 40001/42001 is off (it refetches without bound and per
client); this adapter refreshes once through the cache and retries once.

Answers (https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html):
40001/40014/42001 the token is invalid or expired → refresh and retry once; 45009
(frequency limit) and -1 (system busy) → wait `busy_delays` one after another and
retry, then `WechatBusy`; any other errcode → `WechatRefused`. No answer (connection
refused, timeout) → `ProviderUnavailable`, not retried: a send may have gone out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException

from adapters.wechat.access_tokens import AccessTokenCache
from application.shared.errors import ProviderUnavailable
from application.wechat.ports import (
    AccountKeys,
    FanProfile,
    FanTag,
    FollowerPage,
    Material,
    OutgoingMessage,
    QrTicket,
    WechatRefused,
)

DEFAULT_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
QR_IMAGE_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode"
TOKEN_CODES = frozenset({40001, 40014, 42001})
BUSY_CODES = frozenset({45009, -1})
DEFAULT_BUSY_DELAYS = (1.0, 2.0, 4.0)
DUPLICATE_MASS = 45065  # a mass send's clientmsgid already sent (answers its msg_id)


class WechatBusy(ProviderUnavailable):
    """WeChat kept answering its rate-limit (45009) or system-busy (-1) code after the
    adapter's bounded retries: nothing was done; try again later."""

    code = "wechat_busy"

    def __init__(self, errcode: int, errmsg: str, *, retry_after: int) -> None:
        super().__init__(f"WeChat is busy: {errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.retry_after = retry_after


class _BusyToken(Exception):
    """The token endpoint answered a busy code (handled like a busy API answer)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class _AccountClient(WeChatClient):  # type: ignore[misc]
    """wechatpy's client for one account, taking its token from the shared cache."""

    def __init__(
        self,
        keys: AccountKeys,
        tokens: AccessTokenCache,
        fetch: Callable[[AccountKeys], tuple[str, int]],
        *,
        base_url: str,
        timeout: float,
        http: requests.Session,
    ) -> None:
        super().__init__(keys.appid, keys.secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = base_url  # wechatpy joins every endpoint onto this
        self._http = http  # one pool for all accounts (wechatpy makes one per client)
        self._keys = keys
        self._tokens = tokens
        self._fetch = fetch
        self._handed_out = threading.local()

    @property
    def access_token(self) -> str:
        """What wechatpy puts in each request's query (read per call)."""
        token = self._tokens.token(self._keys.account_id, lambda: self._fetch(self._keys))
        self._handed_out.token = token
        return token

    def refresh(self) -> None:
        """WeChat refused the token this thread used: replace it (once for everyone)."""
        stale = getattr(self._handed_out, "token", None)
        self._tokens.token(self._keys.account_id, lambda: self._fetch(self._keys), stale=stale)


class WechatpyApi:
    """`WechatApi` over wechatpy's `WeChatClient`, tokens shared through `tokens`."""

    def __init__(
        self,
        tokens: AccessTokenCache,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        busy_delays: Sequence[float] = DEFAULT_BUSY_DELAYS,
        qr_image_url: str = QR_IMAGE_URL,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._tokens = tokens
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._timeout = timeout
        self._busy_delays = tuple(busy_delays)
        self._qr_image_url = qr_image_url
        self._sleep = sleep
        self._http = requests.Session()
        # Mass sends and syncs run many calls at once; requests keeps 10 by default.
        self._http.mount("http://", HTTPAdapter(pool_connections=8, pool_maxsize=64))
        self._http.mount("https://", HTTPAdapter(pool_connections=8, pool_maxsize=64))
        self._clients: dict[tuple[Any, str, str], _AccountClient] = {}
        self._clients_lock = threading.Lock()

    # --- messages -----------------------------------------------------------------------

    def send_customer_message(
        self, keys: AccountKeys, openid: str, message: OutgoingMessage
    ) -> None:
        def send(client: WeChatClient) -> Any:
            api = client.message
            if message.kind == "text":
                return api.send_text(openid, message.text)
            if message.kind == "image":
                return api.send_image(openid, message.media_id)
            if message.kind == "voice":
                return api.send_voice(openid, message.media_id)
            if message.kind == "video":
                return api.send_video(openid, message.media_id)
            if message.kind in ("news", "mpnews"):
                return api.send_articles(openid, message.media_id)  # a media_id: mpnews
            raise ValueError(f"no customer-service message of kind {message.kind!r}")

        self._call(keys, send)

    def mass_send(
        self,
        keys: AccountKeys,
        openids: Sequence[str],
        message: OutgoingMessage,
        clientmsgid: str = "",
    ) -> str:
        body = {"touser": list(openids), **_mass_body(message)}
        if clientmsgid:
            body["clientmsgid"] = clientmsgid

        def send(client: WeChatClient) -> Any:
            try:
                return client.post("message/mass/send", data=body)
            except WeChatClientException as error:
                # 45065: this clientmsgid was sent within 24 h; WeChat names its msg_id.
                if error.errcode is not None and int(error.errcode) == DUPLICATE_MASS:
                    return _json(error.response)
                raise

        answer = self._call(keys, send)
        return str(answer.get("msg_id", ""))

    def mass_preview(self, keys: AccountKeys, openid: str, message: OutgoingMessage) -> None:
        # Posted as is: wechatpy's preview guesses from the string's shape whether it is
        # an openid or a WeChat ID (towxname).
        body = {"touser": openid, **_mass_body(message)}
        self._call(keys, lambda c: c.post("message/mass/preview", data=body))

    def send_template(
        self,
        keys: AccountKeys,
        openid: str,
        template_id: str,
        data: Mapping[str, str],
        url: str = "",
        client_msg_id: str = "",
    ) -> str:
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {name: {"value": value} for name, value in data.items()},
        }
        if url:
            body["url"] = url
        if client_msg_id:
            body["client_msg_id"] = client_msg_id
        answer = self._call(keys, lambda c: c.post("message/template/send", data=body))
        return str(answer.get("msgid", ""))

    # --- fans ---------------------------------------------------------------------------

    def followers(self, keys: AccountKeys, next_openid: str = "") -> FollowerPage:
        answer = self._call(keys, lambda c: c.user.get_followers(next_openid or None))
        openids = tuple(str(o) for o in (answer.get("data") or {}).get("openid") or ())
        return FollowerPage(
            total=int(answer.get("total", 0)),
            openids=openids,
            # WeChat names the last openid of every page, the last page's too; a page
            # with nothing in it ends the list.
            next_openid=str(answer.get("next_openid") or "") if openids else "",
        )

    def fan_profiles(self, keys: AccountKeys, openids: Sequence[str]) -> list[FanProfile]:
        if not openids:
            return []
        answer = self._call(keys, lambda c: c.user.get_batch(list(openids)))
        return [_profile(item) for item in answer]

    def tag_fans(self, keys: AccountKeys, tag_id: int, openids: Sequence[str]) -> None:
        self._call(keys, lambda c: c.tag.tag_user(tag_id, list(openids)))

    def tags(self, keys: AccountKeys) -> list[FanTag]:
        answer = self._call(keys, lambda c: c.tag.get())
        return [
            FanTag(tag_id=int(t["id"]), name=str(t.get("name", "")), count=int(t.get("count", 0)))
            for t in answer
        ]

    # --- menus, QR codes, material ------------------------------------------------------

    def create_qr_code(self, keys: AccountKeys, scene: str, expires_in: int | None) -> QrTicket:
        body: dict[str, Any] = {"action_info": {"scene": {"scene_str": scene}}}
        if expires_in is None:
            body["action_name"] = "QR_LIMIT_STR_SCENE"
        else:
            body.update(action_name="QR_STR_SCENE", expire_seconds=expires_in)
        answer = self._call(keys, lambda c: c.qrcode.create(body))
        ticket = str(answer["ticket"])
        lifetime = answer.get("expire_seconds", expires_in) if expires_in is not None else None
        return QrTicket(
            ticket=ticket,
            url=f"{self._qr_image_url}?ticket={quote(ticket, safe='')}",
            expires_in=int(lifetime) if lifetime is not None else None,
        )

    def publish_menu(self, keys: AccountKeys, buttons: Sequence[Mapping[str, Any]]) -> None:
        menu = {"button": [dict(button) for button in buttons]}
        self._call(keys, lambda c: c.menu.create(menu))

    def materials(self, keys: AccountKeys, kind: str, offset: int, count: int) -> list[Material]:
        answer = self._call(keys, lambda c: c.material.batchget(kind, offset, count))
        return [_material(kind, item) for item in answer.get("item") or ()]

    # --- calling ------------------------------------------------------------------------

    def _call(self, keys: AccountKeys, call: Callable[[WeChatClient], Any]) -> Any:
        client = self._client(keys)
        refreshed = refresh = False
        delays = list(self._busy_delays)
        while True:
            try:
                if refresh:  # inside the try: a busy token endpoint is waited out too
                    client.refresh()
                    refresh = False
                answer = call(client)
            except WeChatClientException as error:
                if error.errcode is None:  # an HTTP error status, no WeChat answer
                    status = getattr(error.response, "status_code", "?")
                    raise ProviderUnavailable(f"WeChat answered HTTP {status}") from error
                code, message = int(error.errcode), str(error.errmsg)
                if code in TOKEN_CODES and not refreshed:
                    refreshed = refresh = True
                    continue
                if code not in BUSY_CODES:
                    raise WechatRefused(code, message) from error
            except _BusyToken as error:
                code, message = error.errcode, error.errmsg
            except requests.RequestException as error:
                raise ProviderUnavailable(f"WeChat could not be reached: {error}") from error
            else:
                if isinstance(answer, requests.Response):  # wechatpy: "not JSON"
                    raise ProviderUnavailable("WeChat answered something other than JSON")
                return answer
            if not delays:
                raise WechatBusy(code, message, retry_after=max(1, round(sum(self._busy_delays))))
            self._sleep(delays.pop(0))

    def _client(self, keys: AccountKeys) -> _AccountClient:
        # Keyed by the secret too: a new secret gets a new client.
        key = (keys.account_id, keys.appid, keys.secret)
        with self._clients_lock:
            client = self._clients.get(key)
            if client is None:
                client = _AccountClient(
                    keys,
                    self._tokens,
                    self._fetch_token,
                    base_url=self._base_url,
                    timeout=self._timeout,
                    http=self._http,
                )
                self._clients[key] = client
            return client

    def _fetch_token(self, keys: AccountKeys) -> tuple[str, int]:
        """`/cgi-bin/token` by a thin call of our own: wechatpy's fetch has no timeout
        and a fixed host, and it runs here under the cache's lock."""
        try:
            response = self._http.get(
                f"{self._base_url}token",
                params={
                    "grant_type": "client_credential",
                    "appid": keys.appid,
                    "secret": keys.secret,
                },
                timeout=self._timeout,
            )
            response.raise_for_status()
            answer = response.json()
        except requests.RequestException as error:
            raise ProviderUnavailable(f"WeChat's token endpoint failed: {error}") from error
        except ValueError as error:
            raise ProviderUnavailable("WeChat's token endpoint answered no JSON") from error
        code = int(answer.get("errcode") or 0)
        if code in BUSY_CODES:
            raise _BusyToken(code, str(answer.get("errmsg", "")))
        if code or "access_token" not in answer:
            raise WechatRefused(code, str(answer.get("errmsg", "no access_token")))
        return str(answer["access_token"]), int(answer.get("expires_in", 7200))

    def close(self) -> None:
        self._http.close()


def _mass_body(message: OutgoingMessage) -> dict[str, Any]:
    """The message part of `message/mass/send` and `…/preview` (WeChat's names)."""
    if message.kind == "text":
        return {"msgtype": "text", "text": {"content": message.text}}
    if message.kind in ("image", "voice"):
        return {"msgtype": message.kind, message.kind: {"media_id": message.media_id}}
    if message.kind == "video":  # mass video is the media_id of uploadvideo
        return {"msgtype": "mpvideo", "mpvideo": {"media_id": message.media_id}}
    if message.kind in ("news", "mpnews"):
        # 0: stop when WeChat judges the article a reprint (its default).
        return {
            "msgtype": "mpnews",
            "mpnews": {"media_id": message.media_id},
            "send_ignore_reprint": 0,
        }
    raise ValueError(f"no mass message of kind {message.kind!r}")


def _json(response: Any) -> Any:
    try:
        return response.json()
    except (AttributeError, ValueError):
        return {}


def _moment(seconds: Any) -> datetime | None:
    return datetime.fromtimestamp(int(seconds), UTC) if seconds else None


def _profile(item: Mapping[str, Any]) -> FanProfile:
    scene = item.get("qr_scene_str") or (str(item["qr_scene"]) if item.get("qr_scene") else "")
    return FanProfile(
        openid=str(item["openid"]),
        subscribed=bool(item.get("subscribe")),
        unionid=str(item.get("unionid", "")),
        nickname=str(item.get("nickname", "")),
        sex=int(item.get("sex", 0)),
        country=str(item.get("country", "")),
        province=str(item.get("province", "")),
        city=str(item.get("city", "")),
        language=str(item.get("language", "")),
        subscribed_at=_moment(item.get("subscribe_time")),
        remark=str(item.get("remark", "")),
        tag_ids=tuple(int(tag) for tag in item.get("tagid_list") or ()),
        subscribe_scene=str(item.get("subscribe_scene", "")),
        qr_scene=scene,
    )


def _material(kind: str, item: Mapping[str, Any]) -> Material:
    content = item.get("content") or {}
    return Material(
        media_id=str(item["media_id"]),
        kind=kind,
        name=str(item.get("name", "")),
        url=str(item.get("url", "")),
        updated_at=_moment(item.get("update_time") or content.get("update_time")),
        articles=tuple(dict(article) for article in content.get("news_item") or ()),
    )
