"""Messaging part: sending domains (DNS records, verification, DKIM keys), the relay
(SMTP or the .eml sandbox), VERP return paths and the bounce receiver."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from dependency_injector import providers

from adapters.messaging.bounce_receiver import BounceReceiver
from adapters.messaging.dkim import RsaDkimSigner, generate_key_pair
from adapters.messaging.dns import ResolverLookup
from adapters.messaging.sandbox_mail import SandboxOutbox
from adapters.messaging.smtp import RelayAddress, SmtpTransport
from application.messaging.return_paths import ReturnPaths, derive_key
from application.messaging.sending_domain_directory import (
    SendingDomainDirectory,
    SendingDomainQueries,
)
from application.messaging.sending_domains import OurHosts, SendingDomains
from entrypoints.contexts.messaging.part import Part
from entrypoints.http.sending_domains import SendingDomainController

DOMAIN_EVENTS = {
    "messaging.SendingDomain.Added": "新增发信域名 · sending domain added",
    "messaging.SendingDomain.Verified": "发信域名验证通过 · sending domain verified",
    "messaging.SendingDomain.VerificationFailed": (
        "发信域名验证未通过 · sending domain verification failed"
    ),
    "messaging.SendingDomain.Removed": "删除发信域名 · sending domain removed",
    "messaging.SendingDomain.Readded": "重新添加发信域名 · sending domain added again",
}


def _transport(settings: Any) -> Any:
    messaging = settings.messaging
    if messaging.smtp_url is None:
        return SandboxOutbox(Path(settings.var_dir) / "outbox")
    return SmtpTransport(
        RelayAddress.parse(messaging.smtp_url), connections=messaging.smtp_connections
    )


def _hosts(settings: Any) -> OurHosts:
    m = settings.messaging
    return OurHosts(spf_include=m.spf_include, mx_host=m.mx_host, tracking_host=m.tracking_host)


def _dns(settings: Any) -> ResolverLookup:
    return ResolverLookup(settings.messaging.dns_nameserver)


def _return_paths(storage: Any) -> ReturnPaths:
    return ReturnPaths(derive_key(base64.b64decode(storage.cipher_key)))


def _address_of(paths: ReturnPaths) -> Any:
    return paths.address


def _bounce_receiver(settings: Any, paths: ReturnPaths, outcomes: Any) -> BounceReceiver | None:
    """The inbound SMTP server of the return paths' MX, when `HUOKE_BOUNCE_LISTEN` is set."""
    listen = settings.messaging.bounce_listen
    if not listen:
        return None
    host, _, port = listen.rpartition(":")

    def on_report(message_id: str, permanent: bool, detail: str, complaint: bool) -> bool:
        return bool(
            outcomes.bounced(message_id, permanent=permanent, detail=detail, complaint=complaint)
        )

    return BounceReceiver(host or "0.0.0.0", int(port), paths.message_of, on_report)


def _providers(c: Any, messaging: providers.Provider[Any]) -> dict[str, providers.Provider[Any]]:
    paths = providers.Singleton(_return_paths, c.storage)
    dns = providers.Singleton(_dns, c.settings)
    return {
        "sending_domains": providers.Singleton(
            SendingDomains,
            messaging,
            providers.Singleton(SendingDomainQueries, c.messaging_domain_view),
            dns,
            providers.Object(generate_key_pair),
            providers.Singleton(_hosts, c.settings),
            c.clock,
        ),
        "dns_lookup": dns,
        "dkim_signer": providers.Singleton(RsaDkimSigner),
        "mail_transport": providers.Singleton(_transport, c.settings),
        "return_paths": paths,
        "return_path": providers.Singleton(_address_of, paths),
        "bounce_receiver": providers.Singleton(
            _bounce_receiver, c.settings, paths, c.delivery_outcomes
        ),
    }


PART = Part(
    providers=_providers,
    followers=(SendingDomainDirectory,),
    views={"messaging_domain_view": SendingDomainDirectory},
    controllers=(SendingDomainController,),
    dependencies=("sending_domains",),
    configuration_events=DOMAIN_EVENTS,
)
