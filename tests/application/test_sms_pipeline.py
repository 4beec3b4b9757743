"""An SMS task through review and the send pipeline to a provider (SMS-1…4), on SQLite
and PostgreSQL, with the real leads, segments and tracking contexts behind the ports:

- the sandbox gets one personalised text per contactable recipient with a mobile, long
  links replaced by each recipient's short link, and a rerun of the pipeline sends
  nobody anything twice;
- with Aliyun and Tencent Cloud (their SDKs against the local stand-ins) the signature
  and the text wait for the provider's review, the texts go through the approved
  template, and the provider's receipts and replies come back: delivered and failed
  settle the messages once however often they are repeated, a "TD" reply opts the
  lead out of SMS.

The pipeline's calendar (which tasks are due) is the tasks part's and tested there:
here the task is started directly, as the calendar would have it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID, uuid4

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.messaging.aliyun_sms import AliyunSms
from adapters.messaging.consent_book import LeadConsentBook
from adapters.messaging.lead_people import ProfilePeople, SegmentAudiences
from adapters.messaging.sandbox_sms import SandboxSms
from adapters.messaging.send_queue import SqlSendQueue, postgres_send_queue, sqlite_send_queue
from adapters.messaging.sms_sent_texts import (
    SqlSentTexts,
    postgres_sent_texts,
    sqlite_sent_texts,
)
from adapters.messaging.tencent_sms import TencentSms
from adapters.messaging.tracking_tokens import TrackingLinkTokens
from application.leads.commands import ChangeConsent, CreateLead
from application.leads.scope import LeadScope
from application.messaging.dispatch import Dispatch
from application.messaging.outcomes import DeliveryOutcomes
from application.messaging.send_queue import FAILED, SENT, SKIPPED
from application.messaging.sms_commands import DraftSmsTask, ScheduleSmsTask, SubmitSignature
from application.messaging.sms_receipts import SmsReceipts
from application.messaging.sms_sending import SmsSending
from application.messaging.sms_signatures import SmsSignatures
from application.messaging.sms_tasks import SmsTasks
from application.messaging.task_calendar import CalendarQueries
from application.shared.behaviours import BehaviourKind
from application.shared.context import RequestContext, acting
from domain.messaging.sms_task import SmsTask
from domain.shared.errors import StateConflict
from entrypoints.container import Runtime, migrate
from entrypoints.http.app import create_app
from entrypoints.public.sms_callbacks import ACKNOWLEDGEMENTS
from entrypoints.settings import Settings
from tests.integration.sms_providers import StandIn, aliyun, serving, silent_server, tencent

SIGN = "获客科技"
LINK = "https://www.acme.cn/promotions/2026/double-eleven"
TEXT = "{{name|default('会员')}}您好，会员日全场5折 " + LINK + " 回T退订"


TOKEN = "callback-secret-7f3a"


@dataclass
class World:
    runtime: Runtime
    queue: SqlSendQueue
    sent: SqlSentTexts
    client: Any

    def callback(
        self, provider: str, tenant_id: UUID, kind: str, body: bytes, token: str = TOKEN
    ) -> Any:
        return self.client.post(
            f"/callbacks/sms/{provider}/{tenant_id}/{kind}",
            params={"token": token},
            content=body,
            headers={"Content-Type": "application/json"},
        )

    @property
    def c(self) -> Any:
        return self.runtime.container

    def leads(self, tenant_id: UUID) -> dict[str, UUID]:
        """Three reachable leads, one without a mobile, one opted out of SMS."""
        scope = LeadScope.whole_company(tenant_id)
        made = {}
        for name, mobile in [
            ("张伟", "13800138001"),
            ("李娜", "13800138002"),
            ("", "13800138003"),  # no name: the field's default
            ("无号码", None),
            ("已退订", "13800138005"),
        ]:
            command = CreateLead(name=name or None, mobile=mobile, email=f"{uuid4().hex}@a.cn")
            made[name or "无名"] = self.c.leads().create_lead(scope, command).lead.id
        self.c.leads().change_consent(
            scope,
            made["已退订"],
            ChangeConsent(channel="sms", state="unsubscribed", source="test"),
        )
        return made

    def services(
        self, provider: Any, sending: Any = None
    ) -> tuple[SmsSignatures, SmsTasks, Dispatch, SmsReceipts]:
        c = self.c
        messaging = c.messaging()
        signatures = SmsSignatures(messaging, c.sms_queries(), provider)
        tasks = SmsTasks(messaging, c.sms_queries(), signatures, provider, self.queue, c.clock())
        consent = LeadConsentBook(c.leads())
        tokens = TrackingLinkTokens(
            c.link_codes(), c.promotion_links(), str(self.runtime.settings.public_url)
        )
        dispatch = Dispatch(
            messaging,
            self.queue,
            CalendarQueries(c.messaging_sms_view()),  # unused: tasks are started directly
            SegmentAudiences(c.group_queries(), c.filter_selection(), c.clock()),
            ProfilePeople(c.segment_profile_view(), c.consent_queries()),
            consent,
            c.behaviours(),
            {"sms": SmsSending(sending or provider, tokens, self.sent, c.clock())},
            c.clock(),
        )
        outcomes = DeliveryOutcomes(self.queue, consent, c.behaviours(), c.clock())
        receipts = SmsReceipts(outcomes, c.behaviours(), consent, self.sent, c.clock())
        return signatures, tasks, dispatch, receipts

    def run(self, dispatch: Dispatch, tenant_id: UUID, task_id: UUID) -> None:
        dispatch.start(tenant_id, task_id, "sms")
        for _ in range(5):
            if not dispatch.send_batch().busy:
                break
        dispatch.finish_if_done(tenant_id, task_id)

    def behaviours(self, tenant_id: UUID, kind: BehaviourKind) -> list[Any]:
        rows = self.c.behaviours().behaviours_of(tenant_id, limit=200)
        return [row for row in rows if row.kind == kind.value]


@pytest.fixture
def world(
    fresh_settings: Settings, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    messaging = replace(fresh_settings.messaging, sms_callback_token=TOKEN)
    settings = replace(fresh_settings, auto_migrate=False, messaging=messaging)
    migrate(settings)
    runtime = Runtime(settings)
    datastore = getattr(runtime.container.infrastructure(), "datastore", None)
    if fresh_settings.database_url is None:
        queue, sent = sqlite_send_queue(tmp_path / "pipeline"), sqlite_sent_texts(tmp_path)
    else:
        queue = postgres_send_queue(datastore, create_tables=True)
        sent = postgres_sent_texts(datastore, create_tables=True)
    c = runtime.container
    # The receipts settle through this test's queue (the tasks part wires the real one).
    c.sms_receipts.override(
        providers.Singleton(
            lambda: SmsReceipts(
                DeliveryOutcomes(queue, LeadConsentBook(c.leads()), c.behaviours(), c.clock()),
                c.behaviours(),
                LeadConsentBook(c.leads()),
                sent,
                c.clock(),
            )
        )
    )
    runtime.start()
    if runtime.sender is not None:  # this test drives the pipeline itself, with its provider
        runtime.sender.stop()
    try:
        with (
            TestClient(create_app(runtime, close_runtime_on_shutdown=False)) as client,
            acting(RequestContext(request_id="test-sms-pipeline", read_your_writes=True)),
        ):
            yield World(runtime, queue, sent, client)
    finally:
        queue.close()
        sent.close()
        runtime.close()


def _approved_task(
    signatures: SmsSignatures, tasks: SmsTasks, tenant_id: UUID, leads: dict[str, UUID]
) -> UUID:
    signature = signatures.submit(tenant_id, SubmitSignature(text=SIGN, purpose="公司简称"))
    signatures.approve(tenant_id, signature.id, reviewer="admin", expected_version=1)
    task = tasks.draft(
        tenant_id,
        DraftSmsTask.model_validate(
            {
                "name": "双十一",
                "signature_id": signature.id,
                "text": TEXT,
                "audience": {"kind": "leads", "lead_ids": [str(i) for i in leads.values()]},
            }
        ),
    )
    task = tasks.schedule(tenant_id, task.id, ScheduleSmsTask(), expected_version=1)
    assert task.state == "pending_review"
    task = tasks.approve(tenant_id, task.id, reviewer="admin", expected_version=task.version)
    assert task.state == "scheduled"
    return task.id


def test_an_sms_task_reaches_the_sandbox_once_per_recipient(world: World, tmp_path: Any) -> None:
    tenant_id = uuid4()
    leads = world.leads(tenant_id)
    sandbox = SandboxSms(tmp_path / "sms-outbox")
    signatures, tasks, dispatch, _ = world.services(sandbox)
    task_id = _approved_task(signatures, tasks, tenant_id, leads)

    world.run(dispatch, tenant_id, task_id)
    world.run(dispatch, tenant_id, task_id)  # a rerun, as after a restart

    texts = sandbox.sent()
    mobiles = ["+8613800138001", "+8613800138002", "+8613800138003"]
    assert sorted(t["mobile"] for t in texts) == mobiles
    by_mobile = {t["mobile"]: t["text"] for t in texts}
    assert by_mobile["+8613800138001"].startswith("【获客科技】张伟您好，会员日全场5折 ")
    assert by_mobile["+8613800138003"].startswith("【获客科技】会员您好")  # the default
    codes = {text.split(" ")[1] for text in by_mobile.values()}
    assert len(codes) == 3 and all("/s/" in code and LINK not in code for code in codes)
    counts = world.queue.counts(tenant_id, task_id)
    assert (counts.get(SENT), counts.get(SKIPPED), counts.get(FAILED)) == (3, 1, 1)
    task = world.c.messaging().load(task_id, SmsTask, tenant_id=tenant_id)
    assert (task.state, task.recipients) == ("sent", 5)
    sent = world.behaviours(tenant_id, BehaviourKind.SMS_SENT)
    assert len(sent) == 3 and {row.properties["task"] for row in sent} == {str(task_id)}


def test_a_text_the_provider_never_answered_is_not_sent_again(world: World, tmp_path: Any) -> None:
    """Marked sent before the request, a text whose request got no answer (the provider
    may have sent it) is failed, never retried: skipped rather than doubled."""
    tenant_id = uuid4()
    leads = world.leads(tenant_id)
    with silent_server() as url:
        silent = AliyunSms("id", "secret", url, catch_all_template="SMS_1", timeout_seconds=1)
        signatures, tasks, dispatch, _ = world.services(SandboxSms(tmp_path), sending=silent)
        task_id = _approved_task(signatures, tasks, tenant_id, leads)
        world.run(dispatch, tenant_id, task_id)
        world.run(dispatch, tenant_id, task_id)
    counts = world.queue.counts(tenant_id, task_id)
    assert (counts.get(FAILED), counts.get(SKIPPED), counts.get(SENT)) == (4, 1, None)
    failed = world.behaviours(tenant_id, BehaviourKind.SMS_FAILED)
    assert sum("nobody gets it twice" in row.properties["detail"] for row in failed) == 3
    assert len(world.behaviours(tenant_id, BehaviourKind.SMS_SENT)) == 3  # recorded once


@pytest.mark.parametrize("provider_name", ["aliyun", "tencent"])
def test_provider_reviews_sends_receipts_and_replies(world: World, provider_name: str) -> None:
    tenant_id = uuid4()
    leads = world.leads(tenant_id)
    with serving(aliyun() if provider_name == "aliyun" else tencent()) as stand_in:
        provider = _adapter(stand_in, provider_name)
        signatures, tasks, dispatch, receipts = world.services(provider)

        # the signature waits for the provider's review
        signature = signatures.submit(tenant_id, SubmitSignature(text=SIGN, purpose="公司简称"))
        with pytest.raises(StateConflict, match="has not reviewed"):
            signatures.approve(tenant_id, signature.id, reviewer="admin", expected_version=1)
        stand_in.review("signature", SIGN, "approved")
        assert (
            signatures.approve(tenant_id, signature.id, reviewer="admin", expected_version=1).state
            == "approved"
        )

        # the text is submitted as a template and waits for the provider too
        audience = {"kind": "leads", "lead_ids": [str(i) for i in leads.values()]}
        draft = DraftSmsTask.model_validate(
            {"name": "双十一", "signature_id": signature.id, "text": TEXT, "audience": audience}
        )
        task = tasks.draft(tenant_id, draft)
        task = tasks.schedule(tenant_id, task.id, ScheduleSmsTask(), expected_version=1)
        [template] = stand_in.templates
        with pytest.raises(StateConflict, match="has not reviewed"):
            tasks.approve(tenant_id, task.id, reviewer="admin", expected_version=task.version)
        stand_in.review("template", template, "approved")
        task = tasks.approve(tenant_id, task.id, reviewer="admin", expected_version=task.version)
        assert task.state == "scheduled"

        stand_in.codes = {"+8613800138002": _refusal(provider_name)}
        world.run(dispatch, tenant_id, task.id)

        assert sorted(s.mobile for s in stand_in.sent) == ["+8613800138001", "+8613800138003"]
        assert {s.template for s in stand_in.sent} == {template}
        assert any(s.text.startswith("张伟您好") for s in stand_in.sent)
        counts = world.queue.counts(tenant_id, task.id)
        assert (counts.get(SENT), counts.get(FAILED), counts.get(SKIPPED)) == (2, 2, 1)

        # receipts over the callback: one delivered, one failed; repeated, and for another
        # tenant (ignored, yet acknowledged so the provider stops pushing)
        delivered, failed = sorted(stand_in.sent, key=lambda s: s.mobile)
        report = stand_in.report  # type: ignore[attr-defined]
        body = json.dumps([report(delivered, success=True), report(failed, success=False)])
        answer = world.callback(provider_name, uuid4(), "reports", body.encode())
        assert answer.json() == ACKNOWLEDGEMENTS[provider_name]
        for _ in range(2):  # the provider pushes again
            answer = world.callback(provider_name, tenant_id, "reports", body.encode())
            assert (answer.status_code, answer.json()) == (200, ACKNOWLEDGEMENTS[provider_name])
        assert len(world.behaviours(tenant_id, BehaviourKind.SMS_DELIVERED)) == 1
        # the provider's refusal, the lead without a mobile, and the failed receipt
        assert len(world.behaviours(tenant_id, BehaviourKind.SMS_FAILED)) == 3
        assert world.queue.message(failed.out_id).state == FAILED  # type: ignore[union-attr]

        # a reply, and "TD": the lead is out of SMS, once
        reply = stand_in.reply  # type: ignore[attr-defined]
        said = [
            reply(delivered.mobile, "好的", sign=SIGN),
            reply(delivered.mobile, "TD", sign=SIGN),
        ]
        replies = json.dumps(said).encode()
        assert receipts.replies(uuid4(), provider_name, replies).applied == 0
        for _ in range(2):
            answer = world.callback(provider_name, tenant_id, "replies", replies)
            assert (answer.status_code, answer.json()) == (200, ACKNOWLEDGEMENTS[provider_name])
        rows = world.behaviours(tenant_id, BehaviourKind.SMS_REPLIED)
        assert sorted(row.properties["text"] for row in rows) == ["TD", "好的"]
        assert {row.lead_id for row in rows} == {leads["张伟"]}
        assert len(world.behaviours(tenant_id, BehaviourKind.UNSUBSCRIBED)) == 1
        contactable = world.c.consent_queries().contactable(tenant_id, list(leads.values()), "sms")
        assert leads["张伟"] not in contactable and leads["李娜"] in contactable


def test_callbacks_need_the_token_and_refusals_are_limited(world: World) -> None:
    tenant_id = uuid4()
    assert world.callback("aliyun", tenant_id, "reports", b"[]").status_code == 200
    assert world.callback("tencent", tenant_id, "replies", b"{}").json() == {
        "result": 0,
        "errmsg": "OK",
    }
    assert world.callback("aliyun", tenant_id, "reports", b"not json").status_code == 422
    assert world.callback("yunpian", tenant_id, "reports", b"[]").status_code == 404
    statuses = [
        world.callback("aliyun", tenant_id, "reports", b"[]", token="guess").status_code
        for _ in range(25)
    ]
    assert statuses[:20] == [403] * 20 and set(statuses[20:]) == {429}
    # the limit is on guessing: the provider's own token still passes
    assert world.callback("aliyun", tenant_id, "reports", b"[]").status_code == 200


def _adapter(stand_in: StandIn, name: str) -> AliyunSms | TencentSms:
    if name == "aliyun":
        return AliyunSms(stand_in.key_id, stand_in.secret, stand_in.url)
    return TencentSms(stand_in.key_id, stand_in.secret, "1400000001", stand_in.url)


def _refusal(name: str) -> str:
    if name == "aliyun":
        return "isv.MOBILE_NUMBER_ILLEGAL"
    return "FailedOperation.PhoneNumberInBlacklist"
