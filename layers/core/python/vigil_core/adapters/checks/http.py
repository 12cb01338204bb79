"""HTTP checks: one request (following redirects as the monitor says), its status, headers, body and timing."""

from __future__ import annotations

import email.message
import http.cookiejar
import ssl
import time
import urllib.request
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import httpcore

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

# The headers httpx sent by default, so servers see the same requests as before vigil spoke to httpcore itself.
_DEFAULT_HEADERS = (
    ("Accept", "*/*"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Connection", "keep-alive"),
    ("User-Agent", USER_AGENT),
)
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_METHODS_WITH_A_BODY = frozenset({"POST", "PUT", "PATCH"})
# Characters left as they are when percent-encoding a path or a query (RFC 3986), "%" so existing escapes survive.
_PATH_SAFE = "!$&'()*+,;=:@/%"
_QUERY_SAFE = _PATH_SAFE + "?"


class _CheckError(Exception):
    """A failure vigil finds itself (httpcore leaves URLs, redirects and content codings to its caller)."""


class _TooManyRedirectsError(_CheckError):
    pass


class _InvalidURLError(_CheckError):
    pass


class _InvalidLocationError(_CheckError):
    pass


class _DecodingError(_CheckError):
    pass


_FAILURES = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    _CheckError,
)


@dataclass(frozen=True, slots=True)
class _Failure:
    connected: bool
    error: str
    certificate_error: str | None = None


@dataclass(frozen=True, slots=True)
class _Url:
    text: str  # absolute, without the fragment
    scheme: str
    host: str  # ASCII (IDNA), lower-case, an IPv6 address without brackets
    port: int | None  # None for the scheme's default
    target: str  # path and query, percent-encoded

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port or _DEFAULT_PORTS[self.scheme]

    def for_httpcore(self) -> httpcore.URL:
        return httpcore.URL(
            scheme=self.scheme.encode(), host=self.host.encode(), port=self.port, target=self.target.encode()
        )


@dataclass(slots=True)
class _Response:
    """What the final response showed; `status` is set once it has arrived."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    encoding: str = "utf-8"
    ip: str | None = None
    certificate: CertificateFacts | None = None


async def observe_http(definition: HttpMonitor, ssl_context: ssl.SSLContext) -> Observation:
    """Send the monitor's request through a connection pool of its own and observe the final response.

    httpcore directly, with redirects and content codings handled here: httpx's client costs more CPU per
    check than the request itself. One single-connection pool per check: a pool shared by hundreds of
    concurrent checks spends seconds of CPU finding connections, while creating one costs next to nothing.
    """
    response = _Response()
    started = time.perf_counter()
    try:
        async with httpcore.AsyncConnectionPool(ssl_context=ssl_context, max_connections=1) as pool:
            elapsed_ms = await _exchange(pool, definition, response, started)
    except _FAILURES as exc:
        failure = _describe_failure(exc, definition, response_started=response.status is not None)
        certificate = response.certificate
        return Observation(
            connected=failure.connected,
            error=failure.error,
            status=response.status,
            headers=response.headers,
            body=_decode(response.body, response.encoding) if response.status is not None else None,
            ip=response.ip,
            certificate_expires_in_s=certificate.expires_in_s if certificate else None,
            certificate_subject=certificate.subject if certificate else None,
            certificate_error=failure.certificate_error,
        )
    certificate = response.certificate
    return Observation(
        connected=True,
        response_time_ms=elapsed_ms,
        status=response.status,
        headers=response.headers,
        body=_decode(response.body, response.encoding),
        ip=response.ip,
        certificate_expires_in_s=certificate.expires_in_s if certificate else None,
        certificate_subject=certificate.subject if certificate else None,
    )


async def _exchange(
    pool: httpcore.AsyncConnectionPool, definition: HttpMonitor, final: _Response, started: float
) -> float:
    """Send the request, follow redirects as the monitor says, read the final response into `final`.

    Redirects as httpx followed them: 303 (and 302, and 301 after a POST) become a GET without a body, the
    Authorization header is dropped when leaving the origin, cookies set along the way are sent on.
    """
    url = _parse_url(definition.target)
    method: str = definition.method
    content = definition.body.encode() if definition.body else None
    headers = _request_headers(definition, url, content)
    timeout = definition.timeout
    extensions: dict[str, Any] = {"timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}}
    cookies: http.cookiejar.CookieJar | None = None
    redirects = 0
    while True:
        if redirects > definition.max_redirects:
            raise _TooManyRedirectsError
        raw_headers = [(name.encode(), value.encode()) for name, value in headers.values()]
        request = pool.stream(method, url.for_httpcore(), headers=raw_headers, content=content, extensions=extensions)
        async with request as response:
            response_headers = _decode_headers(response.headers)
            if any(name == "set-cookie" for name, _ in response_headers):
                cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
                cookies.extract_cookies(_CookieResponse(response_headers), urllib.request.Request(url.text))  # type: ignore[arg-type]  # noqa: S310 - http(s) only
            location = _header(response_headers, "location")
            if response.status not in _REDIRECT_STATUSES or location is None:
                return await _read_final(response, response_headers, final, started)
            next_url = _redirect_url(url, location)  # httpx checked the Location even when not following it
            if not definition.follow_redirects:
                return await _read_final(response, response_headers, final, started)
            async for _ in response.aiter_stream():  # read, so that the connection can serve the next hop
                pass
        next_method = _redirect_method(method, response.status)
        headers = _redirect_headers(headers, url, next_url, method_changed=next_method != method)
        if next_method != method:
            content = None
        if cookies is not None:
            cookie_request = urllib.request.Request(next_url.text, method=next_method)  # noqa: S310 - http(s) only
            cookies.add_cookie_header(cookie_request)
            if (cookie := cookie_request.get_header("Cookie")) is not None:
                headers["cookie"] = ("Cookie", cookie)
        url, method = next_url, next_method
        redirects += 1


async def _read_final(
    response: httpcore.Response, headers: list[tuple[str, str]], final: _Response, started: float
) -> float:
    """Fill `final` from the response, streaming the body and cutting it at MAX_BODY_BYTES; the time taken in ms."""
    final.status = response.status
    for name, value in headers:
        final.headers[name] = f"{final.headers[name]}, {value}" if name in final.headers else value
    final.ip, final.certificate = _connection_facts(response.extensions)
    content_type = final.headers.get("content-type")
    final.encoding = (_charset(content_type) if content_type else None) or "utf-8"
    decoder = _ContentDecoder(final.headers.get("content-encoding", ""))
    body = final.body
    # Streamed and cut at the limit, so a huge body costs no more than MAX_BODY_BYTES of memory.
    async for chunk in response.aiter_stream():
        body.extend(decoder.decode(chunk))
        if len(body) >= MAX_BODY_BYTES:
            break
    else:
        body.extend(decoder.flush())
    return (time.perf_counter() - started) * 1000


def _request_headers(definition: HttpMonitor, url: _Url, content: bytes | None) -> dict[str, tuple[str, str]]:
    """The first request's headers by lower-cased name: Host, httpx's defaults, the monitor's, Content-Length."""
    headers = {"host": ("Host", url.netloc)}
    headers.update((name.lower(), (name, value)) for name, value in _DEFAULT_HEADERS)
    for name, value in definition.headers.items():
        key = name.lower()
        headers[key] = (headers[key][0] if key in headers else name, value)
    if "content-length" not in headers and "transfer-encoding" not in headers:
        if content:
            headers["content-length"] = ("Content-Length", str(len(content)))
        elif definition.method in _METHODS_WITH_A_BODY:
            headers["content-length"] = ("Content-Length", "0")
    return headers


