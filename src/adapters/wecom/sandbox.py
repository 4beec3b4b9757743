"""The embedded WeCom (企业微信): nothing leaves the machine (WECOM-1…5).

`SandboxWecomApi` is one corp's `WecomApi` that records every call, reads included, as
one JSON line in `wecom.jsonl` under the outbox directory (flushed to disk before the
call answers), and answers from a small corp that is the same every time for a corp id:
two departments (the company and its sales department), five employees with Chinese
names and pinyin userids, a few customers per employee (their external_userids derived
from the corp id, as WeCom's are per corp), one customer group and two groups of corp
tags. A customer it does not know (one a test's callback added) gets a name derived
from the external_userid. "Contact me" codes, welcome messages, tags, mass sends and
transfers are recorded and answered as WeCom would (ids, results), so the use cases
above run embedded end to end.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from application.shared.errors import InvalidInput
from application.wecom.ports import (
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
    WecomApi,
    WecomDepartment,
    WecomEmployee,
    WelcomeAttachment,
    transfer_batch,
)

OUTBOX_FILE = "wecom.jsonl"
EPOCH = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)  # when the sandbox's customers were added

DEPARTMENTS = (
    WecomDepartment(id=1, name="火客科技", parent_id=0, order=100),
    WecomDepartment(id=2, name="销售部", parent_id=1, order=90),
)
# userid, name, departments, mobile, customers they follow
EMPLOYEES = (
    ("LiNa", "李娜", (1,), "13800138001", 1),
    ("WangFang", "王芳", (1,), "13800138002", 0),
    ("ZhangWei", "张伟", (2,), "13800138003", 3),
    ("LiuYang", "刘洋", (2,), "13800138004", 2),
    ("ChenJing", "陈静", (2, 1), "13800138005", 2),
)
CUSTOMER_NAMES = (
    "赵敏", "孙悦", "周杰", "吴磊", "郑爽", "冯琳", "何军", "许晴",
    "钱进", "韩雪", "杨帆", "朱琳", "秦岚", "胡歌", "林峰", "马丽",
)  # fmt: skip
TAG_GROUPS = (
    ("客户等级", (("etLevelVip", "重要客户"), ("etLevelNormal", "普通客户"))),
    ("来源", (("etSourceExpo", "展会"), ("etSourceWeb", "官网"))),
)
MAIL_DOMAIN = "huoke-demo.cn"


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


class SandboxWecomApi:
    """`WecomApi` of corp `corpid`, recording to `outbox_dir / wecom.jsonl`."""

    def __init__(
        self,
        outbox_dir: Path,
        corpid: str,
        *,
        now: Callable[[], datetime] | None = None,
        lock: threading.Lock | None = None,
    ) -> None:
        self.directory = outbox_dir
        self.corpid = corpid
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = lock or threading.Lock()
        self._ids = itertools.count(int(time.time() * 1000))
        self._tags = {tag_id: (name, group) for group, tags in TAG_GROUPS for tag_id, name in tags}

    # --- the corp --------------------------------------------------------------------------

    def external_userid(self, n: int) -> str:
        """The sandbox corp's n-th customer (0-based): 'wm' and 30 characters, per corp."""
        return "wm" + _digest(self.corpid, "customer", str(n))[:30]

    def _customers(self) -> dict[str, list[tuple[str, int]]]:
        """external_userid → [(userid, n)] of the employees following them."""
        followed: dict[str, list[tuple[str, int]]] = {}
        n = 0
        for userid, _, _, _, count in EMPLOYEES:
            for _ in range(count):
                followed.setdefault(self.external_userid(n), []).append((userid, n))
                n += 1
        # The first customer also added a second employee (two follow relations).
        followed[self.external_userid(0)].append(("ChenJing", 0))
        return followed

    def group_chat_id(self) -> str:
        return "wr" + _digest(self.corpid, "group")[:30]

    # --- contacts --------------------------------------------------------------------------

    def departments(self) -> list[WecomDepartment]:
        self._record("department/list")
        return list(DEPARTMENTS)

    def employees(self, department_id: int) -> list[WecomEmployee]:
        self._record("user/list", department_id=department_id)
        return [
            WecomEmployee(
                userid=userid,
                name=name,
                department_ids=departments,
                status=1,
                mobile=mobile,
                email=f"{userid.lower()}@{MAIL_DOMAIN}",
            )
            for userid, name, departments, mobile, _ in EMPLOYEES
            if department_id == departments[0]
        ]

    # --- customers -------------------------------------------------------------------------

    def customers_of(self, userid: str) -> list[str]:
        self._record("externalcontact/list", userid=userid)
        return [
            external
            for external, follows in self._customers().items()
            if any(follower == userid for follower, _ in follows)
        ]

    def customer(self, external_userid: str, cursor: str = "") -> ExternalContact:
        self._record("externalcontact/get", external_userid=external_userid, cursor=cursor)
        follows = self._customers().get(external_userid, [])
        index = int(_digest(external_userid)[:8], 16) % len(CUSTOMER_NAMES)
        name = (
            CUSTOMER_NAMES[follows[0][1] % len(CUSTOMER_NAMES)]
            if follows
            else (CUSTOMER_NAMES[index])
        )
        return ExternalContact(
            external_userid=external_userid,
            name=name,
            type=1,
            follow_users=tuple(
                FollowUser(
                    userid=userid,
                    remark=f"{name}（{'展会' if n % 2 else '官网'}）",
                    tags=(self._tag("etLevelVip" if n % 3 == 0 else "etLevelNormal"),),
                    add_way=1,
                    createtime=EPOCH.replace(day=5 + n),
                    state="expo2026" if n % 2 else "",
                )
                for userid, n in follows
            ),
        )

    def customer_groups(self, cursor: str = "", limit: int = 100) -> Page[CustomerGroup]:
        self._record("externalcontact/groupchat/list", cursor=cursor, limit=limit)
        if cursor:
            return Page(())
        group = CustomerGroup(
            chat_id=self.group_chat_id(), name="火客VIP客户群", owner="ZhangWei", member_count=12
        )
        return Page((group,))

    # --- tags ------------------------------------------------------------------------------

    def corp_tags(self) -> list[CorpTag]:
        self._record("externalcontact/get_corp_tag_list")
        return [self._tag(tag_id) for tag_id in self._tags]

    def _tag(self, tag_id: str) -> CorpTag:
        name, group = self._tags[tag_id]
        return CorpTag(id=tag_id, name=name, group_name=group)

    def mark_tags(
        self,
        userid: str,
        external_userid: str,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
    ) -> None:
        self._record(
            "externalcontact/mark_tag",
            userid=userid,
            external_userid=external_userid,
            add_tag=list(add),
            remove_tag=list(remove),
        )

    # --- reaching customers ----------------------------------------------------------------

    def send_welcome(
        self, welcome_code: str, text: str, attachments: Sequence[WelcomeAttachment] = ()
    ) -> None:
        if not text and not attachments:
            raise InvalidInput("a welcome message needs a text or an attachment", field="text")
        self._record(
            "externalcontact/send_welcome_msg",
            welcome_code=welcome_code,
            text=text,
            attachments=[{k: v for k, v in asdict(a).items() if v} for a in attachments],
        )

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
        config_id = _digest(self.corpid, "contact_way", str(next(self._ids)))[:32]
        qr_code = f"https://wework.qpic.cn/wwpic/sandbox/{config_id}/0"
        self._record(
            "externalcontact/add_contact_way",
            config_id=config_id,
            qr_code=qr_code,
            type=1 if len(users) == 1 else 2,
            user=users,
            state=state,
            remark=remark,
            skip_verify=skip_verify,
        )
        return ContactWay(config_id=config_id, qr_code=qr_code)

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
        self._record(
            "externalcontact/update_contact_way",
            config_id=config_id,
            user=users,
            state=state,
            remark=remark,
            skip_verify=skip_verify,
        )

    def delete_contact_way(self, config_id: str) -> None:
        self._record("externalcontact/del_contact_way", config_id=config_id)

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
        if not 1 <= len(chat_ids) <= 5:
            raise InvalidInput("a join way has 1 to 5 customer groups", field="chat_ids")
        config_id = _digest(self.corpid, "join_way", str(next(self._ids)))[:32]
        qr_code = f"https://wework.qpic.cn/wwpic/sandbox/join/{config_id}/0"
        self._record(
            "externalcontact/groupchat/add_join_way",
            config_id=config_id,
            qr_code=qr_code,
            chat_id_list=list(chat_ids),
            state=state,
            remark=remark,
            auto_create_room=auto_create_room,
            room_base_name=room_base_name,
            room_base_id=room_base_id,
        )
        return ContactWay(config_id=config_id, qr_code=qr_code)

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
        if not 1 <= len(chat_ids) <= 5:
            raise InvalidInput("a join way has 1 to 5 customer groups", field="chat_ids")
        self._record(
            "externalcontact/groupchat/update_join_way",
            config_id=config_id,
            chat_id_list=list(chat_ids),
            state=state,
            remark=remark,
            auto_create_room=auto_create_room,
            room_base_name=room_base_name,
            room_base_id=room_base_id,
        )

    def delete_join_way(self, config_id: str) -> None:
        self._record("externalcontact/groupchat/del_join_way", config_id=config_id)

    def mass_send(
        self,
        sender_userid: str | None,
        external_userids: Sequence[str] | None,
        text: str,
        *,
        attachments: Sequence[WelcomeAttachment] = (),
        chat_type: str = "single",
    ) -> MassSendTask:
        if not text and not attachments:
            raise InvalidInput("a mass send needs a text or an attachment", field="text")
        if len(attachments) > 9:
            raise InvalidInput("a mass send has at most 9 attachments", field="attachments")
        if chat_type == "group":
            if not sender_userid:
                raise InvalidInput("a group send names its sender", field="sender")
            msgid = f"msg{next(self._ids)}"
            owned = [self.group_chat_id()] if sender_userid == "ZhangWei" else []
            self._record(
                "externalcontact/add_msg_template",
                msgid=msgid,
                chat_type="group",
                sender=sender_userid,
                chat_id=owned,
                text=text,
                attachments=[{k: v for k, v in asdict(a).items() if v} for a in attachments],
                fail_list=[],
            )
            return MassSendTask(msgid=msgid)
        if not sender_userid and not external_userids:
            raise InvalidInput(
                "a mass send names its sender, its customers or both", field="external_userids"
            )
        customers = self._customers()
        if external_userids is None:
            targets = [e for e, f in customers.items() if any(u == sender_userid for u, _ in f)]
        else:
            targets = list(external_userids)
        # WeCom leaves out whoever is not a customer (of the sender, when one is named).
        failed = [
            e
            for e in targets
            if e not in customers
            or (sender_userid and all(u != sender_userid for u, _ in customers[e]))
        ]
        msgid = f"msg{next(self._ids)}"
        self._record(
            "externalcontact/add_msg_template",
            msgid=msgid,
            sender=sender_userid or "",
            external_userid=targets,
            text=text,
            attachments=[{k: v for k, v in asdict(a).items() if v} for a in attachments],
            fail_list=failed,
        )
        return MassSendTask(msgid=msgid, failed=tuple(failed))

    def confirm_mass_send(self, msgid: str, userid: str) -> None:
        """The employee tapped "send" in the mass-send assistant (the sandbox's stand-in
        for WeCom's app; the console's demo and tests call it)."""
        self._record("sandbox/confirm_mass_send", msgid=msgid, userid=userid)

    def _confirmed(self, msgid: str) -> dict[str, datetime]:
        return {
            str(r["userid"]): datetime.fromisoformat(str(r["at"]))
            for r in self.sent(call="sandbox/confirm_mass_send")
            if r.get("msgid") == msgid
        }

    def mass_send_senders(self, msgid: str, cursor: str = "") -> Page[MassSendSender]:
        self._record("externalcontact/get_groupmsg_task", msgid=msgid, cursor=cursor)
        confirmed = self._confirmed(msgid)
        return Page(
            tuple(
                MassSendSender(userid=u, status=2, send_time=confirmed[u])
                if u in confirmed
                else MassSendSender(userid=u, status=0)
                for u in self._senders(msgid)
            )
        )

    def mass_send_results(self, msgid: str, userid: str, cursor: str = "") -> Page[MassSendResult]:
        self._record(
            "externalcontact/get_groupmsg_send_result", msgid=msgid, userid=userid, cursor=cursor
        )
        task = self._task(msgid) or {}
        sent = self._confirmed(msgid).get(userid)
        status = 1 if sent else 0
        if task.get("chat_type") == "group":
            chats = task.get("chat_id", []) if task.get("sender") == userid else []
            return Page(
                tuple(MassSendResult("", userid, status, send_time=sent, chat_id=c) for c in chats)
            )
        customers = self._customers()
        results = [
            MassSendResult(external_userid=e, userid=userid, status=status, send_time=sent)
            for e in task.get("external_userid", [])
            if e not in task.get("fail_list", [])
            and any(u == userid for u, _ in customers.get(e, []))
        ]
        return Page(tuple(results))

    # --- Moments ---------------------------------------------------------------------------

    def add_moment_task(
        self,
        text: str,
        attachments: Sequence[WelcomeAttachment] = (),
        *,
        userids: Sequence[str],
        tag_ids: Sequence[str] = (),
    ) -> str:
        if not userids:
            raise InvalidInput("a Moments post names its employees", field="userids")
        if not text and not attachments:
            raise InvalidInput("a Moments post needs a text or an attachment", field="text")
        jobid = f"job{next(self._ids)}"
        known = {userid for userid, *_ in EMPLOYEES}
        self._record(
            "externalcontact/add_moment_task",
            jobid=jobid,
            moment_id="mom" + jobid.removeprefix("job"),
            user_list=list(userids),
            invalid=[u for u in userids if u not in known],
            tag_list=list(tag_ids),
            text=text,
            attachments=[{k: v for k, v in asdict(a).items() if v} for a in attachments],
        )
        return jobid

    def moment_task_result(self, jobid: str) -> MomentTask:
        self._record("externalcontact/get_moment_task_result", jobid=jobid)
        for record in self.sent(call="externalcontact/add_moment_task"):
            if record.get("jobid") == jobid:
                return MomentTask(
                    status=3,
                    moment_id=str(record["moment_id"]),
                    invalid_userids=tuple(record.get("invalid", [])),
                )
        return MomentTask(status=1)

    def moment_publishers(self, moment_id: str, cursor: str = "") -> Page[MomentPublisher]:
        self._record("externalcontact/get_moment_task", moment_id=moment_id, cursor=cursor)
        confirmed = self._confirmed(moment_id)  # confirm_mass_send(moment_id, userid)
        for record in self.sent(call="externalcontact/add_moment_task"):
            if record.get("moment_id") == moment_id:
                senders = [u for u in record["user_list"] if u not in record.get("invalid", [])]
                return Page(tuple(MomentPublisher(u, u in confirmed) for u in senders))
        return Page(())

    def _task(self, msgid: str) -> dict[str, Any] | None:
        for record in self.sent(call="externalcontact/add_msg_template"):
            if record.get("msgid") == msgid:
                return record
        return None

    def _senders(self, msgid: str) -> list[str]:
        task = self._task(msgid)
        if task is None:
            return []
        if task.get("sender"):
            return [str(task["sender"])]
        customers = self._customers()
        followers = {
            u
            for e in task.get("external_userid", [])
            if e not in task.get("fail_list", [])
            for u, _ in customers.get(e, [])
        }
        return sorted(followers)

    # --- inheritance -----------------------------------------------------------------------

    def transfer_customers(
        self,
        handover_userid: str,
        takeover_userid: str,
        external_userids: Sequence[str],
        *,
        resigned: bool,
    ) -> list[CustomerTransfer]:
        batch = transfer_batch(external_userids)  # > 100 refused before anything
        if not batch:
            return []
        self._record(
            "externalcontact/resigned/transfer_customer"
            if resigned
            else "externalcontact/transfer_customer",
            handover_userid=handover_userid,
            takeover_userid=takeover_userid,
            external_userid=list(batch),
        )
        return [CustomerTransfer(external_userid=e, errcode=0) for e in batch]

    def transfer_results(
        self,
        handover_userid: str,
        takeover_userid: str,
        cursor: str = "",
        *,
        resigned: bool,
    ) -> Page[TransferResult]:
        call = (
            "externalcontact/resigned/transfer_customer"
            if resigned
            else "externalcontact/transfer_customer"
        )
        self._record(
            call.replace("transfer_customer", "transfer_result"),
            handover_userid=handover_userid,
            takeover_userid=takeover_userid,
            cursor=cursor,
        )
        moved: dict[str, TransferResult] = {}
        for record in self.sent(call=call):
            if (record.get("handover_userid"), record.get("takeover_userid")) == (
                handover_userid,
                takeover_userid,
            ):
                at = datetime.fromisoformat(str(record["at"]))
                for external in record.get("external_userid", []):
                    # The sandbox's customers take the transfer at once (WeCom: 24 hours).
                    moved[external] = TransferResult(external, status=1, takeover_time=at)
        return Page(tuple(moved.values()))

    def transfer_groups(
        self, chat_ids: Sequence[str], new_owner: str, *, resigned: bool
    ) -> list[GroupTransferFailure]:
        if len(chat_ids) > 100:  # WeCom: chat_id_list 最多支持100个
            raise InvalidInput("WeCom hands over at most 100 groups a call", field="chat_ids")
        if chat_ids:
            self._record(
                "externalcontact/groupchat/transfer"
                if resigned
                else "externalcontact/groupchat/onjob_transfer",
                chat_id_list=list(chat_ids),
                new_owner=new_owner,
            )
        return []

    # --- the outbox ------------------------------------------------------------------------

    def sent(self, call: str | None = None) -> list[dict[str, Any]]:
        """This corp's recorded calls (of one kind if asked), oldest first."""
        path = self.directory / OUTBOX_FILE
        if not path.exists():
            return []
        records = []
        with path.open(encoding="utf-8") as outbox:
            for line in outbox:
                if not line.strip():
                    continue
                record = json.loads(line)
                if record.get("corp") == self.corpid and (call is None or record["call"] == call):
                    records.append(record)
        return records

    def _record(self, call: str, **fields: Any) -> None:
        record = {"call": call, "corp": self.corpid, **fields, "at": self._now().isoformat()}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            with (self.directory / OUTBOX_FILE).open("a", encoding="utf-8") as outbox:
                outbox.write(line)
                outbox.flush()
                os.fsync(outbox.fileno())


class SandboxConnector:
    """`WecomConnector` of the embedded default: every corp is a `SandboxWecomApi` over
    one outbox file (one lock, so lines never interleave)."""

    def __init__(self, outbox_dir: Path) -> None:
        self.directory = outbox_dir
        self._lock = threading.Lock()

    def connect(self, corp_id: str, secret: str, token_key: UUID) -> WecomApi:
        return SandboxWecomApi(self.directory, corp_id, lock=self._lock)

    def api(self, corp_id: str) -> SandboxWecomApi:
        """The sandbox corp `corp_id` (tests and the console read its outbox)."""
        return SandboxWecomApi(self.directory, corp_id, lock=self._lock)
