"""Wait states on the embedded moto: until their UTC timestamp whatever the machine's time zone, and never ending
before it (moto itself compares with the local time and truncates to whole seconds)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from vigil_cli.local.backend import EmbeddedMoto

pytestmark = pytest.mark.integration

WAIT_UNTIL = {
    "StartAt": "WaitUntilDue",
    "States": {"WaitUntilDue": {"Type": "Wait", "TimestampPath": "$.due", "End": True}},
}


@pytest.fixture(scope="module")
def stepfunctions() -> Iterator[Any]:
    moto = EmbeddedMoto()
    endpoint = moto.start()
    try:
        yield boto3.client(
            "stepfunctions",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
    finally:
        moto.stop()


@pytest.fixture
def time_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    zone = str(request.param)
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    yield zone
    monkeypatch.undo()
    time.tzset()


def run_until_done(stepfunctions: Any, offset: timedelta, name: str) -> tuple[datetime, float]:
    """The due time of an execution that waits until `offset` from its start, and the seconds it took."""
    machine = stepfunctions.create_state_machine(
        name=name, definition=json.dumps(WAIT_UNTIL), roleArn="arn:aws:iam::123456789012:role/states"
    )["stateMachineArn"]
    started = time.monotonic()
    due = datetime.now(UTC) + offset
    execution = stepfunctions.start_execution(
        stateMachineArn=machine, name=name, input=json.dumps({"due": due.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    )["executionArn"]
    while (status := stepfunctions.describe_execution(executionArn=execution)["status"]) == "RUNNING":
        assert time.monotonic() - started < 30, "the wait did not end"
        time.sleep(0.05)
    assert status == "SUCCEEDED"
    return due, time.monotonic() - started


@pytest.mark.parametrize("time_zone", ["America/New_York", "Asia/Kolkata"], indirect=True)
def test_a_wait_lasts_until_its_utc_timestamp_in_any_local_time_zone(stepfunctions: Any, time_zone: str) -> None:
    # Given a machine in a time zone behind or ahead of UTC
    # When an execution waits until a timestamp 2.4 s from its start, in UTC
    due, elapsed = run_until_done(stepfunctions, timedelta(seconds=2.4), f"wait-{time_zone.replace('/', '-')}")
    # Then it ends once the time has come (rounded up to a whole second), not hours later nor at once
    assert datetime.now(UTC) >= due
    assert 2.4 <= elapsed < 4.5


def test_a_timestamp_in_the_past_does_not_wait(stepfunctions: Any) -> None:
    _, elapsed = run_until_done(stepfunctions, -timedelta(minutes=3), "wait-past")
    assert elapsed < 1.5
