"""VigilMiddleware on FastAPI and Starlette apps: one request counter and one duration histogram per request,
labelled by method, route template (never the raw path) and status, delivered through a real client."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from tests.servers import refused_port
from tests.unit.client.conftest import ClientFactory
from tests.unit.client.ingest_server import IngestServer
from vigil_client import Client, VigilMiddleware

RequestKey = tuple[str, str, str]  # method, route, status


def recorded(ingest: IngestServer, client: Client) -> dict[str, list[dict[str, Any]]]:
    """What the client delivered to vigil, by metric name."""
    assert client.flush(timeout=5)
    by_name: dict[str, list[dict[str, Any]]] = {}
    for point in ingest.accepted_points():
        by_name.setdefault(point["name"], []).append(point)
    return by_name


def request_counts(points: list[dict[str, Any]]) -> Counter[RequestKey]:
    counts: Counter[RequestKey] = Counter()
    for point in points:
        labels = point["labels"]
        counts[(labels["method"], labels["route"], labels["status"])] += int(point["value"])
    return counts


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        if item_id == 404:
            raise HTTPException(status_code=404, detail="no such item")
        return {"item_id": item_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the database is gone")

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(0.05)
        return {"ok": "yes"}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"ok": "yes"}

    orders = APIRouter(prefix="/orders")

    @orders.get("/{order_id}")
    async def read_order(order_id: str) -> dict[str, str]:
        return {"order_id": order_id}

    app.include_router(orders, prefix="/v1/tenants/{tenant}")
    return app


async def get_all(app: Any, requests: list[tuple[str, str]], *, raise_app_exceptions: bool = False) -> list[int]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        return [(await http.request(method, path)).status_code for method, path in requests]


def test_fastapi_requests_are_counted_per_route_template_and_status(
    ingest: IngestServer, make_client: ClientFactory
) -> None:
    # Given a FastAPI app with the middleware
    client = make_client()
    app = fastapi_app()
    app.add_middleware(VigilMiddleware, client=client)
    # When it serves path parameters, an included router with a prefix, a 404 route, an unknown path,
    # a failing endpoint and a method the route does not allow
    requests = [
        ("GET", "/items/1"),
        ("GET", "/items/2"),
        ("GET", "/items/404"),
        ("GET", "/v1/tenants/acme/orders/o-17"),
        ("GET", "/v1/tenants/globex/orders/o-18"),
        ("GET", "/no/such/page"),
        ("GET", "/boom"),
        ("DELETE", "/items/1"),
        ("PURGE", "/items/1"),
    ]
    statuses = asyncio.run(get_all(app, requests))
    assert statuses == [200, 200, 404, 200, 200, 404, 500, 405, 405]
    # Then each request is counted once under its route template, never its raw path
    points = recorded(ingest, client)
    assert request_counts(points["http_requests"]) == {
        ("GET", "/items/{item_id}", "200"): 2,
        ("GET", "/items/{item_id}", "404"): 1,
        ("GET", "/v1/tenants/{tenant}/orders/{order_id}", "200"): 2,
        ("GET", "unmatched", "404"): 1,
        ("GET", "/boom", "500"): 1,
        ("DELETE", "/items/{item_id}", "405"): 1,
        ("OTHER", "/items/{item_id}", "405"): 1,
    }
    assert {p["unit"] for p in points["http_requests"]} == {"requests"}
    # And each has a duration in ms with the same labels
    durations = points["http_request_duration_ms"]
    assert Counter(
        (p["labels"]["method"], p["labels"]["route"], p["labels"]["status"]) for p in durations
    ) == request_counts(points["http_requests"])
    assert {p["unit"] for p in durations} == {"ms"} and all(p["value"] >= 0 for p in durations)


def test_the_duration_covers_the_whole_request(ingest: IngestServer, make_client: ClientFactory) -> None:
    # Given an endpoint that takes 50 ms
    client = make_client()
    app = fastapi_app()
    app.add_middleware(VigilMiddleware, client=client)
    # When it is called
    asyncio.run(get_all(app, [("GET", "/slow")]))
    # Then the histogram observation is at least those 50 ms
    [duration] = recorded(ingest, client)["http_request_duration_ms"]
    assert 50 <= duration["value"] < 2000


def test_an_exception_is_recorded_as_500_and_re_raised(ingest: IngestServer, make_client: ClientFactory) -> None:
    # Given a plain ASGI app that fails before it answers, wrapped directly by the middleware
    client = make_client()

    async def failing_app(scope: Any, receive: Any, send: Any) -> None:
        raise ValueError("broken handler")

    app = VigilMiddleware(failing_app, client=client)
    # When a request reaches it, the exception still reaches the server
    with pytest.raises(ValueError, match="broken handler"):
        asyncio.run(get_all(app, [("POST", "/anything")], raise_app_exceptions=True))
    # And the request is recorded as a 500 on the unmatched route
    points = recorded(ingest, client)
    assert request_counts(points["http_requests"]) == {("POST", "unmatched", "500"): 1}


def test_fastapi_exceptions_propagate_to_the_server_too(ingest: IngestServer, make_client: ClientFactory) -> None:
    client = make_client()
    app = fastapi_app()
    app.add_middleware(VigilMiddleware, client=client)
    with pytest.raises(RuntimeError, match="the database is gone"):
        asyncio.run(get_all(app, [("GET", "/boom")], raise_app_exceptions=True))
    assert request_counts(recorded(ingest, client)["http_requests"]) == {("GET", "/boom", "500"): 1}


async def user(request: Request) -> JSONResponse:
    return JSONResponse({"user": request.path_params["user_id"]})


async def thing(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.path_params["thing_id"])


def test_starlette_routes_and_mounts_are_labelled_with_their_full_templates(
    ingest: IngestServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    # Given a Starlette app with a converter, a mount with a parameter and mounted static files
    (tmp_path / "app.css").write_text("body {}")
    client = make_client()
    app = Starlette(
        routes=[
            Route("/users/{user_id:int}", user),
            Mount("/api/{version}", routes=[Route("/things/{thing_id}", thing)]),
            Mount("/static", app=StaticFiles(directory=tmp_path)),
        ],
        middleware=[Middleware(VigilMiddleware, client=client, labels={"service": "shop"})],
    )
    # When it serves each of them and an unknown path
    requests = [
        ("GET", "/users/5"),
        ("GET", "/users/6"),
        ("GET", "/api/v2/things/abc"),
        ("GET", "/api/v3/things/def"),
        ("GET", "/static/app.css"),
        ("GET", "/static/missing.css"),
        ("GET", "/elsewhere"),
        ("POST", "/users/5"),
    ]
    statuses = asyncio.run(get_all(app, requests))
    assert statuses == [200, 200, 200, 200, 200, 404, 404, 405]
    # Then the labels are the templates, mount prefixes included, with the app's own labels added
    points = recorded(ingest, client)["http_requests"]
    assert request_counts(points) == {
        ("GET", "/users/{user_id}", "200"): 2,
        ("GET", "/api/{version}/things/{thing_id}", "200"): 2,
        ("GET", "/static/{path}", "200"): 1,
        ("GET", "/static/{path}", "404"): 1,
        ("GET", "unmatched", "404"): 1,
        ("POST", "/users/{user_id}", "405"): 1,
    }
    assert {p["labels"]["service"] for p in points} == {"shop"}


def test_a_starlette_app_mounted_in_fastapi_keeps_its_prefix(ingest: IngestServer, make_client: ClientFactory) -> None:
    client = make_client()
    app = fastapi_app()
    app.mount("/legacy/{region}", Starlette(routes=[Route("/users/{user_id:int}", user)]))
    app.add_middleware(VigilMiddleware, client=client)
    asyncio.run(get_all(app, [("GET", "/legacy/eu/users/1"), ("GET", "/legacy/us/users/2")]))
    assert request_counts(recorded(ingest, client)["http_requests"]) == {
        ("GET", "/legacy/{region}/users/{user_id}", "200"): 2
    }


async def drive(app: Any, scope: dict[str, Any], incoming: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run one ASGI connection: feed it `incoming` messages, return what the app sent."""
    queue = list(incoming)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if queue:
            return queue.pop(0)
        await asyncio.sleep(3600)  # the app waits for more input than the test gives: it never comes
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    return sent


