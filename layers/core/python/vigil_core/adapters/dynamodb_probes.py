"""Monitor states, raw probe results and SLA windows.

Probes table (TTL attribute expires_at):
  <tenant>#<monitor> / STATE               the monitor's state, its last heartbeat and its outbox
  <tenant>#<monitor> / R#<slot, 10 digits> one raw result per slot, expiring result_ttl_s after the slot
SLA windows table (see adapters/sla_windows.py): each result adds to its minute's, hour's and day's counters.

The outbox keeps each transition not yet handed on as its own top-level attribute of the state item,
`pending#<event id>` holding the event's JSON. A single `pending` map would need to exist before
`SET pending.#id` can write into it, and `if_not_exists(pending, ...)` cannot share one update expression
with a write inside that map; one attribute per event needs neither. So record() adds an event with a
plain SET inside its transaction and clear_pending() drops events with a plain REMOVE, neither reading
the item first, and a heartbeat or a clear never has to know what else is pending.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.adapters.dynamodb_monitors import batch_get_items, store_errors, transact_if_current
from vigil_core.adapters.sla_windows import (
    DynamoDbSlaWindows,
    WindowCounters,
    WindowResolution,
    WindowRetention,
)
from vigil_core.adapters.sla_windows import n as _n
from vigil_core.adapters.sla_windows import s as _s
from vigil_core.models.probes import RESULT_RETENTION_S, MonitorKey, ProbeResult, StoredMonitorState, TransitionEvent
from vigil_core.models.rollups import HISTOGRAM_BOUNDS
from vigil_core.models.sla import LATENCY_BUCKETS
from vigil_core.probes.observations import CheckStatus
from vigil_core.probes.verdicts import MonitorState, MonitorStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateTypeDef

Item = dict[str, Any]

STATE_SORT_KEY = "STATE"
PENDING_PREFIX = "pending#"
# A result's sort key is its slot, but results are asked for by when their check finished, which can be
# well after the slot (a shard redelivered by SQS runs late). Queries reach this far before `since`.
MAX_RESULT_LATENESS_S = 3600
_GOOD = (CheckStatus.UP, CheckStatus.DEGRADED)


def state_partition_key(key: MonitorKey) -> str:
    return f"{key.tenant_id}#{key.monitor_id}"


def result_sort_key(slot: int) -> str:
    return f"R#{slot:010d}"


def pending_attribute(event_id: str) -> str:
    return f"{PENDING_PREFIX}{event_id}"


def latency_bucket(response_time_ms: float) -> str:
    # Same buckets as metric histograms: a value equal to a bound belongs to that bound's bucket.
    return LATENCY_BUCKETS[bisect.bisect_left(HISTOGRAM_BOUNDS, response_time_ms)]


def window_increments(result: ProbeResult) -> dict[str, int | float]:
    """What one result adds to the counters of its hour and its day.

    An inconclusive result counts only as inconclusive (even in maintenance, as it leaves the state alone),
    a result in maintenance only as maintenance; every other one is part of the SLA's total. Latency is
    counted for every result that measured a response time.
    """
    increments: dict[str, int | float] = {}
    if result.check_status is CheckStatus.INCONCLUSIVE:
        increments["inconclusive"] = 1
    elif result.in_maintenance:
        increments["maintenance"] = 1
    else:
        increments["total"] = 1
        if result.check_status in _GOOD:
            increments["good"] = 1
        if result.check_status is CheckStatus.DEGRADED:
            increments["degraded"] = 1
        if result.check_status is CheckStatus.DOWN:
            increments["down"] = 1
    if result.response_time_ms is not None:
        increments["latency_count"] = 1
        increments["latency_sum_ms"] = result.response_time_ms
        increments[latency_bucket(result.response_time_ms)] = 1
    return increments


class DynamoDbProbeStore:
    def __init__(
        self,
        probes_table: str,
        sla_windows_table: str,
        result_ttl_s: int = RESULT_RETENTION_S,
        window_retention: WindowRetention | None = None,
        client: DynamoDBClient | None = None,
    ) -> None:
        self.probes_table = probes_table
        self.sla_windows = DynamoDbSlaWindows(sla_windows_table, window_retention, client=client)
        self.result_ttl_s = result_ttl_s
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    # -- writes ---------------------------------------------------------------------------------------

    def record(self, result: ProbeResult, state: MonitorState, expected_version: int) -> bool:
        """One transaction: the state (only if still at expected_version, the outbox event with it), the raw
        result, and the hour and day counters. Counters are only ever added to by a transaction that also
        moved the version on, so a retried or raced record can never count a slot twice."""
        writes: list[TransactWriteItemTypeDef] = [
            {"Update": self._state_update(result, state, expected_version)},
            {"Put": {"TableName": self.probes_table, "Item": self._result_item(result)}},
        ]
        writes.extend({"Update": update} for update in self._window_updates(result))
        # A heartbeat or an outbox clear landing on the state item mid-transaction is retried.
        return transact_if_current(self.client, writes, "record probe result")

    def clear_pending(self, key: MonitorKey, event_ids: Sequence[str]) -> None:
        if not event_ids:
            return
        names = {f"#p{index}": pending_attribute(event_id) for index, event_id in enumerate(dict.fromkeys(event_ids))}
        with store_errors("clear pending transitions"):
            try:
                self.client.update_item(
                    TableName=self.probes_table,
                    Key=self._state_key(key),
                    UpdateExpression="REMOVE " + ", ".join(names),
                    # Without it, an update of a deleted monitor's state would write an empty item back.
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames=names,
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise

    def record_beat(self, key: MonitorKey, at: datetime) -> None:
        with store_errors("record heartbeat"):
            self.client.update_item(
                TableName=self.probes_table,
                Key=self._state_key(key),
                UpdateExpression="SET #last_beat_at = :at",
                ExpressionAttributeNames={"#last_beat_at": "last_beat_at"},
                ExpressionAttributeValues={":at": _s(at.isoformat())},
            )

    def delete_state(self, key: MonitorKey) -> None:
        # Results and windows are left to expire: they are history, and TTL deletes them for free.
        with store_errors("delete monitor state"):
            self.client.delete_item(TableName=self.probes_table, Key=self._state_key(key))

    # -- reads ----------------------------------------------------------------------------------------

    def load_states(self, keys: Sequence[MonitorKey]) -> dict[MonitorKey, StoredMonitorState]:
        with store_errors("load monitor states"):
            found = batch_get_items(
                self.client, self.probes_table, [self._state_key(key) for key in keys], consistent=True
            )
        return {key: self._stored_state_from(found.get((state_partition_key(key), STATE_SORT_KEY))) for key in keys}

    def results(self, key: MonitorKey, since: datetime, until: datetime) -> list[ProbeResult]:
        low = max(0, math.floor(since.timestamp()) - MAX_RESULT_LATENESS_S)
        high = math.ceil(until.timestamp())
        with store_errors("query probe results"):
            pages = self.client.get_paginator("query").paginate(
                TableName=self.probes_table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                ExpressionAttributeValues={
                    ":pk": _s(state_partition_key(key)),
                    ":low": _s(result_sort_key(low)),
                    ":high": _s(result_sort_key(high)),
                },
                ScanIndexForward=False,
            )
            results = [self._result_from(key, item) for page in pages for item in page.get("Items", [])]
        return [result for result in results if since <= result.at <= until]

    def windows(
        self, key: MonitorKey, resolution: WindowResolution, start_epoch: int, end_epoch: int
    ) -> list[WindowCounters]:
        """The monitor's SLA windows of one resolution that start in [start_epoch, end_epoch), oldest first."""
        return self.sla_windows.windows(state_partition_key(key), resolution, start_epoch, end_epoch)

    # -- item mapping ---------------------------------------------------------------------------------

    def _state_key(self, key: MonitorKey) -> Item:
        return {"pk": _s(state_partition_key(key)), "sk": _s(STATE_SORT_KEY)}

    def _state_update(self, result: ProbeResult, state: MonitorState, expected_version: int) -> UpdateTypeDef:
        fields: dict[str, dict[str, str] | None] = {
            "status": None if state.status is None else _s(state.status.value),
            "settled": None if state.settled is None else _s(state.settled.value),
            "consecutive_failures": _n(state.consecutive_failures),
            "consecutive_successes": _n(state.consecutive_successes),
            "since": None if state.since is None else _s(state.since.isoformat()),
            "last_checked_at": None if state.last_checked_at is None else _s(state.last_checked_at.isoformat()),
            "last_slot": _n(state.last_slot),
            "version": _n(state.version),
        }
        names = {f"#{name}": name for name in fields}
        values: Item = {f":{name}": value for name, value in fields.items() if value is not None}
        assignments = [f"#{name} = :{name}" for name, value in fields.items() if value is not None]
        removals = [f"#{name}" for name, value in fields.items() if value is None]
        if result.transition is not None:
            names["#pending"] = pending_attribute(result.transition.event_id)
            values[":pending"] = _s(result.transition.to_json())
            assignments.append("#pending = :pending")
        expression = "SET " + ", ".join(assignments) + (" REMOVE " + ", ".join(removals) if removals else "")
        # Version 0 means never recorded: the item may still exist, made by a heartbeat, but has no version.
        if expected_version == 0:
            condition = "attribute_not_exists(#version)"
        else:
            condition = "#version = :expected"
            values[":expected"] = _n(expected_version)
        return {
            "TableName": self.probes_table,
            "Key": self._state_key(result.key),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    def _result_item(self, result: ProbeResult) -> Item:
        item: Item = {
            "pk": _s(state_partition_key(result.key)),
            "sk": _s(result_sort_key(result.slot)),
            "slot": _n(result.slot),
            "at": _s(result.at.isoformat()),
            "check_status": _s(result.check_status.value),
            "reasons": {"L": [_s(reason) for reason in result.reasons]},
            "attempts": _n(result.attempts),
            "in_maintenance": {"BOOL": result.in_maintenance},
            "expires_at": _n(result.slot + self.result_ttl_s),
        }
        if result.monitor_status is not None:
            item["monitor_status"] = _s(result.monitor_status.value)
        if result.response_time_ms is not None:
            item["response_time_ms"] = _n(result.response_time_ms)
        if result.transition is not None:
            item["transition"] = _s(result.transition.to_json())
        return item

    def _window_updates(self, result: ProbeResult) -> Iterator[UpdateTypeDef]:
        updates = self.sla_windows.updates_for(state_partition_key(result.key), result.slot, window_increments(result))
        yield from cast("Iterator[UpdateTypeDef]", updates)

    @staticmethod
    def _stored_state_from(item: Item | None) -> StoredMonitorState:
        if item is None:
            return StoredMonitorState(MonitorState())
        state = MonitorState(
            status=_optional_status(item, "status"),
            settled=_optional_status(item, "settled"),
            consecutive_failures=_int(item, "consecutive_failures", 0),
            consecutive_successes=_int(item, "consecutive_successes", 0),
            since=_optional_datetime(item, "since"),
            last_checked_at=_optional_datetime(item, "last_checked_at"),
            last_slot=_int(item, "last_slot", -1),
            version=_int(item, "version", 0),
        )
        pending = sorted(
            (TransitionEvent.from_json(value["S"]) for name, value in item.items() if name.startswith(PENDING_PREFIX)),
            key=lambda event: event.slot,
        )
        return StoredMonitorState(
            state=state, last_beat_at=_optional_datetime(item, "last_beat_at"), pending_transitions=tuple(pending)
        )

    @staticmethod
    def _result_from(key: MonitorKey, item: Item) -> ProbeResult:
        transition = item.get("transition")
        response_time = item.get("response_time_ms")
        return ProbeResult(
            key=key,
            slot=int(item["slot"]["N"]),
            at=datetime.fromisoformat(item["at"]["S"]),
            check_status=CheckStatus(item["check_status"]["S"]),
            monitor_status=_optional_status(item, "monitor_status"),
            response_time_ms=None if response_time is None else float(response_time["N"]),
            reasons=tuple(reason["S"] for reason in item.get("reasons", {}).get("L", [])),
            attempts=int(item["attempts"]["N"]),
            in_maintenance=bool(item.get("in_maintenance", {}).get("BOOL", False)),
            transition=None if transition is None else TransitionEvent.from_json(transition["S"]),
        )


def _int(item: Item, name: str, default: int) -> int:
    return int(item[name]["N"]) if name in item else default


def _optional_status(item: Item, name: str) -> MonitorStatus | None:
    return MonitorStatus(item[name]["S"]) if name in item else None


def _optional_datetime(item: Item, name: str) -> datetime | None:
    return datetime.fromisoformat(item[name]["S"]) if name in item else None
