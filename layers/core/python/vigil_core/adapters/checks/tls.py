"""TLS checks: the certificate a server presents, whether it verifies, and how long until it expires."""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import certifi
from cryptography import x509

from vigil_core.adapters.checks.tcp import describe_connection_error
from vigil_core.models.monitors import TlsMonitor
from vigil_core.probes.observations import Observation


def verifying_context(ca_pem: str | None = None) -> ssl.SSLContext:
    """Verifies the chain against Mozilla's CA list (certifi, as httpx does) plus `ca_pem`, and the host name.

    Loading the CA list costs tens of milliseconds: build this once and share it.
    Raises ssl.SSLError when `ca_pem` holds no usable certificate.
    """
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_pem:
        context.load_verify_locations(cadata=ca_pem)
    return context


def non_verifying_context() -> ssl.SSLContext:
    """Completes any handshake, so a certificate that does not verify can still be read."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


_OPENSSL_SOURCE_LOCATION = re.compile(r"\s*\(_ssl\.c:\d+\)$")


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    expires_in_s: float  # negative once expired
    subject: str  # RFC 4514, e.g. "CN=example.com,O=Example"


def read_certificate(der: bytes | None) -> CertificateFacts | None:
    """Expiry and subject of a DER certificate (as getpeercert(binary_form=True) returns it)."""
    if not der:
        return None
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    expires_in = certificate.not_valid_after_utc - datetime.now(UTC)
    return CertificateFacts(expires_in_s=expires_in.total_seconds(), subject=certificate.subject.rfc4514_string())


def describe_verification_failure(exc: ssl.SSLCertVerificationError) -> str:
    """OpenSSL's reason, e.g. "certificate has expired" or "Hostname mismatch, certificate is not valid for 'x'"."""
    return (exc.verify_message or exc.reason or str(exc)).rstrip(".")


def describe_tls_error(exc: ssl.SSLError) -> str:
    """ "wrong version number" rather than "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {describe_verification_failure(exc)}"
    if exc.reason:
        return exc.reason.replace("_", " ").lower()
    return _OPENSSL_SOURCE_LOCATION.sub("", str(exc.args[1] if len(exc.args) > 1 else exc))


@dataclass
class _Attempt:
    """How far a connection got, so a failure can say where it stopped."""

    connected: bool = False
    ip: str | None = None
    phase: str = "while connecting"


async def observe_tls(definition: TlsMonitor, verifying: ssl.SSLContext, non_verifying: ssl.SSLContext) -> Observation:
    """Handshake with verification; if the certificate does not verify, say why and read it unverified."""
    host, port = definition.host_port
    server_name = definition.server_name or host
    attempt = _Attempt()
    certificate_error: str | None = None
    try:
        async with asyncio.timeout(definition.timeout):
            try:
                der, elapsed_ms = await _handshake(host, port, server_name, verifying, attempt)
            except ssl.SSLCertVerificationError as exc:
                certificate_error = describe_verification_failure(exc)
                attempt = _Attempt()
                der, elapsed_ms = await _handshake(host, port, server_name, non_verifying, attempt)
    except TimeoutError:
        error = f"timed out after {definition.timeout}s {attempt.phase}"
        return Observation(connected=attempt.connected, ip=attempt.ip, error=error, certificate_error=certificate_error)
    except ssl.SSLError as exc:
        error = f"TLS handshake failed: {describe_tls_error(exc)}"
        return Observation(connected=attempt.connected, ip=attempt.ip, error=error, certificate_error=certificate_error)
    except OSError as exc:
        error = describe_connection_error(exc)
        if attempt.connected:
            error = f"TLS handshake failed: {error}"
        return Observation(connected=attempt.connected, ip=attempt.ip, error=error, certificate_error=certificate_error)
    facts = read_certificate(der)
    return Observation(
        connected=True,
        response_time_ms=elapsed_ms,
        ip=attempt.ip,
        error=None if facts else "the server presented no certificate",
        certificate_expires_in_s=facts.expires_in_s if facts else None,
        certificate_subject=facts.subject if facts else None,
        certificate_error=certificate_error,
    )


async def _handshake(
    host: str, port: int, server_name: str, context: ssl.SSLContext, attempt: _Attempt
) -> tuple[bytes | None, float]:
    """Connect and handshake; the peer's DER certificate and the time taken (connect + handshake) in ms."""
    started = time.perf_counter()
    _, writer = await asyncio.open_connection(host, port)
    try:
        peer = writer.get_extra_info("peername")
        attempt.connected, attempt.ip = True, str(peer[0]) if isinstance(peer, tuple) and peer else None
        attempt.phase = "during the TLS handshake"
        await writer.start_tls(context, server_hostname=server_name)
        elapsed_ms = (time.perf_counter() - started) * 1000
        ssl_object = writer.get_extra_info("ssl_object")
        der: bytes | None = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    finally:
        # Only the handshake was wanted: drop the connection rather than wait for the peer's close_notify.
        writer.transport.abort()
    return der, elapsed_ms
