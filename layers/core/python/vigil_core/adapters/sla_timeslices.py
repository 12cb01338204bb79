"""Timeslice counts of SLOs with timeslices budgeting, kept in the SLA windows table beside the events.

  <tenant>#slo:<id> / H#<hour start>   slices_total, slices_good: the hour's slices with events, and the good ones
  <tenant>#slo:<id> / D#<YYYY-MM-DD>   the same, summed over the day's closed hours

An hour is closed once (the minute's evaluation does it after the hour ends): one transaction adds its counts
to its hour window, on condition that the hour has no slices_total yet, and to its day window. However many
evaluators race, each hour is counted into its day exactly once. An hour without any slice is closed with 0,
so it is not read again. Reports read slices over 30 days and more from the day and hour windows alone.

The counts always live under the SLO's own partition, also for probe SLIs (whose events are the monitor's):
two SLOs on one monitor judge its slices differently (another SLI, target or slice length).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.adapters.dynamodb_monitors import store_errors, transact_if_current
from vigil_core.adapters.sla_windows import (
    InMemorySlaWindows,
    WindowRetention,
    add_update,
    day_window,
    hour_window,
    s,
    window_range,
    window_start,
)
from vigil_core.models.slo import Slo

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

SLICES_TOTAL = "slices_total"
SLICES_GOOD = "slices_good"


def timeslice_partition(slo: Slo) -> str:
    """Where an SLO's slice counts live: its own partition (a metric SLO's events are there too)."""
    return f"{slo.tenant_id}#slo:{slo.id}"


class TimesliceLedger(Protocol):
    """The port the alert engine closes hours through (kept here, beside its adapters, for now)."""

    def closed_hours(self, partition: str, start_epoch: int, end_epoch: int) -> set[int]:
        """The starts of the hours in [start_epoch, end_epoch) whose slices are counted already."""
        ...

    def close_hour(self, partition: str, hour_start: int, good: int, total: int) -> bool:
        """Add the hour's slice counts to its hour and its day window at once; False (nothing written) when the
        hour was closed before."""
        ...


class DynamoDbTimesliceLedger:
    def __init__(
        self, table_name: str, retention: WindowRetention | None = None, client: DynamoDBClient | None = None
    ) -> None:
        self.table_name = table_name
        self.retention = retention or WindowRetention()
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def closed_hours(self, partition: str, start_epoch: int, end_epoch: int) -> set[int]:
        if end_epoch <= start_epoch:
            return set()
        low, high = window_range("hour", start_epoch, end_epoch)
        with store_errors("query closed timeslice hours"):
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                FilterExpression="attribute_exists(#total)",
                ProjectionExpression="sk",
                ExpressionAttributeNames={"#total": SLICES_TOTAL},
                ExpressionAttributeValues={":pk": s(partition), ":low": s(low), ":high": s(high)},
                ConsistentRead=True,  # an hour closed a moment ago by another evaluator is not counted again
            )
            return {window_start(item["sk"]["S"]) for page in pages for item in page.get("Items", [])}

    def close_hour(self, partition: str, hour_start: int, good: int, total: int) -> bool:
        counts = {SLICES_TOTAL: total, SLICES_GOOD: good}
        hour_key, _ = hour_window(hour_start)
        day_key, day_start = day_window(hour_start)
        hour = self._update(partition, hour_key, counts, self.retention.expires_at("hour", hour_start))
        hour["ConditionExpression"] = "attribute_not_exists(#closed)"
        hour["ExpressionAttributeNames"]["#closed"] = SLICES_TOTAL
        day = self._update(partition, day_key, counts, self.retention.expires_at("day", day_start))
        writes = [cast("TransactWriteItemTypeDef", {"Update": update}) for update in (hour, day)]
        # The hour's condition is the transaction's first item: when it fails, the hour was closed already.
        return transact_if_current(self.client, writes, "close a timeslice hour")

    def _update(self, partition: str, sort_key: str, counts: dict[str, int], expires_at: int) -> dict[str, Any]:
        update = add_update(self.table_name, partition, sort_key, counts, expires_at)
        # A metric SLO's window already has its expiry from its events: keep it.
        update["UpdateExpression"] = update["UpdateExpression"].replace(
            "SET #expires_at = :expires_at", "SET #expires_at = if_not_exists(#expires_at, :expires_at)"
        )
        return update


class InMemoryTimesliceLedger:
    """The same counts in an InMemorySlaWindows' counters (share it with the engine's reader)."""

    def __init__(self, windows: InMemorySlaWindows | None = None) -> None:
        self.windows = windows or InMemorySlaWindows()

    def closed_hours(self, partition: str, start_epoch: int, end_epoch: int) -> set[int]:
        return {
            int(window["start"])
            for window in self.windows.windows(partition, "hour", start_epoch, end_epoch)
            if SLICES_TOTAL in window
        }

    def close_hour(self, partition: str, hour_start: int, good: int, total: int) -> bool:
        hour = self.windows.counters.setdefault((partition, hour_window(hour_start)[0]), {})
        if SLICES_TOTAL in hour:
            return False
        day = self.windows.counters.setdefault((partition, day_window(hour_start)[0]), {})
        for counters in (hour, day):
            counters[SLICES_TOTAL] = counters.get(SLICES_TOTAL, 0) + total
            counters[SLICES_GOOD] = counters.get(SLICES_GOOD, 0) + good
        return True
