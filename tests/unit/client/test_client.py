"""The Python client against a stand-in of vigil's ingest API on 127.0.0.1: batching, the bounded buffer,
retries with one Idempotency-Key per batch, Retry-After, rejected batches, vigil down or slow, flush and close."""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tests.servers import refused_port
from tests.unit.client.conftest import ClientFactory
from tests.unit.client.ingest_server import API_KEY, IngestServer, Reply
from vigil_client import Client
from vigil_client.client import parse_retry_after

# A call that only appends to a buffer takes microseconds; this bound fails only if it waited on the network.
FAST_CALL_SECONDS = 0.05


def test_points_reach_vigil_as_the_api_defines_them(ingest: IngestServer, make_client: ClientFactory) -> None:
    # Given a client with default labels and a source
    client = make_client(default_labels={"service": "checkout"}, source="web-1")
    before = datetime.now(UTC)
    # When the app records one point of each type and flushes
    client.counter("orders.created", labels={"plan": "pro"})
    client.gauge("queue.depth", 17, unit="messages")
    client.histogram("checkout.duration", 87.5, {"step": "pay"}, unit="ms")
    assert client.flush(timeout=5)
    # Then one batch carries them, accepted by the API's own validation, stamped with when they were recorded
    [batch] = ingest.batches
    assert batch.status == 202
    assert batch.headers["x-api-key"] == API_KEY
    assert batch.headers["content-type"] == "application/json"
    assert [(p["name"], p["type"], p["value"], p.get("unit"), p["labels"]) for p in batch.points] == [
        ("orders.created", "counter", 1, None, {"service": "checkout", "plan": "pro"}),
        ("queue.depth", "gauge", 17, "messages", {"service": "checkout"}),
        ("checkout.duration", "histogram", 87.5, "ms", {"service": "checkout", "step": "pay"}),
    ]
    assert {p["source"] for p in batch.points} == {"web-1"}
    for point in batch.points:
        stamped = datetime.fromisoformat(point["timestamp"])
        assert before - timedelta(seconds=1) <= stamped <= datetime.now(UTC)
    assert client.stats.sent == 3 and client.stats.buffered == 0


def test_a_full_batch_is_sent_at_once_and_the_rest_waits_for_the_interval(
    ingest: IngestServer, make_client: ClientFactory
) -> None:
    # Given batches of 3 points and a long flush interval
    client = make_client(batch_size=3, flush_interval=60)
    # When 7 points are recorded
    for value in range(7):
        client.counter("jobs.done", value)
    # Then two full batches go out without waiting, and the seventh point stays buffered
    batches = ingest.wait_for_batches(2)
    assert [len(batch.points) for batch in batches] == [3, 3]
    time.sleep(0.2)
    assert len(ingest.batches) == 2 and client.stats.buffered == 1
    # And flush sends it
    assert client.flush(timeout=5)
    assert [len(batch.points) for batch in ingest.batches] == [3, 3, 1]
    assert [p["value"] for p in ingest.accepted_points()] == list(range(7))
    assert len({batch.idempotency_key for batch in ingest.batches}) == 3


def test_points_below_a_batch_are_sent_every_flush_interval(ingest: IngestServer, make_client: ClientFactory) -> None:
    # Given a flush interval of 0.3 s
    client = make_client(flush_interval=0.3)
    time.sleep(0.35)  # the first interval passes with nothing to send
    # When two points are recorded (far below a batch)
    recorded_at = time.monotonic()
    client.gauge("cpu", 40.0, unit="percent")
    client.gauge("cpu", 60.0, unit="percent")
    # Then they go out together within the next interval, not one by one
    [batch] = ingest.wait_for_batches(1, timeout=3)
    assert len(batch.points) == 2
    assert batch.received_at - recorded_at <= 1.0
    time.sleep(0.4)
    assert len(ingest.batches) == 1


