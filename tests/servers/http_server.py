"""An HTTP(S) server whose answers the test sets per path: status, delay, body, headers, redirects."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

from tests.servers.background import LISTEN_BACKLOG, LOCALHOST, BackgroundServer, serve_forever
from tests.servers.certificates import CertificateFiles

# A connection that never completes its TLS handshake or request must not hold a thread for ever.
_CONNECTION_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # before the status line is sent
    body_repeat: int = 1  # the body is sent this many times: a huge body without holding it in memory


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-cased names
    body: bytes


class ControllableHttpServer(BackgroundServer):
    """Answers each path as set with route() or redirect_chain(); unknown paths get 404. Records every request.

    With `certificate`, speaks HTTPS (the handshake happens in the connection's thread, so a client that fails
    it, or never starts it, does not block the others).
    """

    def __init__(self, certificate: CertificateFiles | None = None) -> None:
        super().__init__()
        self._certificate = certificate
        self._routes: dict[str, Route] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        scheme = "https" if self._certificate else "http"
        return f"{scheme}://{LOCALHOST}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def route(
        self,
        path: str,
        *,
        status: int = 200,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
        delay_s: float = 0.0,
        body_repeat: int = 1,
    ) -> None:
        content = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._routes[path] = Route(status, content, dict(headers or {}), delay_s, body_repeat)

    def redirect_chain(self, start: str, hops: int, *, target: str, status: int = 302) -> list[str]:
        """`start` redirects through hops-1 intermediate paths to `target` (`hops` redirects in all).

        Returns the paths that redirect, in order.
        """
        paths = [start] + [f"{start}/hop-{number}" for number in range(1, hops)]
        for path, next_path in zip(paths, [*paths[1:], target], strict=True):
            self.route(path, status=status, headers={"Location": next_path})
        return paths

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def request_count(self, path: str | None = None) -> int:
        """Requests received, for one path (query string ignored) or in all."""
        return sum(1 for request in self.requests if path is None or urlsplit(request.path).path == path)

    def start(self) -> Self:
        server = self
        context = self._certificate.server_context() if self._certificate else None

        class Httpd(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False
            request_queue_size = LISTEN_BACKLOG

            def finish_request(self, request: Any, client_address: Any) -> None:
                request.settimeout(_CONNECTION_TIMEOUT_S)
                if context is None:
                    super().finish_request(request, client_address)
                    return
                with context.wrap_socket(request, server_side=True) as tls_request:
                    super().finish_request(tls_request, client_address)

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients that hang up early, or reject the certificate, are what the tests are about

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                server._serve(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle  # noqa: N815 - http.server names

            def log_message(self, format: str, *args: Any) -> None:
                pass

        httpd = self._httpd = Httpd((LOCALHOST, 0), Handler)
        self._run_in_thread(lambda: serve_forever(httpd), "serve")
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        super().stop()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in handler.headers.items()}
        path = urlsplit(handler.path).path
        with self._lock:
            self._requests.append(RecordedRequest(handler.command, handler.path, headers, body))
            route = self._routes.get(path, Route(status=404, body=b"not found"))
        if route.delay_s and self.stopping.wait(route.delay_s):
            return
        handler.send_response(route.status)
        for name, value in route.headers.items():
            handler.send_header(name, value)
        if not any(name.lower() == "content-length" for name in route.headers):
            handler.send_header("Content-Length", str(len(route.body) * route.body_repeat))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        try:
            for _ in range(route.body_repeat):
                if self.stopping.is_set():
                    return
                handler.wfile.write(route.body)
        except OSError:
            return  # the client read what it wanted and left
