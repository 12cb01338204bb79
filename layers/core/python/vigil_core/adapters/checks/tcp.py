"""TCP checks: connect, optionally send a line and wait for an expected reply."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import time
from collections.abc import Iterator

from vigil_core.models.monitors import TcpMonitor, split_host_port
from vigil_core.probes.observations import MAX_BODY_BYTES, Observation

_READ_CHUNK_BYTES = 64 * 1024


async def observe_tcp(definition: TcpMonitor) -> Observation:
    """Connect to host:port; with `send`, write it; with `expect`, read until it is seen, EOF or the timeout."""
    host, port = split_host_port(definition.target)
    received = bytearray()
    phase = "while connecting"
    connected = False
    ip: str | None = None
    started = time.perf_counter()
    try:
        async with asyncio.timeout(definition.timeout):
            reader, writer = await asyncio.open_connection(host, port)
            connected, ip = True, _peer_ip(writer)
            try:
                if definition.send:
                    phase = "while sending"
                    writer.write(definition.send.encode())
                    await writer.drain()
                if definition.expect:
                    phase = f"waiting for {definition.expect!r}"
                    await _read_until(reader, definition.expect.encode(), received)
                elapsed_ms = (time.perf_counter() - started) * 1000
                phase = "while closing"
            finally:
                writer.close()
            with contextlib.suppress(OSError):  # the exchange is done: a reset while closing changes nothing
                await writer.wait_closed()
    except TimeoutError:
        error = f"timed out after {definition.timeout}s {phase}"
        return Observation(connected=connected, ip=ip, body=_text(received), error=error)
    except OSError as exc:
        error = describe_connection_error(exc)
        return Observation(connected=connected, ip=ip, body=_text(received), error=error)
    return Observation(
        connected=True,
        response_time_ms=elapsed_ms,
        ip=ip,
        body=_text(received),
    )


async def _read_until(reader: asyncio.StreamReader, expected: bytes, received: bytearray) -> None:
    """Fill `received` until it contains `expected`, the peer closes, or the body limit is reached."""
    while len(received) < MAX_BODY_BYTES:
        chunk = await reader.read(min(_READ_CHUNK_BYTES, MAX_BODY_BYTES - len(received)))
        if not chunk:
            return
        # Only the new bytes and the overlap with the old ones can complete a match; UTF-8 is searchable as bytes.
        search_from = max(0, len(received) - len(expected) + 1)
        received.extend(chunk)
        if received.find(expected, search_from) >= 0:
            return


def _text(received: bytearray) -> str | None:
    return received.decode(errors="replace") if received else None


def _peer_ip(writer: asyncio.StreamWriter) -> str | None:
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else None


def describe_connection_error(exc: BaseException) -> str:
    """A short human message for a failed connection, from the most specific cause in the exception chain."""
    causes = list(exception_chain(exc))
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by the server"
        if isinstance(cause, socket.gaierror):
            return f"could not resolve the host name: {cause.strerror or cause}"
        if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "no route to the host" if cause.errno == errno.EHOSTUNREACH else "network unreachable"
    for cause in reversed(causes):  # the deepest OS error says the most
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    return str(exc) or type(exc).__name__


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what caused it or was being handled, and the members of exception groups, outermost first."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        # The context too, even when suppressed: httpcore re-raises its errors "from None".
        pending.extend(linked for linked in (current.__cause__, current.__context__) if linked is not None)