def test_a_full_buffer_drops_new_points_counts_them_and_logs_once(
    ingest: IngestServer, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a buffer of 5 points that is not being emptied (long interval, large batches)
    client = make_client(max_buffer=5, flush_interval=60)
    caplog.set_level(logging.WARNING, logger="vigil_client")
    # When 8 points are recorded
    for value in range(8):
        client.counter("events", value)
    # Then the first 5 are kept, the last 3 dropped and counted, with one warning for all of them
    stats = client.stats
    assert (stats.recorded, stats.dropped, stats.buffered) == (5, 3, 5)
    warnings = [r for r in caplog.records if r.name == "vigil_client" and "dropped" in r.getMessage()]
    assert len(warnings) == 1 and "buffer is full" in warnings[0].getMessage()
    # And what was kept is delivered
    assert client.flush(timeout=5)
    assert [p["value"] for p in ingest.accepted_points()] == [0, 1, 2, 3, 4]


def test_failed_attempts_are_retried_with_the_same_idempotency_key_and_body(
    ingest: IngestServer, make_client: ClientFactory
) -> None:
    # Given vigil answering 500, then losing the response (hangs up), then 503, then accepting
    ingest.script(Reply(500, '{"error": "internal_error"}'), Reply(hang_up=True), Reply(503, "{}"))
    client = make_client()
    # When a batch is flushed
    client.counter("payments", 3)
    client.counter("payments", 4)
    assert client.flush(timeout=5)
    # Then it was sent four times, always the same bytes under the same Idempotency-Key
    batches = ingest.batches
    assert [b.status for b in batches] == [500, 0, 503, 202]
    assert len({b.idempotency_key for b in batches}) == 1 and batches[0].idempotency_key
    assert len({b.body for b in batches}) == 1
    stats = client.stats
    assert (stats.sent, stats.retries, stats.failed, stats.rejected) == (2, 3, 0, 0)
    # And the next batch gets a key of its own
    client.counter("payments", 1)
    assert client.flush(timeout=5)
    assert ingest.batches[-1].idempotency_key != batches[0].idempotency_key


@pytest.mark.parametrize("status", [408, 409, 429, 502])
def test_statuses_that_pass_with_time_are_retried(
    ingest: IngestServer, make_client: ClientFactory, status: int
) -> None:
    # Given vigil answering a transient status once (409: the same key still in flight)
    ingest.script(Reply(status, '{"error": "busy"}'))
    client = make_client()
    # When a point is flushed
    client.counter("signups")
    assert client.flush(timeout=5)
    # Then the retry delivers it
    assert [b.status for b in ingest.batches] == [status, 202]
    assert client.stats.sent == 1


def test_retry_after_is_honoured(ingest: IngestServer, make_client: ClientFactory) -> None:
    # Given vigil throttling with Retry-After: 1 while the client's own backoff is milliseconds
    ingest.script(Reply(429, '{"message": "Too Many Requests"}', {"Retry-After": "1"}))
    client = make_client(backoff_base=0.001, backoff_max=0.002)
    # When a point is flushed
    client.counter("logins")
    assert client.flush(timeout=5)
    # Then the retry came a second later, not milliseconds later
    first, second = ingest.batches
    assert second.status == 202
    assert 1.0 <= second.received_at - first.received_at < 2.5


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    in_30s = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after("2") == 2.0
    assert 28 <= (parse_retry_after(in_30s) or 0) <= 30
    assert parse_retry_after(format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None


def test_a_refused_batch_is_dropped_counted_and_logged_with_the_apis_answer(
    ingest: IngestServer, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # Given vigil refusing the first batch with a 400 that explains why
    ingest.script(Reply(400, '{"error": "validation_error", "message": "points[0].timestamp: is in the future"}'))
    client = make_client()
    caplog.set_level(logging.ERROR, logger="vigil_client")
    # When two points are flushed
    client.counter("a")
    client.counter("b")
    assert client.flush(timeout=5)
    # Then the batch is not retried (retrying cannot fix it), it is counted as rejected, and the log says why
    assert [b.status for b in ingest.batches] == [400]
    assert (client.stats.rejected, client.stats.retries, client.stats.sent) == (2, 0, 0)
    [record] = [r for r in caplog.records if r.name == "vigil_client"]
    assert "HTTP 400" in record.getMessage() and "is in the future" in record.getMessage()
    # And later batches are sent as usual
    client.counter("c")
    assert client.flush(timeout=5)
    assert client.stats.sent == 1


def test_a_wrong_api_key_rejects_batches_without_retrying(ingest: IngestServer) -> None:
    # Given a client with a key vigil does not know
    with Client(ingest.url, "vgl_wrong", flush_at_exit=False) as client:
        # When it flushes a point
        client.counter("a")
        assert client.flush(timeout=5)
        # Then the 401 rejects it once
        assert [b.status for b in ingest.batches] == [401]
        assert client.stats.rejected == 1


def test_a_batch_is_given_up_after_the_last_retry(
    ingest: IngestServer, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # Given vigil answering 503 to everything and a client allowed 2 retries
    ingest.script(*[Reply(503, '{"error": "unavailable"}')] * 10)
    client = make_client(max_retries=2)
    caplog.set_level(logging.WARNING, logger="vigil_client")
    # When a point is flushed
    client.gauge("temperature", 21.5)
    assert client.flush(timeout=5)
    # Then three attempts were made, the point is counted as failed, and the log says so
    assert len(ingest.batches) == 3
    assert (client.stats.failed, client.stats.sent, client.stats.retries) == (1, 0, 2)
    assert any("gave up" in r.getMessage() and "HTTP 503" in r.getMessage() for r in caplog.records)


def test_vigil_down_never_blocks_or_raises_the_app(make_client: ClientFactory) -> None:
    # Given vigil unreachable (connections refused) and a small buffer
    with refused_port() as port:
        client = make_client(f"http://127.0.0.1:{port}", max_buffer=100, batch_size=10, max_retries=1)
        # When the app records many points while every send fails
        slowest = 0.0
        for value in range(1000):
            started = time.perf_counter()
            client.counter("requests", value)
            slowest = max(slowest, time.perf_counter() - started)
        # Then every call returned at once, nothing was raised, and the overflow is counted as dropped
        assert slowest < FAST_CALL_SECONDS
        assert client.flush(timeout=10)
        stats = client.stats
        assert stats.sent == 0 and stats.dropped > 0
        assert stats.recorded + stats.dropped == 1000
        assert stats.failed == stats.recorded


def test_recording_stays_fast_while_vigil_is_slow(ingest: IngestServer, make_client: ClientFactory) -> None:
    # Given vigil taking 1 s to answer the first batch
    ingest.script(Reply(202, "{}", delay_s=1.0))
    client = make_client(batch_size=5)
    client.counter("x")
    client.flush(timeout=0)  # the sender is now waiting on the slow answer
    time.sleep(0.1)
    # When the app keeps recording
    started = time.perf_counter()
    for value in range(20):
        client.counter("x", value)
    # Then the calls do not wait for the network
    assert time.perf_counter() - started < FAST_CALL_SECONDS * 5
    assert client.flush(timeout=5)
    assert client.stats.sent == 21


def test_flush_reports_time_running_out(ingest: IngestServer, make_client: ClientFactory) -> None:
    # Given vigil answering after 1 s
    ingest.script(Reply(202, "{}", delay_s=1.0))
    client = make_client()
    client.counter("x")
    # When the app flushes with 0.2 s to spare, then with enough
    started = time.monotonic()
    assert client.flush(timeout=0.2) is False
    assert time.monotonic() - started < 0.8
    # Then the first flush says it is not done, and a later one that it is
    assert client.flush(timeout=5) is True
    assert client.stats.sent == 1


def test_close_sends_what_is_buffered_and_later_points_are_dropped(ingest: IngestServer) -> None:
    # Given a client used as a context manager
    with Client(ingest.url, API_KEY, flush_interval=60, flush_at_exit=False) as client:
        client.counter("a", 2)
        client.histogram("latency", 12.5, unit="ms")
    # When the block ends, the buffered points are sent
    assert [p["name"] for p in ingest.accepted_points()] == ["a", "latency"]
    # And recording after close neither raises nor sends
    client.counter("late")
    assert client.stats.dropped == 1 and client.stats.sent == 2
    client.close()  # closing twice is harmless
    assert len(ingest.batches) == 1


def test_close_gives_up_after_its_timeout_when_vigil_hangs(ingest: IngestServer) -> None:
    # Given vigil that takes 2 s to answer
    ingest.script(Reply(202, "{}", delay_s=2.0))
    client = Client(ingest.url, API_KEY, flush_interval=60, flush_at_exit=False)
    for value in range(3):
        client.counter("a", value)
    # When the client is closed with 0.3 s to finish
    started = time.monotonic()
    client.close(timeout=0.3)
    # Then close returns on time, and what is left is counted as failed once the stuck request ends
    assert time.monotonic() - started < 1.0
    client._sender.join(timeout=10)
    assert client.stats.failed + client.stats.sent == 3


def test_concurrent_recording_loses_nothing(ingest: IngestServer, make_client: ClientFactory) -> None:
    # Given 8 threads recording 500 increments each into a client sending batches of 100
    client = make_client(batch_size=100, max_buffer=10_000)

    def work(worker: int) -> None:
        for _ in range(500):
            client.counter("hits", 1, {"worker": str(worker)})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # When everything is flushed
    assert client.flush(timeout=10)
    # Then vigil received every increment exactly once
    points = ingest.accepted_points()
    assert len(points) == 4000 and sum(p["value"] for p in points) == 4000
    assert {p["labels"]["worker"] for p in points} == {str(n) for n in range(8)}
    assert all(len(batch.points) <= 100 for batch in ingest.batches)
    assert client.stats.sent == 4000


def test_batches_are_split_to_stay_under_the_apis_body_limit(ingest: IngestServer, make_client: ClientFactory) -> None:
    # Given points with 30 long labels each (about 8 KB), so 1,000 of them exceed the 1 MB body limit
    labels = {f"label_{n:02d}": "v" * 250 for n in range(30)}
    client = make_client()
    # When 1,000 are flushed
    for value in range(1000):
        client.gauge("wide", value, labels)
    assert client.flush(timeout=20)
    # Then they went out in several batches, each accepted under the limit
    batches = ingest.batches
    assert len(batches) > 1
    assert all(b.status == 202 and len(b.body) <= 1024 * 1024 for b in batches)
    assert client.stats.sent == 1000


def test_timestamps_can_be_left_to_vigil(ingest: IngestServer, make_client: ClientFactory) -> None:
    client = make_client(send_timestamps=False)
    client.counter("a")
    assert client.flush(timeout=5)
    assert "timestamp" not in ingest.accepted_points()[0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.counter("bad name"), "metric name 'bad name'"),
        (lambda c: c.counter("ok", -1), "counter increment cannot be negative"),
        (lambda c: c.histogram("ok", -0.5), "histogram observation cannot be negative"),
        (lambda c: c.gauge("ok", math.nan), "finite"),
        (lambda c: c.gauge("ok", "12"), "must be a number"),
        (lambda c: c.gauge("ok", True), "must be a number"),
        (lambda c: c.gauge("ok", 1e-200), "magnitude"),
        (lambda c: c.gauge("ok", 10**400), "magnitude"),
        (lambda c: c.gauge("ok", 1, {"status": 200}), "label 'status' value must be a string"),
        (lambda c: c.gauge("ok", 1, {"__name": "x"}), "label key '__name'"),
        (lambda c: c.gauge("ok", 1, {"k": "v" * 257}), "longer than 256"),
        (lambda c: c.gauge("ok", 1, {f"k{n}": "v" for n in range(31)}), "at most 30 labels"),
        (lambda c: c.gauge("ok", 1, unit="seconds"), "unit 'seconds'"),
        (lambda c: c.gauge("n" * 201, 1), "longer than 200"),
    ],
)
def test_invalid_arguments_raise_at_the_call_and_buffer_nothing(
    make_client: ClientFactory, call: Callable[[Client], None], message: str
) -> None:
    client = make_client()
    with pytest.raises(ValueError, match=message):
        call(client)
    assert client.stats.recorded == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "ftp://vigil"}, "url must be"),
        ({"url": "http://127.0.0.1:8080?x=1"}, "url must be"),
        ({"api_key": ""}, "api_key must be a non-empty"),
        ({"api_key": "has space"}, "api_key must be printable"),
        ({"batch_size": 1001}, "batch_size must be between 1 and 1000"),
        ({"batch_size": 2.5}, "batch_size must be a whole number"),
        ({"max_buffer": 0}, "max_buffer must be at least 1"),
        ({"flush_interval": 0}, "flush_interval must be at least"),
        ({"backoff_max": 0.1, "backoff_base": 1}, "backoff_max must be at least 1"),
        ({"default_labels": {"bad-key": "x"}}, "label key 'bad-key'"),
        ({"source": "s" * 129}, "source must be"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(options: dict[str, object], message: str) -> None:
    settings: dict[str, object] = {"url": "http://127.0.0.1:8080", "api_key": API_KEY, "flush_at_exit": False}
    settings.update(options)
    with pytest.raises(ValueError, match=message):
        Client(**settings)  # type: ignore[arg-type]


def test_from_env_reads_the_url_and_key(ingest: IngestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGIL_URL", raising=False)
    monkeypatch.setenv("VIGIL_API_KEY", API_KEY)
    with pytest.raises(ValueError, match="VIGIL_URL is not set"):
        Client.from_env()
    monkeypatch.setenv("VIGIL_URL", ingest.url)
    with Client.from_env(flush_at_exit=False) as client:
        client.counter("from_env")
    assert [p["name"] for p in ingest.accepted_points()] == ["from_env"]


def _run_python(code: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_points_are_flushed_when_the_process_exits(ingest: IngestServer) -> None:
    # Given a process that records points and exits without closing its client
    result = _run_python(
        f"""
        from vigil_client import Client
        client = Client({ingest.url!r}, {API_KEY!r}, flush_interval=60)
        for value in range(5):
            client.counter("at_exit", value)
        """,
        timeout=30,
    )
    # Then the points were sent on the way out
    assert result.returncode == 0, result.stderr
    assert [p["value"] for p in ingest.accepted_points()] == [0, 1, 2, 3, 4]


def test_exit_is_not_held_up_by_an_unresponsive_vigil(ingest: IngestServer) -> None:
    # Given vigil that answers after 20 s and a process allowing 0.5 s to flush at exit
    ingest.script(Reply(202, "{}", delay_s=20.0))
    started = time.monotonic()
    result = _run_python(
        f"""
        from vigil_client import Client
        client = Client({ingest.url!r}, {API_KEY!r}, flush_interval=60, exit_timeout=0.5)
        client.counter("at_exit")
        """,
        timeout=30,
    )
    # Then the process still exits promptly, saying what it gave up on
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 10
    assert "close() timed out after 0.5 s; points not delivered: 1" in result.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_worker_sends_its_own_points_and_not_its_parents(
    ingest: IngestServer, make_client: ClientFactory
) -> None:
    # Given a client created before the process forks (as with a preloaded app server), holding 2 points
    client = make_client()
    client.counter("before_fork", 1)
    client.counter("before_fork", 2)
    # When a forked worker records and flushes a point of its own
    pid = os.fork()
    if pid == 0:  # the worker
        client.counter("in_worker", 3)
        delivered = client.flush(timeout=5) and client.stats.sent == 1
        os._exit(0 if delivered else 1)
    _, status = os.waitpid(pid, 0)
    # Then the worker's point went out from the worker, and the parent's points only once, from the parent
    assert os.waitstatus_to_exitcode(status) == 0
    assert client.flush(timeout=5)
    assert sorted((p["name"], p["value"]) for p in ingest.accepted_points()) == [
        ("before_fork", 1),
        ("before_fork", 2),
        ("in_worker", 3),
    ]
