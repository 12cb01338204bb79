"""DNS checks: one query to one resolver, its response code and answers."""

from __future__ import annotations

import time

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.rdtypes.ANY.TXT

from vigil_core.adapters.checks.tcp import describe_connection_error
from vigil_core.models.monitors import DnsMonitor
from vigil_core.probes.observations import Observation


async def observe_dns(definition: DnsMonitor) -> Observation:
    """Ask the monitor's resolver (or the system's first one) over UDP, again over TCP if the answer is truncated."""
    address = definition.resolver_address or _system_resolver()
    if address is None:
        return Observation(connected=False, error="no resolver: the monitor names none and the system has none")
    server, port = address
    query = dns.message.make_query(definition.target, definition.record_type.value)
    started = time.perf_counter()
    transport = "UDP"
    try:
        response = await dns.asyncquery.udp(
            query, server, timeout=definition.timeout, port=port, ignore_unexpected=True
        )
        if response.flags & dns.flags.TC:
            transport = "TCP"
            remaining = max(definition.timeout - (time.perf_counter() - started), 0.001)
            response = await dns.asyncquery.tcp(query, server, timeout=remaining, port=port)
    except dns.exception.Timeout:
        return Observation(
            connected=False, error=f"timed out after {definition.timeout}s waiting for {server}:{port} ({transport})"
        )
    except OSError as exc:
        return Observation(connected=False, error=f"query to {server}:{port} failed: {describe_connection_error(exc)}")
    except (dns.exception.DNSException, EOFError) as exc:  # a malformed reply, or TCP closed mid-answer
        detail = str(exc) or type(exc).__name__
        return Observation(connected=False, error=f"query to {server}:{port} ({transport}) failed: {detail}")
    elapsed_ms = (time.perf_counter() - started) * 1000
    wanted = dns.rdatatype.from_text(definition.record_type.value)
    # Only records of the asked type: a CNAME followed on the way to an A record is not an answer to "A".
    answers = tuple(_text(rdata) for rrset in response.answer if rrset.rdtype == wanted for rdata in rrset)
    return Observation(
        connected=True,
        response_time_ms=elapsed_ms,
        dns_rcode=dns.rcode.to_text(response.rcode()),
        dns_answers=answers,
    )


def _text(rdata: dns.rdata.Rdata) -> str:
    """The record as zone-file text, except TXT: its strings joined without quotes, as they are meant."""
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        return b"".join(rdata.strings).decode(errors="replace")
    return rdata.to_text()


def _system_resolver() -> tuple[str, int] | None:
    import dns.nameserver
    import dns.resolver  # reads /etc/resolv.conf: only when a monitor names no resolver

    try:
        resolver = dns.resolver.get_default_resolver()
    except dns.resolver.NoResolverConfiguration:
        return None
    for nameserver in resolver.nameservers:
        if isinstance(nameserver, str):
            return nameserver, resolver.port
        if isinstance(nameserver, dns.nameserver.Do53Nameserver):
            return nameserver.address, nameserver.port
    return None
