"""The status page service on DynamoDB, for the dashboard function."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
from vigil_core.adapters.dynamodb_slos import DynamoDbSloRepository
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.adapters.sla_windows import DynamoDbSlaWindows
from vigil_core.services.status_page import StatusPageService
from vigil_core.settings import DashboardSettings


def build_status_page_service(settings: DashboardSettings, clock: Callable[[], datetime]) -> StatusPageService:
    return StatusPageService(
        monitors=DynamoDbMonitorRepository(settings.config_table_name),
        probes=DynamoDbProbeStore(settings.probes_table_name, settings.sla_windows_table_name),
        alerts=DynamoDbAlertStore(settings.alerts_table_name),
        windows=DynamoDbSlaWindows(settings.sla_windows_table_name),
        slos=DynamoDbSloRepository(settings.config_table_name),
        tenants=DynamoDBTenantDirectory(settings.config_table_name),
        clock=clock,
    )
