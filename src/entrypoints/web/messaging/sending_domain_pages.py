"""Sending domain pages (营销触达 · 发信域名, MAIL-3, seed 003 §4.3): the list; add a
subdomain; a domain's page with the DNS records to publish (each host and value ready
to copy), a check that says which records are still missing (records take about an
hour to be seen), and removal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.messaging.sending_domain_commands import AddSendingDomain, SendingDomainDetails
from application.messaging.sending_domains import SendingDomains
from application.shared.callers import TenantCaller
from application.shared.errors import ApplicationError, InvalidInput
from application.shared.history import RecordHistory
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form, version_of
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.messaging.common import shown_errors
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import (
    confirm_page,
    history_for,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Row, Table

BASE = "/console/messaging/sending-domains"
RESOURCE = "sending_domains"
DOMAIN_STATES = {
    "pending": (N_("待验证"), "warn"),
    "verified": (N_("已验证"), "ok"),
    "failed": (N_("验证未通过"), "bad"),
}
PURPOSES = {
    "spf": N_("SPF（允许本平台代发）"),
    "dkim": N_("DKIM（邮件签名公钥）"),
    "mx": N_("MX（退信接收，与 TXT 主机名相同）"),
    "tracking": N_("跟踪 CNAME（打开与点击统计）"),
}


def _state(state: str) -> tuple[str, str]:
    label, badge = DOMAIN_STATES.get(state, (state, "info"))
    return _(label), badge


class SendingDomainPages(Controller):
    path = "/messaging/sending-domains"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def domains(
        self,
        request: Request[Any, Any, Any],
        sending_domains: SendingDomains,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        return _list(request, caller, sending_domains, cursor, {}, {})

    @post("/new")
    async def add(
        self, request: Request[Any, Any, Any], sending_domains: SendingDomains
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(AddSendingDomain, data)
            added = await change(lambda: sending_domains.add(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = shown_errors(refusal, ("domain",))
            return await in_thread(
                lambda: _list(request, caller, sending_domains, None, data, errors)
            )
        message = _("已添加：请在域名服务商处添加下面的记录，然后验证")
        return redirect(request, f"{BASE}/{added.id}", flash=Flash("success", message))

    @get("/{sending_domain_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        sending_domain_id: UUID,
        sending_domains: SendingDomains,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        domain = sending_domains.domain(caller.tenant_id, sending_domain_id)
        label, badge = _state(domain.state)
        timezone = signed_in_viewer(request).timezone
        missing = [record for record in domain.records if record.ok is False]
        return page(
            request,
            "messaging/sending_domain.html",
            title=_("发信域名：{domain}").format(domain=domain.domain),
            domain=domain,
            state_label=label,
            state_badge=badge,
            purposes={key: _(label) for key, label in PURPOSES.items()},
            missing=missing,
            checked_at=local_time(domain.checked_at, timezone) if domain.checked_at else None,
            may_verify=caller.may(RESOURCE, Action.UPDATE),
            may_remove=caller.may(RESOURCE, Action.DELETE),
            history=history_for(history, caller, domain.id),
        )

    @post("/{sending_domain_id:uuid}/verify")
    async def verify(
        self,
        request: Request[Any, Any, Any],
        sending_domain_id: UUID,
        sending_domains: SendingDomains,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        url = f"{BASE}/{sending_domain_id}"
        await in_thread(lambda: sending_domains.domain(caller.tenant_id, sending_domain_id))
        try:
            checked = await change(
                lambda: sending_domains.verify(caller.tenant_id, sending_domain_id)
            )
        except (DomainError, ApplicationError) as refusal:
            return redirect(request, url, flash=Flash("error", _first(refusal)))
        if checked.may_send:
            message = _("验证通过，可以用这个域名发信了")
            return redirect(request, url, flash=Flash("success", message))
        missing = "、".join(
            _(PURPOSES.get(record.purpose, record.purpose))
            for record in checked.records
            if not record.ok
        )
        message = _("还有记录未生效：{missing}。记录添加后约一小时生效，请稍后再验证。").format(
            missing=missing
        )
        return redirect(request, url, flash=Flash("error", message))

    @get("/{sending_domain_id:uuid}/remove", sync_to_thread=True)
    def remove_confirmation(
        self,
        request: Request[Any, Any, Any],
        sending_domain_id: UUID,
        sending_domains: SendingDomains,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        domain = sending_domains.domain(caller.tenant_id, sending_domain_id)
        return _remove_page(request, domain, {})

    @post("/{sending_domain_id:uuid}/remove")
    async def remove(
        self,
        request: Request[Any, Any, Any],
        sending_domain_id: UUID,
        sending_domains: SendingDomains,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        domain = await in_thread(
            lambda: sending_domains.domain(caller.tenant_id, sending_domain_id)
        )
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: sending_domains.remove(
                    caller.tenant_id, sending_domain_id, expected_version=version
                )
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return _remove_page(request, domain, errors_of(refusal), status=409)
        return redirect(request, BASE, flash=Flash("success", _("发信域名已删除")))


def _first(refusal: Exception) -> str:
    return next(iter(errors_of(refusal).values()), _("操作未完成"))


def _list(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    sending_domains: SendingDomains,
    cursor: str | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    listed = sending_domains.domains(caller.tenant_id, cursor=cursor or None, limit=PAGE_SIZE)
    rows = []
    for domain in listed.items:
        label, badge = _state(domain.state)
        rows.append(
            Row(
                str(domain.id),
                [
                    Cell(domain.domain, href=f"{BASE}/{domain.id}"),
                    Cell(label, badge=badge),
                    Cell(local_time(domain.created_at, timezone)),
                ],
            )
        )
    table = Table(
        id="sending-domains",
        url=BASE,
        columns=[
            Column("domain", "域名"),
            Column("state", "状态"),
            Column("created", "添加时间"),
        ],
        rows=rows,
        caption="发信域名",
        next_cursor=listed.next_cursor,
        query=query_of(request, ("cursor",)),
        empty_message="还没有发信域名",
    )
    return page(
        request,
        "messaging/sending_domains.html",
        title=_("发信域名"),
        table=table,
        may_create=caller.may(RESOURCE, Action.CREATE),
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def _remove_page(
    request: Request[Any, Any, Any],
    domain: SendingDomainDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("删除发信域名"),
        description=_("删除「{domain}」：用它发信的任务会暂停，直到重新添加并验证。").format(
            domain=domain.domain
        ),
        action=f"{BASE}/{domain.id}/remove",
        confirm_label=_("确认删除"),
        reason_required=None,
        fields={"version": domain.version},
        errors=errors,
        cancel=f"{BASE}/{domain.id}",
        status=status,
    )


PAGES: tuple[Any, ...] = (SendingDomainPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="发信域名",
        path=BASE,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section="营销触达",
        action=Action.READ,
        order=12,
    ),
)
