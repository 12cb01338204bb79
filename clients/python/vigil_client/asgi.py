"""ASGI middleware: per HTTP request, a request counter and a duration histogram (ms) in vigil.

Labels are method, route and status. The route is the matched route's template (/items/{item_id}), never the
raw path, so the number of series stays bounded however many distinct URLs are requested; requests no route
matched share one label ("unmatched"). Pure ASGI: works with Starlette, FastAPI and any framework that puts
the matched route in scope["route"], as Starlette's router does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

from vigil_client.client import Client
from vigil_client.points import MAX_LABEL_VALUE_LENGTH, check_labels, check_name

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("vigil_client")

# Other methods share one label, so a client inventing methods cannot create series.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
OTHER_METHOD = "OTHER"
REQUEST_LABELS = frozenset({"method", "route", "status"})
# Mounts nest rarely more than two deep; the bound keeps an empty-prefix mount from looping.
MAX_MOUNT_DEPTH = 16


class VigilMiddleware:
    """Counts requests and times them, labelled by method, route template and status code.

    An exception escaping the app is recorded as status 500 and re-raised. Non-HTTP scopes (websocket,
    lifespan) pass through untouched. Recording never blocks or raises into the request.
    """

    def __init__(
        self,
        app: ASGIApp,
        client: Client,
        *,
        requests_metric: str = "http_requests",
        duration_metric: str = "http_request_duration_ms",
        labels: Mapping[str, str] | None = None,
        unmatched_route: str = "unmatched",
        exclude_routes: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.client = client
        self.requests_metric = check_name(requests_metric)
        self.duration_metric = check_name(duration_metric)
        self.labels = dict(check_labels(labels))
        clashing = REQUEST_LABELS & self.labels.keys()
        if clashing:
            raise ValueError(f"labels must not set {', '.join(sorted(clashing))}: the middleware sets them per request")
        check_labels({"route": unmatched_route})
        self.unmatched_route = unmatched_route
        self.exclude_routes = frozenset(exclude_routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        entry_root_path = scope.get("root_path", "")
        status: int | None = None

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_noting_status)
        except Exception:
            self._observe(scope, entry_root_path, 500, started)
            raise
        # An app that returns without starting a response makes the server answer 500.
        self._observe(scope, entry_root_path, 500 if status is None else status, started)

    def _observe(self, scope: Scope, entry_root_path: str, status: int, started: float) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        try:
            route = route_template(scope, entry_root_path) or self.unmatched_route
            if route in self.exclude_routes:
                return
            method = str(scope.get("method", "")).upper()
            labels = {
                **self.labels,
                "method": method if method in HTTP_METHODS else OTHER_METHOD,
                "route": route[:MAX_LABEL_VALUE_LENGTH],
                "status": str(status),
            }
            self.client.counter(self.requests_metric, 1, labels, unit="requests")
            self.client.histogram(self.duration_metric, duration_ms, labels, unit="ms")
        except Exception:
            logger.exception("vigil: could not record a request's metrics")


def route_template(scope: Scope, entry_root_path: str = "") -> str | None:
    """The full template of the route that handled the request (mount prefixes included), None if none matched.

    `entry_root_path` is scope["root_path"] as it was before routing: mounts extend it, which is how a mounted
    route is told apart from a top-level one.
    """
    route = scope.get("route")
    own = None if route is None else _own_template(scope, route)
    mounted = scope.get("root_path", "") != entry_root_path
    if own is not None and not mounted:
        return own
    # A mounted route's own template lacks the mount's prefix, and routers that record no route for plain
    # Starlette routes and mounts (FastAPI's) leave none: matching the path again from the top router finds them.
    replayed = _replay_routing(scope, entry_root_path)
    if replayed is None:
        return own  # still a template, if without its mount's prefix
    mounts, leaf = replayed
    if own is not None:
        if mounts and mounts[-1] is route:  # the mount itself answered (static files, a plain ASGI app)
            mounts = mounts[:-1]
        return _prefix(mounts) + own
    if leaf is not None:
        return _prefix(mounts) + str(leaf.path_format)
    if mounts:
        return _prefix(mounts[:-1]) + str(mounts[-1].path_format)
    return None


def _own_template(scope: Scope, route: Any) -> str | None:
    # FastAPI keeps included routers as they are, so the route's own path lacks the include prefixes; the
    # full path is on the route context FastAPI records in the scope for the route it selected.
    fastapi_state = scope.get("fastapi")
    if isinstance(fastapi_state, Mapping):
        context = fastapi_state.get("effective_route_context")
        if getattr(context, "original_route", None) is route:
            path_format = getattr(context, "path_format", None)
            if isinstance(path_format, str) and path_format:
                return path_format
    for attribute in ("path_format", "path"):
        value = getattr(route, attribute, None)
        if isinstance(value, str) and value:
            return value
    return None


def _replay_routing(scope: Scope, entry_root_path: str) -> tuple[list[Any], Any | None] | None:
    """The Starlette mounts the request went through, and the plain Starlette route it ended on if one matches.

    None when the path cannot be followed again (no Starlette, no router in the scope, a mount not found).
    """
    try:
        from starlette.routing import Match, Mount, Route
    except ImportError:
        return None
    routes = getattr(scope.get("router"), "routes", None)
    if routes is None:
        return None
    final_root_path = scope.get("root_path", "")
    probe: dict[str, Any] = {
        "type": "http",
        "path": scope.get("path", ""),
        "root_path": entry_root_path,
        "method": scope.get("method", ""),
        "path_params": {},
    }
    mounts: list[Any] = []
    while probe["root_path"] != final_root_path:
        if len(mounts) >= MAX_MOUNT_DEPTH:
            return None
        matched = None
        for candidate in routes:
            if isinstance(candidate, Mount):
                match, child_scope = candidate.matches(probe)
                if match is Match.FULL:
                    matched = candidate
                    probe.update(child_scope)
                    break
        if matched is None:
            return None
        mounts.append(matched)
        routes = matched.routes
    leaf = None
    for candidate in routes:
        if isinstance(candidate, Route):
            match, _ = candidate.matches(probe)
            if match is Match.FULL:
                return mounts, candidate
            if match is Match.PARTIAL and leaf is None:
                leaf = candidate  # the router's choice when no route matches fully (405)
    return mounts, leaf


def _prefix(mounts: list[Any]) -> str:
    return "".join(str(mount.path_format).removesuffix("/{path}") for mount in mounts)
