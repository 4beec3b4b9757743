"""The `DnsLookup` port over dnspython: what the public DNS says about a sending domain.

A missing name, a missing record type, a refusing or silent server all read as "no such
record": the caller (the DNS check of a sending domain) reports the record as not found
yet, which is the truth the tenant can act on. Every query is bounded by `timeout`
(dnspython's lifetime), so a dead resolver never hangs a request.
"""

from __future__ import annotations

from typing import Any

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

# Everything dnspython raises for "the answer is not there (now)".
_NO_ANSWER = (
    dns.resolver.NXDOMAIN,
    dns.resolver.NoAnswer,
    dns.resolver.NoNameservers,
    dns.resolver.YXDOMAIN,
    dns.exception.Timeout,
    dns.name.EmptyLabel,
    dns.name.LabelTooLong,
    dns.name.NameTooLong,
)


class ResolverLookup:
    """DNS answers from `nameserver` ("host[:port]") or, when None, the system resolver."""

    def __init__(self, nameserver: str | None = None, timeout: float = 3.0) -> None:
        if nameserver:
            resolver = dns.resolver.Resolver(configure=False)
            host, port = _host_port(nameserver)
            resolver.nameservers = [host]
            resolver.port = port
        else:
            resolver = dns.resolver.Resolver()
        resolver.timeout = timeout
        resolver.lifetime = timeout
        # No search-list suffixes: names are always absolute here.
        resolver.search = []
        self._resolver = resolver

    def txt(self, name: str) -> list[str]:
        """The TXT strings of `name`, each record's strings joined (long DKIM keys are split
        into 255-byte strings)."""
        return [
            b"".join(rdata.strings).decode("utf-8", "replace")
            for rdata in self._answer(name, dns.rdatatype.TXT)
        ]

    def mx(self, name: str) -> list[str]:
        """The exchange host names of `name`, most preferred first."""
        records = sorted(self._answer(name, dns.rdatatype.MX), key=lambda r: r.preference)
        return [_host(r.exchange) for r in records]

    def cname(self, name: str) -> str | None:
        """The target of `name`'s CNAME, if it has one."""
        for rdata in self._answer(name, dns.rdatatype.CNAME):
            return _host(rdata.target)
        return None

    def _answer(self, name: str, rdtype: dns.rdatatype.RdataType) -> list[Any]:
        try:
            answer = self._resolver.resolve(
                dns.name.from_text(name.strip().rstrip(".") + "."),
                rdtype,
                search=False,
                raise_on_no_answer=False,
            )
        except _NO_ANSWER:
            return []
        # Without an answer of the asked type (e.g. only a CNAME to follow) rrset is None.
        return [] if answer.rrset is None else list(answer.rrset)


def _host(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


def _host_port(address: str) -> tuple[str, int]:
    if address.startswith("["):  # [::1]:5353
        host, _, rest = address[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if address.count(":") == 1:
        host, _, port = address.partition(":")
        return host, int(port)
    return address, 53
