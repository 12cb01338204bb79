"""The escalation state machine's input: each page is the shared part merged with its step's part (as the
state machine's States.JsonMerge does), and the largest policy fits Step Functions' 256 KB input limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from vigil_core.adapters.stepfunctions_escalations import execution_input
from vigil_core.models.alerts import Severity
from vigil_core.models.escalation import MAX_LEVELS, MAX_REPEATS, Escalation, EscalationPage, PageOrder

STARTED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
INPUT_LIMIT_BYTES = 256 * 1024
ALERT: dict[str, Any] = {
    "id": "f" * 32,
    "fingerprint": "f" * 32,
    "rule_name": "Checkout API down",
    "status": "firing",
    "severity": "critical",
    "labels": {f"label_{n}": "v" * 256 for n in range(30)},  # the most labels an alert may have, each at its longest
    "annotations": {"summary": "s" * 500, "description": "d" * 4000, "runbook_url": "https://runbooks.example/x"},
    "history": [{"at": STARTED.isoformat(), "status": "firing", "severity": "critical"}] * 50,
}


def orders(count: int) -> list[PageOrder]:
    return [
        PageOrder(
            step=step,
            wait_until=STARTED + timedelta(minutes=step + 1),
            channel_types=("pagerduty", "sms"),
            page=EscalationPage(
                page_id=f"{'f' * 32}-1:{step}",
                tenant_id="acme",
                fingerprint="f" * 32,
                firing=1,
                severity=Severity.CRITICAL,
                level=step % MAX_LEVELS + 1,
                round=step // MAX_LEVELS,
                channels=("pager", "phones"),
                alert=ALERT,
                at=STARTED + timedelta(minutes=step + 1),
            ),
        )
        for step in range(count)
    ]


def escalation() -> Escalation:
    return Escalation(
        tenant_id="acme",
        fingerprint="f" * 32,
        firing=1,
        severity=Severity.CRITICAL,
        execution_name=f"{'f' * 32}-1",
        started_at=STARTED,
        schedule=(),
    )


def test_each_step_merged_with_the_shared_page_is_the_page_to_publish() -> None:
    # Given three pages
    pages = orders(3)
    # When the input is built, and each step's part is merged into the shared part as the state machine does
    document = execution_input(escalation(), pages)
    merged = [EscalationPage.model_validate({**document["page"], **step["page"]}) for step in document["steps"]]
    # Then each is the page planned for that step, and the alert is in the input once
    assert merged == [order.page for order in pages]
    assert json.dumps(document).count('"Checkout API down"') == 1


def test_the_largest_policy_with_the_largest_alert_fits_the_input_limit() -> None:
    # Given every level of every round paged (10 levels, 6 rounds) for an alert with the longest annotations,
    # the most labels and a full history
    pages = orders(MAX_LEVELS * (MAX_REPEATS + 1))
    # When the input is built
    size = len(json.dumps(execution_input(escalation(), pages)).encode())
    # Then Step Functions accepts it
    assert size < INPUT_LIMIT_BYTES
