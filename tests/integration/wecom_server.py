"""A local HTTP server that answers like WeCom's server API (`/cgi-bin/…` of
qyapi.weixin.qq.com), so the adapter's wechatpy client talks the real protocol over a
real socket (WECOM-1…5).

It holds a small corp in memory (departments, employees, customers with their follow
users, customer groups, corp tags), issues access_tokens (`gettoken`, counted), checks
the token of every other call (missing → 41001, unknown → 40014, one a test expired →
42001), can answer 45009 to the next N calls, or any errcode for one path, records
each call, and answers in WeCom's documented JSON (errcode/errmsg and the fields of
each endpoint): https://developer.work.weixin.qq.com/document/path/90664 (contacts),
https://developer.work.weixin.qq.com/document/path/92109 (customer contact).
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

OK = {"errcode": 0, "errmsg": "ok"}
EPOCH = 1_767_225_600  # 2026-01-01 00:00 UTC: the stand-in's "now" starts here

# WeCom's codes for what the stand-in refuses.
INVALID_TOKEN = 40014
EXPIRED_TOKEN = 42001
MISSING_TOKEN = 41001
RATE_LIMITED = 45009
INVALID_SECRET = 40001  # gettoken: 不合法的secret参数
INVALID_CORPID = 40013
NO_SUCH_USER = 60111  # UserID不存在
NO_SUCH_DEPARTMENT = 60123
INVALID_EXTERNAL_USERID = 40096  # 不合法的外部联系人userid
NO_RELATION = 84061  # 不存在外部联系人的关系
INVALID_TAG = 40068
INVALID_CHAT_ID = 40050
INVALID_PARAMETER = 40058
INVALID_CONFIG_ID = 41044  # the stand-in's answer to an unknown config_id
WELCOME_CODE_USED = 41051  # the stand-in's answer to an unknown or used welcome_code
IN_TRANSFER = 40100  # 用户的外部联系人已经在转移流程中
DROP = object()  # `handle`'s answer when the connection is to be closed unanswered


@dataclass
class Call:
    """One API call the stand-in took (not the gettoken requests)."""

    path: str  # e.g. "externalcontact/transfer_customer", without /cgi-bin/
    query: dict[str, str]
    body: Any
    dropped: str = ""  # "before" / "after" it was acted on: the connection closed unanswered


@dataclass
class WecomServer:
    """State a test sets and reads: the corp and how the server behaves."""

    corp_id: str
    secret: str
    url: str = ""  # the API base, ".../cgi-bin/"
    expires_in: int = 7200
    token_requests: int = 0
    busy: int = 0  # answer 45009 to this many more API calls
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)  # path → errcode
    page_size: int = 500  # follow users of externalcontact/get per page (WeCom: 500)
    departments: list[dict[str, Any]] = field(default_factory=list)
    employees: list[dict[str, Any]] = field(default_factory=list)  # user/list entries
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)  # external_userid →
    group_chats: list[dict[str, Any]] = field(default_factory=list)  # groupchat/get entries
    tag_groups: list[dict[str, Any]] = field(default_factory=list)
    welcome_codes: set[str] = field(default_factory=set)  # issued, not yet used
    welcomes: list[dict[str, Any]] = field(default_factory=list)  # what was sent
    contact_ways: dict[str, dict[str, Any]] = field(default_factory=dict)  # config_id →
    join_ways: dict[str, dict[str, Any]] = field(default_factory=dict)  # config_id →
    mass_sends: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # msgid → sender →
    mass_sent: dict[tuple[str, str], int] = field(default_factory=dict)  # (msgid, userid) → time
    group_sends: set[str] = field(default_factory=set)  # msgids of chat_type group
    moment_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # jobid → result
    moments: dict[str, dict[str, int]] = field(default_factory=dict)  # moment_id → userid →
    # (handover, takeover, resigned) → external_userid → {"status", "takeover_time"}
    transfers: dict[tuple[str, str, bool], dict[str, dict[str, int]]] = field(default_factory=dict)
    # Customer inheritance: every acceptance (handover, takeover, external_userid), and
    # every customer named again while a transfer of theirs runs or ran (40100).
    accepted: list[tuple[str, str, str]] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    group_transfers: list[tuple[str, str]] = field(default_factory=list)  # (chat_id, owner)
    # path → what the next calls to it do, one entry a call: "before" closes the
    # connection without acting or answering, "after" acts and then closes it.
    drops: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    _tokens: set[str] = field(default_factory=set)
    _expired: set[str] = field(default_factory=set)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.RLock = field(default_factory=threading.RLock)

    # --- what a test does ---------------------------------------------------------------

    def expire_tokens(self) -> None:
        """From now on WeCom answers 42001 to calls with any token issued so far."""
        with self.lock:
            self._expired |= self._tokens

    def issued(self) -> list[str]:
        with self.lock:
            return sorted(self._tokens)

    def calls_to(self, path: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path == path]

    def follow_user(self, external_userid: str, userid: str) -> dict[str, Any] | None:
        for follow in self.customers[external_userid]["follow_user"]:
            if follow["userid"] == userid:
                return follow
        return None

    def confirm_mass_send(self, msgid: str, userid: str) -> None:
        """The employee tapped "send" in the mass-send assistant."""
        with self.lock:
            self.mass_sent[(msgid, userid)] = EPOCH + next(self._numbers)

    def publish_moment(self, moment_id: str, userid: str) -> None:
        """The employee published the Moments post."""
        with self.lock:
            self.moments[moment_id][userid] = 1

    def take_over(self, external_userid: str) -> None:
        """The customer's 24 hours passed without refusal: the takeover is complete."""
        with self.lock:
            for customers in self.transfers.values():
                if external_userid in customers:
                    customers[external_userid] = {
                        "status": 1,
                        "takeover_time": EPOCH + next(self._numbers),
                    }

    # --- answering ----------------------------------------------------------------------

    def handle(self, path: str, query: dict[str, str], body: bytes) -> Any:
        endpoint = path.removeprefix("/cgi-bin/")
        if endpoint == "gettoken":
            return self._gettoken(query)
        with self.lock:
            token = query.get("access_token", "")
            if not token:
                return {"errcode": MISSING_TOKEN, "errmsg": "access_token missing"}
            if token not in self._tokens:
                return {"errcode": INVALID_TOKEN, "errmsg": "invalid access_token"}
            if token in self._expired:
                return {"errcode": EXPIRED_TOKEN, "errmsg": "access_token expired"}
            if self.busy > 0:
                self.busy -= 1
                return {"errcode": RATE_LIMITED, "errmsg": "api freq out of limit"}
            parsed = json.loads(body) if body else None
            dropped = self.drops.get(endpoint, [])
            drop = dropped.pop(0) if dropped else ""
            self.calls.append(Call(endpoint, query, parsed, dropped=drop))
            if drop == "before":
                return DROP
            if endpoint in self.failures:
                code, message = self.failures[endpoint]
                return {"errcode": code, "errmsg": message}
            answer = getattr(self, "_" + endpoint.replace("/", "_"), None)
            if answer is None:
                return {"errcode": 404, "errmsg": f"no such API: {endpoint}"}  # never WeCom's
            result = answer(query, parsed or {})
            if drop == "after":
                return DROP
        return {**OK, **result}

    def _gettoken(self, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            self.token_requests += 1
            if query.get("corpid") != self.corp_id:
                return {"errcode": INVALID_CORPID, "errmsg": "invalid corpid"}
            if query.get("corpsecret") != self.secret:
                return {"errcode": INVALID_SECRET, "errmsg": "invalid credential"}
            token = f"wecom-token-{next(self._numbers)}"
            self._tokens.add(token)
            return {**OK, "access_token": token, "expires_in": self.expires_in}

    # contacts

    def _department_list(self, query: dict[str, str], body: Any) -> Any:
        return {"department": self.departments}

    def _user_list(self, query: dict[str, str], body: Any) -> Any:
        department = int(query.get("department_id") or 0)
        if not any(d["id"] == department for d in self.departments):
            return {"errcode": NO_SUCH_DEPARTMENT, "errmsg": "invalid department id"}
        return {"userlist": [u for u in self.employees if department in u["department"]]}

    # customers

    def _externalcontact_list(self, query: dict[str, str], body: Any) -> Any:
        userid = query.get("userid", "")
        if not self._employee(userid):
            return {"errcode": NO_SUCH_USER, "errmsg": f"userid not found: {userid}"}
        theirs = [e for e in self.customers if self.follow_user(e, userid) is not None]
        if not theirs:
            return {"errcode": NO_RELATION, "errmsg": "not external contact"}
        return {"external_userid": theirs}

    def _externalcontact_get(self, query: dict[str, str], body: Any) -> Any:
        customer = self.customers.get(query.get("external_userid", ""))
        if customer is None:
            return {"errcode": INVALID_EXTERNAL_USERID, "errmsg": "invalid external userid"}
        start = _offset(query.get("cursor", ""))
        follows = customer["follow_user"]
        page = follows[start : start + self.page_size]
        more = start + self.page_size < len(follows)
        return {
            "external_contact": customer["external_contact"],
            "follow_user": page,
            "next_cursor": _cursor(start + self.page_size) if more else "",
        }

    def _externalcontact_groupchat_list(self, query: dict[str, str], body: Any) -> Any:
        start, limit = _offset(body.get("cursor") or ""), int(body.get("limit", 100))
        chats = self.group_chats[start : start + limit]
        more = start + limit < len(self.group_chats)
        return {
            "group_chat_list": [{"chat_id": c["chat_id"], "status": c["status"]} for c in chats],
            "next_cursor": _cursor(start + limit) if more else "",
        }

    def _externalcontact_groupchat_get(self, query: dict[str, str], body: Any) -> Any:
        for chat in self.group_chats:
            if chat["chat_id"] == body.get("chat_id"):
                return {"group_chat": {k: v for k, v in chat.items() if k != "status"}}
        return {"errcode": INVALID_CHAT_ID, "errmsg": "invalid chat_id"}

    # tags

    def _externalcontact_get_corp_tag_list(self, query: dict[str, str], body: Any) -> Any:
        return {"tag_group": self.tag_groups}

    def _externalcontact_mark_tag(self, query: dict[str, str], body: Any) -> Any:
        if body.get("external_userid") not in self.customers:
            return {"errcode": INVALID_EXTERNAL_USERID, "errmsg": "invalid external userid"}
        follow = self.follow_user(body["external_userid"], body.get("userid", ""))
        if follow is None:
            return {"errcode": NO_RELATION, "errmsg": "not external contact"}
        tags = {
            tag["id"]: (group["group_name"], tag["name"])
            for group in self.tag_groups
            for tag in group["tag"]
        }
        named = list(body.get("add_tag") or ()) + list(body.get("remove_tag") or ())
        if any(tag_id not in tags for tag_id in named):
            return {"errcode": INVALID_TAG, "errmsg": "invalid tagid"}
        kept = [t for t in follow["tags"] if t.get("tag_id") not in body.get("remove_tag", ())]
        for tag_id in body.get("add_tag") or ():
            if all(t.get("tag_id") != tag_id for t in kept):
                group_name, name = tags[tag_id]
                kept.append(
                    {"group_name": group_name, "tag_name": name, "tag_id": tag_id, "type": 1}
                )
        follow["tags"] = kept
        return {}

    # reaching customers

    def _externalcontact_send_welcome_msg(self, query: dict[str, str], body: Any) -> Any:
        code = body.get("welcome_code", "")
        if code not in self.welcome_codes:
            return {"errcode": WELCOME_CODE_USED, "errmsg": "invalid welcome_code"}
        self.welcome_codes.discard(code)  # a welcome_code is good for one message
        self.welcomes.append(body)
        return {}

    def _externalcontact_add_contact_way(self, query: dict[str, str], body: Any) -> Any:
        users = list(body.get("user") or ())
        if body.get("type") == 1 and len(users) != 1:
            return {"errcode": INVALID_PARAMETER, "errmsg": "type 1 takes one user"}
        unknown = [u for u in users if not self._employee(u)]
        if unknown:
            return {"errcode": NO_SUCH_USER, "errmsg": f"userid not found: {unknown[0]}"}
        n = next(self._numbers)
        config_id = f"42b34949e138eb6e027c123cba77f{n:03d}"
        self.contact_ways[config_id] = body
        return {"config_id": config_id, "qr_code": f"https://wework.qpic.cn/wwpic/{n}/0"}

    def _externalcontact_update_contact_way(self, query: dict[str, str], body: Any) -> Any:
        way = self.contact_ways.get(body.get("config_id", ""))
        if way is None:
            return {"errcode": INVALID_CONFIG_ID, "errmsg": "invalid config_id"}
        users = list(body.get("user") or way.get("user") or ())
        if way.get("type") == 1 and len(users) != 1:
            return {"errcode": INVALID_PARAMETER, "errmsg": "type 1 takes one user"}
        unknown = [u for u in users if not self._employee(u)]
        if unknown:
            return {"errcode": NO_SUCH_USER, "errmsg": f"userid not found: {unknown[0]}"}
        way.update({k: v for k, v in body.items() if k != "config_id"})
        return {}

    def _externalcontact_del_contact_way(self, query: dict[str, str], body: Any) -> Any:
        if self.contact_ways.pop(body.get("config_id", ""), None) is None:
            return {"errcode": INVALID_CONFIG_ID, "errmsg": "invalid config_id"}
        return {}

    def _externalcontact_groupchat_add_join_way(self, query: dict[str, str], body: Any) -> Any:
        refused = self._join_way_refusal(body)
        if refused:
            return refused
        n = next(self._numbers)
        config_id = f"9ad7fa5cdaa6511298498f979c47{n:04d}"
        self.join_ways[config_id] = {
            **body,
            "config_id": config_id,
            "qr_code": f"https://wework.qpic.cn/wwpic/join/{n}/0",
        }
        return {"config_id": config_id}

    def _externalcontact_groupchat_get_join_way(self, query: dict[str, str], body: Any) -> Any:
        way = self.join_ways.get(body.get("config_id", ""))
        if way is None:
            return {"errcode": INVALID_CONFIG_ID, "errmsg": "invalid config_id"}
        return {"join_way": way}

    def _externalcontact_groupchat_update_join_way(self, query: dict[str, str], body: Any) -> Any:
        way = self.join_ways.get(body.get("config_id", ""))
        if way is None:
            return {"errcode": INVALID_CONFIG_ID, "errmsg": "invalid config_id"}
        refused = self._join_way_refusal(body)
        if refused:
            return refused
        way.update(body)
        return {}

    def _externalcontact_groupchat_del_join_way(self, query: dict[str, str], body: Any) -> Any:
        if self.join_ways.pop(body.get("config_id", ""), None) is None:
            return {"errcode": INVALID_CONFIG_ID, "errmsg": "invalid config_id"}
        return {}

    def _join_way_refusal(self, body: Any) -> dict[str, Any] | None:
        chats = list(body.get("chat_id_list") or ())
        if not 1 <= len(chats) <= 5 or body.get("scene") not in (1, 2):
            return {"errcode": INVALID_PARAMETER, "errmsg": "chat_id_list: 1 to 5 chats"}
        known = {c["chat_id"] for c in self.group_chats}
        if any(chat not in known for chat in chats):
            return {"errcode": INVALID_CHAT_ID, "errmsg": "invalid chat_id"}
        if body.get("auto_create_room") == 1 and not body.get("room_base_name"):
            return {"errcode": INVALID_PARAMETER, "errmsg": "room_base_name missing"}
        return None

    def _externalcontact_add_msg_template(self, query: dict[str, str], body: Any) -> Any:
        sender = body.get("sender")
        if not body.get("text", {}).get("content") and not body.get("attachments"):
            return {"errcode": INVALID_PARAMETER, "errmsg": "text and attachments empty"}
        if len(body.get("attachments") or ()) > 9:
            return {"errcode": INVALID_PARAMETER, "errmsg": "attachments exceed 9"}
        if body.get("chat_type") == "group":
            if not self._employee(sender or ""):
                return {"errcode": NO_SUCH_USER, "errmsg": f"userid not found: {sender}"}
            msgid = f"msgGCAAAXtWyujaWJHDDGi0mAC{next(self._numbers):03d}"
            owned = [c["chat_id"] for c in self.group_chats if c.get("owner") == sender]
            self.mass_sends[msgid] = {sender: owned}
            self.group_sends.add(msgid)
            return {"fail_list": [], "msgid": msgid}
        named = body.get("external_userid")
        targets = named if named is not None else self._customers_of(sender)
        by_sender: dict[str, list[str]] = {}
        failed = []
        for external_userid in targets:
            follows = self.customers.get(external_userid, {}).get("follow_user", [])
            senders = [f["userid"] for f in follows if sender in (None, f["userid"])]
            if not senders:
                failed.append(external_userid)
                continue
            by_sender.setdefault(senders[0], []).append(external_userid)
        msgid = f"msgGCAAAXtWyujaWJHDDGi0mAC{next(self._numbers):03d}"
        self.mass_sends[msgid] = by_sender
        return {"fail_list": failed, "msgid": msgid}

    def _externalcontact_get_groupmsg_task(self, query: dict[str, str], body: Any) -> Any:
        senders = self.mass_sends.get(body.get("msgid", ""))
        if senders is None:
            return {"errcode": INVALID_PARAMETER, "errmsg": "invalid msgid"}
        tasks = []
        for userid in senders:
            sent = self.mass_sent.get((body["msgid"], userid))
            tasks.append(
                {"userid": userid, "status": 2, "send_time": sent}
                if sent
                else {"userid": userid, "status": 0}
            )
        return _paged(tasks, "task_list", body)

    def _externalcontact_get_groupmsg_send_result(self, query: dict[str, str], body: Any) -> Any:
        senders = self.mass_sends.get(body.get("msgid", ""))
        if senders is None:
            return {"errcode": INVALID_PARAMETER, "errmsg": "invalid msgid"}
        userid = body.get("userid", "")
        sent = self.mass_sent.get((body["msgid"], userid))
        key = "chat_id" if body["msgid"] in self.group_sends else "external_userid"
        results = [
            {key: e, "userid": userid, "status": 1, "send_time": sent}
            if sent
            else {key: e, "userid": userid, "status": 0}
            for e in senders.get(userid, [])
        ]
        return _paged(results, "send_list", body)

    # Moments

    def _externalcontact_add_moment_task(self, query: dict[str, str], body: Any) -> Any:
        attachments = list(body.get("attachments") or ())
        if not body.get("text", {}).get("content") and not attachments:
            return {"errcode": INVALID_PARAMETER, "errmsg": "text and attachments empty"}
        kinds = {a.get("msgtype") for a in attachments}
        if len(kinds) > 1 or len(attachments) > 9 or ("link" in kinds and len(attachments) > 1):
            return {"errcode": INVALID_PARAMETER, "errmsg": "9 images, or 1 video, or 1 link"}
        senders = (body.get("visible_range") or {}).get("sender_list", {}).get("user_list", [])
        invalid = [u for u in senders if not self._employee(u)]
        n = next(self._numbers)
        jobid, moment_id = f"xxxxxxxxxx{n:04d}", f"momxxxxxxxxxxxx{n:04d}"
        self.moment_jobs[jobid] = {
            "errcode": 0,
            "errmsg": "ok",
            "moment_id": moment_id,
            "invalid_sender_list": {"user_list": invalid},
            "invalid_external_contact_list": {"tag_list": []},
        }
        self.moments[moment_id] = {u: 0 for u in senders if u not in invalid}
        return {"jobid": jobid}

    def _externalcontact_get_moment_task_result(self, query: dict[str, str], body: Any) -> Any:
        result = self.moment_jobs.get(query.get("jobid", ""))
        if result is None:
            return {"errcode": INVALID_PARAMETER, "errmsg": "invalid jobid"}
        return {"status": 3, "type": "add_moment_task", "result": result}

    def _externalcontact_get_moment_task(self, query: dict[str, str], body: Any) -> Any:
        publishers = self.moments.get(body.get("moment_id", ""))
        if publishers is None:
            return {"errcode": INVALID_PARAMETER, "errmsg": "invalid moment_id"}
        tasks = [{"userid": u, "publish_status": p} for u, p in publishers.items()]
        return _paged(tasks, "task_list", body)

    # inheritance

    def _externalcontact_transfer_customer(self, query: dict[str, str], body: Any) -> Any:
        return self._transfer(body, resigned=False)

    def _externalcontact_resigned_transfer_customer(self, q: dict[str, str], body: Any) -> Any:
        return self._transfer(body, resigned=True)

    def _externalcontact_transfer_result(self, query: dict[str, str], body: Any) -> Any:
        return self._transfer_result(body, resigned=False)

    def _externalcontact_resigned_transfer_result(self, q: dict[str, str], body: Any) -> Any:
        return self._transfer_result(body, resigned=True)

    def _transfer(self, body: Any, *, resigned: bool) -> Any:
        handover, takeover = body.get("handover_userid", ""), body.get("takeover_userid", "")
        for userid in (handover, takeover):
            if not self._employee(userid):
                return {"errcode": NO_SUCH_USER, "errmsg": f"userid not found: {userid}"}
        customers = list(body.get("external_userid") or ())
        if len(customers) > 100:  # WeCom: external_userid 列表，最多一次转移100个客户
            return {"errcode": INVALID_PARAMETER, "errmsg": "external_userid exceed 100"}
        ledger = self.transfers.setdefault((handover, takeover, resigned), {})
        answers = []
        for external_userid in customers:
            if external_userid not in self.customers:
                answers.append({"external_userid": external_userid, "errcode": 40096})
            elif self.follow_user(external_userid, handover) is None:
                answers.append({"external_userid": external_userid, "errcode": NO_RELATION})
            elif any(external_userid in other for other in self.transfers.values()):
                self.renamed.append(external_userid)  # WeCom takes a customer once
                answers.append({"external_userid": external_userid, "errcode": IN_TRANSFER})
            else:
                ledger[external_userid] = {"status": 2}  # waiting for the takeover
                self.accepted.append((handover, takeover, external_userid))
                answers.append({"external_userid": external_userid, "errcode": 0})
        return {"customer": answers}

    def _externalcontact_groupchat_transfer(self, query: dict[str, str], body: Any) -> Any:
        return self._group_transfer(body)

    def _externalcontact_groupchat_onjob_transfer(self, q: dict[str, str], body: Any) -> Any:
        return self._group_transfer(body)

    def _group_transfer(self, body: Any) -> Any:
        owner = body.get("new_owner", "")
        if not self._employee(owner):
            return {"errcode": NO_SUCH_USER, "errmsg": f"userid not found: {owner}"}
        chats = list(body.get("chat_id_list") or ())
        if not 1 <= len(chats) <= 100:  # WeCom: chat_id_list 最多支持100个
            return {"errcode": INVALID_PARAMETER, "errmsg": "chat_id_list: 1 to 100 chats"}
        failed = []
        for chat_id in chats:
            chat = next((c for c in self.group_chats if c["chat_id"] == chat_id), None)
            if chat is None:
                failed.append({"chat_id": chat_id, "errcode": INVALID_CHAT_ID,
                               "errmsg": "invalid chat_id"})  # fmt: skip
                continue
            chat["owner"] = owner
            self.group_transfers.append((chat_id, owner))
        return {"failed_chat_list": failed}

    def _transfer_result(self, body: Any, *, resigned: bool) -> Any:
        key = (body.get("handover_userid", ""), body.get("takeover_userid", ""), resigned)
        ledger = self.transfers.get(key, {})
        results = [{"external_userid": e, **state} for e, state in ledger.items()]
        return _paged(results, "customer", body, limit=self.page_size)

    # helpers

    def _employee(self, userid: str) -> dict[str, Any] | None:
        return next((u for u in self.employees if u["userid"] == userid), None)

    def _customers_of(self, userid: str | None) -> list[str]:
        return [e for e in self.customers if userid and self.follow_user(e, userid)]


def _cursor(offset: int) -> str:
    return f"CURSOR{offset:06d}"


def _offset(cursor: str) -> int:
    return int(cursor.removeprefix("CURSOR")) if cursor else 0


def _paged(items: list[Any], name: str, body: Any, limit: int | None = None) -> dict[str, Any]:
    start = _offset(body.get("cursor") or "")
    size = limit or int(body.get("limit") or 1000)
    more = start + size < len(items)
    return {name: items[start : start + size], "next_cursor": _cursor(start + size) if more else ""}


def _handler(server: WecomServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as WeCom's servers

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            answer = server.handle(parts.path, dict(parse_qsl(parts.query)), body)
            if answer is DROP:  # as a network failure would: no answer at all
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(200)  # WeCom answers errors with 200 and an errcode
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@contextmanager
def serving(corp: WecomServer) -> Iterator[WecomServer]:
    """Run `corp` on a free local port (its `url` is the API base) until the block ends."""
    server = _Server(("127.0.0.1", 0), _handler(corp))
    corp.url = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/"
    # Polled every 50 ms, so the end of each test does not wait half a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield corp
    finally:
        server.shutdown()
        server.server_close()
