"""The SLA report service on DynamoDB, for the SLA API and the monthly report job."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_slos import DynamoDbSloRepository
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.adapters.sla_windows import DynamoDbSlaWindows
from vigil_core.services.sla_reports import SlaReportService
from vigil_core.settings import SlaReaderSettings


def build_sla_reporter(settings: SlaReaderSettings, clock: Callable[[], datetime]) -> SlaReportService:
    return SlaReportService(
        tenants=DynamoDBTenantDirectory(settings.config_table_name),
        monitors=DynamoDbMonitorRepository(settings.config_table_name),
        slos=DynamoDbSloRepository(settings.config_table_name),
        windows=DynamoDbSlaWindows(settings.sla_windows_table_name),
        alerts=DynamoDbAlertStore(settings.alerts_table_name),
        clock=clock,
    )
