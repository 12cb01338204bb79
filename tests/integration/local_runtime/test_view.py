"""The live terminal view's lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vigil_cli.local.records import ApiRequestRecord, InvocationRecord
from vigil_cli.local.view import format_invocation, format_request, response_summary

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 22, 18, 2, 57, tzinfo=UTC)


def test_an_ingest_request_line_summarises_accepted_points_and_series() -> None:
    record = ApiRequestRecord(AT, "POST", "/v1/metrics", 202, 12.34, "ingest", 80, {"accepted": 1000, "series": 12})
    line = format_request(record)
    assert line.startswith("18:02:57  POST    /v1/metrics")
    assert " 202 " in line
    assert "12.3 ms" in line
    assert line.endswith("ingest      accepted 1000 points / 12 series")


def test_summaries_need_the_accepted_field() -> None:
    assert response_summary({"accepted": 3}) == "accepted 3 points"
    assert response_summary({"series": []}) == ""
    assert response_summary(None) == ""


def test_scheduled_and_sqs_invocations_get_one_line_each() -> None:
    scheduled = InvocationRecord(AT, "schedule", "Vigil-ProbeSchedule-1A2B", "probe", True, 30.0)
    batch = InvocationRecord(AT, "sqs", "slack-queue", "notifier", False, 8.0, "3 messages, 1 reported as failed")
    assert format_invocation(scheduled).split() == [
        "18:02:57",
        "schedule",
        "Vigil-ProbeSchedule-1A2B",
        "ok",
        "30.0",
        "ms",
        "probe",
    ]
    assert format_invocation(batch).endswith("notifier    3 messages, 1 reported as failed")
    assert " FAILED " in format_invocation(batch)
