"""A stand-in for vigil's POST /v1/metrics on 127.0.0.1: it checks each batch as the real API does, records it,
and answers what the test scripts (a status, a Retry-After, a delay, or hanging up without an answer)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from pydantic import ValidationError

from vigil_core.models.metrics import MetricBatch

API_KEY = "vgl_test_client_key"
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Reply:
    status: int = 202
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    hang_up: bool = False  # close the connection without answering, as when a response is lost


@dataclass(frozen=True)
class ReceivedBatch:
    headers: dict[str, str]  # lower-cased names
    body: bytes
    received_at: float  # time.monotonic() when the request arrived
    status: int  # what the server answered (0: hung up)

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def points(self) -> list[dict[str, Any]]:
        points: list[dict[str, Any]] = json.loads(self.body)["points"]
        return points


class IngestServer:
    def __init__(self) -> None:
        self._replies: deque[Reply] = deque()
        self._batches: list[ReceivedBatch] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def script(self, *replies: Reply) -> None:
        """The next requests get these replies in order; after them, valid batches get 202."""
        with self._changed:
            self._replies.extend(replies)

    @property
    def batches(self) -> list[ReceivedBatch]:
        with self._changed:
            return list(self._batches)

    def accepted_points(self) -> list[dict[str, Any]]:
        """Points of the batches answered 202, once per Idempotency-Key (as vigil stores them)."""
        seen: set[str | None] = set()
        points: list[dict[str, Any]] = []
        for batch in self.batches:
            if batch.status == 202 and batch.idempotency_key not in seen:
                seen.add(batch.idempotency_key)
                points.extend(batch.points)
        return points

    def wait_for_batches(self, count: int, timeout: float = 5.0) -> list[ReceivedBatch]:
        with self._changed:
            self._changed.wait_for(lambda: len(self._batches) >= count, timeout)
            return list(self._batches)

    def start(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                owner._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client giving up mid-request is part of what is tested

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        arrived = time.monotonic()
        body = handler.rfile.read(int(handler.headers.get("content-length") or 0))
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._changed:
            reply = self._replies.popleft() if self._replies else None
        if reply is None:
            reply = self._check(headers, body)
        if reply.delay_s and self._stopping.wait(reply.delay_s):
            return
        self._record(ReceivedBatch(headers, body, arrived, 0 if reply.hang_up else reply.status))
        if reply.hang_up:
            handler.close_connection = True
            return
        payload = reply.body.encode()
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _record(self, batch: ReceivedBatch) -> None:
        with self._changed:
            self._batches.append(batch)
            self._changed.notify_all()

    @staticmethod
    def _check(headers: dict[str, str], body: bytes) -> Reply:
        """What the real API answers: 401 without the key, 413 over 1 MB, 400 for an invalid batch, else 202."""
        if headers.get("x-api-key") != API_KEY:
            return Reply(401, json.dumps({"error": "unauthorized", "message": "unknown or revoked API key"}))
        if headers.get("content-type") != "application/json":
            return Reply(415, json.dumps({"error": "unsupported_media_type"}))
        if len(body) > MAX_BODY_BYTES:
            return Reply(413, json.dumps({"error": "payload_too_large"}))
        try:
            batch = MetricBatch.model_validate_json(body, context={"now": datetime.now(UTC)})
        except ValidationError as exc:
            return Reply(400, json.dumps({"error": "validation_error", "message": str(exc)}))
        return Reply(202, json.dumps({"accepted": len(batch.points)}))
