"""Per-function settings from the environment, validated once per container.

A missing or malformed variable is an error that names the variable: there are no silent defaults for
anything that points at a resource.
"""

from __future__ import annotations

import os
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

SettingsT = TypeVar("SettingsT", bound="FunctionSettings")


class SettingsError(RuntimeError):
    """The function's environment is incomplete or wrong; the message names each variable."""


class FunctionSettings(BaseModel):
    """Base for settings models: each field is read from the upper-cased environment variable."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class TableSettings(FunctionSettings):
    config_table_name: str = Field(min_length=3)
    metrics_table_name: str = Field(min_length=3)


class IngestSettings(TableSettings):
    idempotency_table_name: str = Field(min_length=3)
    metrics_ttl_minute_days: int = Field(gt=0, le=3650)
    metrics_ttl_hour_days: int = Field(gt=0, le=3650)
    metrics_ttl_day_days: int = Field(gt=0, le=3650)
    # Empty: rules on the pushed metrics wait for the minute's evaluation instead of running at once.
    alert_evaluation_queue_url: str = ""
    sla_windows_table_name: str = Field(min_length=3)  # metric SLOs count the batches' events there


class QuerySettings(TableSettings):
    pass


def load_settings(model: type[SettingsT], environ: dict[str, str] | None = None) -> SettingsT:
    env = os.environ if environ is None else environ
    values = {name: env[name.upper()] for name in model.model_fields if name.upper() in env}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            variable = str(err["loc"][0]).upper()
            reason = "is not set" if err["type"] == "missing" else f"is invalid: {err['msg']}"
            problems.append(f"{variable} {reason}")
        raise SettingsError(f"{model.__name__}: " + "; ".join(problems)) from None


class ProbeTableSettings(FunctionSettings):
    config_table_name: str = Field(min_length=3)
    probes_table_name: str = Field(min_length=3)
    sla_windows_table_name: str = Field(min_length=3)


class MonitorsApiSettings(ProbeTableSettings):
    pass


class ProbeSettings(ProbeTableSettings):
    probe_shard_queue_url: str = Field(min_length=8)
    probe_transitions_queue_url: str = Field(min_length=8)
    probe_concurrency: int = Field(gt=0, le=2000)
    probe_deadline_seconds: float = Field(gt=0, le=900)
    probe_max_shard_size: int = Field(gt=0, le=10000)
    # Empty: no canary. Any HTTP answer from it proves the probe has network; none makes a run inconclusive.
    probe_canary_url: str = ""
    # The monitors.yaml the stack was deployed with, normalized to JSON beside the scheduler's handler.
    monitors_file: str = ""


class AlertDeskSettings(FunctionSettings):
    """What the alerts API and the evaluator both need: the alert desk's tables, topic and queue."""

    config_table_name: str = Field(min_length=3)
    alerts_table_name: str = Field(min_length=3)
    alerts_topic_arn: str = Field(min_length=20)
    alert_evaluation_queue_url: str = Field(min_length=8)


class AlertApiSettings(AlertDeskSettings):
    # The escalation-policies.yaml the stack was deployed with, normalized to JSON beside the handler.
    escalation_policies_file: str = ""


class NotifierSettings(FunctionSettings):
    channel_type: Literal["slack", "webhook", "pagerduty", "email", "sms"]
    config_table_name: str = Field(min_length=3)
    alerts_table_name: str = Field(min_length=3)
    notifier_queue_url: str = Field(min_length=8)  # its own queue: a delayed message is put back on it
    http_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    http_max_attempts: int = Field(default=3, ge=1, le=10)
    http_max_backoff_seconds: float = Field(default=4.0, ge=0, le=30)
    secrets_max_age_seconds: int = Field(default=300, ge=0, le=3600)
    # The SES identity email is sent from (email notifier only).
    email_sender: str = Field(default="", validate_default=True)
    sms_sender_id: str = ""

    @field_validator("email_sender")
    @classmethod
    def _email_needs_sender(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("channel_type") == "email" and "@" not in value:
            raise ValueError("the email notifier needs a sender address")
        return value


class EscalatorSettings(FunctionSettings):
    config_table_name: str = Field(min_length=3)
    alerts_table_name: str = Field(min_length=3)
    state_machine_arn: str = Field(pattern=r"^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[\w-]+$")
    # Set only by the local cloud and tests: escalation schedules are replayed this many times faster. Deployed
    # stacks never set it, so production waits exactly as planned.
    escalation_time_factor: float = Field(default=1.0, gt=0, le=1_000_000)
    # The escalation-policies.yaml the stack was deployed with, normalized to JSON beside the handler.
    escalation_policies_file: str = ""


class AlertEvaluatorSettings(AlertDeskSettings):
    metrics_table_name: str = Field(min_length=3)
    probes_table_name: str = Field(min_length=3)
    sla_windows_table_name: str = Field(min_length=3)
    # The alert-rules.yaml the stack was deployed with, normalized to JSON beside the evaluator's handler.
    alert_rules_file: str = ""


class SlaReaderSettings(FunctionSettings):
    config_table_name: str = Field(min_length=3)
    sla_windows_table_name: str = Field(min_length=3)
    alerts_table_name: str = Field(min_length=3)


class SlaApiSettings(SlaReaderSettings):
    # Comma-separated tenants whose keys may read every tenant's reports (platform-wide and per tenant).
    operator_tenants: str = ""

    @property
    def operators(self) -> frozenset[str]:
        return frozenset(tenant.strip() for tenant in self.operator_tenants.split(",") if tenant.strip())


class SlaReportJobSettings(SlaReaderSettings):
    reports_bucket_name: str = Field(min_length=3)
    reports_topic_arn: str = Field(min_length=20)


class DashboardSettings(SlaApiSettings):
    """The status pages, the platform health overview and the Prometheus export: readers of every table."""

    probes_table_name: str = Field(min_length=3)
    metrics_table_name: str = Field(min_length=3)


class AccountSettings(FunctionSettings):
    """API keys and status page settings: the config table only."""

    config_table_name: str = Field(min_length=3)