def _redirect_method(method: str, status: int) -> str:
    if (status in (302, 303) and method != "HEAD") or (status == 301 and method == "POST"):
        return "GET"
    return method


def _redirect_headers(
    headers: dict[str, tuple[str, str]], url: _Url, next_url: _Url, *, method_changed: bool
) -> dict[str, tuple[str, str]]:
    headers = dict(headers)
    if next_url.origin != url.origin:
        https_upgrade = (
            url.host == next_url.host and url.origin[::2] == ("http", 80) and next_url.origin[::2] == ("https", 443)
        )
        if not https_upgrade:
            headers.pop("authorization", None)
        headers["host"] = (headers.get("host", ("Host", ""))[0], next_url.netloc)
    if method_changed:
        headers.pop("content-length", None)
        headers.pop("transfer-encoding", None)
    headers.pop("cookie", None)  # the cookie jar decides
    return headers


def _redirect_url(url: _Url, location: str) -> _Url:
    """The Location resolved against the current URL."""
    try:
        parts = urlsplit(location)
        if parts.scheme and not parts.netloc:  # "https:/path": absolute but without a host
            location = urlunsplit((parts.scheme, url.netloc, parts.path, parts.query, parts.fragment))
        return _parse_url(urljoin(url.text, location))
    except (ValueError, _InvalidURLError) as exc:
        raise _InvalidLocationError(f"Invalid URL in location header: {exc}.") from None


def _parse_url(text: str) -> _Url:
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise _InvalidURLError(f"Invalid port: {parts.netloc.rpartition(':')[2]!r}") from None
    if scheme not in _DEFAULT_PORTS:
        detail = (
            f"has an unsupported protocol '{scheme}://'" if scheme else "is missing an 'http://' or 'https://' protocol"
        )
        raise httpcore.UnsupportedProtocol(f"Request URL {detail}.")
    host = parts.hostname or ""
    if not host:
        raise _InvalidURLError("Invalid URL: no host")
    if not host.isascii():
        host = _idna(host)
    target = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return _Url(
        text=urlunsplit((scheme, parts.netloc, parts.path, parts.query, "")),
        scheme=scheme,
        host=host,
        port=None if port == _DEFAULT_PORTS[scheme] else port,
        target=target,
    )


