"""The DNS records a sending domain needs (MAIL-3, seed 003 §4.3) and the look-up port
that checks them.

For a domain `mail.acme.cn` with DKIM selector `hk1`:
- SPF: TXT on `mail.acme.cn`: `v=spf1 include:<our SPF host> ~all`;
- DKIM: TXT on `hk1._domainkey.mail.acme.cn`: `v=DKIM1; k=rsa; p=<public key>`;
- MX: on `mail.acme.cn` (the same host as the TXT, as the seed's rule says) → our bounce
  server: the return path of every message is a VERP address at the domain itself;
- tracking CNAME: `<label>.mail.acme.cn` (a host other than the TXT and A hosts) →
  our tracking host (a host name, never an IP).
Records take about an hour to take effect.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Protocol

TRACKING_LABEL = "track"
PROPAGATION_NOTE = "records take about an hour to take effect (约一小时生效)"


class DnsLookup(Protocol):
    """Answers of the public DNS (an empty list when the name has no such record)."""

    def txt(self, name: str) -> list[str]:
        """The TXT strings of `name`, each record's strings joined."""
        ...

    def mx(self, name: str) -> list[str]:
        """The exchange host names of `name` (lower case, no trailing dot)."""
        ...

    def cname(self, name: str) -> str | None:
        """The target of `name`'s CNAME (lower case, no trailing dot), if any."""
        ...


@dataclass(frozen=True)
class RequiredRecord:
    """One record the tenant publishes: `kind` TXT/MX/CNAME, `host`, expected `value`."""

    purpose: str  # spf, dkim, mx, tracking
    kind: str
    host: str
    value: str


@dataclass(frozen=True)
class RecordCheck:
    record: RequiredRecord
    found: list[str]
    ok: bool


def required_records(
    domain: str,
    *,
    selector: str,
    public_key: str,
    spf_include: str,
    mx_host: str,
    tracking_host: str,
) -> list[RequiredRecord]:
    """The four records of `domain`; MX and CNAME values must be host names (a CNAME or
    MX pointing at an IP address is invalid DNS that some consoles accept silently)."""
    for setting, host in (("mx_host", mx_host), ("tracking_host", tracking_host)):
        _require_host_name(setting, host)
    return [
        RequiredRecord("spf", "TXT", domain, f"v=spf1 include:{spf_include} ~all"),
        RequiredRecord(
            "dkim", "TXT", f"{selector}._domainkey.{domain}", f"v=DKIM1; k=rsa; p={public_key}"
        ),
        RequiredRecord("mx", "MX", domain, mx_host),
        RequiredRecord("tracking", "CNAME", f"{TRACKING_LABEL}.{domain}", tracking_host),
    ]


def check(record: RequiredRecord, lookup: DnsLookup) -> RecordCheck:
    """Whether the published DNS has `record` (SPF: an SPF TXT that includes our host)."""
    if record.kind == "TXT" and record.purpose == "spf":
        found = [t for t in lookup.txt(record.host) if t.lower().startswith("v=spf1")]
        include = record.value.split()[1].lower()
        return RecordCheck(record, found, any(include in t.lower().split() for t in found))
    if record.kind == "TXT":
        found = [t for t in lookup.txt(record.host) if t.lower().startswith("v=dkim1")]
        wanted = _dkim_key(record.value)
        return RecordCheck(record, found, any(_dkim_key(t) == wanted for t in found))
    if record.kind == "MX":
        found = lookup.mx(record.host)
        return RecordCheck(record, found, record.value.lower() in found)
    target = lookup.cname(record.host)
    found = [target] if target else []
    return RecordCheck(record, found, target == record.value.lower())


def _require_host_name(setting: str, host: str) -> None:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if host and "." in host:
            return
    raise ValueError(f"messaging setting {setting} must be a host name, not {host!r}")


def _dkim_key(text: str) -> str:
    for part in text.replace(" ", "").split(";"):
        if part.startswith("p="):
            return part[2:]
    return ""
