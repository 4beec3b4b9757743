"""Sending domains (MAIL-3, seed 003 §4.3): a lower-case subdomain, never an IP; the four
records follow the seed's rules (MX on the TXT host, the CNAME on a host of its own
pointing at a host name); a domain sends only while its last check found every record;
one domain per tenant name through its derived id."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from application.messaging.dns_records import required_records
from domain.messaging.sending_domain import SendingDomain, checked_domain
from domain.shared.errors import InvalidValue, StateConflict
from tests.unit.events import replay, topics

TENANT = uuid.uuid4()
HOSTS = {"spf_include": "spf.huoke.test", "mx_host": "mx.huoke.test",
         "tracking_host": "t.huoke.test"}  # fmt: skip


def _records(domain: str = "mail.acme.cn") -> list[dict[str, str]]:
    found = required_records(domain, selector="hk1", public_key="MIIBIjAN", **HOSTS)
    return [{"purpose": r.purpose, "kind": r.kind, "host": r.host, "value": r.value} for r in found]


def _domain(name: str = "Mail.Acme.CN.") -> SendingDomain:
    return SendingDomain.add(
        tenant_id=TENANT,
        domain=name,
        selector="hk1",
        public_key="MIIBIjAN",
        private_key_pem="-----BEGIN PRIVATE KEY-----\n...",
        records=_records(),
    )


def _checks(*missing: str) -> list[dict[str, Any]]:
    return [
        {"purpose": p, "ok": p not in missing, "found": [] if p in missing else ["x"]}
        for p in ("spf", "dkim", "mx", "tracking")
    ]


@pytest.mark.parametrize(
    ("given", "kept"),
    [("mail.acme.cn", "mail.acme.cn"), (" MAIL.Acme.cn. ", "mail.acme.cn"),
     ("e-mail.news.acme.com.cn", "e-mail.news.acme.com.cn"), ("m1.x-y.cn", "m1.x-y.cn")],
)  # fmt: skip
def test_host_names_are_kept_lower_case_without_the_root_dot(given: str, kept: str) -> None:
    assert checked_domain(given) == kept


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("1.2.3.4", "IP address"),
        ("10.0.0.300", "IP address"),
        ("acme.cn", "subdomain"),
        ("localhost", "subdomain"),
        ("mail..acme.cn", "host name"),
        ("-mail.acme.cn", "host name"),
        ("mail-.acme.cn", "host name"),
        ("mail_1.acme.cn", "host name"),
        ("邮件.acme.cn", "host name"),
        ("news@mail.acme.cn", "host name"),
        ("https://mail.acme.cn", "host name"),
        ("a" * 64 + ".acme.cn", "host name"),
        (("a" * 60 + ".") * 5 + "cn", "host name"),
    ],
)
def test_anything_but_a_subdomain_host_name_is_refused_naming_the_field(
    given: str, says: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        _domain(given)
    assert refused.value.field == "domain"
    assert says in refused.value.message


def test_the_records_follow_the_seed_rules() -> None:
    records = {r["purpose"]: r for r in _records()}
    assert records["spf"] == {"purpose": "spf", "kind": "TXT", "host": "mail.acme.cn",
                              "value": "v=spf1 include:spf.huoke.test ~all"}  # fmt: skip
    assert records["dkim"]["host"] == "hk1._domainkey.mail.acme.cn"
    assert records["dkim"]["value"] == "v=DKIM1; k=rsa; p=MIIBIjAN"
    # MX host equals TXT host: the return path's VERP addresses are at the domain itself
    assert (records["mx"]["kind"], records["mx"]["host"]) == ("MX", records["spf"]["host"])
    assert records["mx"]["value"] == "mx.huoke.test"
    # the CNAME host differs from every TXT host and from the domain (its A host)
    tracking = records["tracking"]
    assert tracking["kind"] == "CNAME"
    assert tracking["host"] not in {records["spf"]["host"], records["dkim"]["host"]}
    assert tracking["host"] == "track.mail.acme.cn" and tracking["value"] == "t.huoke.test"


@pytest.mark.parametrize("setting", ["mx_host", "tracking_host"])
@pytest.mark.parametrize("value", ["203.0.113.9", "[2001:db8::1]", "2001:db8::1", "localhost"])
def test_our_hosts_must_be_host_names_never_ips(setting: str, value: str) -> None:
    with pytest.raises(ValueError, match=setting):
        required_records(
            "mail.acme.cn", selector="hk1", public_key="k", **{**HOSTS, setting: value}
        )


def test_a_new_domain_is_pending_and_may_not_send() -> None:
    domain = _domain()
    assert (domain.domain, domain.state, domain.may_send) == ("mail.acme.cn", "pending", False)
    assert domain.missing == []
    assert topics(domain.collect_events()) == ["messaging.SendingDomain.Added"]


def test_the_id_is_one_per_tenant_and_name() -> None:
    assert (
        _domain().id
        == _domain("mail.acme.cn").id
        == SendingDomain.create_id(TENANT, "MAIL.acme.cn")
    )
    assert SendingDomain.create_id(uuid.uuid4(), "mail.acme.cn") != _domain().id
    assert SendingDomain.create_id(TENANT, "news.acme.cn") != _domain().id


def test_a_check_finding_every_record_verifies_and_allows_sending() -> None:
    domain = _domain()
    domain.record_check(_checks(), at="2026-11-11T08:00:00Z")
    assert (domain.state, domain.may_send, domain.missing) == ("verified", True, [])
    assert domain.verified_at == "2026-11-11T08:00:00Z"
    events = domain.collect_events()
    assert topics(events)[-1] == "messaging.SendingDomain.Verified"
    again = replay(events, SendingDomain)
    assert (again.state, again.may_send, again.private_key_pem) == (
        "verified", True, domain.private_key_pem,
    )  # fmt: skip


def test_a_check_missing_records_fails_naming_them_and_stops_sending() -> None:
    domain = _domain()
    domain.record_check(_checks(), at="2026-11-11T08:00:00Z")
    domain.record_check(_checks("dkim", "tracking"), at="2026-11-12T08:00:00Z")
    assert (domain.state, domain.may_send) == ("failed", False)
    assert domain.missing == ["dkim", "tracking"]
    failed = domain.collect_events()[-1]
    assert type(failed).TOPIC == "messaging.SendingDomain.VerificationFailed"
    assert failed.failed == ["dkim", "tracking"]  # type: ignore[attr-defined]
    assert failed.checks[1] == {"purpose": "dkim", "ok": False, "found": []}  # type: ignore[attr-defined]
    domain.record_check(_checks(), at="2026-11-13T08:00:00Z")
    assert domain.may_send
    assert domain.verified_at == "2026-11-13T08:00:00Z"


def test_a_check_must_cover_every_record_and_changes_nothing_otherwise() -> None:
    domain = _domain()
    with pytest.raises(InvalidValue) as refused:
        domain.record_check(_checks()[:3], at="2026-11-11T08:00:00Z")
    assert refused.value.field == "checks"
    assert domain.state == "pending" and len(domain.collect_events()) == 1


def test_a_removed_domain_may_not_send_or_be_checked_until_added_again() -> None:
    domain = _domain()
    domain.record_check(_checks(), at="2026-11-11T08:00:00Z")
    domain.remove()
    assert not domain.may_send
    with pytest.raises(StateConflict):
        domain.record_check(_checks(), at="2026-11-12T08:00:00Z")
    with pytest.raises(StateConflict):
        domain.remove()
    domain.readd(selector="hk1", public_key="NEW", private_key_pem="PEM2", records=_records())
    assert (domain.state, domain.may_send, domain.public_key, domain.removed) == (
        "pending", False, "NEW", False,
    )  # fmt: skip


def test_a_live_domain_cannot_be_added_twice() -> None:
    domain = _domain()
    with pytest.raises(StateConflict) as refused:
        domain.readd(selector="hk1", public_key="k", private_key_pem="p", records=_records())
    assert refused.value.field == "domain"
