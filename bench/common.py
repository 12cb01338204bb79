"""What the benchmarks share: the handler environment, realistic batches, CPU timing and result records.

Kept free of heavy imports (no moto, no boto3, no handler) so the subprocess benchmarks that import it
measure the handler and not this module.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

REPO_ROOT = Path(__file__).resolve().parents[1]
HANDLER_PATHS = {
    "ingest": REPO_ROOT / "functions" / "ingest" / "handler.py",
    "query": REPO_ROOT / "functions" / "query" / "handler.py",
}
HandlerKind = Literal["ingest", "query"]

# What the functions run with, minus tracing (no X-Ray daemon here) and with quiet logs so the
# benchmarks measure the work rather than terminal output.
HANDLER_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "Vigil",
    "POWERTOOLS_SERVICE_NAME": "vigil-ingest",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
# Dummy credentials: the benchmarks only ever talk to moto, in-process, and must never find real ones.
FAKE_AWS_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

SAMPLE_EVENT = REPO_ROOT / "events" / "ingest_post_metrics.json"
BENCH_TENANT = "bench-tenant"
MB = 1024 * 1024


def apply_handler_env() -> None:
    os.environ.update(HANDLER_ENV)
    os.environ.update(FAKE_AWS_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)


def load_handler(kind: HandlerKind) -> ModuleType:
    """Import a handler module by path: both files are called handler.py, so each gets its own name."""
    name = f"vigil_bench_{kind}_handler"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HANDLER_PATHS[kind])
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {HANDLER_PATHS[kind]}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# -- the ingest handler wired to in-memory adapters ------------------------------------------------------


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes Powertools reads from the Lambda context."""

    function_name: str = "vigil-ingest"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:vigil-ingest"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    log_group_name: str = "/aws/lambda/vigil-ingest"
    log_stream_name: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def sample_event() -> dict[str, Any]:
    event: dict[str, Any] = json.loads(SAMPLE_EVENT.read_text())
    return event


def ingest_event(body: str) -> dict[str, Any]:
    """The sample API Gateway event with its body replaced (and no Idempotency-Key)."""
    event = copy.deepcopy(sample_event())
    event["body"] = body
    event["isBase64Encoded"] = False
    return event


def in_memory_ingest_dependencies(api_key: str) -> Any:
    """IngestDependencies over in-memory adapters, with a directory that knows exactly one API key."""
    from vigil_core.adapters.memory import (
        InMemoryIdempotencyGuard,
        InMemoryRollupStore,
        InMemoryTenantDirectory,
    )
    from vigil_core.models.tenants import ApiKey, hash_api_key
    from vigil_core.services.auth import Authenticator
    from vigil_core.services.ingest import IngestDependencies, Retention

    directory = InMemoryTenantDirectory()
    directory.put_api_key(
        ApiKey(
            key_id=hashlib.sha256(api_key.encode()).hexdigest()[:12],
            tenant_id=BENCH_TENANT,
            key_hash=hash_api_key(api_key),
            created_at=datetime.now(UTC),
        )
    )
    return IngestDependencies(
        authenticator=Authenticator(directory),
        store=InMemoryRollupStore(),
        retention=Retention(),
        idempotency=InMemoryIdempotencyGuard(),
    )


def sample_api_key() -> str:
    key: str = sample_event()["headers"]["x-api-key"]
    return key


