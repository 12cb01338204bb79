"""The alert desk and engine assembled from their AWS adapters, as the alert functions use them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
from vigil_core.adapters.dynamodb_rollups import DynamoDBRollupStore
from vigil_core.adapters.dynamodb_slos import DynamoDbSloRepository
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.adapters.sla_timeslices import DynamoDbTimesliceLedger
from vigil_core.adapters.sla_windows import DynamoDbSlaWindows
from vigil_core.adapters.sns_alerts import SnsAlertPublisher
from vigil_core.adapters.sqs_evaluation import SqsEvaluationQueue
from vigil_core.services.alert_rules import CodeRule, parse_rules_document
from vigil_core.services.alerting import AlertDesk, AlertEngine
from vigil_core.settings import AlertDeskSettings, AlertEvaluatorSettings


def _now() -> datetime:
    return datetime.now(UTC)


def build_alert_desk(settings: AlertDeskSettings) -> AlertDesk:
    return AlertDesk(
        rules=DynamoDbAlertRuleRepository(settings.config_table_name),
        alerts=DynamoDbAlertStore(settings.alerts_table_name),
        publisher=SnsAlertPublisher(settings.alerts_topic_arn),
        queue=SqsEvaluationQueue(settings.alert_evaluation_queue_url),
        clock=_now,
    )


def build_alert_engine(settings: AlertEvaluatorSettings) -> AlertEngine:
    return AlertEngine(
        desk=build_alert_desk(settings),
        rollups=DynamoDBRollupStore(settings.metrics_table_name),
        monitors=DynamoDbMonitorRepository(settings.config_table_name),
        probe_states=DynamoDbProbeStore(settings.probes_table_name, settings.sla_windows_table_name),
        slos=DynamoDbSloRepository(settings.config_table_name),
        sla_windows=DynamoDbSlaWindows(settings.sla_windows_table_name),
        tenants=DynamoDBTenantDirectory(settings.config_table_name),
        timeslices=DynamoDbTimesliceLedger(settings.sla_windows_table_name),
    )


def load_code_rules(rules_file: str, relative_to: Path) -> list[CodeRule]:
    """The alert rules the stack was deployed with (none when the stack ships no file)."""
    if not rules_file:
        return []
    return parse_rules_document(json.loads((relative_to / rules_file).read_text(encoding="utf-8")))
