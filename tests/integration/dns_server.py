"""A local authoritative DNS server for tests, built on dnspython's wire format.

`LocalDns` answers UDP and TCP queries on 127.0.0.1:<free port> from records the test
adds (`add_txt`, `add_mx`, `add_cname`), so adapters resolve over a real socket with a real
resolver: NXDOMAIN for unknown names, NOERROR with no answer for a known name without the
asked type, CNAME chains followed inside the zone, TC on an oversized UDP answer (the
resolver then retries over TCP).

    with LocalDns() as dns:
        dns.add_txt("mail.acme.cn", "v=spf1 include:spf.huoke.test ~all")
        ResolverLookup(dns.address).txt("mail.acme.cn")

or, as a session fixture: `from tests.integration.dns_server import local_dns` and take
`local_dns` as a test argument (call `local_dns.clear()` or use names of your own).
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.TXT
import dns.rrset
import pytest

IN = dns.rdataclass.IN
TTL = 60
_CHAIN_LIMIT = 8


class LocalDns:
    """An authoritative server for whatever names the test adds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[dns.name.Name, list[dns.rdata.Rdata]] = {}
        self.queries: list[tuple[str, str]] = []  # (name, type) in arrival order
        self._udp, self._tcp = _bind_pair(self)
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._udp.server_address[1]}"

    # Records --------------------------------------------------------------------------

    def add_txt(self, name: str, *strings: str) -> None:
        """One TXT record of `strings`; a string over 255 bytes is split into 255-byte
        character-strings, as DNS providers publish long DKIM keys."""
        chunks: list[bytes] = []
        for text in strings:
            data = text.encode()
            chunks.extend(data[i : i + 255] for i in range(0, max(len(data), 1), 255))
        self._add(name, dns.rdtypes.ANY.TXT.TXT(IN, dns.rdatatype.TXT, chunks))

    def add_mx(self, name: str, host: str, preference: int = 10) -> None:
        self._add(name, dns.rdtypes.ANY.MX.MX(IN, dns.rdatatype.MX, preference, _name(host)))

    def add_cname(self, name: str, target: str) -> None:
        self._add(name, dns.rdtypes.ANY.CNAME.CNAME(IN, dns.rdatatype.CNAME, _name(target)))

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self.queries.clear()

    def _add(self, name: str, rdata: dns.rdata.Rdata) -> None:
        with self._lock:
            self._records.setdefault(_name(name), []).append(rdata)

    # Serving --------------------------------------------------------------------------

    def start(self) -> LocalDns:
        for server in (self._udp, self._tcp):
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self._udp, self._tcp):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> LocalDns:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, wire: bytes, *, udp: bool) -> bytes | None:
        """The response to one query message (None: not even a DNS header, drop it)."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        with self._lock:
            self.queries.append((question.name.to_text(), dns.rdatatype.to_text(question.rdtype)))
            response.set_rcode(self._resolve(question.name, question.rdtype, response))
        limit = max(512, query.payload) if udp and query.edns >= 0 else 512 if udp else 65535
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.AA | dns.flags.TC
            return truncated.to_wire()

    def _resolve(
        self, name: dns.name.Name, rdtype: int, response: dns.message.Message
    ) -> dns.rcode.Rcode:
        for _ in range(_CHAIN_LIMIT):
            records = self._records.get(name)
            if records is None:
                # Past the first name of a chain the target is another zone's: NOERROR.
                return dns.rcode.NXDOMAIN if not response.answer else dns.rcode.NOERROR
            wanted = [r for r in records if r.rdtype == rdtype]
            if wanted:
                response.answer.append(_rrset(name, wanted))
                return dns.rcode.NOERROR
            alias = [r for r in records if r.rdtype == dns.rdatatype.CNAME]
            if not alias:
                return dns.rcode.NOERROR
            response.answer.append(_rrset(name, alias[:1]))
            name = alias[0].target
        return dns.rcode.NOERROR


@pytest.fixture(scope="session")
def local_dns() -> Iterator[LocalDns]:
    """One LocalDns for the test session."""
    with LocalDns() as server:
        yield server


def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text.strip().rstrip(".").lower() + ".")


def _rrset(name: dns.name.Name, rdatas: list[dns.rdata.Rdata]) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, TTL, rdatas)


class _Udp(socketserver.BaseRequestHandler):
    server: _UdpServer

    def handle(self) -> None:
        data, sock = self.request
        reply = self.server.dns.answer(data, udp=True)
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _Tcp(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(5)
        try:
            while True:
                header = _read(conn, 2)
                if header is None:
                    return
                data = _read(conn, struct.unpack("!H", header)[0])
                if data is None:
                    return
                reply = self.server.dns.answer(data, udp=False)
                if reply is None:
                    return
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return


def _read(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    dns: LocalDns


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    dns: LocalDns


def _bind_pair(owner: LocalDns) -> tuple[_UdpServer, _TcpServer]:
    """UDP and TCP on the same free port (retrying when the TCP side of it is taken)."""
    for _ in range(20):
        udp = _UdpServer(("127.0.0.1", 0), _Udp)
        try:
            tcp = _TcpServer(("127.0.0.1", udp.server_address[1]), _Tcp)
        except OSError:
            udp.server_close()
            continue
        udp.dns = tcp.dns = owner
        return udp, tcp
    raise RuntimeError("no free port for the local DNS server")
