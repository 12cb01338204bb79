"""A DNS server (UDP and TCP, same port) answering from a dict of records, or failing as the test says."""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Self

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from tests.servers.background import LISTEN_BACKLOG, LOCALHOST, BackgroundServer

_POLL_S = 0.05  # how often a blocking socket looks whether the server is stopping
_TTL = 60
_MAX_CNAME_HOPS = 8

Records = Mapping[tuple[str, str], Sequence[str]]  # (name, type) -> rdata texts, e.g. ("example.com", "A"): ["1.2.3.4"]


class DnsBehaviour(StrEnum):
    ANSWER = "answer"  # from the records; a name with no records at all is NXDOMAIN
    SERVFAIL = "servfail"
    SILENT = "silent"  # read the query, never answer (a resolver timing out)


class ControllableDnsServer(BackgroundServer):
    """Authoritative for whatever is in `records`: follows CNAMEs it holds, as an authoritative server would.

    With `truncate_udp`, every UDP answer comes back empty with the TC flag, so clients must retry over TCP.
    """

    def __init__(self, records: Records | None = None) -> None:
        super().__init__()
        self.behaviour = DnsBehaviour.ANSWER
        self.truncate_udp = False
        self._lock = threading.Lock()
        self._records: dict[tuple[dns.name.Name, dns.rdatatype.RdataType], list[str]] = {}
        self._queries: list[tuple[str, str, str]] = []
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self.set_records(records or {})

    @property
    def port(self) -> int:
        assert self._udp is not None, "the server is not started"
        return int(self._udp.getsockname()[1])

    @property
    def resolver(self) -> str:
        """As a DnsMonitor's `resolver` field takes it."""
        return f"{LOCALHOST}:{self.port}"

    def set_records(self, records: Records) -> None:
        parsed = {
            (dns.name.from_text(name), dns.rdatatype.from_text(record_type)): list(texts)
            for (name, record_type), texts in records.items()
        }
        with self._lock:
            self._records = parsed

    @property
    def queries(self) -> list[tuple[str, str, str]]:
        """(transport, name, type) of every query received, e.g. ("udp", "example.com.", "A")."""
        with self._lock:
            return list(self._queries)

    def start(self) -> Self:
        self._udp, self._tcp = _bind_udp_and_tcp()
        self._run_in_thread(self._serve_udp, "udp")
        self._run_in_thread(self._serve_tcp, "tcp")
        return self

    def stop(self) -> None:
        super().stop()  # the loops poll `stopping`, so they are done before their sockets close
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()

    def _serve_udp(self) -> None:
        assert self._udp is not None
        self._udp.settimeout(_POLL_S)
        while not self.stopping.is_set():
            try:
                wire, client = self._udp.recvfrom(65535)
            except TimeoutError:
                continue
            try:
                query = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                continue
            response = self._respond(query, "udp")
            if response is not None:
                self._udp.sendto(response.to_wire(), client)

    def _serve_tcp(self) -> None:
        assert self._tcp is not None
        self._tcp.settimeout(_POLL_S)
        while not self.stopping.is_set():
            try:
                connection, _ = self._tcp.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._serve_tcp_connection, args=(connection,), daemon=True).start()

    def _serve_tcp_connection(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            try:
                query, _ = dns.query.receive_tcp(connection)
            except (OSError, EOFError, dns.exception.DNSException):
                return
            response = self._respond(query, "tcp")
            if response is None:
                self.stopping.wait()
                return
            dns.query.send_tcp(connection, response)

    def _respond(self, query: dns.message.Message, transport: str) -> dns.message.Message | None:
        question = query.question[0]
        with self._lock:
            self._queries.append((transport, question.name.to_text(), dns.rdatatype.to_text(question.rdtype)))
            records = self._records
        if self.behaviour is DnsBehaviour.SILENT:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if self.behaviour is DnsBehaviour.SERVFAIL:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        if transport == "udp" and self.truncate_udp:
            response.flags |= dns.flags.TC
            return response
        if not any(name == question.name for name, _ in records):
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        response.answer.extend(_answers(records, question.name, question.rdtype))
        return response


def _answers(
    records: Mapping[tuple[dns.name.Name, dns.rdatatype.RdataType], list[str]],
    name: dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
) -> list[dns.rrset.RRset]:
    """The records of `name` and `rdtype`, after any CNAME chain the server holds."""
    answers: list[dns.rrset.RRset] = []
    for _ in range(_MAX_CNAME_HOPS):
        if texts := records.get((name, rdtype)):
            answers.append(dns.rrset.from_text_list(name, _TTL, dns.rdataclass.IN, rdtype, texts))
            break
        aliases = records.get((name, dns.rdatatype.CNAME))
        if not aliases:
            break
        answers.append(dns.rrset.from_text_list(name, _TTL, dns.rdataclass.IN, dns.rdatatype.CNAME, aliases))
        name = dns.name.from_text(aliases[0])
    return answers


def _bind_udp_and_tcp() -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket on the same ephemeral port (retried if another process holds the TCP port)."""
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((LOCALHOST, 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind((LOCALHOST, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(LISTEN_BACKLOG)
        return udp, tcp
    raise RuntimeError("no port free for both UDP and TCP")
