"""Benchmark 5: one probe invocation's work: 1,000 HTTP checks against a local server answering after 200 ms.

The target server runs in a separate process (`python -m bench.probe_run --server`), so its CPU does not
count against the probe: a small asyncio HTTP/1.1 server on 127.0.0.1 (ephemeral port, listen backlog
2,048) that sleeps 200 ms per request and answers 200 with a small JSON body. It also counts requests,
distinct paths and the most requests it held at once, which the benchmark reads back to confirm that
every check really reached it and how many ran concurrently.

The probe side is `ProbeService.run_monitors` with the in-memory adapters and a real
`ProbeRunner(NetworkChecks(), RunLimits(concurrency, deadline_s))`, concurrency and deadline as deployed
(cdk.json "vigil:probes"): one probe invocation's work minus DynamoDB latency. Measured in one run:

- one check alone: `run_monitors` with a single monitor (about 200 ms plus the overhead of one check);
- 1,000 distinct HttpMonitors (/h/0 ... /h/999, interval 60 s, timeout 5 s): wall time, CPU time of the
  probe process (every thread), overhead per check = (wall - ideal) / 1,000 where
  ideal = ceil(1,000 / concurrency) x one check's latency, and wall / one check's latency;
- the two are interleaved over several rounds (order reversed every round) and the verdict uses medians;
  the service, its SSL contexts and its store are kept between rounds, as in a warm Lambda container, and
  each round uses the next slot (so every monitor is due again);
- peak RSS of a fresh child process doing the 1,000 checks (`--child-rss`), started through /bin/sh so it
  does not inherit this process's ru_maxrss (see bench/peak_rss.py);
- computed, not run: the same 1,000 checks 3 at a time (Gatus's default concurrency);
- where the CPU goes: the same 1,000 requests through more and more of the stack (asyncio streams, httpcore,
  httpx, NetworkChecks.observe, ProbeRunner, ProbeService), interleaved, plus pieces timed alone (client
  creation, judge(), recording without checks) and two what-if variants on an asyncio network backend;
- optionally, the same run with the DynamoDB probe store on moto in-process: how long recording 1,000
  results takes there. That is moto's speed, not DynamoDB's.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import math
import os
import resource
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from bench.common import (
    BENCH_TENANT,
    FAKE_AWS_CREDENTIALS,
    REPO_ROOT,
    BenchmarkResult,
    Check,
    apply_handler_env,
    server_process,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import KeySchemaElementTypeDef

T = TypeVar("T")
CHECKS = 1000
SERVER_DELAY_S = 0.2
LOCALHOST = "127.0.0.1"
LISTEN_BACKLOG = 2048  # the kernel caps it at net.core.somaxconn
GATUS_CONCURRENCY = 3  # Gatus runs 3 checks at a time unless told otherwise
TARGET_WALL_S = 2.0
TARGET_RATIO = 10.0
TARGET_RSS_MB = 256.0
MONITOR_INTERVAL_S = 60
MONITOR_TIMEOUT_S = 5.0
# The deployed defaults, read from cdk.json; these are the fallbacks. The deadline is the Lambda timeout
# minus the recording margin (vigil_infra.config.PROBE_RECORDING_MARGIN_SECONDS, not imported: it pulls in CDK).
DEFAULT_CONCURRENCY = 256
DEFAULT_TIMEOUT_S = 120
RECORDING_MARGIN_S = 15
SLOT_ORIGIN = 1_795_338_000  # 2026-11-22T09:00:00Z: any minute boundary will do
SERVER_MARKER = "BENCH_SERVER_PORT"
RSS_MARKER = "BENCH_PROBE_RSS"


# -- the target server (its own process) ----------------------------------------------------------------


@dataclass
class _ServerStats:
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    connections: int = 0  # connections that carried at least one check's request
    paths: set[bytes] = field(default_factory=set)
    cpu_start_s: float = field(default_factory=time.process_time)

    def as_dict(self) -> dict[str, int | float]:
        return {
            "requests": self.requests,
            "distinct_paths": len(self.paths),
            "max_in_flight": self.max_in_flight,
            "connections": self.connections,
            "cpu_s": round(time.process_time() - self.cpu_start_s, 4),
        }


def _response(status: str, body: bytes, *, close: bool) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    return head.encode() + body


async def _serve(delay_s: float) -> None:
    stats = _ServerStats()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal stats
        counted = False
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1]
                close = any(line.lower() == b"connection: close" for line in lines[1:])
                if path == b"/__stats":
                    body = json.dumps(stats.as_dict()).encode()
                elif path == b"/__reset":
                    stats = _ServerStats()
                    body = b"{}"
                else:
                    if not counted:
                        stats.connections, counted = stats.connections + 1, True
                    stats.requests += 1
                    stats.paths.add(path)
                    stats.in_flight += 1
                    stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
                    try:
                        await asyncio.sleep(delay_s)
                    finally:
                        stats.in_flight -= 1
                    body = b'{"status":"ok","path":"' + path + b'"}'
                writer.write(_response("200 OK", body, close=close))
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, LOCALHOST, 0, backlog=LISTEN_BACKLOG)
    port = server.sockets[0].getsockname()[1]
    print(SERVER_MARKER, port, flush=True)
    # Serve until the parent closes our stdin (or dies).
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    server.close()


class TargetServer:
    """The server process, its base URL, and its request counters."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://{LOCALHOST}:{port}"

    def _get(self, path: str) -> dict[str, Any]:
        connection = http.client.HTTPConnection(LOCALHOST, self.port, timeout=10)
        try:
            connection.request("GET", path, headers={"Connection": "close"})
            parsed: dict[str, Any] = json.loads(connection.getresponse().read())
            return parsed
        finally:
            connection.close()

    def reset(self) -> None:
        self._get("/__reset")

    def stats(self) -> dict[str, Any]:
        return self._get("/__stats")


