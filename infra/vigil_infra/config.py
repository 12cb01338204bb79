"""Stage configuration read from CDK context (cdk.json defaults, `-c key=value`, CDK_CONTEXT_JSON).

Every value is validated here, once, before any construct is built; a bad value fails the synth
with a message naming the context key, instead of surfacing later as a broken deployment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Final, Self

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

STAGE_KEY: Final = "vigil:stage"
METRICS_TTL_DAYS_KEY: Final = "vigil:metricsTtlDays"
API_THROTTLE_KEY: Final = "vigil:apiThrottle"
LOG_RETENTION_DAYS_KEY: Final = "vigil:logRetentionDays"
DEPENDENCIES_LAYER_PATH_KEY: Final = "vigil:dependenciesLayerPath"
MONITORS_FILE_KEY: Final = "vigil:monitorsFile"
ALERT_RULES_FILE_KEY: Final = "vigil:alertRulesFile"
ESCALATION_POLICIES_FILE_KEY: Final = "vigil:escalationPoliciesFile"
PROBES_KEY: Final = "vigil:probes"
NOTIFICATIONS_KEY: Final = "vigil:notifications"
SLA_KEY: Final = "vigil:sla"

CONTEXT_KEYS: Final = (
    STAGE_KEY,
    METRICS_TTL_DAYS_KEY,
    API_THROTTLE_KEY,
    LOG_RETENTION_DAYS_KEY,
    DEPENDENCIES_LAYER_PATH_KEY,
    MONITORS_FILE_KEY,
    ALERT_RULES_FILE_KEY,
    ESCALATION_POLICIES_FILE_KEY,
    PROBES_KEY,
    NOTIFICATIONS_KEY,
    SLA_KEY,
)

# The stage whose data is disposable: its tables and log groups are deleted with the stack.
DEVELOPMENT_STAGE: Final = "dev"

# CloudWatch Logs accepts only these retention periods; anything else is rejected at deploy time.
RETENTION_DAYS_BY_COUNT: Final[dict[int, logs.RetentionDays]] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


class InvalidStackContextError(ValueError):
    """A CDK context value is missing or invalid; the message names each offending key."""


class _FrozenModel(BaseModel):
    # extra="forbid" turns a typo such as {"minutes": 7} into an error instead of a silent default.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# The ingest function refuses TTLs above ten years at start-up (vigil_core IngestSettings); fail at synth.
MAX_METRICS_TTL_DAYS: Final = 3650


class MetricsTtlDays(_FrozenModel):
    """How long metric rollups live, per resolution, before DynamoDB TTL removes them."""

    minute: int = Field(gt=0, le=MAX_METRICS_TTL_DAYS)
    hour: int = Field(gt=0, le=MAX_METRICS_TTL_DAYS)
    day: int = Field(gt=0, le=MAX_METRICS_TTL_DAYS)

    @model_validator(mode="after")
    def _coarser_rollups_live_at_least_as_long(self) -> Self:
        # A coarser rollup that expires first would leave holes the finer one cannot fill.
        if not self.minute <= self.hour <= self.day:
            raise ValueError(
                f"must satisfy minute <= hour <= day (got minute={self.minute}, hour={self.hour}, day={self.day})"
            )
        return self


class ApiThrottle(_FrozenModel):
    """API Gateway stage throttling, applied to every method."""

    rate_limit: PositiveFloat = Field(alias="rateLimit", description="steady-state requests per second")
    burst_limit: PositiveInt = Field(alias="burstLimit", description="bucket size for short bursts")


# Lambda's own limit is 900 s; a probe run also needs time after its deadline to record results.
MAX_PROBE_TIMEOUT_SECONDS: Final = 900
PROBE_RECORDING_MARGIN_SECONDS: Final = 15


class ProbeOptions(_FrozenModel):
    """How probe functions run: checks at once, checks per shard, the Lambda timeout and the canary."""

    concurrency: int = Field(gt=0, le=2000, description="checks one invocation runs at once")
    max_shard_size: int = Field(alias="maxShardSize", gt=0, le=10000, description="most checks per invocation")
    timeout_seconds: int = Field(
        alias="timeoutSeconds", gt=PROBE_RECORDING_MARGIN_SECONDS, le=MAX_PROBE_TIMEOUT_SECONDS
    )
    canary_url: str = Field(
        alias="canaryUrl", pattern=r"^(https?://\S+)?$", description="empty: no connectivity canary"
    )

    @property
    def deadline_seconds(self) -> int:
        """Checks still running then are cancelled, leaving time to record every result."""
        return self.timeout_seconds - PROBE_RECORDING_MARGIN_SECONDS


def _parse_json_object(value: object) -> object:
    """`cdk synth -c key=value` passes objects as JSON text; accept both forms."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"expected a JSON object, got {value!r}") from error
    return value


