"""A stand-in vigil API on 127.0.0.1 that answers per method and path and records every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_KEY = "vgl_0a1b2c3d4e5f_secret"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str
    delay_s: float = 0.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class FakeVigil:
    """Answers (method, path) as told with answer(); anything else is a 404 in the API's error shape."""

    def __init__(self) -> None:
        self._answers: dict[tuple[str, str], list[Answer]] = {}
        self._last_one_served: set[tuple[str, str]] = set()  # routes whose last answer has been given
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server's names

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up (a timeout test) must not print into the next test's stderr

        self._server = QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(
        self,
        method: str,
        path: str,
        status: int = 200,
        json_body: Any = None,
        *,
        text: str | None = None,
        content_type: str = "application/json",
        delay_s: float = 0.0,
    ) -> None:
        """Answer method+path so. Answers given before the route is asked are given in turn, the last one to every
        request after; an answer given once the last was served replaces it."""
        body = text.encode() if text is not None else b"" if json_body is None else json.dumps(json_body).encode()
        route = (method, path)
        with self._lock:
            if route in self._last_one_served:
                self._last_one_served.discard(route)
                self._answers[route] = []
            self._answers.setdefault(route, []).append(Answer(status, body, content_type, delay_s))

    def requests_to(self, method: str, path: str) -> list[Request]:
        return [request for request in self.requests if (request.method, request.path) == (method, path)]

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            self.requests.append(Request(handler.command, parts.path, query, headers, body))
            route = (handler.command, parts.path)
            queue = self._answers.get(route)
            if queue:
                if len(queue) > 1:
                    answer = queue.pop(0)
                else:
                    answer = queue[0]
                    self._last_one_served.add(route)
            else:
                answer = Answer(404, b'{"error": "not_found", "message": "no such route"}', "application/json")
        if answer.delay_s:
            threading.Event().wait(answer.delay_s)
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.end_headers()
        handler.wfile.write(answer.body)

    def __enter__(self) -> FakeVigil:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


Vigil = Callable[..., Run]  # runs `vigil ARGS` and returns its exit code and output
