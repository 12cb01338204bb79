"""The client: recording calls put points in a bounded buffer; one daemon thread sends them in batches.

Recording never touches the network and never raises because vigil is unreachable. The sending thread posts
a batch when the buffer holds a full batch, every flush interval, on flush() and on close(), and retries a
batch (always with the same Idempotency-Key, so vigil counts it once) on network errors, 408, 409, 429 and 5xx.
"""

from __future__ import annotations

import atexit
import email.utils
import functools
import logging
import math
import os
import random
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from vigil_client.points import (
    MAX_BODY_BYTES,
    MAX_POINTS_PER_BATCH,
    MetricType,
    Point,
    check_labels,
    check_name,
    check_source,
    check_unit,
    check_value,
)

logger = logging.getLogger("vigil_client")

CLIENT_VERSION = "0.1.0"
METRICS_PATH = "/v1/metrics"
# 408 and 409 (the same Idempotency-Key still in flight) pass with time; 429 and 5xx are vigil being busy or down.
RETRYABLE_STATUSES = frozenset({408, 409, 429})
# Drops, rejections and failures are logged at most this often, with how many happened since the last line.
LOG_INTERVAL_SECONDS = 60.0
# How much of an error response body goes into the log.
MAX_LOGGED_BODY = 2000
_BODY_PREFIX = b'{"points":['
_BODY_SUFFIX = b"]}"


@dataclass(frozen=True, slots=True)
class ClientStats:
    """Point counts since the client was created."""

    recorded: int  # taken into the buffer
    sent: int  # accepted by vigil
    dropped: int  # refused at the call: the buffer was full, or the client was closed
    rejected: int  # in batches vigil refused with a 4xx that retrying cannot fix (bad key, invalid point...)
    failed: int  # given up on: retries exhausted, or still unsent when close() ran out of time
    retries: int  # batch retries made
    buffered: int  # waiting to be sent


class _Outcome(Enum):
    SENT = "sent"
    REJECTED = "rejected"
    FAILED = "failed"


