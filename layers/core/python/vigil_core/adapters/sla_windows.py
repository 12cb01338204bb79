"""The SLA windows table: event counters per minute, hour and day, for monitors and metric SLOs.

  <tenant>#<monitor> / M#<minute start>    a monitor's checks in one minute (burn-rate alerts' short windows)
  <tenant>#<monitor> / H#<hour start>      ... in one UTC hour
  <tenant>#<monitor> / D#<YYYY-MM-DD>      ... in one UTC day
  <tenant>#slo:<id>  / M#, H#, D#          a metric SLO's good and total events, added at ingest
  <tenant>#slo:<id>  / B#<batch>#<part>    marks an ingest batch's part as counted (exactly once)

Minute windows live a few days (only alerts read them); hours and days as long as reports need them.
Counters are only ever added to (DynamoDB ADD), so concurrent writers never lose each other's events.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from botocore.exceptions import ClientError

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.adapters.dynamodb_monitors import cancellation_codes, store_errors
from vigil_core.models.sla import DAY_S, HOUR_S, LATENCY_BUCKETS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

Item = dict[str, Any]
WindowCounters = dict[str, int | float]
WindowResolution = Literal["minute", "hour", "day"]
MINUTE_S = 60
MAX_TRANSACTION_ITEMS = 100
# Every integer counter a reader gets (0 when never added to); latency_sum_ms (a float) comes besides them.
WINDOW_COUNTERS: tuple[str, ...] = (
    "total",  # events the SLO counts: a monitor's conclusive checks outside maintenance, a metric's events
    "good",
    "degraded",
    "down",
    "maintenance",
    "inconclusive",
    "latency_count",
    *LATENCY_BUCKETS,
)
_PREFIX: dict[WindowResolution, str] = {"minute": "M#", "hour": "H#", "day": "D#"}


def minute_window(epoch: int) -> tuple[str, int]:
    start = epoch // MINUTE_S * MINUTE_S
    return f"M#{start:010d}", start


def hour_window(epoch: int) -> tuple[str, int]:
    """The sort key and start (epoch seconds) of the UTC hour an instant falls in."""
    start = epoch // HOUR_S * HOUR_S
    return f"H#{start:010d}", start


def day_window(epoch: int) -> tuple[str, int]:
    """The sort key and start (epoch seconds) of the UTC day an instant falls in."""
    start = epoch // DAY_S * DAY_S
    return f"D#{datetime.fromtimestamp(start, UTC):%Y-%m-%d}", start


def windows_of(epoch: int) -> tuple[tuple[WindowResolution, str, int], ...]:
    """The minute, hour and day an instant counts in: (resolution, sort key, start)."""
    return (("minute", *minute_window(epoch)), ("hour", *hour_window(epoch)), ("day", *day_window(epoch)))


def window_start(sort_key: str) -> int:
    kind, _, rest = sort_key.partition("#")
    if kind in ("H", "M"):
        return int(rest)
    return int(datetime.strptime(rest, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())


def window_summary(start: int, counters: Mapping[str, Any]) -> WindowCounters:
    """A window as readers get it: its start, every counter (the usual ones 0 when never added to)."""
    summary: WindowCounters = {"start": start}
    for name in WINDOW_COUNTERS:
        summary[name] = int(counters.get(name, 0))
    for name, value in counters.items():
        if name not in summary and name != "expires_at":
            summary[name] = float(value) if name == "latency_sum_ms" else int(float(value))
    summary.setdefault("latency_sum_ms", 0.0)
    return summary


def window_range(resolution: WindowResolution, start_epoch: int, end_epoch: int) -> tuple[str, str]:
    """The sort keys of the first and last window that starts in [start_epoch, end_epoch)."""
    if resolution != "day":
        # Minute and hour keys are zero-padded epochs, so any start, aligned or not, bounds them as a string.
        return f"{_PREFIX[resolution]}{start_epoch:010d}", f"{_PREFIX[resolution]}{end_epoch - 1:010d}"
    first_day = -(-start_epoch // DAY_S) * DAY_S
    return day_window(first_day)[0], day_window(end_epoch - 1)[0]


def n(value: float) -> dict[str, str]:
    """A DynamoDB number: integers written plainly, other floats in Python's shortest round-trip form."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return {"N": str(int(value))}
    return {"N": repr(value)}


def s(value: str) -> dict[str, str]:
    return {"S": value}


