"""Messaging part: e-mail tasks and the send pipeline (queue, calendar, dispatch,
outcomes), and the adapters over the leads, segments and tracking contexts."""

from __future__ import annotations

from typing import Any

from dependency_injector import providers

from adapters.messaging.consent_book import LeadConsentBook
from adapters.messaging.lead_people import ProfilePeople, SegmentAudiences
from adapters.messaging.send_queue import SqlSendQueue, postgres_send_queue, sqlite_send_queue
from adapters.messaging.tracking_tokens import TrackingLinkTokens
from application.messaging.dispatch import Dispatch, PipelineLimits
from application.messaging.email_sending import EmailSending
from application.messaging.email_task_directory import EmailTaskDirectory, EmailTaskQueries
from application.messaging.email_tasks import EmailTasks
from application.messaging.outcomes import DeliveryOutcomes
from application.messaging.task_calendar import CalendarQueries, TaskCalendar
from application.messaging.test_sends import TestSends
from entrypoints.contexts.messaging.part import Part
from entrypoints.http.email_tasks import EmailTaskController

TASK_EVENTS = {
    "messaging.EmailTask.Drafted": "新建邮件任务 · e-mail task drafted",
    "messaging.EmailTask.Revised": "修改邮件任务 · e-mail task revised",
    "messaging.EmailTask.Scheduled": "邮件任务定时/发送 · e-mail task scheduled",
    "messaging.EmailTask.Unscheduled": "取消定时 · e-mail task unscheduled",
    "messaging.EmailTask.Cancelled": "取消邮件任务 · e-mail task cancelled",
    "messaging.EmailTask.Deleted": "删除邮件任务 · e-mail task deleted",
}


def _send_queue(infrastructure: Any, storage: Any) -> SqlSendQueue:
    if storage.database_url is None:
        return sqlite_send_queue(storage.var_dir)
    return postgres_send_queue(infrastructure.datastore, create_tables=storage.create_tables)


def _limits(settings: Any) -> PipelineLimits:
    return PipelineLimits(
        batch=settings.messaging.send_batch, daily_cap=settings.messaging.send_daily_cap
    )


def _public_url(settings: Any) -> str:
    return str(settings.public_url)


def _channels(email: EmailSending, sms: Any) -> dict[str, Any]:
    return {"email": email, "sms": sms}


def _providers(c: Any, messaging: providers.Provider[Any]) -> dict[str, providers.Provider[Any]]:
    queue = providers.Singleton(_send_queue, c.infrastructure, c.storage)
    calendar = providers.Singleton(CalendarQueries, c.messaging_calendar_view)
    consent = providers.Singleton(LeadConsentBook, c.leads)
    people = providers.Singleton(ProfilePeople, c.segment_profile_view, c.consent_queries)
    tokens = providers.Singleton(
        TrackingLinkTokens,
        c.link_codes,
        c.promotion_links,
        providers.Callable(_public_url, c.settings),
    )
    email_sending = providers.Singleton(
        EmailSending,
        templates=c.email_templates,
        identities=c.sending_domains,
        signer=c.dkim_signer,
        transport=c.mail_transport,
        tokens=tokens,
        unsubscribe=c.unsubscribe_links,
        return_path=c.return_path,
    )
    audiences = providers.Singleton(SegmentAudiences, c.group_queries, c.filter_selection, c.clock)
    tasks = providers.Singleton(
        EmailTasks,
        messaging,
        providers.Singleton(EmailTaskQueries, c.messaging_email_task_view),
        queue,
        senders=c.sending_domains,
        templates=c.email_templates,
        clock=c.clock,
    )
    return {
        "send_queue": queue,
        "consent_book": consent,
        "people": people,
        "audiences": audiences,
        "tracking_tokens": tokens,
        "email_sending": email_sending,
        "email_tasks": tasks,
        "email_test_sends": providers.Singleton(
            TestSends, tasks, email_sending, c.mail_transport, people
        ),
        "delivery_outcomes": providers.Singleton(
            DeliveryOutcomes, queue, consent, c.behaviours, c.clock
        ),
        "send_dispatch": providers.Singleton(
            Dispatch,
            messaging,
            queue,
            calendar,
            audiences,
            people,
            consent,
            c.behaviours,
            providers.Callable(_channels, email_sending, c.sms_sending),
            c.clock,
            providers.Callable(_limits, c.settings),
        ),
    }


PART = Part(
    providers=_providers,
    followers=(TaskCalendar, EmailTaskDirectory),
    views={
        "messaging_calendar_view": TaskCalendar,
        "messaging_email_task_view": EmailTaskDirectory,
    },
    controllers=(EmailTaskController,),
    dependencies=("email_tasks", "email_test_sends"),
    configuration_events=TASK_EVENTS,
)
