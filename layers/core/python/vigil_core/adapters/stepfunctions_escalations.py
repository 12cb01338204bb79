"""Escalations as executions of the escalation state machine (infra/vigil_infra/constructs/escalation.py).

The execution input is the contract between the two; the state machine reads these paths:

    alert_key.pk / alert_key.sk       the alert's item, read before every page
    record_key.pk / record_key.sk     the escalation record, updated after every page
    tenant_id, fingerprint, severity  the page's message attributes
    firing                            which firing of the alert (Alert.firings), a string as DynamoDB returns
                                      numbers
    index, count                      the loop over `steps`
    steps[i].wait_until               when to page (an ISO 8601 UTC time)
    steps[i].step, .level, .round     strings, written to the record as numbers
    steps[i].next, .next_step         the index after this step (a number for the loop, a string to record)
    steps[i].channel_types            a JSON list, the `channels` attribute the notifiers' queues filter on
    steps[i].channels                 a JSON list of channel ids, recorded with the page
    page                              what every page says (tenant, alert, severity, firing), once
    steps[i].page                     what this step's page adds (page id, level, round, channels, due time);
                                      the state machine publishes the two merged as the EscalationPage

The alert is in the input once, not in each step: an execution's input may be 256 KB, and a policy may page
60 times (10 levels, 6 rounds).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from vigil_core.adapters.aws import stepfunctions_client
from vigil_core.adapters.dynamodb_alerts import alert_key, sortable_time
from vigil_core.adapters.dynamodb_escalations import escalation_key
from vigil_core.models.escalation import Escalation, PageOrder
from vigil_core.ports import StoreUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class EscalationUnavailableError(StoreUnavailableError):
    """Step Functions did not take the request; the caller's message is retried."""


def _plain_key(key: dict[str, Any]) -> dict[str, str]:
    return {name: value["S"] for name, value in key.items()}


_STEP_PAGE_FIELDS = {"page_id", "level", "round", "channels", "at"}


def execution_input(escalation: Escalation, orders: Sequence[PageOrder]) -> dict[str, Any]:
    steps = [
        {
            "step": str(order.step),
            "next": index + 1,
            "next_step": str(index + 1),
            "level": str(order.page.level),
            "round": str(order.page.round),
            "wait_until": sortable_time(order.wait_until),
            "channel_types": json.dumps(list(order.channel_types)),
            "channels": json.dumps(list(order.page.channels)),
            "page": order.page.model_dump(mode="json", include=_STEP_PAGE_FIELDS),
        }
        for index, order in enumerate(orders)
    ]
    shared = orders[0].page.model_dump(mode="json", exclude=_STEP_PAGE_FIELDS) if orders else {}
    return {
        "tenant_id": escalation.tenant_id,
        "fingerprint": escalation.fingerprint,
        "severity": escalation.severity.value,
        "firing": str(escalation.firing),
        "alert_key": _plain_key(alert_key(escalation.tenant_id, escalation.fingerprint)),
        "record_key": _plain_key(escalation_key(escalation.tenant_id, escalation.fingerprint)),
        "page": shared,
        "index": 0,
        "count": len(steps),
        "steps": steps,
    }


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:...:stateMachine:<machine> → arn:...:execution:<machine>:<name>."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class StepFunctionsEscalations:
    def __init__(self, state_machine_arn: str, client: SFNClient | None = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._client = client

    @property
    def client(self) -> SFNClient:
        return self._client or stepfunctions_client()

    def start(self, escalation: Escalation, orders: Sequence[PageOrder]) -> Literal["started", "already_started"]:
        try:
            self.client.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=escalation.execution_name,
                input=json.dumps(execution_input(escalation, orders)),
            )
        except ClientError as exc:
            if _code(exc) == "ExecutionAlreadyExists":  # the same name with another input: started before
                return "already_started"
            raise EscalationUnavailableError(f"Step Functions start {escalation.execution_name}: {exc}") from exc
        except BotoCoreError as exc:
            raise EscalationUnavailableError(f"Step Functions start {escalation.execution_name}: {exc}") from exc
        return "started"

    def stop(self, name: str, cause: str) -> None:
        try:
            self.client.stop_execution(executionArn=execution_arn(self.state_machine_arn, name), cause=cause)
        except ClientError as exc:
            if _code(exc) != "ExecutionDoesNotExist":
                raise EscalationUnavailableError(f"Step Functions stop {name}: {exc}") from exc
        except BotoCoreError as exc:
            raise EscalationUnavailableError(f"Step Functions stop {name}: {exc}") from exc
