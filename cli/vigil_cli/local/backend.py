"""The AWS API backend: moto embedded in this process, or any endpoint URL (e.g. LocalStack).

The backend is chosen by endpoint URL alone; boto3 code is identical for both. Only the embedded moto
is started, reset and configured here; an external endpoint is used as it is.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import socket
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

from vigil_cli.local.errors import BackendError

LOOPBACK = "127.0.0.1"
_moto_dynamodb_lock = threading.Lock()
_patch_lock = threading.Lock()
_moto_dynamodb_serialized = False


def _post_json(url: str, payload: Any) -> Any:
    if not url.startswith(("http://", "https://")):
        raise BackendError(f"not an HTTP endpoint: {url}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - scheme checked above
            body = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise BackendError(f"moto at {url} did not answer: {exc}") from exc
    return json.loads(body) if body else None


def reset_moto(endpoint_url: str) -> None:
    """Drop every resource in a moto server (its state is global to the process that runs it)."""
    _post_json(f"{endpoint_url}/moto-api/reset", {})


def enable_step_functions_execution(endpoint_url: str) -> None:
    """Make moto run state machines for real instead of leaving executions RUNNING forever.

    moto 5.2.5 accepts the setting but leaves it out of the config it echoes back, so it is verified by
    running a state machine (see the integration tests), not by reading the answer.
    """
    _post_json(f"{endpoint_url}/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})


def serialize_moto_dynamodb() -> None:
    """Make moto handle one DynamoDB request at a time, process-wide (idempotent).

    DynamoDB applies each write or transaction atomically with its condition, so of two writers conditioned on
    the same version exactly one wins. moto 5.2.5 does not under concurrent threads (its server's, or a test's
    under mock_aws): it evaluates a condition and writes in separate steps, and a cancelled transaction puts
    back a copy of the whole table taken before it, dropping whatever other threads wrote meanwhile. Holding
    one lock around every DynamoDB action restores DynamoDB's serial behaviour for the conditions code relies
    on; the other services are left concurrent.
    """
    global _moto_dynamodb_serialized  # noqa: PLW0603 - the patch is process-wide, like moto's backends
    from moto.dynamodb.responses import DynamoHandler  # heavy import, only when moto is embedded

    with _patch_lock:
        if _moto_dynamodb_serialized:
            return
        unlocked = DynamoHandler.call_action

        def call_action(self: DynamoHandler) -> Any:
            with _moto_dynamodb_lock:
                return unlocked(self)

        DynamoHandler.call_action = call_action  # type: ignore[method-assign]  # the patch itself
        _moto_dynamodb_serialized = True


_moto_waits_patched = False


def _aware_time(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def step_functions_waits_until_utc() -> None:
    """Make moto's Wait states wait until their timestamp, in UTC, to the second (idempotent, process-wide).

    moto 5.2.5 compares a Wait's ISO 8601 UTC timestamp with the machine's local time (a naive now()), so off
    UTC a wait lasts hours too long or not at all; and it drops the fraction and truncates what is left, so a
    wait ends up to two seconds early. Waits are computed here from the timestamp as written, against UTC, and
    rounded up: a page is never sent before it is due.
    """
    global _moto_waits_patched  # noqa: PLW0603 - the patch is process-wide, like moto's backends
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp

    with _patch_lock:
        if _moto_waits_patched:
            return
        truncating = Timestamp._get_wait_seconds

        def wait_seconds(self: Timestamp, env: Any) -> int:
            self.string.eval(env=env)
            due = _aware_time(env.stack.pop())
            if due is None:
                return int(truncating(self, env))  # evaluates it again and reports the bad timestamp as AWS does
            return max(0, math.ceil((due - datetime.now(UTC)).total_seconds()))

        Timestamp._get_wait_seconds = wait_seconds  # type: ignore[method-assign]  # the patch itself
        _moto_waits_patched = True


def _knock(host: str, port: int) -> None:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        pass


class EmbeddedMoto:
    """A moto server on a free loopback port, in this process.

    moto keeps its state in process-global backends, so one embedded backend per process: starting it
    resets whatever an earlier one left behind.
    """

    def __init__(self) -> None:
        self._server: Any = None
        self._previous_moto_port: str | None = None
        self.endpoint_url = ""

    def start(self) -> str:
        from moto.server import ThreadedMotoServer  # heavy import, only when moto is embedded

        # verbose=False only silences the banner; werkzeug still logs every request to stderr.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        serialize_moto_dynamodb()
        step_functions_waits_until_utc()
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        try:
            server.start()
        except OSError as exc:
            raise BackendError(f"cannot start the embedded moto server: {exc}") from exc
        self._server = server
        host, port = server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        # moto's Step Functions service integrations call back into moto at localhost:$MOTO_PORT.
        self._previous_moto_port = os.environ.get("MOTO_PORT")
        os.environ["MOTO_PORT"] = str(port)
        reset_moto(self.endpoint_url)
        enable_step_functions_execution(self.endpoint_url)
        return self.endpoint_url

    def stop(self) -> None:
        if self._server is None:
            return
        # socketserver only sees a shutdown request when select() wakes, every 0.5 s: a connection
        # made just after the request wakes it at once.
        waker = threading.Timer(0.02, _knock, args=self._server.get_host_and_port())
        waker.start()
        self._server.stop()
        waker.join()
        self._server = None
        if self._previous_moto_port is None:
            os.environ.pop("MOTO_PORT", None)
        else:
            os.environ["MOTO_PORT"] = self._previous_moto_port