class NotificationOptions(_FrozenModel):
    """How the notifiers send: the SES identity of email, the SMS sender id, the HTTP retries."""

    email_sender: str = Field(
        default="vigil@example.com", alias="emailSender", pattern=r"^[^@\s]+@[^@\s]+$", description="SES identity"
    )
    sms_sender_id: str = Field(default="", alias="smsSenderId", pattern=r"^([A-Za-z0-9]{1,11})?$")
    http_max_attempts: int = Field(default=3, alias="httpMaxAttempts", ge=1, le=10)


class SlaOptions(_FrozenModel):
    """Who may read platform-wide SLA reports, and when last month's reports are written."""

    operator_tenants: tuple[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")], ...] = Field(
        alias="operatorTenants", description="tenants whose API keys may read every tenant's reports"
    )
    report_schedule: str = Field(
        alias="reportSchedule",
        pattern=r"^cron\(\S+( \S+){5}\)$",  # EventBridge's six fields; cron(...) only: a job per month
        description=(
            "EventBridge cron (UTC) of the monthly report job, reporting the month before its run; by noon UTC "
            "on the 1st every time zone has finished that month"
        ),
    )


class StackConfig(_FrozenModel):
    """Validated stage configuration; field aliases are the CDK context keys."""

    stage: str = Field(alias=STAGE_KEY, pattern=r"^[a-z][a-z0-9-]{0,19}$")
    metrics_ttl_days: MetricsTtlDays = Field(alias=METRICS_TTL_DAYS_KEY)
    api_throttle: ApiThrottle = Field(alias=API_THROTTLE_KEY)
    log_retention_days: int = Field(alias=LOG_RETENTION_DAYS_KEY)
    dependencies_layer_path: Path = Field(alias=DEPENDENCIES_LAYER_PATH_KEY)
    # Relative to the repository root; an empty string deploys no monitors as code.
    monitors_file: str = Field(alias=MONITORS_FILE_KEY)
    # Relative to the repository root; an empty string deploys no alert rules as code.
    alert_rules_file: str = Field(alias=ALERT_RULES_FILE_KEY)
    # Relative to the repository root; an empty string deploys no escalation policies as code.
    escalation_policies_file: str = Field(alias=ESCALATION_POLICIES_FILE_KEY)
    probes: ProbeOptions = Field(alias=PROBES_KEY)
    notifications: NotificationOptions = Field(alias=NOTIFICATIONS_KEY)
    sla: SlaOptions = Field(alias=SLA_KEY)

    @field_validator("metrics_ttl_days", "api_throttle", "probes", "notifications", "sla", mode="before")
    @classmethod
    def _accept_json_text(cls, value: object) -> object:
        return _parse_json_object(value)

    @field_validator("log_retention_days")
    @classmethod
    def _must_be_a_cloudwatch_retention_period(cls, value: int) -> int:
        if value not in RETENTION_DAYS_BY_COUNT:
            allowed = ", ".join(str(days) for days in RETENTION_DAYS_BY_COUNT)
            raise ValueError(f"must be one of the CloudWatch Logs retention periods: {allowed}")
        return value

    @property
    def is_development(self) -> bool:
        return self.stage == DEVELOPMENT_STAGE

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Development data is disposable; every other stage keeps its data when the stack goes."""
        return RemovalPolicy.DESTROY if self.is_development else RemovalPolicy.RETAIN

    @property
    def log_retention(self) -> logs.RetentionDays:
        return RETENTION_DAYS_BY_COUNT[self.log_retention_days]

    @classmethod
    def from_context(cls, try_get_context: Callable[[str], Any]) -> StackConfig:
        """Build from a context lookup such as `app.node.try_get_context`.

        A key that is absent is reported as missing: there are no defaults in code, cdk.json holds them.
        """
        raw = {key: value for key in CONTEXT_KEYS if (value := try_get_context(key)) is not None}
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            raise InvalidStackContextError(_describe_context_errors(error)) from None


def _describe_context_errors(error: ValidationError) -> str:
    problems = []
    for detail in error.errors():
        key = ".".join(str(part) for part in detail["loc"]) or "<context>"
        problem = f"context key '{key}': {detail['msg']}"
        if detail["type"] != "missing":
            problem += f" (got {detail['input']!r})"
        problems.append(problem)
    return "invalid CDK context: " + "; ".join(problems)