def _idna(host: str) -> str:
    import idna  # only for international host names

    try:
        return idna.encode(host.lower()).decode("ascii")
    except idna.IDNAError:
        try:
            return idna.encode(host.lower(), uts46=True).decode("ascii")
        except idna.IDNAError:
            raise _InvalidURLError(f"Invalid IDNA hostname: {host!r}") from None


def _decode_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Lower-cased names and their values, decoded as ASCII, else UTF-8, else ISO-8859-1 (as httpx did)."""
    for encoding in ("ascii", "utf-8"):
        try:
            return [(name.decode(encoding).lower(), value.decode(encoding)) for name, value in raw]
        except UnicodeDecodeError:
            continue
    return [(name.decode("iso-8859-1").lower(), value.decode("iso-8859-1")) for name, value in raw]


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in headers if key == name]
    return ", ".join(values) if values else None


def _charset(content_type: str) -> str | None:
    message = email.message.Message()
    message["content-type"] = content_type
    return message.get_content_charset(failobj=None)


class _CookieResponse:
    """The response as http.cookiejar reads it."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self._headers = headers

    def info(self) -> email.message.Message:
        message = email.message.Message()
        for name, value in self._headers:
            message[name] = value
        return message


class _ContentDecoder:
    """Undoes the Content-Encoding (gzip, deflate; others passed through) as httpx did."""

    def __init__(self, content_encoding: str) -> None:
        codings = [coding.strip().lower() for coding in content_encoding.split(",")]
        # Applied in order, so undone in reverse.
        self._decompressors = [_Decompressor(coding) for coding in reversed(codings) if coding in ("gzip", "deflate")]

    def decode(self, data: bytes) -> bytes:
        for decompressor in self._decompressors:
            data = decompressor.decode(data)
        return data

    def flush(self) -> bytes:
        data = b""
        for decompressor in self._decompressors:
            data = decompressor.decode(data) + decompressor.flush()
        return data


class _Decompressor:
    def __init__(self, coding: str) -> None:
        self._raw_deflate_fallback = coding == "deflate"  # "deflate" is zlib-wrapped, or sometimes raw
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS)

    def decode(self, data: bytes) -> bytes:
        try:
            decoded = self._zlib.decompress(data)
        except zlib.error as exc:
            if not self._raw_deflate_fallback:
                raise _DecodingError(str(exc)) from exc
            self._raw_deflate_fallback = False
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.decode(data)
        if data:
            self._raw_deflate_fallback = False
        return decoded

    def flush(self) -> bytes:
        try:
            return self._zlib.flush()
        except zlib.error as exc:
            raise _DecodingError(str(exc)) from exc


def _decode(body: bytearray, encoding: str) -> str:
    try:
        return bytes(body[:MAX_BODY_BYTES]).decode(encoding, errors="replace")
    except LookupError:  # a charset Python does not know
        return bytes(body[:MAX_BODY_BYTES]).decode("utf-8", errors="replace")


def _connection_facts(extensions: Mapping[str, Any]) -> tuple[str | None, CertificateFacts | None]:
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
    if isinstance(exc, _TooManyRedirectsError):
        return _Failure(True, f"too many redirects (more than {definition.max_redirects})")
    if isinstance(exc, httpcore.TimeoutException):
        return _describe_timeout(exc, definition.timeout, response_started=response_started)
    tls_error = next((cause for cause in exception_chain(exc) if isinstance(cause, ssl.SSLError)), None)
    if isinstance(tls_error, ssl.SSLCertVerificationError):
        reason = describe_verification_failure(tls_error)
        return _Failure(True, f"TLS: certificate verify failed: {reason}", certificate_error=reason)
    if tls_error is not None:
        during = "TLS error" if response_started else "TLS handshake failed"
        return _Failure(True, f"{during}: {describe_tls_error(tls_error)}")
    if isinstance(exc, httpcore.RemoteProtocolError | _InvalidLocationError):
        return _Failure(True, f"protocol error: {str(exc).rstrip('.')}")
    if isinstance(exc, httpcore.UnsupportedProtocol | _InvalidURLError):
        return _Failure(False, f"invalid URL: {exc}")
    if isinstance(exc, httpcore.NetworkError):  # refused, reset, unresolvable…
        return _Failure(not isinstance(exc, httpcore.ConnectError), describe_connection_error(exc))
    return _Failure(response_started, str(exc) or type(exc).__name__)


def _describe_timeout(exc: httpcore.TimeoutException, timeout: float, *, response_started: bool) -> _Failure:
    connected, phase = True, "waiting for the response"
    if isinstance(exc, httpcore.ConnectTimeout | httpcore.PoolTimeout):
        connected, phase = False, "while connecting"
    elif isinstance(exc, httpcore.WriteTimeout):
        phase = "while sending the request"
    elif response_started:
        phase = "while reading the body"
    return _Failure(connected, f"timed out after {timeout}s {phase}")
