"""HTTP checks: one request (following redirects as the monitor says), its status, headers, body and timing."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from vigil_core.adapters.checks.tcp import describe_connection_error, exception_chain
from vigil_core.adapters.checks.tls import (
    CertificateFacts,
    describe_tls_error,
    describe_verification_failure,
    read_certificate,
)
from vigil_core.models.monitors import HttpMonitor
from vigil_core.probes.observations import MAX_BODY_BYTES, Observation

USER_AGENT = "vigil-monitor/1.0"


@dataclass(frozen=True, slots=True)
class _Failure:
    connected: bool
    error: str
    certificate_error: str | None = None


async def observe_http(definition: HttpMonitor, ssl_context: ssl.SSLContext) -> Observation:
    """Send the monitor's request with a client of its own and observe the final response.

    One client per check: a client shared by hundreds of concurrent checks spends seconds of CPU in
    httpcore's connection pool, while creating one costs about a millisecond given a ready SSL context.
    """
    status: int | None = None
    headers: dict[str, str] = {}
    body = bytearray()
    encoding = "utf-8"
    ip: str | None = None
    certificate: CertificateFacts | None = None
    content = definition.body.encode() if definition.body is not None else None
    client = httpx.AsyncClient(
        trust_env=False,
        verify=ssl_context,
        timeout=definition.timeout,
        follow_redirects=definition.follow_redirects,
        max_redirects=definition.max_redirects,
        headers={"User-Agent": USER_AGENT},
    )
    started = time.perf_counter()
    try:
        request = client.stream(definition.method, definition.target, headers=definition.headers, content=content)
        async with client, request as response:
            status, headers = response.status_code, dict(response.headers.items())
            ip, certificate = _connection_facts(response.extensions)
            encoding = response.encoding or "utf-8"
            # Streamed and cut at the limit, so a huge body costs no more than MAX_BODY_BYTES of memory.
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) >= MAX_BODY_BYTES:
                    break
            elapsed_ms = (time.perf_counter() - started) * 1000
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        failure = _describe_failure(exc, definition, response_started=status is not None)
        return Observation(
            connected=failure.connected,
            error=failure.error,
            status=status,
            headers=headers,
            body=_decode(body, encoding) if status is not None else None,
            ip=ip,
            certificate_expires_in_s=certificate.expires_in_s if certificate else None,
            certificate_subject=certificate.subject if certificate else None,
            certificate_error=failure.certificate_error,
        )
    return Observation(
        connected=True,
        response_time_ms=elapsed_ms,
        status=status,
        headers=headers,
        body=_decode(body, encoding),
        ip=ip,
        certificate_expires_in_s=certificate.expires_in_s if certificate else None,
        certificate_subject=certificate.subject if certificate else None,
    )


def _decode(body: bytearray, encoding: str) -> str:
    try:
        return bytes(body[:MAX_BODY_BYTES]).decode(encoding, errors="replace")
    except LookupError:  # a charset Python does not know
        return bytes(body[:MAX_BODY_BYTES]).decode("utf-8", errors="replace")


def _connection_facts(extensions: dict[str, Any]) -> tuple[str | None, CertificateFacts | None]:
    """The server's IP and, over HTTPS, its certificate, from httpcore's network stream."""
    stream = extensions.get("network_stream")
    if stream is None:
        return None, None
    address = stream.get_extra_info("server_addr")
    ip = str(address[0]) if isinstance(address, tuple) and address else None
    ssl_object = stream.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if isinstance(ssl_object, ssl.SSLObject) else None
    return ip, read_certificate(der)


def _describe_failure(exc: Exception, definition: HttpMonitor, *, response_started: bool) -> _Failure:  # noqa: PLR0911 - one return per kind of failure
    if isinstance(exc, httpx.TooManyRedirects):
        return _Failure(True, f"too many redirects (more than {definition.max_redirects})")
    if isinstance(exc, httpx.TimeoutException):
        return _describe_timeout(exc, definition.timeout, response_started=response_started)
    tls_error = next((cause for cause in exception_chain(exc) if isinstance(cause, ssl.SSLError)), None)
    if isinstance(tls_error, ssl.SSLCertVerificationError):
        reason = describe_verification_failure(tls_error)
        return _Failure(True, f"TLS: certificate verify failed: {reason}", certificate_error=reason)
    if tls_error is not None:
        during = "TLS error" if response_started else "TLS handshake failed"
        return _Failure(True, f"{during}: {describe_tls_error(tls_error)}")
    if isinstance(exc, httpx.RemoteProtocolError):
        return _Failure(True, f"protocol error: {str(exc).rstrip('.')}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return _Failure(False, f"invalid URL: {exc}")
    if isinstance(exc, httpx.NetworkError):  # refused, reset, unresolvable…
        return _Failure(not isinstance(exc, httpx.ConnectError), describe_connection_error(exc))
    return _Failure(response_started, str(exc) or type(exc).__name__)


def _describe_timeout(exc: httpx.TimeoutException, timeout: float, *, response_started: bool) -> _Failure:
    connected, phase = True, "waiting for the response"
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        connected, phase = False, "while connecting"
    elif isinstance(exc, httpx.WriteTimeout):
        phase = "while sending the request"
    elif response_started:
        phase = "while reading the body"
    return _Failure(connected, f"timed out after {timeout}s {phase}")
