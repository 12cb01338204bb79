"""The metric catalogue on moto, and the Prometheus export assembled from its DynamoDB adapters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_dynamodb_alert_adapters import create_tables
from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
from vigil_core.adapters.dynamodb_metric_catalog import DynamoDbMetricCatalog
from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
from vigil_core.adapters.dynamodb_rollups import DynamoDBRollupStore
from vigil_core.adapters.prometheus_wiring import build_prometheus_exporter
from vigil_core.models.alerts import Alert, AlertChange, AlertSource, AlertStatus, Severity
from vigil_core.models.metrics import MetricBatch, MetricType
from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor
from vigil_core.models.probes import MonitorKey, ProbeResult
from vigil_core.models.rollups import aggregate
from vigil_core.ports import MAX_CATALOG_WRITE, MetricCatalogEntry, MetricDescriptor, StoreUnavailableError
from vigil_core.probes.observations import CheckStatus
from vigil_core.probes.verdicts import MonitorState, MonitorStatus
from vigil_core.services.ingest import MetricCatalogRecorder, Retention
from vigil_core.settings import DashboardSettings

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 22, 9, 0, 5, tzinfo=UTC)


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(client)  # alerts and config, with their indexes
        for name in ("metrics", "probes", "sla-windows"):
            client.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in ("pk", "sk")],
            )
        yield client


@pytest.fixture
def catalog(dynamodb: Any) -> DynamoDbMetricCatalog:
    return DynamoDbMetricCatalog("config", client=dynamodb)


def descriptor(name: str, metric_type: MetricType = MetricType.COUNTER, unit: str = "none") -> MetricDescriptor:
    return MetricDescriptor(name, metric_type, unit)


def test_recorded_names_are_listed_by_name_with_type_unit_and_last_seen(catalog: DynamoDbMetricCatalog) -> None:
    # Given two writes, the second changing one name's type and unit
    assert catalog.record("acme", [descriptor("http.requests"), descriptor("b", MetricType.GAUGE, "ms")], T0) == []
    later = T0 + timedelta(hours=1)
    assert catalog.record("acme", [descriptor("b", MetricType.HISTOGRAM, "s")], later) == []
    # When the tenant's catalogue is listed
    entries = catalog.list_for_tenant("acme")
    # Then each name is there once, as last written, ordered by name
    assert entries == [
        MetricCatalogEntry("b", MetricType.HISTOGRAM, "s", later),
        MetricCatalogEntry("http.requests", MetricType.COUNTER, "none", T0),
    ]


def test_the_catalogue_is_per_tenant_and_ignores_the_tenants_other_items(
    dynamodb: Any, catalog: DynamoDbMetricCatalog
) -> None:
    # Given a monitor stored under the same tenant partition, and another tenant's name
    monitor = Monitor(
        tenant_id="acme",
        id="api",
        definition=MONITOR_DEFINITION.validate_python({"type": "http", "name": "api", "target": "https://a.example/"}),
        created_at=T0,
        updated_at=T0,
    )
    DynamoDbMonitorRepository("config", client=dynamodb).create(monitor)
    catalog.record("acme", [descriptor("mine")], T0)
    catalog.record("acme-two", [descriptor("theirs")], T0)
    # Then each tenant lists only its own metric names
    assert [entry.name for entry in catalog.list_for_tenant("acme")] == ["mine"]
    assert [entry.name for entry in catalog.list_for_tenant("acme-two")] == ["theirs"]
    assert catalog.list_for_tenant("nobody") == []


def test_one_write_takes_a_name_once_and_at_most_one_requests_worth(catalog: DynamoDbMetricCatalog) -> None:
    # A name given twice in one call is written once (DynamoDB refuses duplicate keys in one request)
    assert catalog.record("acme", [descriptor("twice"), descriptor("twice", MetricType.GAUGE)], T0) == []
    assert [entry.metric_type for entry in catalog.list_for_tenant("acme")] == [MetricType.GAUGE]
    # More than one BatchWriteItem takes is refused before anything is sent
    too_many = [descriptor(f"m{index}") for index in range(MAX_CATALOG_WRITE + 1)]
    with pytest.raises(ValueError, match=f"at most {MAX_CATALOG_WRITE}"):
        catalog.record("acme", too_many, T0)
    assert catalog.record("acme", too_many[:MAX_CATALOG_WRITE], T0) == []
    assert len(catalog.list_for_tenant("acme")) == MAX_CATALOG_WRITE + 1


class ThrottlingClient:
    """The moto client, except that BatchWriteItem leaves the request's last item unprocessed."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.batch_writes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        self.batch_writes += 1
        [(table, requests)] = RequestItems.items()
        self._client.batch_write_item(RequestItems={table: requests[:-1]})
        return {"UnprocessedItems": {table: requests[-1:]}}


