"""The escalator assembled from its AWS adapters."""

from __future__ import annotations

from datetime import UTC, datetime

from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
from vigil_core.adapters.dynamodb_escalations import DynamoDbEscalationStore
from vigil_core.adapters.stepfunctions_escalations import StepFunctionsEscalations
from vigil_core.services.escalation import Escalator
from vigil_core.settings import EscalatorSettings


def _now() -> datetime:
    return datetime.now(UTC)


def build_escalator(settings: EscalatorSettings) -> Escalator:
    return Escalator(
        alerts=DynamoDbAlertStore(settings.alerts_table_name),
        escalations=DynamoDbEscalationStore(settings.alerts_table_name),
        policies=DynamoDbAlertRuleRepository(settings.config_table_name),
        executions=StepFunctionsEscalations(settings.state_machine_arn),
        clock=_now,
        time_factor=settings.escalation_time_factor,
    )
