"""The Python client and its middleware against the local cloud over HTTP: points pushed with the client come
back from the query API with exact values, the example FastAPI app (served by uvicorn) is counted per route
template and status, and a batch whose response was lost is retried with its Idempotency-Key and counted once."""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn

from tests.support import ROOT
from vigil_cli.bootstrap import create_demo_tenant
from vigil_cli.local.cloud import LocalCloud
from vigil_client import Client

pytestmark = pytest.mark.integration

EXAMPLE_APP = ROOT / "examples" / "fastapi_app" / "app.py"

SeriesKey = tuple[tuple[str, str], ...]


@pytest.fixture(scope="module")
def key(cloud: LocalCloud) -> str:
    return create_demo_tenant(cloud).api_key


@pytest.fixture(scope="module")
def api(cloud: LocalCloud, key: str) -> Iterator[httpx.Client]:
    assert cloud.api_url is not None and cloud.api_url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=cloud.api_url, timeout=30, headers={"x-api-key": key}) as client:
        yield client


@pytest.fixture
def make_client(cloud: LocalCloud, key: str) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(url: str | None = None, **options: Any) -> Client:
        client = Client(url or str(cloud.api_url), key, flush_at_exit=False, flush_interval=60, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close(timeout=5)


@dataclass(frozen=True)
class Totals:
    count: int
    sum: float
    min: float
    max: float


def query_totals(api: httpx.Client, name: str, **labels: str) -> dict[SeriesKey, Totals]:
    """Each series of the metric over the last 15 minutes, its points added up (points may span minutes)."""
    params = {"from": "-15m"} | {f"label.{label}": value for label, value in labels.items()}
    response = api.get(f"/v1/metrics/{name}", params=params)
    assert response.status_code == 200, response.text
    totals = {}
    for series in response.json()["series"]:
        points = series["points"]
        totals[tuple(sorted(series["labels"].items()))] = Totals(
            count=sum(p["count"] for p in points),
            sum=sum(p["sum"] for p in points),
            min=min(p["min"] for p in points),
            max=max(p["max"] for p in points),
        )
    return totals


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_pushed_counters_gauges_and_histograms_come_back_exactly(
    api: httpx.Client, make_client: Callable[..., Client]
) -> None:
    # Given a client with the app's default labels
    client = make_client(default_labels={"service": "billing"})
    orders, queue, latency = unique("sdk.orders"), unique("sdk.queue_depth"), unique("sdk.latency")
    # When the app records counters, gauges and histograms, and flushes
    for value, plan in ((1, "free"), (2, "pro"), (3.5, "pro")):
        client.counter(orders, value, {"plan": plan}, unit="count")
    for depth in (10, 30, 20):
        client.gauge(queue, depth, {"queue": "emails"}, unit="messages")
    for duration in (20, 40, 900):
        client.histogram(latency, duration, unit="ms")
    assert client.flush(timeout=30)
    assert (client.stats.sent, client.stats.rejected, client.stats.failed) == (9, 0, 0)
    # Then vigil serves them back with exactly those values
    assert query_totals(api, orders) == {
        (("plan", "free"), ("service", "billing")): Totals(1, 1.0, 1.0, 1.0),
        (("plan", "pro"), ("service", "billing")): Totals(2, 5.5, 2.0, 3.5),
    }
    [(labels, depth)] = query_totals(api, queue).items()
    assert labels == (("queue", "emails"), ("service", "billing"))
    assert (depth.count, depth.sum, depth.min, depth.max) == (3, 60.0, 10.0, 30.0)
    [durations] = query_totals(api, latency).values()
    assert (durations.count, durations.sum, durations.min, durations.max) == (3, 960.0, 20.0, 900.0)
    histogram = api.get(f"/v1/metrics/{latency}", params={"from": "-15m", "step": "15m"}).json()["series"][0]
    assert histogram["type"] == "histogram" and histogram["unit"] == "ms"


def load_example_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"vigil_example_app_{uuid.uuid4().hex}", EXAMPLE_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def served_by_uvicorn(app: Any) -> Iterator[str]:
    """The ASGI app behind a real uvicorn on 127.0.0.1 (a free port), in a thread; its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def test_the_example_app_is_counted_per_route_template_and_status(
    api: httpx.Client, make_client: Callable[..., Client]
) -> None:
    # Given the example FastAPI app served by uvicorn, its client pointing at the local cloud
    service = unique("shop")
    client = make_client(default_labels={"service": service})
    app = load_example_app().create_app(client)
    # When visitors read items (one unknown), check out (which fails) and probe its health
    with served_by_uvicorn(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as visitor:
        statuses = [visitor.get(path).status_code for path in ("/items/1", "/items/2", "/items/1", "/items/9")]
        statuses += [visitor.get("/checkout").status_code, visitor.get("/health").status_code]
    assert statuses == [200, 200, 200, 404, 500, 200]
    assert client.flush(timeout=30)
    # Then vigil counts the requests per route template and status, never per raw path
    requests = query_totals(api, "http_requests", service=service)
    assert {labels: totals.sum for labels, totals in requests.items()} == {
        (("method", "GET"), ("route", "/items/{item_id}"), ("service", service), ("status", "200")): 3.0,
        (("method", "GET"), ("route", "/items/{item_id}"), ("service", service), ("status", "404")): 1.0,
        (("method", "GET"), ("route", "/checkout"), ("service", service), ("status", "500")): 1.0,
        (("method", "GET"), ("route", "/health"), ("service", service), ("status", "200")): 1.0,
    }
    # And one route's series can be asked for by its template
    items = query_totals(api, "http_requests", service=service, route="/items/{item_id}")
    assert {dict(labels)["status"]: totals.sum for labels, totals in items.items()} == {"200": 3.0, "404": 1.0}
    # And each request has one duration observation under the same labels
    durations = query_totals(api, "http_request_duration_ms", service=service)
    assert {labels: totals.count for labels, totals in durations.items()} == {
        labels: int(totals.sum) for labels, totals in requests.items()
    }
    # And the app's own business metric is there too
    views = query_totals(api, "shop.item_views", service=service)
    assert {dict(labels)["item"]: totals.sum for labels, totals in views.items()} == {"keyboard": 2.0, "mouse": 1.0}


@dataclass(frozen=True)
class ProxiedAttempt:
    idempotency_key: str
    status: int
    replayed: bool


class ResponseLosingProxy:
    """Forwards POST /v1/metrics to vigil, but hangs up on the client instead of relaying vigil's first answer:
    the batch is stored, and the client, having seen no response, must retry it."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.attempts: list[ProxiedAttempt] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                owner._forward(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ResponseLosingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("content-length") or 0))
        forwarded = {name: handler.headers[name] for name in ("x-api-key", "content-type", "idempotency-key")}
        answer = httpx.post(self.upstream + handler.path, content=body, headers=forwarded, timeout=30)
        with self._lock:
            first = not self.attempts
            self.attempts.append(
                ProxiedAttempt(
                    forwarded["idempotency-key"],
                    answer.status_code,
                    answer.headers.get("idempotent-replayed") == "true",
                )
            )
        if first:
            handler.close_connection = True  # the answer is lost on the way back
            return
        handler.send_response(answer.status_code)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(answer.content)))
        handler.end_headers()
        handler.wfile.write(answer.content)


def test_a_batch_retried_after_a_lost_response_is_counted_once(
    cloud: LocalCloud, api: httpx.Client, make_client: Callable[..., Client]
) -> None:
    # Given a network path to vigil that loses the response to the first request
    name = unique("sdk.payments")
    with ResponseLosingProxy(str(cloud.api_url)) as proxy:
        client = make_client(proxy.url, backoff_base=0.05, backoff_max=0.1)
        # When the app records 5 payments and flushes
        for amount in (10, 20, 30, 40, 50):
            client.counter(name, amount)
        assert client.flush(timeout=30)
    # Then the client sent the batch twice with the same Idempotency-Key: vigil stored it on the first attempt
    # and answered the second as a replay
    first, second = proxy.attempts
    assert first.idempotency_key == second.idempotency_key
    assert (first.status, first.replayed) == (202, False)
    assert (second.status, second.replayed) == (202, True)
    assert (client.stats.sent, client.stats.retries) == (5, 1)
    # And vigil counted every payment once
    [totals] = query_totals(api, name).values()
    assert (totals.count, totals.sum) == (5, 150.0)