def add_update(table: str, partition: str, sort_key: str, increments: Mapping[str, float], expires_at: int) -> Item:
    """An UpdateItem that adds `increments` to one window and sets when it expires."""
    names = {f"#c{index}": name for index, name in enumerate(increments)}
    names["#expires_at"] = "expires_at"
    values: Item = {f":c{index}": n(value) for index, value in enumerate(increments.values())}
    values[":expires_at"] = n(expires_at)
    additions = ", ".join(f"#c{index} :c{index}" for index in range(len(increments)))
    return {
        "TableName": table,
        "Key": {"pk": s(partition), "sk": s(sort_key)},
        "UpdateExpression": f"ADD {additions} SET #expires_at = :expires_at",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


class WindowRetention:
    """How long windows are kept after they start: minutes a few days, hours and days for reports."""

    def __init__(self, minute_s: int = 4 * DAY_S, hour_s: int = 100 * DAY_S, day_s: int = 800 * DAY_S) -> None:
        self.by_resolution: dict[WindowResolution, int] = {"minute": minute_s, "hour": hour_s, "day": day_s}

    def expires_at(self, resolution: WindowResolution, start: int) -> int:
        return start + self.by_resolution[resolution]


EventIncrements = Mapping[tuple[str, int], Mapping[str, float]]  # (partition, instant) -> counters to add


class DynamoDbSlaWindows:
    def __init__(
        self,
        table_name: str,
        retention: WindowRetention | None = None,
        batch_marker_ttl_s: int = DAY_S,
        client: DynamoDBClient | None = None,
    ) -> None:
        self.table_name = table_name
        self.retention = retention or WindowRetention()
        self.batch_marker_ttl_s = batch_marker_ttl_s
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def updates_for(self, partition: str, epoch: int, increments: Mapping[str, float]) -> Iterator[Item]:
        """The UpdateItems that add one event's (or one minute's) counters to its minute, hour and day."""
        for resolution, sort_key, start in windows_of(epoch):
            yield add_update(
                self.table_name, partition, sort_key, increments, self.retention.expires_at(resolution, start)
            )

    def add_events(self, batch_id: str, increments: EventIncrements, now: datetime) -> int:
        """Add each (partition, instant)'s counters to its minute, hour and day, exactly once per batch_id:
        each transaction also puts a marker that must not exist yet, so a retried batch (same id, same
        increments, so the same parts) skips the parts already counted. Returns the windows written."""
        # A transaction may touch an item once: minutes of one hour are summed into one update of that hour.
        merged: dict[tuple[str, str], tuple[WindowResolution, int, dict[str, float]]] = {}
        for (partition, epoch), counters in sorted(increments.items()):
            for resolution, sort_key, start in windows_of(epoch):
                _, _, totals = merged.setdefault((partition, sort_key), (resolution, start, {}))
                for name, value in counters.items():
                    totals[name] = totals.get(name, 0) + value
        updates = [
            (
                partition,
                add_update(self.table_name, partition, sort_key, totals, self.retention.expires_at(kind, start)),
            )
            for (partition, sort_key), (kind, start, totals) in merged.items()
            if totals
        ]
        written = 0
        per_part = MAX_TRANSACTION_ITEMS - 1
        for part, first in enumerate(range(0, len(updates), per_part)):
            chunk = updates[first : first + per_part]
            marker: Item = {
                "pk": s(chunk[0][0]),
                "sk": s(f"B#{batch_id}#{part}"),
                "expires_at": n(int(now.timestamp()) + self.batch_marker_ttl_s),
            }
            writes: list[TransactWriteItemTypeDef] = [
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": marker,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
            writes.extend(cast("TransactWriteItemTypeDef", {"Update": update}) for _, update in chunk)
            with store_errors("add SLO events"):
                try:
                    self.client.transact_write_items(TransactItems=writes)
                except ClientError as exc:
                    if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                        continue  # this part was counted by an earlier attempt
                    raise
            written += len(chunk)
        return written

    def windows(
        self, partition: str, resolution: WindowResolution, start_epoch: int, end_epoch: int
    ) -> list[WindowCounters]:
        """The windows of one resolution that start in [start_epoch, end_epoch), oldest first."""
        low, high = window_range(resolution, start_epoch, end_epoch)
        if end_epoch <= start_epoch or low > high:  # no window starts in the range; BETWEEN would refuse it
            return []
        with store_errors("query SLA windows"):
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                ExpressionAttributeValues={":pk": s(partition), ":low": s(low), ":high": s(high)},
            )
            items = [item for page in pages for item in page.get("Items", [])]
        return [
            window_summary(
                window_start(item["sk"]["S"]), {name: value["N"] for name, value in item.items() if "N" in value}
            )
            for item in items
        ]


class InMemorySlaWindows:
    """The same counters in dicts (nothing expires: retention is DynamoDB's TTL, tested with that adapter)."""

    def __init__(self) -> None:
        self.counters: dict[tuple[str, str], dict[str, float]] = {}  # (partition, sort key) -> counters
        self.batches: set[tuple[str, str]] = set()

    def add(self, partition: str, epoch: int, increments: Mapping[str, float]) -> None:
        for _, sort_key, _ in windows_of(epoch):
            counters = self.counters.setdefault((partition, sort_key), {})
            for name, value in increments.items():
                counters[name] = counters.get(name, 0) + value

    def add_events(self, batch_id: str, increments: EventIncrements, now: datetime) -> int:
        written = 0
        for (partition, epoch), counters in sorted(increments.items()):
            if counters and (partition, batch_id) not in self.batches:
                self.add(partition, epoch, counters)
                written += 3
        self.batches.update((partition, batch_id) for partition, _ in increments)
        return written

    def windows(
        self, partition: str, resolution: WindowResolution, start_epoch: int, end_epoch: int
    ) -> list[WindowCounters]:
        prefix = _PREFIX[resolution]
        found = [
            (start, counters)
            for (key, sort_key), counters in self.counters.items()
            if key == partition
            and sort_key.startswith(prefix)
            and start_epoch <= (start := window_start(sort_key)) < end_epoch
        ]
        return [window_summary(start, counters) for start, counters in sorted(found, key=lambda entry: entry[0])]


def summed(windows: Sequence[Mapping[str, float]], name: str) -> float:
    return sum(window.get(name, 0) for window in windows)
