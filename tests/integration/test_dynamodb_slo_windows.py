"""SLOs over DynamoDB's SLA windows on moto: closing a timeslices SLO's hour (one transaction adds the counts to
the hour and the day window, on condition that the hour is not closed yet, so racing evaluators count it exactly
once), and a burn-rate alert read from the windows in four queries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from vigil_cli.local.backend import serialize_moto_dynamodb
from vigil_core.adapters.dynamodb_slos import InMemorySloRepository
from vigil_core.adapters.memory import InMemoryRollupStore
from vigil_core.adapters.memory_alerts import (
    MemoryAlertRuleRepository,
    MemoryAlertStore,
    RecordingAlertPublisher,
    RecordingEvaluationQueue,
)
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
from vigil_core.adapters.sla_timeslices import DynamoDbTimesliceLedger
from vigil_core.adapters.sla_windows import DynamoDbSlaWindows, WindowRetention
from vigil_core.models.slo import SLO_DEFINITION, Slo
from vigil_core.services.alerting import AlertDesk, AlertEngine

pytestmark = pytest.mark.integration
NINE = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
HOUR = int(NINE.timestamp())
DAY = HOUR - 9 * 3600
PARTITION = "acme#slo:checkout"
RACERS = 8


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto serving one DynamoDB request at a time, as DynamoDB orders writes to one item (see
    serialize_moto_dynamodb), with a connection per racer."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    serialize_moto_dynamodb()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1", config=Config(max_pool_connections=RACERS))
        client.create_table(
            TableName="sla-windows",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in ("pk", "sk")],
        )
        yield client


def item(client: Any, sort_key: str) -> dict[str, str]:
    found = client.get_item(TableName="sla-windows", Key={"pk": {"S": PARTITION}, "sk": {"S": sort_key}})["Item"]
    return {name: next(iter(value.values())) for name, value in found.items() if name not in ("pk", "sk")}


def test_racing_evaluators_close_an_hour_once_into_its_hour_and_day_windows(dynamodb: Any) -> None:
    # Given a metric SLO's events in the 09:00 hour window (written at ingest, with their expiry)
    windows = DynamoDbSlaWindows("sla-windows", client=dynamodb)
    windows.add_events("b1", {(PARTITION, HOUR + 60): {"total": 100, "good": 99}}, NINE)
    ledger = DynamoDbTimesliceLedger("sla-windows", WindowRetention(hour_s=1, day_s=2), client=dynamodb)
    start_together = threading.Barrier(RACERS)

    def close(_: int) -> bool:
        start_together.wait()
        return ledger.close_hour(PARTITION, HOUR, 10, 11)

    # When eight evaluators close the hour at once, and 10:00 is closed without slices
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        outcomes = list(pool.map(close, range(RACERS)))
    assert ledger.close_hour(PARTITION, HOUR + 3600, 0, 0)
    # Then one of them counted it, and nobody can again
    assert outcomes.count(True) == 1
    assert not ledger.close_hour(PARTITION, HOUR, 10, 11)
    # And the hour window keeps its events and expiry, with the counts beside them
    hour = item(dynamodb, f"H#{HOUR:010d}")
    assert hour == {
        "total": "100",
        "good": "99",
        "expires_at": str(HOUR + 100 * 86400),
        "slices_total": "11",
        "slices_good": "10",
    }
    # And the day adds both hours up; the empty hour is closed with 0, its item made with this ledger's expiry
    day = item(dynamodb, "D#2026-11-22")
    assert (day["slices_total"], day["slices_good"]) == ("11", "10")
    assert item(dynamodb, f"H#{HOUR + 3600:010d}") == {
        "slices_total": "0",
        "slices_good": "0",
        "expires_at": str(HOUR + 3600 + 1),
    }
    assert ledger.closed_hours(PARTITION, HOUR - 3600, HOUR + 7200) == {HOUR, HOUR + 3600}
    assert ledger.closed_hours(PARTITION, HOUR, HOUR) == set()


def test_the_engine_closes_the_last_hours_from_minute_windows_on_dynamodb(dynamodb: Any) -> None:
    # Given a timeslices SLO (1-minute slices at 99 %) with 09:00's events: 58 clean minutes, 2 at 98 %
    slo = Slo(
        tenant_id="acme",
        id="checkout",
        definition=SLO_DEFINITION.validate_python(
            {
                "name": "Checkout",
                "sli": {"kind": "ratio", "metric": "http.requests", "bad": [{"label": "status", "value": "500"}]},
                "budgeting": "timeslices",
                "timeslices": {"target_pct": 99, "minutes": 1},
            }
        ),
        created_at=NINE,
        updated_at=NINE,
    )
    slos = InMemorySloRepository()
    slos.put(slo)
    windows = DynamoDbSlaWindows("sla-windows", client=dynamodb)
    # One batch per minute: add_events writes a batch in one transaction, which DynamoDB refuses when two of
    # its minutes update the same hour item.
    for minute in range(60):
        increments = {(PARTITION, HOUR + 60 * minute): {"total": 100, "good": 98 if minute < 2 else 100}}
        windows.add_events(f"b{minute}", increments, NINE)
    desk = AlertDesk(
        MemoryAlertRuleRepository(),
        MemoryAlertStore(),
        RecordingAlertPublisher(),
        RecordingEvaluationQueue(),
        lambda: NINE,
    )
    engine = AlertEngine(
        desk,
        InMemoryRollupStore(),
        InMemoryMonitorRepository(),
        InMemoryProbeStore(),
        slos=slos,
        sla_windows=windows,
        timeslices=DynamoDbTimesliceLedger("sla-windows", client=dynamodb),
    )
    # When the minute's evaluation runs at 10:05, and again at 10:06
    ten_past = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
    first = engine.evaluate_all(ten_past)
    again = engine.evaluate_all(ten_past.replace(minute=6))
    # Then 08:00 (no slices) and 09:00 (58 good of 60) were closed once, and the day holds 09:00's counts
    assert (first.timeslice_hours, again.timeslice_hours) == (2, 0)
    [nine] = windows.windows(PARTITION, "hour", HOUR, HOUR + 3600)
    assert (nine["slices_good"], nine["slices_total"], nine["total"]) == (58, 60, 6000)
    [day] = windows.windows(PARTITION, "day", DAY, DAY + 86400)
    assert (day["slices_good"], day["slices_total"]) == (58, 60)


def test_a_burn_rate_alert_reads_the_dynamodb_windows_in_four_queries(dynamodb: Any) -> None:
    # Given a 99.9 % ratio SLO with 3 bad of 200 events a minute over the last hour, in DynamoDB's SLA windows
    slo = Slo(
        tenant_id="acme",
        id="checkout",
        definition=SLO_DEFINITION.validate_python(
            {
                "name": "Checkout",
                "sli": {"kind": "ratio", "metric": "http.requests", "bad": [{"label": "status", "value": "500"}]},
                "objective_pct": 99.9,
            }
        ),
        created_at=NINE,
        updated_at=NINE,
    )
    slos = InMemorySloRepository()
    slos.put(slo)
    windows = DynamoDbSlaWindows("sla-windows", client=dynamodb)
    at = datetime(2026, 11, 22, 10, 30, 20, tzinfo=UTC)
    end = int(at.timestamp()) // 60 * 60 + 60
    for minute in range(end - 3600, end, 60):
        windows.add_events(f"b{minute}", {(PARTITION, minute): {"total": 200, "good": 197}}, NINE)
    queries: list[str] = []
    dynamodb.meta.events.register("before-call.dynamodb.Query", lambda **_: queries.append("query"))
    alerts = MemoryAlertStore()
    desk = AlertDesk(
        MemoryAlertRuleRepository(), alerts, RecordingAlertPublisher(), RecordingEvaluationQueue(), lambda: at
    )
    engine = AlertEngine(
        desk, InMemoryRollupStore(), InMemoryMonitorRepository(), InMemoryProbeStore(), slos=slos, sla_windows=windows
    )
    # When the minute is evaluated
    engine.evaluate_all(at)
    # Then the SLO pages at 15 times its budget, after four queries of its windows
    [alert] = alerts.alerts.values()
    assert (alert.rule_id, alert.severity, alert.value) == ("slo-checkout", "critical", 15.0)
    assert len(queries) == 4