def test_websocket_and_lifespan_scopes_pass_through(ingest: IngestServer, make_client: ClientFactory) -> None:
    # Given a Starlette app with a websocket route and a lifespan, behind the middleware
    client = make_client()
    lifecycle: list[str] = []

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        lifecycle.append("startup")
        yield
        lifecycle.append("shutdown")

    app = Starlette(
        routes=[WebSocketRoute("/ws", echo), Route("/users/{user_id:int}", user)],
        middleware=[Middleware(VigilMiddleware, client=client)],
        lifespan=lifespan,
    )
    # When the server starts and stops the app, and a websocket talks to it
    lifespan_sent = asyncio.run(
        drive(
            app,
            {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
            [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
        )
    )
    websocket_scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/ws",
        "raw_path": b"/ws",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "subprotocols": [],
    }
    websocket_sent = asyncio.run(
        drive(app, websocket_scope, [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "hello"}])
    )
    # Then both worked untouched
    assert lifecycle == ["startup", "shutdown"]
    assert [m["type"] for m in lifespan_sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert [m["type"] for m in websocket_sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert websocket_sent[1]["text"] == "hello"
    # And only an HTTP request is recorded
    asyncio.run(get_all(app, [("GET", "/users/1")]))
    points = recorded(ingest, client)
    assert request_counts(points["http_requests"]) == {("GET", "/users/{user_id}", "200"): 1}


def test_metric_names_exclusions_and_labels_are_configurable(ingest: IngestServer, make_client: ClientFactory) -> None:
    client = make_client()
    app = fastapi_app()
    app.add_middleware(
        VigilMiddleware,
        client=client,
        requests_metric="api.requests",
        duration_metric="api.latency",
        labels={"service": "catalog"},
        exclude_routes=["/health"],
        unmatched_route="other",
    )
    asyncio.run(get_all(app, [("GET", "/health"), ("GET", "/items/3"), ("GET", "/nope")]))
    points = recorded(ingest, client)
    assert set(points) == {"api.requests", "api.latency"}
    assert request_counts(points["api.requests"]) == {("GET", "/items/{item_id}", "200"): 1, ("GET", "other", "404"): 1}
    assert {p["labels"]["service"] for p in points["api.latency"]} == {"catalog"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"requests_metric": "http requests"}, "metric name 'http requests'"),
        ({"duration_metric": "9lives"}, "metric name '9lives'"),
        ({"labels": {"route": "/x"}}, "labels must not set route"),
        ({"labels": {"bad-key": "x"}}, "label key 'bad-key'"),
    ],
)
def test_bad_middleware_settings_are_refused(make_client: ClientFactory, options: dict[str, Any], message: str) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    with pytest.raises(ValueError, match=message):
        VigilMiddleware(app, client=make_client(), **options)


def test_a_request_is_not_slowed_by_vigil_being_down(make_client: ClientFactory) -> None:
    # Given the middleware's client pointing at a port where nothing listens
    with refused_port() as port:
        client = make_client(f"http://127.0.0.1:{port}", max_retries=0)
        app = fastapi_app()
        app.add_middleware(VigilMiddleware, client=client)
        # When 50 requests are served
        started = time.perf_counter()
        statuses = asyncio.run(get_all(app, [("GET", f"/items/{n}") for n in range(50)]))
        # Then they all succeed, as fast as without vigil
        assert statuses == [200] * 50
        assert time.perf_counter() - started < 5
        assert client.flush(timeout=5)
        assert client.stats.sent == 0 and client.stats.failed == 100
