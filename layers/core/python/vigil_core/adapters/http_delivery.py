"""POSTs a notification to an HTTP endpoint (Slack, PagerDuty, webhooks) with retries.

Network errors, timeouts, 5xx and 429 are retried with exponential backoff and full jitter; a Retry-After in
seconds on 429 or 503 is honoured, capped like any other delay. Other answers (4xx, redirects) are final: the
request would fail the same way again. Only this module imports httpx, and its client is made on first use.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from vigil_core.ports import DeliveryOutcome

RESPONSE_BODY_CHARS = 500
# Enough bytes for 500 characters of any UTF-8; an endpoint answering with megabytes is not read further.
_RESPONSE_BODY_BYTES = 4 * RESPONSE_BODY_CHARS
_RETRY_AFTER_STATUSES = (429, 503)


@dataclass(frozen=True, slots=True)
class _Attempt:
    outcome: DeliveryOutcome
    retryable: bool
    retry_after_s: float | None = None


class HttpDelivery:
    def __init__(
        self,
        timeout_s: float = 5.0,
        max_attempts: int = 4,
        base_backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        client: httpx.Client | None = None,
    ) -> None:
        if timeout_s <= 0 or max_attempts < 1 or base_backoff_s < 0 or max_backoff_s < 0:
            raise ValueError("timeout_s must be positive, max_attempts at least 1, backoffs not negative")
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self._sleep = sleep
        self._rng = rng
        self._client = client
        self._owns_client = client is None

    def _http(self) -> httpx.Client:
        if self._client is None:
            # A redirect is not followed: a POST re-sent elsewhere could carry a signed body to a stranger.
            self._client = httpx.Client(timeout=httpx.Timeout(self.timeout_s), follow_redirects=False)
        return self._client

    def close(self) -> None:
        """Closes the client this delivery made (a client passed in belongs to the caller)."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryOutcome:
        attempt = 1
        while True:
            result = self._attempt(url, body, headers, attempt)
            if not result.retryable or attempt >= self.max_attempts:
                return result.outcome
            self._sleep(self._delay(attempt, result.retry_after_s))
            attempt += 1

    def _delay(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(self.max_backoff_s, retry_after_s)
        return self._rng() * min(self.max_backoff_s, self.base_backoff_s * 2.0 ** (attempt - 1))

    def _attempt(self, url: str, body: bytes, headers: Mapping[str, str], attempt: int) -> _Attempt:
        def failed(error: str, retryable: bool) -> _Attempt:
            return _Attempt(DeliveryOutcome(False, attempt, None, error, None, retryable), retryable)

        try:
            with self._http().stream("POST", url, content=body, headers=dict(headers)) as response:
                text = _read_start(response)
        except httpx.TimeoutException as exc:
            return failed(f"timeout: no answer within {self.timeout_s:g}s ({type(exc).__name__})", True)
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
            return failed(f"request not sendable: {exc}", False)  # the same request would fail again
        except httpx.TransportError as exc:
            return failed(f"connection failed: {type(exc).__name__}: {exc}", True)
        status = response.status_code
        if 200 <= status < 300:
            return _Attempt(DeliveryOutcome(True, attempt, status, None, text), False)
        retryable = status >= 500 or status == 429
        outcome = DeliveryOutcome(False, attempt, status, f"HTTP {status}", text, retryable)
        retry_after = _retry_after_s(response) if status in _RETRY_AFTER_STATUSES else None
        return _Attempt(outcome, retryable, retry_after)


def _read_start(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= _RESPONSE_BODY_BYTES:
            break
    raw = b"".join(chunks)[:_RESPONSE_BODY_BYTES]
    try:
        text = raw.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = raw.decode("utf-8", errors="replace")
    return text[:RESPONSE_BODY_CHARS]


def _retry_after_s(response: httpx.Response) -> float | None:
    """Retry-After in seconds; an HTTP date or nonsense falls back to the backoff."""
    value = response.headers.get("Retry-After", "").strip()
    if not re.fullmatch(r"[0-9]{1,9}", value):
        return None
    return float(value)