@contextmanager
def target_server(delay_s: float = SERVER_DELAY_S) -> Iterator[TargetServer]:
    args = ("--server", "--delay", str(delay_s))
    with server_process("bench.probe_run", SERVER_MARKER, *args, what="the target server") as (process, port):
        yield TargetServer(process, port)


# -- the probe side -------------------------------------------------------------------------------------


def deployed_limits() -> tuple[int, float]:
    """(concurrency, deadline in seconds) as cdk.json deploys the probe functions."""
    try:
        probes = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]["vigil:probes"]
        return int(probes["concurrency"]), float(int(probes["timeoutSeconds"]) - RECORDING_MARGIN_S)
    except (OSError, KeyError, ValueError):
        return DEFAULT_CONCURRENCY, float(DEFAULT_TIMEOUT_S - RECORDING_MARGIN_S)


def make_monitors(base_url: str, count: int, prefix: str = "h") -> list[Any]:
    """`count` distinct HTTP monitors: /<prefix>/0 ... /<prefix>/<count-1>, every 60 s, 5 s timeout."""
    from vigil_core.models.monitors import HttpMonitor, Monitor

    created = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        Monitor(
            tenant_id=BENCH_TENANT,
            id=f"{prefix}-{index:04d}",
            definition=HttpMonitor(
                name=f"bench {prefix} {index}",
                target=f"{base_url}/{prefix}/{index}",
                interval=MONITOR_INTERVAL_S,
                timeout=MONITOR_TIMEOUT_S,
            ),
            created_at=created,
            updated_at=created,
        )
        for index in range(count)
    ]