class _ThrottledLog:
    """Logs a recurring event at most once per interval, saying how many times it happened in between."""

    def __init__(self, level: int, interval: float) -> None:
        self.level = level
        self.interval = interval
        self._pending = 0
        self._next_at = 0.0
        self._lock = threading.Lock()

    def event(self, count: int, message: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            self._pending += count
            if now < self._next_at:
                return
            total, self._pending = self._pending, 0
            self._next_at = now + self.interval
        logger.log(self.level, message + " [points affected since the last such message: %d]", *args, total)


class Client:
    """Pushes counters, gauges and histograms to vigil's POST /v1/metrics.

    >>> with Client("http://127.0.0.1:8080", api_key) as vigil:
    ...     vigil.counter("orders.created", labels={"plan": "pro"})
    ...     vigil.histogram("checkout.duration", 87.5, unit="ms")
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        default_labels: Mapping[str, str] | None = None,
        source: str | None = None,
        batch_size: int = MAX_POINTS_PER_BATCH,
        max_buffer: int = 10_000,
        flush_interval: float = 5.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_retry_after: float = 60.0,
        request_timeout: float = 10.0,
        exit_timeout: float = 5.0,
        send_timestamps: bool = True,
        flush_at_exit: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._endpoint = _check_url(url) + METRICS_PATH
        _check_api_key(api_key)
        _check_range("batch_size", batch_size, 1, MAX_POINTS_PER_BATCH, whole=True)
        _check_range("max_buffer", max_buffer, 1, None, whole=True)
        _check_range("flush_interval", flush_interval, 0.001, None)
        _check_range("max_retries", max_retries, 0, None, whole=True)
        _check_range("backoff_base", backoff_base, 0, None)
        _check_range("backoff_max", backoff_max, backoff_base, None)
        _check_range("max_retry_after", max_retry_after, 0, None)
        _check_range("request_timeout", request_timeout, 0.001, None)
        _check_range("exit_timeout", exit_timeout, 0, None)
        self._default_labels = check_labels(default_labels)
        self._source = check_source(source)
        self._batch_size = batch_size
        self._max_buffer = max_buffer
        self._flush_interval = flush_interval
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._max_retry_after = max_retry_after
        self._exit_timeout = exit_timeout
        self._send_timestamps = send_timestamps

        self._new_http = functools.partial(
            httpx.Client,
            timeout=request_timeout,
            transport=transport,
            headers={
                "x-api-key": api_key,
                "content-type": "application/json",
                "user-agent": f"vigil-client-python/{CLIENT_VERSION}",
            },
        )
        self._closing = False
        self._start()
        self._flush_at_exit = flush_at_exit
        if flush_at_exit:
            atexit.register(self._close_at_exit)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=functools.partial(_restart_in_child, weakref.ref(self)))

    def _start(self) -> None:
        """Fresh buffer, counters, locks, connections and sending thread (at creation, and in a forked child)."""
        self._http = self._new_http()
        # One lock guards the buffer and every counter; the condition wakes the sender and flush() callers.
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._buffer: deque[Point] = deque()
        self._recorded = 0
        self._handled = 0  # recorded points whose fate is settled: sent, rejected or failed (buffer is FIFO)
        self._flush_target = 0  # points up to this recorded count must go out without waiting for the interval
        self._next_interval_at = time.monotonic() + self._flush_interval
        self._sent = self._dropped = self._rejected = self._failed = self._retries = 0
        # Set when close() runs out of time: the sender stops retrying and gives up on what is left.
        self._abort = threading.Event()

        self._drop_log = _ThrottledLog(logging.WARNING, LOG_INTERVAL_SECONDS)
        self._reject_log = _ThrottledLog(logging.ERROR, LOG_INTERVAL_SECONDS)
        self._failure_log = _ThrottledLog(logging.WARNING, LOG_INTERVAL_SECONDS)

        self._sender = threading.Thread(target=self._run, name="vigil-client-sender", daemon=True)
        if not self._closing:
            self._sender.start()

    @classmethod
    def from_env(cls, **options: Any) -> Client:
        """A client for VIGIL_URL with VIGIL_API_KEY; the other settings as keyword arguments."""
        url = os.environ.get("VIGIL_URL", "").strip()
        api_key = os.environ.get("VIGIL_API_KEY", "").strip()
        if not url:
            raise ValueError("VIGIL_URL is not set: the base URL of vigil's API, e.g. http://127.0.0.1:8080")
        if not api_key:
            raise ValueError("VIGIL_API_KEY is not set: an API key of your tenant")
        return cls(url, api_key, **options)

    # Recording: checks the arguments, then appends to the buffer; never waits on the network.

    def counter(
        self, name: str, value: float = 1, labels: Mapping[str, str] | None = None, *, unit: str | None = None
    ) -> None:
        """Add a non-negative increment to a counter."""
        self._record(MetricType.COUNTER, name, value, labels, unit)

    def gauge(
        self, name: str, value: float, labels: Mapping[str, str] | None = None, *, unit: str | None = None
    ) -> None:
        """Report a value at this moment (a queue depth, memory in use...)."""
        self._record(MetricType.GAUGE, name, value, labels, unit)

    def histogram(
        self, name: str, value: float, labels: Mapping[str, str] | None = None, *, unit: str | None = None
    ) -> None:
        """Record one non-negative observation (a duration, a size); vigil buckets it for percentiles."""
        self._record(MetricType.HISTOGRAM, name, value, labels, unit)

    def _record(
        self, metric_type: MetricType, name: str, value: float, labels: Mapping[str, str] | None, unit: str | None
    ) -> None:
        point = Point(
            name=check_name(name),
            type=metric_type,
            value=check_value(metric_type, value),
            unit=check_unit(unit),
            labels=check_labels(labels, self._default_labels),
            timestamp=time.time() if self._send_timestamps else None,
        )
        with self._lock:
            closing = self._closing
            accepted = not closing and len(self._buffer) < self._max_buffer
            if accepted:
                self._buffer.append(point)
                self._recorded += 1
                if len(self._buffer) >= self._batch_size:
                    self._changed.notify_all()
            else:
                self._dropped += 1
        if not accepted:
            reason = "the client is closed" if closing else f"the buffer is full ({self._max_buffer} points)"
            self._drop_log.event(1, "vigil: dropped a point: %s", reason)

    # Flushing and closing.

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Send everything recorded so far now; wait until vigil has answered for it, at most `timeout` seconds.

        True when every point recorded before the call is settled (sent, or rejected or failed: see `stats`),
        False when time ran out first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            target = self._recorded
            if target > self._flush_target:
                self._flush_target = target
                self._changed.notify_all()
            while self._handled < target:
                if not self._sender.is_alive():
                    return False
                remaining = 1.0 if deadline is None else deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 1.0))
            return True

    def close(self, timeout: float | None = None) -> None:
        """Send what is buffered (waiting at most `timeout` seconds, default `exit_timeout`), then stop.

        Points recorded after close() are dropped. Whatever could not be sent in time is counted as failed.
        """
        timeout = self._exit_timeout if timeout is None else timeout
        with self._lock:
            already_closing, self._closing = self._closing, True
            self._flush_target = self._recorded
            self._changed.notify_all()
        if self._flush_at_exit:
            atexit.unregister(self._close_at_exit)
        if already_closing and not self._sender.is_alive():
            return
        self._sender.join(timeout)
        if self._sender.is_alive():
            self._abort.set()
            with self._lock:
                undelivered = self._recorded - self._handled
                buffered = len(self._buffer)
                self._buffer.clear()
                self._failed += buffered
                self._handled += buffered
                self._changed.notify_all()
            # A batch already on the wire is counted when its request ends (the thread is a daemon: exit won't wait).
            logger.warning(
                "vigil: close() timed out after %.1f s; points not delivered: %d",
                timeout,
                undelivered,
            )

    def _close_at_exit(self) -> None:
        self.close(self._exit_timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @property
    def stats(self) -> ClientStats:
        with self._lock:
            return ClientStats(
                recorded=self._recorded,
                sent=self._sent,
                dropped=self._dropped,
                rejected=self._rejected,
                failed=self._failed,
                retries=self._retries,
                buffered=len(self._buffer),
            )

    # The sending thread.

    def _run(self) -> None:
        try:
            while True:
                points = self._next_points()
                if points is None:
                    return
                self._deliver(points)
        finally:
            self._http.close()

    def _next_points(self) -> list[Point] | None:
        """Wait until a batch is due, then take it from the buffer; None when the client is closed and empty."""
        with self._lock:
            while True:
                if self._abort.is_set():
                    return None
                now = time.monotonic()
                if now >= self._next_interval_at:
                    self._flush_target = max(self._flush_target, self._recorded)
                    self._next_interval_at = now + self._flush_interval
                due = len(self._buffer) >= self._batch_size or self._flush_target > self._handled or self._closing
                if self._buffer and due:
                    count = min(len(self._buffer), self._batch_size)
                    return [self._buffer.popleft() for _ in range(count)]
                if self._closing:
                    return None
                self._changed.wait(max(self._next_interval_at - now, 0.0))

    def _deliver(self, points: list[Point]) -> None:
        for body, count in self._bodies(points):
            try:
                outcome = self._send(body, count)
            except Exception:
                logger.exception("vigil: unexpected error while sending %d points; they are lost", count)
                outcome = _Outcome.FAILED
            with self._lock:
                if outcome is _Outcome.SENT:
                    self._sent += count
                elif outcome is _Outcome.REJECTED:
                    self._rejected += count
                else:
                    self._failed += count
                self._handled += count
                self._changed.notify_all()

    def _bodies(self, points: list[Point]) -> list[tuple[bytes, int]]:
        """Request bodies for the points, each within the API's body size limit, with their point counts."""
        bodies: list[tuple[bytes, int]] = []
        room = MAX_BODY_BYTES - len(_BODY_PREFIX) - len(_BODY_SUFFIX)
        chunk: list[bytes] = []
        size = 0
        for point in points:
            encoded = point.to_json(self._source).encode()
            added = len(encoded) + (1 if chunk else 0)
            if chunk and size + added > room:
                bodies.append((_BODY_PREFIX + b",".join(chunk) + _BODY_SUFFIX, len(chunk)))
                chunk, size, added = [], 0, len(encoded)
            chunk.append(encoded)
            size += added
        if chunk:
            bodies.append((_BODY_PREFIX + b",".join(chunk) + _BODY_SUFFIX, len(chunk)))
        return bodies

    def _send(self, body: bytes, count: int) -> _Outcome:
        """POST one batch until vigil answers for it: the same body and Idempotency-Key on every attempt."""
        headers = {"idempotency-key": uuid.uuid4().hex}
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                response = self._http.post(self._endpoint, content=body, headers=headers)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return _Outcome.SENT
                if status not in RETRYABLE_STATUSES and status < 500:
                    self._reject_log.event(
                        count,
                        "vigil: rejected a batch of %d points with HTTP %d; it is dropped: %s",
                        count,
                        status,
                        response.text[:MAX_LOGGED_BODY],
                    )
                    return _Outcome.REJECTED
                problem = f"HTTP {status}: {response.text[:MAX_LOGGED_BODY]}"
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            if attempt >= self._max_retries:
                self._failure_log.event(
                    count, "vigil: gave up on a batch of %d points after %d attempts: %s", count, attempt + 1, problem
                )
                return _Outcome.FAILED
            delay = self._backoff(attempt) if retry_after is None else min(retry_after, self._max_retry_after)
            attempt += 1
            with self._lock:
                self._retries += 1
            logger.debug("vigil: batch attempt %d failed (%s); retrying in %.3f s", attempt, problem, delay)
            if self._abort.wait(delay):
                return _Outcome.FAILED

    def _backoff(self, attempt: int) -> float:
        """Exponential, capped, with jitter over the upper half so that many clients do not retry in step."""
        ceiling = min(self._backoff_max, self._backoff_base * 2.0**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def _restart_in_child(client_ref: weakref.ref[Client]) -> None:
    """After fork the child has the client but not its thread, and may have its locks held by threads that no
    longer exist: it starts afresh. Points buffered before the fork are the parent's to send, not sent twice."""
    client = client_ref()
    if client is not None:
        client._start()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date; None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"url must be vigil's base URL, e.g. http://127.0.0.1:8080, got {url!r}")
    return url.strip().rstrip("/")


def _check_api_key(api_key: str) -> None:
    if not isinstance(api_key, str) or not api_key.strip():
        raise ValueError("api_key must be a non-empty string")
    if not api_key.isascii() or not api_key.isprintable() or any(ch.isspace() for ch in api_key):
        raise ValueError("api_key must be printable ASCII without spaces")


def _check_range(field: str, value: float, minimum: float, maximum: float | None, *, whole: bool = False) -> None:
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or math.isnan(value):
        raise ValueError(f"{field} must be {'a whole number' if whole else 'a number'}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValueError(f"{field} must be {bound}, got {value!r}")