@contextmanager
def silenced_stdout() -> Iterator[None]:
    """Send fd 1 to /dev/null: Powertools' logger holds its own reference to stdout, so swapping
    sys.stdout would miss it; EMF lines and logs are still produced (that work is real), just not shown."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


# -- realistic batches ------------------------------------------------------------------------------------

_COUNTERS = ("http.requests", "jobs.processed", "cache.hits", "cache.misses", "queue.messages")
_GAUGES = ("system.cpu", "system.memory", "queue.depth", "db.connections", "disk.used_bytes")
_HISTOGRAMS = ("http.latency", "db.query_time", "job.duration")
_LABEL_POOL = (
    ("service", ("checkout", "search", "auth", "billing")),
    ("region", ("eu-west-1", "us-east-1")),
    ("status", ("200", "404", "500")),
    ("endpoint", ("/v1/cart", "/v1/search", "/v1/login", "/v1/pay")),
)


@dataclass(frozen=True)
class SeriesSpec:
    name: str
    type: str
    unit: str
    labels: dict[str, str]


def make_series(count: int, seed: int = 7) -> list[SeriesSpec]:
    """`count` distinct series: 40% counters, 40% gauges, 20% histograms, 1-5 labels each
    (the `host` label makes every one distinct)."""
    rng = random.Random(seed)
    series = []
    for index in range(count):
        kind = index % 5
        labels = {"host": f"web-{index:03d}"}
        for key, values in _LABEL_POOL[: rng.randint(0, len(_LABEL_POOL))]:
            labels[key] = rng.choice(values)
        if kind in (0, 1):
            series.append(SeriesSpec(_COUNTERS[index % len(_COUNTERS)], "counter", "requests", labels))
        elif kind in (2, 3):
            series.append(SeriesSpec(_GAUGES[index % len(_GAUGES)], "gauge", "percent", labels))
        else:
            series.append(SeriesSpec(_HISTOGRAMS[index % len(_HISTOGRAMS)], "histogram", "ms", labels))
    return series


def _value(spec: SeriesSpec, rng: random.Random) -> float:
    if spec.type == "counter":
        return float(rng.randint(0, 50))
    if spec.type == "gauge":
        return round(rng.uniform(0, 100), 2)
    return round(rng.lognormvariate(4, 1), 3)  # latencies: median ~55 ms, long tail


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_points(
    count: int,
    series: Sequence[SeriesSpec],
    timestamp: Callable[[random.Random], datetime] | None = None,
    seed: int = 11,
) -> list[dict[str, Any]]:
    """`count` points spread round-robin over `series`, as JSON-ready dicts; a quarter carry a source."""
    rng = random.Random(seed)
    points: list[dict[str, Any]] = []
    for index in range(count):
        spec = series[index % len(series)]
        point: dict[str, Any] = {
            "name": spec.name,
            "type": spec.type,
            "value": _value(spec, rng),
            "unit": spec.unit,
            "labels": dict(spec.labels),
        }
        if timestamp is not None:
            point["timestamp"] = iso(timestamp(rng))
        if index % 4 == 0:
            point["source"] = f"web-{index % 8}"
        points.append(point)
    return points


def spread_over(end: datetime, window: timedelta) -> Callable[[random.Random], datetime]:
    """Timestamps uniformly in (end - window, end]."""
    seconds = window.total_seconds()
    return lambda rng: end - timedelta(seconds=rng.uniform(0, seconds))


def within_minute(minute_start: datetime) -> Callable[[random.Random], datetime]:
    return lambda rng: minute_start + timedelta(seconds=rng.uniform(0, 59.999))


def batch_body(points: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"points": list(points)})


# -- timing -----------------------------------------------------------------------------------------------


def cpu_ns(operation: Callable[[], object]) -> int:
    start = time.process_time_ns()
    operation()
    return time.process_time_ns() - start


def interleaved_cpu_ns(
    operations: Mapping[str, Callable[[], object]], repetitions: int, block: int
) -> dict[str, list[int]]:
    """CPU time of each operation, `repetitions` times, in alternating blocks (order reversed every
    round) so that noise from the rest of the machine lands on every operation alike."""
    samples: dict[str, list[int]] = {name: [] for name in operations}
    names = list(operations)
    for round_index in range(max(1, repetitions // block)):
        for name in names if round_index % 2 == 0 else reversed(names):
            operation = operations[name]
            samples[name].extend(cpu_ns(operation) for _ in range(block))
    return samples


def median_ms(samples_ns: Sequence[int]) -> float:
    return statistics.median(samples_ns) / 1e6


def quartiles_ms(samples_ns: Sequence[int]) -> tuple[float, float]:
    low, _, high = statistics.quantiles(samples_ns, n=4)
    return low / 1e6, high / 1e6


# -- results ----------------------------------------------------------------------------------------------

Number = int | float


@dataclass
class Check:
    """One measured figure against its target (value <= limit)."""

    case: str
    metric: str
    value: float
    limit: float
    unit: str = ""
    values: dict[str, Number] = field(default_factory=dict)
    note: str = ""  # the figures behind the value, for the summary table

    @property
    def passed(self) -> bool:
        return self.value <= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


@dataclass
class BenchmarkResult:
    name: str
    title: str
    unit: str
    target: str
    checks: list[Check]
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "unit": self.unit,
            "target": self.target,
            "passed": self.passed,
            "checks": [check.as_dict() for check in self.checks],
            "details": self.details,
            "seconds": round(self.seconds, 2),
        }


@contextmanager
def server_process(module: str, marker: str, *args: str, what: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`python -m <module> <args>` as a server in its own process (so its CPU is not the measured one's): it
    prints `<marker> <port>` once listening, and exits when its stdin closes."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args], cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if not line.startswith(marker + " "):
            raise RuntimeError(f"{what} did not start: {line!r}")
        yield process, int(line.split()[1])
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def first_topic_message_time(
    sqs: Any, queue_url: str, matches: Callable[[dict[str, Any]], bool], timeout_s: float, what: str
) -> float:
    """SNS's publish time (epoch seconds) of the first message on a subscribed queue whose body `matches`;
    the messages read on the way are deleted."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            envelope = json.loads(message["Body"])
            if matches(json.loads(envelope["Message"])):
                return datetime.fromisoformat(envelope["Timestamp"].replace("Z", "+00:00")).timestamp()
    raise TimeoutError(f"no {what} within {timeout_s} s")