class Probe:
    """A ProbeService as probe_wiring builds it, over in-memory adapters (or the given store), kept between
    runs as in a warm Lambda container; every run takes the next minute slot, so each monitor is due again."""

    def __init__(self, concurrency: int, deadline_s: float, store: Any = None, runner: Any = None) -> None:
        from vigil_core.adapters.checks.network import NetworkChecks
        from vigil_core.adapters.memory_probes import (
            InMemoryMonitorRepository,
            InMemoryProbeStore,
            RecordingShardQueue,
            RecordingTransitionPublisher,
        )
        from vigil_core.probes.runner import ProbeRunner, RunLimits
        from vigil_core.services.probing import ProbeService

        limits = RunLimits(concurrency=concurrency, deadline_s=deadline_s)
        self.limits = limits
        self.store = store if store is not None else InMemoryProbeStore()
        self.service = ProbeService(
            monitors=InMemoryMonitorRepository(),
            store=self.store,
            runner=runner if runner is not None else ProbeRunner(NetworkChecks(), limits),
            publisher=RecordingTransitionPublisher(),
            shard_queue=RecordingShardQueue(),
            limits=limits,
            max_shard_size=CHECKS,
            clock=lambda: datetime.now(UTC),
        )
        self._next_slot = SLOT_ORIGIN

    def run(self, monitors: list[Any], server: TargetServer | None = None) -> Timed:
        slot, self._next_slot = self._next_slot, self._next_slot + MONITOR_INTERVAL_S
        if server is not None:
            server.reset()
        cpu_start = time.process_time()
        wall_start = time.perf_counter()
        report = self.service.run_monitors(monitors, slot)
        wall = time.perf_counter() - wall_start
        cpu = time.process_time() - cpu_start
        if report.checked != len(monitors):
            raise RuntimeError(f"{report.checked} of {len(monitors)} monitors were checked")
        return Timed(
            wall,
            cpu,
            report.duration_s,
            dict(report.by_status),
            server.stats() if server is not None else {},
            self._response_times_ms(monitors, slot),
        )

    def _response_times_ms(self, monitors: list[Any], slot: int) -> list[float]:
        results = getattr(self.store, "stored_results", None)  # the in-memory store keeps every result
        if results is None:
            return []
        from vigil_core.models.probes import MonitorKey

        times = (results[MonitorKey(m.tenant_id, m.id)][slot].response_time_ms for m in monitors)
        return [value for value in times if value is not None]


@dataclass(frozen=True)
class Timed:
    wall_s: float
    cpu_s: float
    runner_s: float  # the ProbeRunner's part: the checks themselves
    by_status: dict[str, int]
    server: dict[str, Any]
    response_times_ms: list[float]  # as recorded: what each check measured

    def as_dict(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall_s, 4),
            "cpu_s": round(self.cpu_s, 4),
            "runner_s": round(self.runner_s, 4),
            "outside_runner_s": round(self.wall_s - self.runner_s, 4),
            "by_status": self.by_status,
            "server": self.server,
            "response_time_ms": _distribution(self.response_times_ms),
        }

    @property
    def up(self) -> int:
        return self.by_status.get("up", 0)