def test_unprocessed_items_are_handed_back_not_retried(dynamodb: Any) -> None:
    # Given DynamoDB throttling one item of the request
    client = ThrottlingClient(dynamodb)
    catalog = DynamoDbMetricCatalog("config", client=client)  # type: ignore[arg-type]
    # When two names are recorded
    left = catalog.record("acme", [descriptor("a"), descriptor("b")], T0)
    # Then one request was made, and the name it did not take is returned for a later batch
    assert client.batch_writes == 1
    assert left == [descriptor("b")]
    assert [entry.name for entry in catalog.list_for_tenant("acme")] == ["a"]


def test_a_missing_table_is_a_store_error(dynamodb: Any) -> None:
    catalog = DynamoDbMetricCatalog("no-such-table", client=dynamodb)
    with pytest.raises(StoreUnavailableError, match="record metric catalogue"):
        catalog.record("acme", [descriptor("a")], T0)
    with pytest.raises(StoreUnavailableError, match="list metric catalogue"):
        catalog.list_for_tenant("acme")


def test_the_wired_exporter_reads_every_dynamodb_table(dynamodb: Any) -> None:
    # Given a counter pushed in the last complete minute (its name recorded as ingest records it),
    # a monitor checked once and a firing alert, all in DynamoDB
    now = datetime.now(UTC)
    last_minute = datetime.fromtimestamp(int(now.timestamp()) // 60 * 60 - 60, UTC)
    received = last_minute + timedelta(seconds=30)
    batch = MetricBatch.model_validate(
        {"points": [{"name": "http.requests", "type": "counter", "value": 4, "labels": {"route": "/a"}}]},
        context={"now": received},
    )
    rollups = DynamoDBRollupStore("metrics", client=dynamodb)
    rollups.apply("acme", "b1", aggregate(batch.points, received), Retention().seconds_by_resolution())
    MetricCatalogRecorder(DynamoDbMetricCatalog("config", client=dynamodb)).record("acme", batch, received)
    monitor = Monitor(
        tenant_id="acme",
        id="api",
        definition=MONITOR_DEFINITION.validate_python({"type": "http", "name": "API", "target": "https://a.example/"}),
        created_at=now,
        updated_at=now,
    )
    DynamoDbMonitorRepository("config", client=dynamodb).create(monitor)
    key = MonitorKey("acme", "api")
    checked = now - timedelta(seconds=5)
    slot = int(checked.timestamp()) // 60 * 60
    probes = DynamoDbProbeStore("probes", "sla-windows", client=dynamodb)
    result = ProbeResult(key, slot, checked, CheckStatus.UP, MonitorStatus.UP, 87.5, (), 1)
    state = MonitorState(MonitorStatus.UP, MonitorStatus.UP, 0, 1, checked, checked, slot, 1)
    assert probes.record(result, state, expected_version=0)
    alert = Alert(
        tenant_id="acme",
        fingerprint="f1",
        rule_id="r",
        rule_name="r",
        source=AlertSource.RULE,
        status=AlertStatus.FIRING,
        severity=Severity.ERROR,
        labels={"alertname": "r"},
        first_seen=now,
        last_seen=now,
        changed_at=now,
    )
    assert DynamoDbAlertStore("alerts", client=dynamodb).save(AlertChange(alert, 0, None))
    settings = DashboardSettings(
        config_table_name="config",
        sla_windows_table_name="sla-windows",
        alerts_table_name="alerts",
        probes_table_name="probes",
        metrics_table_name="metrics",
    )
    # When the exporter built by the wiring exports the tenant
    text = build_prometheus_exporter(settings, clock=lambda: now).export("acme")
    # Then every part of the export came from its table
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    monitor_labels = (("monitor", "api"), ("name", "API"), ("type", "http"))
    assert samples[("vigil_http_requests_increase_1m", (("route", "/a"),))] == 4
    assert samples[("vigil_monitor_up", monitor_labels)] == 1
    assert samples[("vigil_monitor_response_time_seconds", monitor_labels)] == 0.0875
    assert samples[("vigil_alerts_open", (("severity", "error"),))] == 1
    assert samples[("vigil_export_catalogued_metrics", ())] == 1
