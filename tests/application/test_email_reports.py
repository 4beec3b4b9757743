"""E-mail reports (MAIL-5): from the behaviour log's rows as the pipeline, the tracking
links and the unsubscribe page append them, a task's report counts sent, delivered,
bounces, complaints, unsubscribes, total and unique opens and clicks, by recipient
domain, system, device and link — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.messaging.email_reports import device_of, system_of
from application.shared.behaviours import Behaviour
from application.shared.context import RequestContext, acting
from application.shared.errors import NotFound
from domain.messaging.email_task import EmailTask
from entrypoints.container import Runtime
from tests.conftest import Api
from tests.settling import settle

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari"
OUTLOOK = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)"
PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)"
UBUNTU = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"
EARLY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-email-reports", read_your_writes=True)):
        yield runtime


def _task(runtime: Runtime, tenant_id: UUID) -> UUID:
    messaging = runtime.container.messaging()
    task = EmailTask.draft(
        task_id=uuid4(),
        tenant_id=tenant_id,
        details={
            "name": "双十二",
            "subject": "{{name}}，您好",
            "sender_name": "Acme",
            "sender_address": "news@mail.acme.cn",
            "template_id": str(uuid4()),
            "audience": {"kind": "leads", "lead_ids": [str(uuid4())]},
        },
    )
    return messaging.create(task).id


class Log:
    """Behaviour rows of one tenant, appended in order, as their appenders write them."""

    def __init__(self, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.rows: list[Behaviour] = []

    def add(
        self,
        kind: str,
        message: str,
        *,
        row_id: str | None = None,
        channel: str = "email",
        agent: str | None = None,
        **properties: Any,
    ) -> None:
        at = EARLY + timedelta(minutes=len(self.rows))
        self.rows.append(
            Behaviour(
                tenant_id=self.tenant_id,
                kind=kind,
                channel=channel,
                occurred_at=at,
                received_at=datetime.now(UTC),
                message_id=row_id or f"{kind}-{message}-{len(self.rows)}",
                properties={"message": message, **properties},
                context={"userAgent": agent} if agent is not None else {},
                lead_id=uuid4(),
                source_id="messaging" if kind not in ("open", "click") else "links",
            )
        )

    def sent(self, message: str, task_id: UUID, domain: str) -> None:
        self.add("email_sent", message, task=str(task_id), domain=domain)


def test_a_task_s_report_counts_its_messages_fates(system: Runtime) -> None:
    tenant_id = uuid4()
    task_id, other_task = _task(system, tenant_id), _task(system, tenant_id)
    log = Log(tenant_id)
    for message, domain in (("m1", "qq.com"), ("m2", "QQ.com"), ("m3", "163.com")):
        log.sent(message, task_id, domain)
    log.sent("m4", task_id, "acme.cn")
    log.sent("m5", other_task, "qq.com")  # another task's
    log.add("email_sent", "m1", task=str(task_id), domain="qq.com")  # sent again: once
    for message in ("m1", "m2", "m3", "m5"):
        log.add("email_delivered", message, task=str(task_id))
    log.add("email_bounced", "m4", bounce="soft", attempt=1)
    log.add("email_bounced", "m4", bounce="soft", attempt=2)  # retried: one soft bounce
    log.add("email_bounced", "m3", bounce="hard")  # a DSN after the relay took it
    log.add("open", "m1", agent=IPHONE)
    log.add("open", "m1", agent=IPHONE)
    log.add("open", "m1", agent=OUTLOOK)
    log.add("open", "m2", agent=ANDROID)
    log.add("open", "m2", agent=PROXY)
    log.add("click", "m1", agent=IPHONE, url="https://acme.cn/a")
    log.add("click", "m1", agent=IPHONE, url="https://acme.cn/a")
    log.add("click", "m2", agent=ANDROID, url="https://acme.cn/b")
    log.add("click", "m2", agent=ANDROID, url="https://acme.cn/a")
    log.add("email_complained", "m1")
    log.add("unsubscribed", "m2", task="", via="one-click")
    log.add("open", "test-send-1", agent=IPHONE)  # not a task's message: nothing
    log.add("click", "m1", channel="sms", url="https://acme.cn/s")  # not e-mail: nothing
    system.container.behaviours().append(log.rows)
    settle(system)

    report = system.container.email_report_queries().report(tenant_id, task_id)
    totals = report.totals.model_dump()
    assert totals == {
        "sent": 4,
        "delivered": 3,
        "hard_bounces": 1,
        "soft_bounces": 1,
        "complaints": 1,
        "unsubscribes": 1,
        "opens": 5,
        "unique_opens": 2,
        "clicks": 4,
        "unique_clicks": 2,
    }
    assert report.rates.delivered == 0.75 and report.rates.opened == 0.6667
    assert report.rates.clicked_of_opened == 1.0
    domains = {row.domain: row for row in report.by_domain}
    assert [row.domain for row in report.by_domain] == ["qq.com", "163.com", "acme.cn"]
    qq = domains["qq.com"]
    assert (qq.sent, qq.delivered, qq.opens, qq.unique_opens, qq.clicks, qq.unique_clicks) == (
        2, 2, 5, 2, 4, 2,
    )  # fmt: skip
    assert (qq.complaints, qq.unsubscribes) == (1, 1)
    assert (domains["163.com"].hard_bounces, domains["acme.cn"].soft_bounces) == (1, 1)
    systems = {row.key: row.model_dump(exclude={"key"}) for row in report.by_os}
    assert systems == {
        "iOS": {"opens": 2, "unique_opens": 1, "clicks": 2, "unique_clicks": 1},
        "Android": {"opens": 1, "unique_opens": 1, "clicks": 2, "unique_clicks": 1},
        "Windows": {"opens": 1, "unique_opens": 1, "clicks": 0, "unique_clicks": 0},
        "unknown": {"opens": 1, "unique_opens": 1, "clicks": 0, "unique_clicks": 0},
    }
    devices = {row.key: (row.opens, row.unique_opens, row.clicks) for row in report.by_device}
    assert devices == {"mobile": (3, 2, 4), "desktop": (1, 1, 0), "unknown": (1, 1, 0)}
    assert [(link.url, link.clicks, link.unique_clicks) for link in report.by_link] == [
        ("https://acme.cn/a", 3, 2),
        ("https://acme.cn/b", 1, 1),
    ]

    other = system.container.email_report_queries().report(tenant_id, other_task)
    assert (other.totals.sent, other.totals.delivered, other.totals.opens) == (1, 1, 0)
    with pytest.raises(NotFound):  # another tenant's task
        system.container.email_report_queries().report(uuid4(), task_id)
    with pytest.raises(NotFound):  # not a task
        system.container.email_report_queries().report(tenant_id, uuid4())


def test_a_task_with_nothing_sent_has_an_empty_report_and_a_deleted_one_none(
    system: Runtime,
) -> None:
    tenant_id = uuid4()
    task_id = _task(system, tenant_id)
    report = system.container.email_report_queries().report(tenant_id, task_id)
    assert report.totals.sent == 0 and report.rates.opened == 0.0
    assert report.by_domain == report.by_os == report.by_link == []
    messaging = system.container.messaging()
    task = messaging.load(task_id, EmailTask, tenant_id=tenant_id)
    task.delete()
    messaging.commit(task)
    with pytest.raises(NotFound):
        system.container.email_report_queries().report(tenant_id, task_id)


@pytest.mark.parametrize(
    ("agent", "system_name", "device"),
    [
        (IPHONE, "iOS", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15", "iOS", "mobile"),
        (ANDROID, "Android", "mobile"),
        (OUTLOOK, "Windows", "desktop"),
        (MAC, "macOS", "desktop"),
        (UBUNTU, "Linux", "desktop"),
        (PROXY, "unknown", "unknown"),
        ("", "unknown", "unknown"),
        ("curl/8.0", "other", "desktop"),
    ],
)
def test_the_user_agent_names_system_and_device(agent: str, system_name: str, device: str) -> None:
    assert (system_of(agent), device_of(agent)) == (system_name, device)


def test_the_report_route_answers_readers_of_the_task_only(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("sales")  # sales read tasks and reports
    with acting(RequestContext(request_id="test-email-reports", read_your_writes=True)):
        task_id = _task(api.runtime, UUID(tenant_id))
    log = Log(UUID(tenant_id))
    log.sent("r1", task_id, "qq.com")
    log.add("email_delivered", "r1", task=str(task_id))
    api.runtime.container.behaviours().append(log.rows)
    settle(api.runtime)
    url = f"/api/v1/email-tasks/{task_id}/report"
    answer = api.client.get(url, headers=api.key(token))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["totals"]["sent"], body["totals"]["delivered"]) == (1, 1)
    assert body["by_domain"][0]["domain"] == "qq.com" and body["rates"]["delivered"] == 1.0
    _, stranger = api.tenant_with_key("tenant_admin")
    assert api.client.get(url, headers=api.key(stranger)).status_code == 404
    assert api.client.get(url).status_code in (401, 403)
