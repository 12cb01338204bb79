"""Each alert's latest escalation, in the alerts table beside the alert: T#<tenant> / E#<fingerprint>.

What is fixed when it starts (the schedule, severity, execution name) is JSON in `data`. What changes is kept in
attributes of its own, because the escalation state machine updates them with DynamoDB expressions:

    firing  N   which firing of the alert this escalation is for
    state       S   running | acknowledged | resolved | unacknowledged | failed
    next_step   N   the schedule's next page (every update of a page is conditioned on it)
    pages       L   one map per page sent: step, level, round (N), at, channels (S, a JSON list of channel ids)
    ended_at, ended_by, error   S, once it ended
    expires_at  N   TTL, 90 days after it started
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.adapters.dynamodb_alerts import CONDITIONAL_CHECK_FAILED, sortable_time, tenant_partition
from vigil_core.adapters.dynamodb_monitors import store_errors
from vigil_core.models.escalation import Escalation, EscalationState, PageSent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]
ESCALATION_TTL = timedelta(days=90)
_STATIC_FIELDS = {"tenant_id", "fingerprint", "firing", "severity", "execution_name", "started_at", "schedule"}


def escalation_sort_key(fingerprint: str) -> str:
    return f"E#{fingerprint}"


def escalation_key(tenant_id: str, fingerprint: str) -> Item:
    return {"pk": {"S": tenant_partition(tenant_id)}, "sk": {"S": escalation_sort_key(fingerprint)}}


def escalation_item(escalation: Escalation) -> Item:
    return {
        **escalation_key(escalation.tenant_id, escalation.fingerprint),
        "data": {"S": escalation.model_dump_json(include=_STATIC_FIELDS)},
        "firing": {"N": str(escalation.firing)},
        "state": {"S": escalation.state},
        "next_step": {"N": str(escalation.next_step)},
        "pages": {"L": []},
        "expires_at": {"N": str(int((escalation.started_at + ESCALATION_TTL).timestamp()))},
    }


def _page_from(entry: Item) -> PageSent:
    fields = entry["M"]
    return PageSent(
        step=int(fields["step"]["N"]),
        level=int(fields["level"]["N"]),
        round=int(fields["round"]["N"]),
        at=fields["at"]["S"],
        channels=tuple(json.loads(fields["channels"]["S"])),
    )


def escalation_from(item: Item) -> Escalation:
    text = {name: item[name]["S"] for name in ("ended_at", "ended_by", "error") if name in item}
    return Escalation.model_validate(
        {
            **json.loads(item["data"]["S"]),
            **text,
            "state": item["state"]["S"],
            "next_step": int(item["next_step"]["N"]),
            "pages": [_page_from(entry) for entry in item.get("pages", {}).get("L", [])],
        }
    )


class DynamoDbEscalationStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def begin(self, escalation: Escalation) -> Literal["created", "exists", "superseded"]:
        with store_errors("store escalation"):
            try:
                self.client.put_item(
                    TableName=self.table_name,
                    Item=escalation_item(escalation),
                    ConditionExpression="attribute_not_exists(pk) OR firing < :firing",
                    ExpressionAttributeValues={":firing": {"N": str(escalation.firing)}},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as exc:
                if not _condition_failed(exc):
                    raise
                response: dict[str, Any] = dict(exc.response)
                stored: Item = response.get("Item") or {}
                later = int(stored.get("firing", {}).get("N", "0")) > escalation.firing
                return "superseded" if later else "exists"
        return "created"

    def get(self, tenant_id: str, fingerprint: str) -> Escalation | None:
        with store_errors("get escalation"):
            item = self.client.get_item(
                TableName=self.table_name, Key=escalation_key(tenant_id, fingerprint), ConsistentRead=True
            ).get("Item")
        return None if item is None else escalation_from(item)

    def end(
        self, tenant_id: str, fingerprint: str, firing: int, state: EscalationState, at: datetime, by: str | None
    ) -> bool:
        values: Item = {
            ":state": {"S": state},
            ":at": {"S": sortable_time(at)},
            ":running": {"S": "running"},
            ":firing": {"N": str(firing)},
        }
        update = "SET #state = :state, ended_at = :at"
        if by:
            update += ", ended_by = :by"
            values[":by"] = {"S": by}
        with store_errors("end escalation"):
            try:
                self.client.update_item(
                    TableName=self.table_name,
                    Key=escalation_key(tenant_id, fingerprint),
                    UpdateExpression=update,
                    ConditionExpression="#state = :running AND firing = :firing",
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues=values,
                )
            except ClientError as exc:
                if not _condition_failed(exc):
                    raise
                return False
        return True


def _condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == CONDITIONAL_CHECK_FAILED
