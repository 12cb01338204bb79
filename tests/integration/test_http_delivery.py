"""HttpDelivery against a real HTTP server on 127.0.0.1: retries, backoff, Retry-After, timeouts, refusals.

Sleeping is injected: the recorded delays are the backoff, and a scripted sleep changes the server's answer
between attempts, as an endpoint recovering would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.background import refused_port
from tests.servers.http_server import ControllableHttpServer
from vigil_core.adapters.http_delivery import HttpDelivery

BODY = b'{"text":"hello"}'
HEADERS = {"Content-Type": "application/json", "X-Vigil-Signature": "v1=abc"}


@pytest.fixture
def server() -> Iterator[ControllableHttpServer]:
    with ControllableHttpServer() as running:
        yield running


class Sleeps:
    """Records each requested sleep; optionally runs a step before the next attempt (the endpoint changing)."""

    def __init__(self, *steps: object) -> None:
        self.seconds: list[float] = []
        self._steps = list(steps)

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        if self._steps:
            step = self._steps.pop(0)
            assert callable(step)
            step()


def delivery(sleeps: Sleeps, **options: float) -> HttpDelivery:
    return HttpDelivery(sleep=sleeps, rng=lambda: 0.5, **options)  # type: ignore[arg-type]


def test_a_200_is_delivered_in_one_attempt(server: ControllableHttpServer) -> None:
    # Given an endpoint answering 200
    server.route("/hook", status=200, body="ok")
    sleeps = Sleeps()

    # When a body is posted
    outcome = delivery(sleeps).post(server.url("/hook"), BODY, HEADERS)

    # Then it is delivered at once, the server saw the body and headers, and nobody slept
    assert (outcome.delivered, outcome.attempts, outcome.status, outcome.error) == (True, 1, 200, None)
    assert outcome.response_body == "ok"
    (request,) = server.requests
    assert (request.method, request.body) == ("POST", BODY)
    assert request.headers["x-vigil-signature"] == "v1=abc"
    assert sleeps.seconds == []


def test_two_500s_then_a_200_is_delivered_on_the_third_attempt_after_jittered_backoff(
    server: ControllableHttpServer,
) -> None:
    # Given an endpoint that fails twice and then recovers
    server.route("/hook", status=500, body="boom")
    sleeps = Sleeps(lambda: None, lambda: server.route("/hook", status=200, body="ok"))

    # When a body is posted with rng 0.5 and base backoff 0.5 s
    outcome = delivery(sleeps, base_backoff_s=0.5).post(server.url("/hook"), BODY, HEADERS)

    # Then it is delivered on attempt 3 after sleeping half of 0.5 s, then half of 1 s
    assert (outcome.delivered, outcome.attempts, outcome.status) == (True, 3, 200)
    assert sleeps.seconds == [0.25, 0.5]
    assert server.request_count("/hook") == 3


def test_backoff_is_capped_and_the_last_failure_is_returned(server: ControllableHttpServer) -> None:
    # Given an endpoint that always answers 503 without Retry-After
    server.route("/hook", status=503, body="down")
    sleeps = Sleeps()

    # When a body is posted with a low cap and full jitter at its top (rng 1)
    outcome = HttpDelivery(max_attempts=5, base_backoff_s=1, max_backoff_s=3, sleep=sleeps, rng=lambda: 1.0).post(
        server.url("/hook"), BODY, HEADERS
    )

    # Then the delays double up to the cap, there is no sleep after the last attempt, and the 503 is reported
    assert sleeps.seconds == [1, 2, 3, 3]
    assert (outcome.delivered, outcome.attempts, outcome.status) == (False, 5, 503)
    assert (outcome.error, outcome.response_body) == ("HTTP 503", "down")


def test_a_429_with_retry_after_waits_as_asked(server: ControllableHttpServer) -> None:
    # Given an endpoint rate-limiting once with Retry-After: 2
    server.route("/hook", status=429, headers={"Retry-After": "2"}, body="slow down")
    sleeps = Sleeps(lambda: server.route("/hook", status=202))

    # When a body is posted
    outcome = delivery(sleeps).post(server.url("/hook"), BODY, HEADERS)

    # Then it waited the 2 s asked (not the jittered backoff) and was delivered
    assert sleeps.seconds == [2]
    assert (outcome.delivered, outcome.attempts, outcome.status) == (True, 2, 202)


def test_a_retry_after_beyond_the_cap_is_capped(server: ControllableHttpServer) -> None:
    server.route("/hook", status=503, headers={"Retry-After": "3600"})
    sleeps = Sleeps()

    outcome = delivery(sleeps, max_attempts=2, max_backoff_s=8).post(server.url("/hook"), BODY, HEADERS)

    assert sleeps.seconds == [8]
    assert (outcome.delivered, outcome.attempts) == (False, 2)


def test_a_400_is_not_retried_and_returns_the_response(server: ControllableHttpServer) -> None:
    # Given an endpoint refusing the request, with a long explanation
    server.route("/hook", status=400, body="invalid_payload " * 100)
    sleeps = Sleeps()

    # When a body is posted
    outcome = delivery(sleeps).post(server.url("/hook"), BODY, HEADERS)

    # Then one attempt is made and the failure carries the status and the first 500 characters
    assert (outcome.delivered, outcome.attempts, outcome.status, outcome.error) == (False, 1, 400, "HTTP 400")
    assert outcome.response_body == ("invalid_payload " * 100)[:500]
    assert server.request_count("/hook") == 1
    assert sleeps.seconds == []


def test_a_redirect_is_not_followed(server: ControllableHttpServer) -> None:
    server.route("/hook", status=302, headers={"Location": "/elsewhere"})
    server.route("/elsewhere", status=200)

    outcome = delivery(Sleeps()).post(server.url("/hook"), BODY, HEADERS)

    assert (outcome.delivered, outcome.attempts, outcome.status) == (False, 1, 302)
    assert server.request_count("/elsewhere") == 0


def test_an_answer_slower_than_the_timeout_is_retried_then_fails(server: ControllableHttpServer) -> None:
    # Given an endpoint answering after 2 s
    server.route("/hook", status=200, delay_s=2.0)
    sleeps = Sleeps()

    # When a body is posted with a 0.2 s timeout and two attempts
    outcome = delivery(sleeps, timeout_s=0.2, max_attempts=2).post(server.url("/hook"), BODY, HEADERS)

    # Then both attempts time out and the failure says so
    assert (outcome.delivered, outcome.attempts, outcome.status) == (False, 2, None)
    assert outcome.error is not None
    assert outcome.error.startswith("timeout")
    assert server.request_count("/hook") == 2
    assert sleeps.seconds == [0.25]


def test_a_refused_connection_is_retried_then_fails() -> None:
    # Given a port on 127.0.0.1 that refuses connections
    sleeps = Sleeps()
    with refused_port() as port:
        # When a body is posted there with three attempts
        outcome = delivery(sleeps, max_attempts=3).post(f"http://127.0.0.1:{port}/hook", BODY, HEADERS)

    # Then every attempt fails to connect, with backoff between them
    assert (outcome.delivered, outcome.attempts, outcome.status, outcome.response_body) == (False, 3, None, None)
    assert outcome.error is not None
    assert outcome.error.startswith("connection failed: ConnectError")
    assert sleeps.seconds == [0.25, 0.5]


def test_the_client_is_made_on_first_use_and_reused() -> None:
    # Given a new delivery
    sender = HttpDelivery()
    try:
        # Then no client exists until a post; one post's client is used by the next
        assert sender._client is None
        with refused_port() as port:
            sender.max_attempts = 1
            sender.post(f"http://127.0.0.1:{port}/", BODY, HEADERS)
            first = sender._client
            sender.post(f"http://127.0.0.1:{port}/", BODY, HEADERS)
        assert first is not None
        assert sender._client is first
    finally:
        sender.close()
    assert sender._client is None