def _distribution(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)

    return {"min": round(ordered[0], 1), "p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 1)}


# -- peak RSS in a fresh process --------------------------------------------------------------------------


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _vmhwm_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    return None


def rss_child(base_url: str, concurrency: int, deadline_s: float) -> None:
    """The measured process: imports, 1,000 monitors, two runs (the first in the process, then a warm one)."""
    start_mb = _maxrss_mb()
    probe = Probe(concurrency, deadline_s)  # imports the service, the runner, the checks and the adapters
    after_imports_mb = _maxrss_mb()
    monitors = make_monitors(base_url, CHECKS)
    after_monitors_mb = _maxrss_mb()
    first = probe.run(monitors)
    after_first_mb = _maxrss_mb()
    second = probe.run(monitors)
    result = {
        "interpreter_mb": round(start_mb, 1),
        "after_imports_mb": round(after_imports_mb, 1),
        "after_monitors_mb": round(after_monitors_mb, 1),
        "after_first_run_mb": round(after_first_mb, 1),
        "peak_mb": round(_maxrss_mb(), 1),
        "vmhwm_mb": _vmhwm_mb(),
        "up": [first.up, second.up],
        "wall_s": [round(first.wall_s, 3), round(second.wall_s, 3)],
    }
    print(RSS_MARKER, json.dumps(result))


def _rss_env(pycache: str) -> dict[str, str]:
    env = {**os.environ, **FAKE_AWS_CREDENTIALS}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache  # cached bytecode, as in the Lambda layers, without touching the repo
    return env


def _rss_run(base_url: str, concurrency: int, deadline_s: float, env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.probe_run", "--child-rss", base_url]
    command += ["--concurrency", str(concurrency), "--deadline", str(deadline_s)]
    completed = subprocess.run(
        # `; exit $?` keeps sh from exec-ing python in its own (forked from us) process.
        ["/bin/sh", "-c", '"$0" "$@"; exit $?', *command],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RSS_MARKER + " "):
            parsed: dict[str, Any] = json.loads(line.removeprefix(RSS_MARKER + " "))
            return parsed
    raise RuntimeError(f"no result in the RSS subprocess output: {completed.stdout[-500:]!r}")


def peak_rss(server: TargetServer, concurrency: int, deadline_s: float, repetitions: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vigil-bench-pyc-") as pycache:
        env = _rss_env(pycache)
        _rss_run(server.base_url, concurrency, deadline_s, env)  # priming: writes the .pyc files
        runs = [_rss_run(server.base_url, concurrency, deadline_s, env) for _ in range(repetitions)]
    keys = ("interpreter_mb", "after_imports_mb", "after_monitors_mb", "after_first_run_mb", "peak_mb", "vmhwm_mb")
    summary = {key: round(_median([float(entry[key]) for entry in runs if entry[key] is not None]), 1) for key in keys}
    summary["peak_mb_max"] = max(float(entry["peak_mb"]) for entry in runs)
    return {"repetitions": repetitions, "bytecode": "cached (primed first)", "summary": summary, "runs": runs}


# -- where the CPU goes: the same requests through more and more of the stack --------------------------------


def _bounded(concurrency: int, worker: Callable[[Any], Awaitable[T]], items: list[Any]) -> list[T]:
    """`worker` over `items`, at most `concurrency` at once, in a fresh event loop (as ProbeRunner.run)."""

    async def main() -> list[T]:
        semaphore = asyncio.Semaphore(concurrency)

        async def one(item: Any) -> T:
            async with semaphore:
                return await worker(item)

        return await asyncio.gather(*(one(item) for item in items))

    return asyncio.run(main())


def _stack_variants(server: TargetServer, monitors: list[Any], concurrency: int, probe: Probe) -> dict[str, Any]:
    """1,000 checks each, concurrency as deployed: from bare asyncio streams up to the whole probe service."""
    import httpcore
    import httpx

    from vigil_core.adapters.checks.http import USER_AGENT
    from vigil_core.adapters.checks.network import NetworkChecks
    from vigil_core.probes.runner import ProbeRunner

    definitions = [monitor.definition for monitor in monitors]
    urls = [definition.target for definition in definitions]
    checks = NetworkChecks()
    context = checks.verifying_context()
    runner = ProbeRunner(NetworkChecks(), probe.limits)

    async def streams(url: str) -> None:
        path = url.removeprefix(server.base_url)
        reader, writer = await asyncio.open_connection(LOCALHOST, server.port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {LOCALHOST}:{server.port}\r\nConnection: close\r\n\r\n".encode())
        answer = await reader.read()
        writer.close()
        await writer.wait_closed()
        _expect(answer.startswith(b"HTTP/1.1 200"), f"asyncio streams: {answer[:40]!r}")

    async def httpcore_pool(url: str) -> None:
        async with httpcore.AsyncConnectionPool(ssl_context=context) as pool:
            response = await pool.request("GET", url, headers={"User-Agent": USER_AGENT})
            _expect(response.status == 200, f"httpcore: {response.status}")

    async def httpx_client(url: str) -> None:
        async with httpx.AsyncClient(trust_env=False, verify=context, timeout=5.0) as client:
            response = await client.get(url)
            _expect(response.status_code == 200, f"httpx: {response.status_code}")

    async def observe(definition: Any) -> None:
        observation = await checks.observe(definition)
        _expect(observation.status == 200, f"NetworkChecks.observe: {observation.error}")

    return {
        "asyncio_streams": lambda: _bounded(concurrency, streams, urls),
        "httpcore_pool_per_check": lambda: _bounded(concurrency, httpcore_pool, urls),
        "httpx_client_per_check": lambda: _bounded(concurrency, httpx_client, urls),
        "network_checks_observe": lambda: _bounded(concurrency, observe, definitions),
        "probe_runner": lambda: runner.run(definitions),
        "probe_service": lambda: probe.run(monitors, server),
        **_what_if_variants(concurrency, urls, context),
    }


def _what_if_variants(concurrency: int, urls: list[str], context: ssl.SSLContext) -> dict[str, Callable[[], object]]:
    """Not vigil's code: the same requests through httpcore (and httpx) on a thin asyncio network backend
    instead of anyio's, to show what a lighter check could cost. Plain TCP only: enough for this server."""
    import httpcore
    import httpx

    from vigil_core.adapters.checks.http import USER_AGENT

    class Stream(httpcore.AsyncNetworkStream):
        def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._reader, self._writer = reader, writer

        async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return await asyncio.wait_for(self._reader.read(max_bytes), timeout)

        async def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._writer.write(buffer)
            await asyncio.wait_for(self._writer.drain(), timeout)

        async def aclose(self) -> None:
            self._writer.close()

        def get_extra_info(self, info: str) -> Any:
            return self._writer.get_extra_info("peername") if info == "server_addr" else None

    class Backend(httpcore.AsyncNetworkBackend):
        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.AsyncNetworkStream:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            return Stream(reader, writer)

        async def sleep(self, seconds: float) -> None:
            await asyncio.sleep(seconds)

    backend = Backend()

    async def httpcore_asyncio(url: str) -> None:
        async with httpcore.AsyncConnectionPool(ssl_context=context, network_backend=backend) as pool:
            response = await pool.request("GET", url, headers={"User-Agent": USER_AGENT})
            _expect(response.status == 200, f"httpcore on asyncio: {response.status}")

    async def httpx_asyncio(url: str) -> None:
        transport = httpx.AsyncHTTPTransport(verify=context)
        # httpx has no public way to choose httpcore's network backend.
        transport._pool = httpcore.AsyncConnectionPool(ssl_context=context, network_backend=backend)
        async with httpx.AsyncClient(transport=transport, trust_env=False, timeout=5.0) as client:
            response = await client.get(url)
            _expect(response.status_code == 200, f"httpx on asyncio: {response.status_code}")

    return {
        "what_if_httpcore_asyncio_backend": lambda: _bounded(concurrency, httpcore_asyncio, urls),
        "what_if_httpx_asyncio_backend": lambda: _bounded(concurrency, httpx_asyncio, urls),
    }


def _expect(condition: bool, detail: str) -> None:
    if not condition:
        raise RuntimeError(f"a breakdown request failed: {detail}")


STACK_LAYERS = (
    ("asyncio_streams", None, "kernel + asyncio: connect, send, read to EOF (the floor)"),
    ("httpcore_pool_per_check", "asyncio_streams", "httpcore + anyio + h11"),
    ("httpx_client_per_check", "httpcore_pool_per_check", "httpx client: request/response models, redirects, cookies"),
    ("network_checks_observe", "httpx_client_per_check", "vigil's observe_http: streaming body, facts, Observation"),
    ("probe_runner", "network_checks_observe", "ProbeRunner: wait_for per attempt, judge(), tasks"),
    ("probe_service", "probe_runner", "ProbeService: load states, advance, record (16 threads), report"),
)


def breakdown(server: TargetServer, monitors: list[Any], concurrency: int, probe: Probe, rounds: int) -> dict[str, Any]:
    """CPU per check of each layer of the stack, interleaved (order reversed every round).

    What each layer adds is the difference of the lowest CPU time of each variant: on a busy machine the
    minimum is the steadiest estimate of a fixed amount of work (medians and every sample are kept too)."""
    variants = _stack_variants(server, monitors, concurrency, probe)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    names = list(variants)
    for round_index in range(rounds):
        for name in names if round_index % 2 == 0 else reversed(names):
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            variants[name]()
            samples[name].append((time.perf_counter() - wall_start, time.process_time() - cpu_start))
    per_check = 1000 / len(monitors)
    lowest = {name: min(cpu for _, cpu in runs) * per_check for name, runs in samples.items()}
    summary: dict[str, dict[str, Any]] = {
        name: {
            "wall_s_median": round(_median([wall for wall, _ in runs]), 3),
            "cpu_ms_per_check_median": round(_median([cpu for _, cpu in runs]) * per_check, 3),
            "cpu_ms_per_check_min": round(lowest[name], 3),
            "cpu_s_samples": [round(cpu, 3) for _, cpu in runs],
        }
        for name, runs in samples.items()
    }
    layers = []
    for name, below, what in STACK_LAYERS:
        added = lowest[name] - (lowest[below] if below else 0.0)
        layers.append(
            {
                "layer": name,
                "what": what,
                "cpu_ms_per_check": round(lowest[name], 3),
                "adds_cpu_ms_per_check": round(added, 3),
            }
        )
    grouped = {
        "floor_asyncio_streams": lowest["asyncio_streams"],
        "httpcore_anyio_h11": lowest["httpcore_pool_per_check"] - lowest["asyncio_streams"],
        "httpx": lowest["httpx_client_per_check"] - lowest["httpcore_pool_per_check"],
        "vigil_observe_runner_service": lowest["probe_service"] - lowest["httpx_client_per_check"],
        "what_if_httpcore_asyncio_backend": lowest["what_if_httpcore_asyncio_backend"],
        "what_if_httpx_asyncio_backend": lowest["what_if_httpx_asyncio_backend"],
        "probe_service": lowest["probe_service"],
    }
    return {
        "rounds": rounds,
        "estimator": "lowest CPU of the rounds, ms per check",
        "grouped_cpu_ms_per_check": {name: round(value, 3) for name, value in grouped.items()},
        "layers": layers,
        "variants": summary,
        "components": _components(server, monitors),
    }


def _components(server: TargetServer, monitors: list[Any]) -> dict[str, float]:
    """CPU of single pieces, 1,000 times each: client construction, judging, and recording without checks."""
    import httpx

    from vigil_core.adapters.checks.http import USER_AGENT
    from vigil_core.adapters.checks.network import NetworkChecks
    from vigil_core.probes.judging import judge
    from vigil_core.probes.observations import CheckOutcome, CheckStatus
    from vigil_core.probes.runner import ProbeRunner, RunLimits, RunOutcome

    checks = NetworkChecks()
    context = checks.verifying_context()
    definitions = [monitor.definition for monitor in monitors]

    async def clients() -> None:
        for _ in definitions:
            client = httpx.AsyncClient(trust_env=False, verify=context, timeout=5.0, headers={"User-Agent": USER_AGENT})
            await client.aclose()

    started = time.process_time()
    asyncio.run(clients())
    client_ms = (time.process_time() - started) / len(definitions) * 1000

    observations = _bounded(DEFAULT_CONCURRENCY, checks.observe, definitions)
    started = time.process_time()
    for definition, observation in zip(definitions, observations, strict=True):
        judge(definition, observation)
    judge_ms = (time.process_time() - started) / len(definitions) * 1000

    class ReplayRunner(ProbeRunner):
        """Every check UP at once: what run_monitors costs besides the checks."""

        def run(self, definitions: Any) -> RunOutcome:
            return RunOutcome(tuple(CheckOutcome(CheckStatus.UP, 205.0) for _ in definitions), None, 0.0)

    replay = Probe(DEFAULT_CONCURRENCY, 60.0, runner=ReplayRunner(checks, RunLimits()))
    replay.run(monitors)  # first slot: every state is new
    recorded = replay.run(monitors)
    return {
        "httpx_client_create_close_ms": round(client_ms, 4),
        "judge_ms": round(judge_ms, 4),
        "run_monitors_without_checks_cpu_ms": round(recorded.cpu_s / len(monitors) * 1000, 4),
        "run_monitors_without_checks_wall_s": round(recorded.wall_s, 4),
    }


# -- optional: the DynamoDB probe store on moto ----------------------------------------------------------


class _CallCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1


class _SerializedClient:
    """Passes every call to the client under one lock. moto's transact_write_items deep-copies the tables
    to roll back and is not thread-safe: the store's 16 recording threads make it fail ("dictionary changed
    size during iteration"). DynamoDB itself takes them in parallel, so this only makes moto usable here."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name.startswith("_") or name == "meta" or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


def moto_recording(server: TargetServer, concurrency: int, deadline_s: float, passes: int = 1) -> dict[str, Any]:
    """The same 1,000 checks recorded through DynamoDbProbeStore on moto (in-process): moto's speed."""
    apply_handler_env()
    import boto3
    from moto import mock_aws

    from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore

    key_schema: list[KeySchemaElementTypeDef] = [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    monitors = make_monitors(server.base_url, CHECKS, prefix="d")
    runs: list[dict[str, Any]] = []
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for name in ("bench-probes", "bench-sla-windows"):
            client.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                KeySchema=key_schema,
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in ("pk", "sk")],
            )
        counter = _CallCounter()
        client.meta.events.register("before-call.dynamodb", counter)
        probe = Probe(
            concurrency,
            deadline_s,
            store=DynamoDbProbeStore("bench-probes", "bench-sla-windows", client=cast(Any, _SerializedClient(client))),
        )
        for label in ("first run: new items", "second run: existing items")[:passes]:
            counter.calls.clear()
            run = probe.run(monitors, server)
            outside = run.wall_s - run.runner_s
            runs.append(
                {
                    "run": label,
                    **run.as_dict(),
                    "outside_runner_ms_per_result": round(outside / CHECKS * 1000, 2),
                    "dynamodb_calls": dict(sorted(counter.calls.items())),
                }
            )
    return {"backend": "moto in-process (mock_aws): moto's speed, not DynamoDB's", "runs": runs}


# -- the benchmark ----------------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def run(
    rounds: int = 5, rss_repetitions: int = 3, breakdown_rounds: int = 3, with_moto: bool = False
) -> BenchmarkResult:
    concurrency, deadline_s = deployed_limits()
    load_before = os.getloadavg()
    with target_server() as server:
        probe = Probe(concurrency, deadline_s)
        single = make_monitors(server.base_url, 1, prefix="one")
        batch = make_monitors(server.base_url, CHECKS)
        # The first runs of a fresh service (SSL context, first client, thread pool): reported, not judged.
        first_single = probe.run(single, server)
        first_batch = probe.run(batch, server)
        singles: list[Timed] = []
        batches: list[Timed] = []
        for round_index in range(rounds):
            order: list[tuple[list[Timed], list[Any]]] = [(singles, single), (batches, batch)]
            for samples, monitors in order if round_index % 2 == 0 else reversed(order):
                samples.append(probe.run(monitors, server))
        stack = breakdown(server, batch, concurrency, probe, breakdown_rounds) if breakdown_rounds else None
        rss = peak_rss(server, concurrency, deadline_s, rss_repetitions)
        moto = moto_recording(server, concurrency, deadline_s) if with_moto else None
    load_after = os.getloadavg()

    one_check_s = _median([sample.wall_s for sample in singles])
    wall_s = _median([sample.wall_s for sample in batches])
    cpu_s = _median([sample.cpu_s for sample in batches])
    runner_s = _median([sample.runner_s for sample in batches])
    waves = math.ceil(CHECKS / concurrency)
    ideal_s = waves * one_check_s
    overhead_ms = (wall_s - ideal_s) / CHECKS * 1000
    ratio = wall_s / one_check_s
    not_up = sum(CHECKS - sample.up for sample in [first_batch, *batches])
    max_in_flight = max(int(sample.server["max_in_flight"]) for sample in batches)
    server_cpu_s = _median([float(sample.server["cpu_s"]) for sample in batches])
    gatus_waves = math.ceil(CHECKS / GATUS_CONCURRENCY)
    gatus_s = gatus_waves * one_check_s
    response_times = [value for sample in batches for value in sample.response_times_ms]
    peak_mb = rss["summary"]["peak_mb"]

    print(
        f"  1 check {one_check_s * 1000:.0f} ms; {CHECKS:,} checks at concurrency {concurrency}: {wall_s:.2f} s wall, "
        f"{cpu_s:.2f} s CPU ({cpu_s / CHECKS * 1000:.2f} ms/check), ideal {ideal_s:.2f} s, "
        f"overhead {overhead_ms:.2f} ms/check"
    )
    print(
        f"  computed, not run: {CHECKS:,} checks {GATUS_CONCURRENCY} at a time (Gatus's default) would take about "
        f"{gatus_s:.0f} s ({gatus_waves} waves x {one_check_s * 1000:.0f} ms)"
    )
    if stack is not None:
        grouped = stack["grouped_cpu_ms_per_check"]
        print(
            f"  CPU ms per check (lowest of {stack['rounds']} rounds): asyncio floor "
            f"{grouped['floor_asyncio_streams']:.2f}, + httpcore/anyio/h11 {grouped['httpcore_anyio_h11']:.2f}, "
            f"+ httpx {grouped['httpx']:.2f}, + vigil's observe/runner/service "
            f"{grouped['vigil_observe_runner_service']:.2f} = {grouped['probe_service']:.2f}; what if on an asyncio "
            f"backend: httpcore {grouped['what_if_httpcore_asyncio_backend']:.2f}, "
            f"httpx {grouped['what_if_httpx_asyncio_backend']:.2f}"
        )
    if moto is not None:
        for entry in moto["runs"]:
            print(
                f"  on moto (moto's speed, not DynamoDB's), {entry['run']}: {entry['wall_s']:.1f} s wall, of which "
                f"{entry['outside_runner_s']:.1f} s outside the checks ({entry['outside_runner_ms_per_result']:.1f} ms "
                "per result)"
            )

    checks = [
        Check(
            case=f"{CHECKS:,} checks, concurrency {concurrency}: wall",
            metric="wall time of run_monitors",
            value=round(wall_s, 3),
            limit=TARGET_WALL_S,
            unit="s",
            values={
                "wall_s": round(wall_s, 3),
                "cpu_s": round(cpu_s, 3),
                "ideal_s": round(ideal_s, 3),
                "overhead_ms_per_check": round(overhead_ms, 3),
            },
            note=f"ideal {ideal_s:.2f} s; overhead {overhead_ms:.2f} ms/check; CPU {cpu_s:.2f} s",
        ),
        Check(
            case=f"{CHECKS:,} checks vs. 1 check",
            metric="wall / one check's latency",
            value=round(ratio, 2),
            limit=TARGET_RATIO,
            unit="x",
            values={"wall_s": round(wall_s, 3), "one_check_s": round(one_check_s, 4), "ideal_ratio": waves},
            note=f"{wall_s:.2f} s / {one_check_s * 1000:.0f} ms; ideal {waves}x",
        ),
        Check(
            case=f"{CHECKS:,} checks: peak RSS of a fresh process",
            metric="ru_maxrss",
            value=peak_mb,
            limit=TARGET_RSS_MB,
            unit="MiB",
            values={"peak_mb": peak_mb, "after_imports_mb": rss["summary"]["after_imports_mb"]},
            note=f"after imports {rss['summary']['after_imports_mb']:.1f} MiB",
        ),
        Check(
            case=f"{CHECKS:,} checks: results not UP",
            metric="checks not UP, over every 1,000-check run",
            value=not_up,
            limit=0,
            note=f"server held up to {max_in_flight} requests at once",
        ),
    ]
    return BenchmarkResult(
        name="probe_run",
        title=f"One probe invocation: {CHECKS:,} HTTP checks against a server answering after 200 ms",
        unit="s wall; x one check; MiB",
        target=(
            f"wall <= {TARGET_WALL_S:g} s and <= {TARGET_RATIO:g}x one check's latency; "
            f"peak RSS <= {TARGET_RSS_MB:g} MiB"
        ),
        checks=checks,
        details={
            "checks": CHECKS,
            "server_delay_s": SERVER_DELAY_S,
            "concurrency": concurrency,
            "deadline_s": deadline_s,
            "rounds": rounds,
            "one_check_s": round(one_check_s, 4),
            "one_check_response_time_ms": _distribution([v for s in singles for v in s.response_times_ms]),
            "wall_s": round(wall_s, 4),
            "cpu_s": round(cpu_s, 4),
            "cpu_ms_per_check": round(cpu_s / CHECKS * 1000, 3),
            "runner_s": round(runner_s, 4),
            "outside_runner_s": round(wall_s - runner_s, 4),
            "server_cpu_s": round(server_cpu_s, 4),
            "waves": waves,
            "ideal_s": round(ideal_s, 4),
            "overhead_ms_per_check": round(overhead_ms, 3),
            "ratio": round(ratio, 3),
            "response_time_ms_under_load": _distribution(response_times),
            "computed_not_run": {
                "what": f"{CHECKS:,} checks at concurrency {GATUS_CONCURRENCY} (Gatus's default): computed, not run",
                "formula": "ceil(checks / 3) x one check's latency",
                "waves": gatus_waves,
                "seconds": round(gatus_s, 1),
            },
            "load_average_1m": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
            "first_runs": {"single": first_single.as_dict(), "batch": first_batch.as_dict()},
            "single_runs": [sample.as_dict() for sample in singles],
            "batch_runs": [sample.as_dict() for sample in batches],
            "breakdown": stack,
            "rss": rss,
            "moto": moto,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", action="store_true", help="be the target server")
    parser.add_argument("--delay", type=float, default=SERVER_DELAY_S, help="the server's delay per request (s)")
    parser.add_argument("--child-rss", metavar="BASE_URL", help="be the process whose peak RSS is measured")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--deadline", type=float, default=float(DEFAULT_TIMEOUT_S - RECORDING_MARGIN_S))
    parser.add_argument("--moto", action="store_true", help="also record through the DynamoDB store on moto (slow)")
    args = parser.parse_args()
    if args.server:
        asyncio.run(_serve(args.delay))
    elif args.child_rss:
        rss_child(args.child_rss, args.concurrency, args.deadline)
    else:
        print(json.dumps(run(with_moto=args.moto).as_dict(), indent=2))


if __name__ == "__main__":
    main()
