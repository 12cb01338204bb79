"""The Prometheus export on DynamoDB, for the dashboard function."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
from vigil_core.adapters.dynamodb_metric_catalog import DynamoDbMetricCatalog
from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
from vigil_core.adapters.dynamodb_rollups import DynamoDBRollupStore
from vigil_core.services.prometheus_export import PrometheusExporter
from vigil_core.settings import DashboardSettings


def build_prometheus_exporter(settings: DashboardSettings, clock: Callable[[], datetime]) -> PrometheusExporter:
    return PrometheusExporter(
        catalog=DynamoDbMetricCatalog(settings.config_table_name),
        rollups=DynamoDBRollupStore(settings.metrics_table_name),
        monitors=DynamoDbMonitorRepository(settings.config_table_name),
        probes=DynamoDbProbeStore(settings.probes_table_name, settings.sla_windows_table_name),
        alerts=DynamoDbAlertStore(settings.alerts_table_name),
        clock=clock,
    )
