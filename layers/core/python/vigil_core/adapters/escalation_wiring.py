"""The escalator assembled from its AWS adapters, and escalation-policies.yaml as the stack shipped it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
from vigil_core.adapters.dynamodb_escalations import DynamoDbEscalationStore
from vigil_core.adapters.stepfunctions_escalations import StepFunctionsEscalations
from vigil_core.models.escalation import EscalationPolicy
from vigil_core.services.escalation import Escalator
from vigil_core.services.escalation_policies import parse_escalation_policies_document
from vigil_core.settings import EscalatorSettings


def _now() -> datetime:
    return datetime.now(UTC)


def load_code_escalation_policies(policies_file: str, relative_to: Path) -> dict[str, EscalationPolicy]:
    """The escalation policies the stack was deployed with, by tenant (none when the stack ships no file)."""
    if not policies_file:
        return {}
    return parse_escalation_policies_document(json.loads((relative_to / policies_file).read_text(encoding="utf-8")))


def build_escalator(settings: EscalatorSettings, handler_dir: Path) -> Escalator:
    """`handler_dir`: the handler's folder, where the stack ships escalation-policies.json."""
    return Escalator(
        alerts=DynamoDbAlertStore(settings.alerts_table_name),
        escalations=DynamoDbEscalationStore(settings.alerts_table_name),
        policies=DynamoDbAlertRuleRepository(settings.config_table_name),
        executions=StepFunctionsEscalations(settings.state_machine_arn),
        clock=_now,
        time_factor=settings.escalation_time_factor,
        code_policies=load_code_escalation_policies(settings.escalation_policies_file, handler_dir),
    )
