"""Metric points and the rules vigil's ingest API applies to them, checked when a point is recorded.

The API accepts or rejects a batch as a whole, so one bad point would cost every good point sent with it:
checking here turns a mistake into a ValueError at the line that made it instead of a lost batch.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

# The API's limits (POST /v1/metrics).
MAX_POINTS_PER_BATCH = 1000
MAX_BODY_BYTES = 1024 * 1024
MAX_LABELS = 30
MAX_LABEL_KEY_LENGTH = 100
MAX_LABEL_VALUE_LENGTH = 256
MAX_NAME_LENGTH = 200
MAX_SOURCE_LENGTH = 128
MAX_MAGNITUDE = 1e100
MIN_MAGNITUDE = 1e-100

METRIC_NAME_PATTERN = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:.]*")
LABEL_KEY_PATTERN = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

UNITS = frozenset(
    {
        "none", "count", "percent", "ratio", "ns", "us", "ms", "s", "bytes", "kilobytes", "megabytes",
        "gigabytes", "bytes/s", "requests", "requests/s", "errors", "connections", "messages",
    }
)  # fmt: skip


class MetricType(StrEnum):
    COUNTER = "counter"  # a non-negative increment
    GAUGE = "gauge"  # a value at a moment
    HISTOGRAM = "histogram"  # one observation, e.g. a request's duration


@dataclass(frozen=True, slots=True)
class Point:
    name: str
    type: MetricType
    value: float
    unit: str | None
    labels: Mapping[str, str]
    timestamp: float | None  # epoch seconds; None lets vigil use the time it receives the batch

    def to_json(self, source: str | None) -> str:
        body: dict[str, Any] = {"name": self.name, "type": self.type.value, "value": self.value}
        if self.unit is not None:
            body["unit"] = self.unit
        if self.labels:
            body["labels"] = dict(self.labels)
        if self.timestamp is not None:
            body["timestamp"] = datetime.fromtimestamp(self.timestamp, tz=UTC).isoformat(timespec="milliseconds")
        if source is not None:
            body["source"] = source
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=4096)
def check_name(name: str) -> str:
    """The metric name, or ValueError saying which rule it breaks (names repeat, so answers are cached)."""
    if not isinstance(name, str):
        raise ValueError(f"metric name must be a string, got {type(name).__name__}")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"metric name {name[:40]!r}... is longer than {MAX_NAME_LENGTH} characters")
    if not METRIC_NAME_PATTERN.fullmatch(name):
        raise ValueError(f"metric name {name!r} must match [a-zA-Z_:][a-zA-Z0-9_:.]*")
    return name


@lru_cache(maxsize=4096)
def check_label_key(key: str) -> str:
    if not isinstance(key, str):
        raise ValueError(f"label key must be a string, got {type(key).__name__}")
    if len(key) > MAX_LABEL_KEY_LENGTH:
        raise ValueError(f"label key {key[:40]!r}... is longer than {MAX_LABEL_KEY_LENGTH} characters")
    if not LABEL_KEY_PATTERN.fullmatch(key) or key.startswith("__"):
        raise ValueError(f"label key {key!r} must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __")
    return key


def check_labels(labels: Mapping[str, str] | None, base: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """`base` (already checked) overlaid with `labels`, each key and value checked against the API's rules."""
    if not labels:
        return base or {}
    if not isinstance(labels, Mapping):
        raise ValueError(f"labels must be a mapping of strings to strings, got {type(labels).__name__}")
    merged = dict(base) if base else {}
    for key, value in labels.items():
        check_label_key(key)
        if not isinstance(value, str):
            raise ValueError(f"label {key!r} value must be a string, got {type(value).__name__}")
        if len(value) > MAX_LABEL_VALUE_LENGTH:
            raise ValueError(f"label {key!r} value is longer than {MAX_LABEL_VALUE_LENGTH} characters")
        merged[key] = value
    if len(merged) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} labels are allowed, got {len(merged)}")
    return merged


def check_value(metric_type: MetricType, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"value must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"value magnitude must be at most 1e100, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"value must be a finite number, got {value!r}")
    magnitude = abs(number)
    if magnitude > MAX_MAGNITUDE or 0 < magnitude < MIN_MAGNITUDE:
        raise ValueError(f"value magnitude must be 0 or between 1e-100 and 1e100, got {value!r}")
    if number < 0 and metric_type is MetricType.COUNTER:
        raise ValueError(f"a counter increment cannot be negative, got {value!r}")
    if number < 0 and metric_type is MetricType.HISTOGRAM:
        raise ValueError(f"a histogram observation cannot be negative, got {value!r}")
    return number


def check_unit(unit: str | None) -> str | None:
    if unit is not None and unit not in UNITS:
        raise ValueError(f"unit {unit!r} is not one of {', '.join(sorted(UNITS))}")
    return unit


def check_source(source: str | None) -> str | None:
    if source is not None and (not isinstance(source, str) or len(source) > MAX_SOURCE_LENGTH):
        raise ValueError(f"source must be a string of at most {MAX_SOURCE_LENGTH} characters")
    return source
