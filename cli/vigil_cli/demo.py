"""`vigil demo`: pushes realistic application metrics to a running vigil, so there is something to see.

Three services on two hosts each report request counts by status, request latencies, error counts, CPU,
memory, database connections and queue depth. Each batch carries an Idempotency-Key and is retried with
the same key on 5xx and network errors, as a well-behaved client should.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from vigil_cli.config import add_connection_options, resolve_connection

SERVICES = ("checkout", "search", "accounts")
HOSTS = ("web-1", "web-2")
MAX_ATTEMPTS = 4


@dataclass
class _HostState:
    cpu: float
    memory: float
    connections: float
    queue: float


@dataclass
class DemoLoad:
    """A small simulation: slow random walks for resources, a daily-ish wave for traffic."""

    rng: random.Random = field(default_factory=random.Random)
    hosts: dict[tuple[str, str], _HostState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for service in SERVICES:
            for host in HOSTS:
                self.hosts[(service, host)] = _HostState(
                    cpu=self.rng.uniform(20, 50),
                    memory=self.rng.uniform(40, 70),
                    connections=self.rng.uniform(10, 40),
                    queue=self.rng.uniform(0, 20),
                )

    def batch(self, tick: int) -> list[dict[str, Any]]:
        wave = 1.0 + 0.5 * math.sin(tick / 20)
        points: list[dict[str, Any]] = []
        for (service, host), state in self.hosts.items():
            labels = {"service": service, "host": host}
            requests = max(1, int(self.rng.gauss(200 * wave, 20)))
            errors = self.rng.choices([0, 1, 3, 12], weights=[70, 20, 8, 2])[0]
            points += [
                _point("http.requests", "counter", requests - errors, "requests", {**labels, "status": "2xx"}),
                _point("http.requests", "counter", errors, "requests", {**labels, "status": "5xx"}),
                _point("http.errors", "counter", errors, "errors", labels),
            ]
            points += [
                _point("http.latency", "histogram", round(self.rng.lognormvariate(math.log(80), 0.6), 2), "ms", labels)
                for _ in range(20)
            ]
            state.cpu = _walk(self.rng, state.cpu, 8 * wave, 2, 99)
            state.memory = _walk(self.rng, state.memory, 3, 10, 99)
            state.connections = _walk(self.rng, state.connections, 6, 0, 150)
            state.queue = _walk(self.rng, state.queue, 5, 0, 500)
            points += [
                _point("system.cpu", "gauge", round(state.cpu, 1), "percent", labels),
                _point("system.memory", "gauge", round(state.memory, 1), "percent", labels),
                _point("db.connections", "gauge", round(state.connections), "connections", labels),
                _point("queue.depth", "gauge", round(state.queue), "messages", labels),
            ]
        return points


def _point(name: str, kind: str, value: float, unit: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value, "unit": unit, "labels": labels, "source": labels["host"]}


def _walk(rng: random.Random, value: float, spread: float, low: float, high: float) -> float:
    return min(high, max(low, value + rng.uniform(-spread, spread)))


def push(client: httpx.Client, url: str, api_key: str, points: list[dict[str, Any]]) -> dict[str, Any]:
    """POST one batch, retrying 5xx and network errors with the same Idempotency-Key; raise on a 4xx."""
    headers = {"x-api-key": api_key, "content-type": "application/json", "idempotency-key": uuid.uuid4().hex}
    body = json.dumps({"points": points})
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = client.post(f"{url}/v1/metrics", content=body, headers=headers)
            if response.status_code < 500 or attempt == MAX_ATTEMPTS:
                response.raise_for_status()
                result: dict[str, Any] = response.json()
                return result
        except httpx.TransportError:
            if attempt == MAX_ATTEMPTS:
                raise
        time.sleep(min(2.0, 0.2 * 2**attempt))
    raise RuntimeError("no attempt was made")  # only if MAX_ATTEMPTS < 1


def ticks(batches: int) -> Iterator[int]:
    tick = 0
    while batches <= 0 or tick < batches:
        yield tick
        tick += 1


def run(args: argparse.Namespace) -> int:
    url, api_key = _target(args)
    load = DemoLoad(random.Random(args.seed))
    with httpx.Client(timeout=10.0) as client:
        for tick in ticks(args.batches):
            points = load.batch(tick)
            try:
                result = push(client, url, api_key, points)
            except httpx.HTTPStatusError as exc:
                print(f"vigil demo: {exc.response.status_code} {exc.response.text}", file=sys.stderr)
                return 1
            except httpx.TransportError as exc:
                print(f"vigil demo: cannot reach {url}: {exc}", file=sys.stderr)
                return 1
            if args.json:
                print(json.dumps(result), flush=True)  # one line per batch: JSON Lines
            else:
                print(
                    f"batch {tick + 1}: {result['accepted']} points, {result['series']} series, "
                    f"{result['writes']} rollup writes",
                    flush=True,
                )
            if args.batches <= 0 or tick + 1 < args.batches:
                time.sleep(args.interval)
    return 0


def _target(args: argparse.Namespace) -> tuple[str, str]:
    """Flags, environment, config file or the running local cloud (`vigil local up`), as every command."""
    connection = resolve_connection(args)
    return connection.url, connection.api_key


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="push realistic demo metrics to a running vigil",
        description="Push realistic application metrics (requests, latencies, errors, CPU, memory, database "
        "connections, queue depth) for three services on two hosts. Defaults to the local cloud "
        "started by `vigil local up`.",
    )
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between batches (default 5)")
    parser.add_argument("--batches", type=int, default=0, help="stop after N batches (default: run until Ctrl-C)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")
    add_connection_options(parser, json_help="print each batch's API answer as one line of JSON")
    parser.set_defaults(func=run)
