"""A local service that misbehaves on a schedule, so the demo's monitors have something to notice.

Every cycle (5 minutes by default) it is healthy, then slow, then failing, then healthy again. With
the demo monitors (30 s interval, failure threshold 3, success threshold 2) a newcomer sees UP →
DEGRADED → PENDING → DOWN → UP within one cycle. `/canary` always answers: the probes' connectivity
canary in the local cloud.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

DEFAULT_PORT: Final = 8081


class Phase(StrEnum):
    HEALTHY = "healthy"
    SLOW = "slow"
    FAILING = "failing"


@dataclass(frozen=True)
class Cycle:
    healthy_s: float = 150.0
    slow_s: float = 30.0
    failing_s: float = 120.0
    slow_delay_s: float = 0.8

    @property
    def length_s(self) -> float:
        return self.healthy_s + self.slow_s + self.failing_s

    def phase_at(self, elapsed_s: float) -> Phase:
        position = elapsed_s % self.length_s
        if position < self.healthy_s:
            return Phase.HEALTHY
        if position < self.healthy_s + self.slow_s:
            return Phase.SLOW
        return Phase.FAILING


class DemoTarget:
    """`/health` follows the cycle; `/canary` always answers 200. Use as a context manager or start/stop."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        cycle: Cycle | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cycle = cycle or Cycle()
        self._clock = clock
        self._started = clock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="vigil-demo-target", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def phase(self) -> Phase:
        return self.cycle.phase_at(self._clock() - self._started)

    def start(self) -> DemoTarget:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DemoTarget:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/canary":
                    self._send(200, {"status": "UP"})
                elif self.path == "/health":
                    phase = target.phase()
                    if phase is Phase.SLOW:
                        time.sleep(target.cycle.slow_delay_s)
                    healthy = phase is not Phase.FAILING
                    self._send(200 if healthy else 503, {"status": "UP" if healthy else "DOWN", "phase": phase})
                else:
                    self._send(404, {"error": "not found"})

            def _send(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass  # the local cloud's view shows the probes' side

        return Handler


def demo_monitors(target_url: str, tenant_id: str) -> dict[str, Any]:
    """The monitors `make run` deploys: the flapping service over HTTP and TCP."""
    host_port = target_url.removeprefix("http://")
    return {
        "monitors": [
            {
                "tenant": tenant_id,
                "id": "demo-shop",
                "name": "Demo shop (flaps every 5 minutes)",
                "type": "http",
                "target": f"{target_url}/health",
                "interval": "30s",
                "timeout": "3s",
                "degraded_ms": 500,
                "failed_ms": 2500,
                "conditions": ["[BODY].status == UP"],
                "tags": {"service": "shop", "team": "demo"},
            },
            {
                "tenant": tenant_id,
                "id": "demo-shop-port",
                "name": "Demo shop port",
                "type": "tcp",
                "target": host_port,
                "interval": "1m",
                "timeout": "2s",
            },
        ]
    }
