"""A local stand-in for a Slack incoming webhook, so `make run` shows the notifications vigil sends.

`vigil local up` stores its URL as the demo tenant's Slack channel secret; the Slack notifier then POSTs its
messages here exactly as it would to Slack. Each message is printed as a line or two (time, headline, and
the first line of its text) and kept in memory. Like Slack it answers 200 "ok", and 400 "invalid_payload"
to a body that is not a JSON object. Any path is accepted: every Slack webhook URL is a path on one host.
"""

from __future__ import annotations

import contextlib
import html
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

DEFAULT_PORT: Final = 8082
WEBHOOK_PATH: Final = "/slack"
MAX_BODY_BYTES: Final = 1_000_000
_INDENT: Final = " " * 10  # under the message, past the time column


@dataclass(frozen=True)
class ReceivedMessage:
    """One POST the receiver accepted: when, on which path, the payload, and the line(s) it printed."""

    received_at: datetime
    path: str
    payload: dict[str, Any]
    printed: str

    @property
    def text(self) -> str:
        """The message's headline (Slack's top-level `text`), unescaped."""
        return _unescape(self.payload.get("text"))


def _unescape(value: Any) -> str:
    # Slack payloads escape &, < and > (the only escapes Slack documents); show the characters themselves.
    return html.unescape(value) if isinstance(value, str) else ""


def _detail(payload: dict[str, Any]) -> str:
    """The first non-empty line of the first attachment's text: the alert's summary in vigil's messages."""
    attachments = payload.get("attachments")
    if not isinstance(attachments, list) or not attachments or not isinstance(attachments[0], dict):
        return ""
    for line in _unescape(attachments[0].get("text")).splitlines():
        if line.strip():
            return line.strip()
    return ""


def format_message(received_at: datetime, payload: dict[str, Any]) -> str:
    """`HH:MM:SS  notification  <headline>`, and the summary indented on a second line when there is one."""
    headline = " ".join(_unescape(payload.get("text")).split()) or "(no text)"
    lines = [f"{received_at:%H:%M:%S}  notification  {headline}"]
    detail = _detail(payload)
    if detail and detail != headline:
        lines.append(f"{_INDENT}{detail}")
    return "\n".join(lines)


def _print(text: str) -> None:
    print(text, flush=True)


class DemoChannel:
    """Receives Slack webhook POSTs on 127.0.0.1. Use as a context manager or start/stop.

    `output` gets each printed message (one or two lines, no trailing newline); stdout by default.
    """

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        output: Callable[[str], None] = _print,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self._output = output
        self._clock = clock
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="vigil-demo-channel", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def webhook_url(self) -> str:
        """The URL to store as the Slack channel's secret."""
        return f"{self.url}{WEBHOOK_PATH}"

    @property
    def messages(self) -> list[ReceivedMessage]:
        """What was received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def start(self) -> DemoChannel:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() would wait for ever on a server that never served
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DemoChannel:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _receive(self, path: str, payload: dict[str, Any]) -> None:
        received_at = self._clock()
        message = ReceivedMessage(received_at, path, payload, format_message(received_at, payload))
        with self._lock:
            self._messages.append(message)
        # A closed console must not turn a delivery into a dropped connection, and so into a retry.
        with contextlib.suppress(OSError):
            self._output(message.printed)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        channel = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if length < 0 or length > MAX_BODY_BYTES:
                    self.close_connection = True  # the body, if any, is left unread
                    self._send(413 if length > 0 else 400, "invalid_payload")
                    return
                body = self.rfile.read(length)
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = None
                if not isinstance(payload, dict):
                    self._send(400, "invalid_payload")
                    return
                channel._receive(self.path, payload)
                self._send(200, "ok")

            def do_GET(self) -> None:
                self.send_response(405)
                self.send_header("Allow", "POST")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _send(self, status: int, text: str) -> None:
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass  # each message is printed by the channel itself

        return Handler
