"""Metric points as apps push them, validated field by field.

Validation needs "now" (timestamps may be at most 24 h old and 5 min ahead): pass it in the validation
context as {"now": datetime}.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

MAX_POINTS_PER_BATCH = 1000
MAX_LABELS = 30
MAX_LABEL_KEY_LENGTH = 100
MAX_LABEL_VALUE_LENGTH = 256
MAX_NAME_LENGTH = 200
MAX_AGE = timedelta(hours=24)
MAX_AHEAD = timedelta(minutes=5)
# DynamoDB numbers hold magnitudes between 1e-130 and 1e126; keep far inside so sums never overflow.
MAX_MAGNITUDE = 1e100
MIN_MAGNITUDE = 1e-100

METRIC_NAME_PATTERN = r"^[a-zA-Z_:][a-zA-Z0-9_:.]*$"
LABEL_KEY_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"

MetricName = Annotated[str, StringConstraints(pattern=METRIC_NAME_PATTERN, max_length=MAX_NAME_LENGTH)]


class MetricType(StrEnum):
    COUNTER = "counter"  # a non-negative increment since the last report
    GAUGE = "gauge"  # a value at a moment
    HISTOGRAM = "histogram"  # one observation (e.g. a request's latency), bucketed on write


class Unit(StrEnum):
    NONE = "none"
    COUNT = "count"
    PERCENT = "percent"
    RATIO = "ratio"
    NANOSECONDS = "ns"
    MICROSECONDS = "us"
    MILLISECONDS = "ms"
    SECONDS = "s"
    BYTES = "bytes"
    KILOBYTES = "kilobytes"
    MEGABYTES = "megabytes"
    GIGABYTES = "gigabytes"
    BYTES_PER_SECOND = "bytes/s"
    REQUESTS = "requests"
    REQUESTS_PER_SECOND = "requests/s"
    ERRORS = "errors"
    CONNECTIONS = "connections"
    MESSAGES = "messages"


class MetricPoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: MetricName
    type: MetricType
    value: float = Field(allow_inf_nan=False)
    unit: Unit = Unit.NONE
    labels: dict[str, str] = Field(default_factory=dict)
    timestamp: AwareDatetime | None = None
    source: str | None = Field(default=None, max_length=128)

    @field_validator("value")
    @classmethod
    def _value_fits_type(cls, value: float, info: ValidationInfo) -> float:
        magnitude = abs(value)
        if magnitude > MAX_MAGNITUDE or (0 < magnitude < MIN_MAGNITUDE):
            raise ValueError("magnitude must be 0 or between 1e-100 and 1e100")
        point_type = info.data.get("type")  # validated before value, absent if it was invalid
        if value < 0 and point_type is MetricType.COUNTER:
            raise ValueError("a counter increment cannot be negative (counters only go up)")
        if value < 0 and point_type is MetricType.HISTOGRAM:
            raise ValueError("a histogram observation cannot be negative")
        return value

    @field_validator("labels")
    @classmethod
    def _labels_are_well_formed(cls, labels: dict[str, str]) -> dict[str, str]:
        if len(labels) > MAX_LABELS:
            raise ValueError(f"at most {MAX_LABELS} labels are allowed, got {len(labels)}")
        for key, value in labels.items():
            if len(key) > MAX_LABEL_KEY_LENGTH:
                raise ValueError(f"label key {key[:40]!r}... is longer than {MAX_LABEL_KEY_LENGTH} characters")
            if not _is_label_key(key):
                raise ValueError(f"label key {key!r} must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __")
            if len(value) > MAX_LABEL_VALUE_LENGTH:
                raise ValueError(f"label {key!r} value is longer than {MAX_LABEL_VALUE_LENGTH} characters")
        return labels

    @field_validator("timestamp")
    @classmethod
    def _timestamp_is_recent(cls, timestamp: datetime | None, info: ValidationInfo) -> datetime | None:
        now = _now_from(info)
        if timestamp is None or now is None:
            return timestamp
        if timestamp < now - MAX_AGE:
            raise ValueError("is more than 24 hours in the past")
        if timestamp > now + MAX_AHEAD:
            raise ValueError("is more than 5 minutes in the future")
        return timestamp


class MetricBatch(BaseModel):
    """The body of POST /v1/metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: list[MetricPoint] = Field(min_length=1, max_length=MAX_POINTS_PER_BATCH)


def _is_label_key(key: str) -> bool:
    if not key or key.startswith("__") or not (key[0].isascii() and (key[0].isalpha() or key[0] == "_")):
        return False
    return all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in key)


def _now_from(info: ValidationInfo) -> datetime | None:
    context: Any = info.context
    if isinstance(context, dict):
        now = context.get("now")
        if isinstance(now, datetime):
            return now
    return None
