"""ResolverLookup against a real (local) authoritative DNS server, and the sending-domain
record checks over it."""

from __future__ import annotations

import base64
import os
import socket
import time

import pytest

from adapters.messaging.dns import ResolverLookup
from application.messaging import dns_records
from tests.integration.dns_server import LocalDns, local_dns  # noqa: F401

# A 2048-bit RSA public key is ~400 base64 characters: longer than one 255-byte string.
PUBLIC_KEY = base64.b64encode(os.urandom(294)).decode()
DOMAIN = "mail.acme.cn"


@pytest.fixture
def dns(local_dns: LocalDns) -> LocalDns:  # noqa: F811
    local_dns.clear()
    return local_dns


@pytest.fixture
def lookup(dns: LocalDns) -> ResolverLookup:
    return ResolverLookup(dns.address, timeout=2.0)


def test_txt_strings_of_one_record_are_joined(dns: LocalDns, lookup: ResolverLookup) -> None:
    dns.add_txt("hk1._domainkey.mail.acme.cn", "v=DKIM1; k=rsa; ", f"p={PUBLIC_KEY}")
    dns.add_txt("hk1._domainkey.mail.acme.cn", "other record")

    found = lookup.txt("hk1._domainkey.mail.acme.cn")

    assert sorted(found) == sorted([f"v=DKIM1; k=rsa; p={PUBLIC_KEY}", "other record"])


def test_a_long_txt_string_arrives_whole(dns: LocalDns, lookup: ResolverLookup) -> None:
    long = "v=DKIM1; k=rsa; p=" + PUBLIC_KEY * 3  # > 1 KB: split into strings, sent over TCP
    dns.add_txt("big.acme.cn", long)

    assert lookup.txt("big.acme.cn.") == [long]
    assert ("big.acme.cn.", "TXT") in dns.queries


def test_mx_exchanges_are_lower_case_without_the_dot_most_preferred_first(
    dns: LocalDns, lookup: ResolverLookup
) -> None:
    dns.add_mx(DOMAIN, "Backup.Huoke.Test.", preference=20)
    dns.add_mx(DOMAIN, "MX.Huoke.Test", preference=5)

    assert lookup.mx("MAIL.acme.cn") == ["mx.huoke.test", "backup.huoke.test"]


def test_cname_target_is_lower_case_without_the_dot(dns: LocalDns, lookup: ResolverLookup) -> None:
    dns.add_cname("track.mail.acme.cn", "T.Huoke.Test.")

    assert lookup.cname("track.mail.acme.cn") == "t.huoke.test"


def test_missing_names_and_types_are_empty(dns: LocalDns, lookup: ResolverLookup) -> None:
    dns.add_cname("track.mail.acme.cn", "t.huoke.test")
    dns.add_txt(DOMAIN, "v=spf1 -all")

    assert lookup.txt("nowhere.acme.cn") == []  # NXDOMAIN
    assert lookup.mx(DOMAIN) == []  # the name exists, no MX
    assert lookup.cname(DOMAIN) is None
    assert lookup.cname("nowhere.acme.cn") is None
    # Through a CNAME to a name outside the zone: no TXT of its own.
    assert lookup.txt("track.mail.acme.cn") == []


def test_a_silent_server_reads_as_no_records_within_the_timeout() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # receives, never answers
    try:
        lookup = ResolverLookup(f"127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        started = time.monotonic()
        assert lookup.txt(DOMAIN) == []
        assert lookup.mx(DOMAIN) == []
        assert lookup.cname(DOMAIN) is None
        assert time.monotonic() - started < 3
    finally:
        silent.close()


def records() -> dict[str, dns_records.RequiredRecord]:
    required = dns_records.required_records(
        DOMAIN,
        selector="hk1",
        public_key=PUBLIC_KEY,
        spf_include="spf.huoke.test",
        mx_host="mx.huoke.test",
        tracking_host="t.huoke.test",
    )
    return {r.purpose: r for r in required}


def publish_all(dns: LocalDns) -> None:
    dns.add_txt(DOMAIN, "v=spf1 include:spf.huoke.test include:_spf.qq.com ~all")
    dns.add_txt(DOMAIN, "google-site-verification=abc")
    # The way a DNS console stores a long key: several quoted strings.
    dns.add_txt("hk1._domainkey.mail.acme.cn", "v=DKIM1; k=rsa; ", f"p={PUBLIC_KEY}")
    dns.add_mx(DOMAIN, "MX.huoke.test.")
    dns.add_cname("track.mail.acme.cn", "t.huoke.test.")


@pytest.mark.parametrize("purpose", ["spf", "dkim", "mx", "tracking"])
def test_each_published_record_checks_ok(
    dns: LocalDns, lookup: ResolverLookup, purpose: str
) -> None:
    publish_all(dns)

    result = dns_records.check(records()[purpose], lookup)

    assert result.ok, result
    assert result.found


@pytest.mark.parametrize("purpose", ["spf", "dkim", "mx", "tracking"])
def test_each_missing_record_checks_not_ok(
    dns: LocalDns, lookup: ResolverLookup, purpose: str
) -> None:
    result = dns_records.check(records()[purpose], lookup)

    assert not result.ok
    assert result.found == []


@pytest.mark.parametrize("purpose", ["spf", "dkim", "mx", "tracking"])
def test_each_wrong_record_checks_not_ok(
    dns: LocalDns, lookup: ResolverLookup, purpose: str
) -> None:
    dns.add_txt(DOMAIN, "v=spf1 include:spf.other.test ~all")
    dns.add_txt("hk1._domainkey.mail.acme.cn", "v=DKIM1; k=rsa; p=" + PUBLIC_KEY[:-8] + "AAAAAAAA")
    dns.add_mx(DOMAIN, "mx.other.test")
    dns.add_cname("track.mail.acme.cn", "t.other.test")

    result = dns_records.check(records()[purpose], lookup)

    assert not result.ok
    assert result.found  # something is published, just not ours
