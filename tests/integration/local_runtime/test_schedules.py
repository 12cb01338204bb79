"""EventBridge schedule rules: expressions, and the scheduler firing real handlers via fire_due."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.cron import parse_schedule
from vigil_cli.local.errors import ScheduleError, UnsupportedResourceError
from vigil_cli.local.schedules import ScaledClock

from .conftest import StartCloud, wait_until
from .templates import function, table, template

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 10, 7, 30, tzinfo=UTC)  # a Monday


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 12 * * ? *)", T0, datetime(2026, 3, 2, 12, 0, tzinfo=UTC)),
        ("cron(*/15 * * * ? *)", T0, datetime(2026, 3, 2, 10, 15, tzinfo=UTC)),
        ("cron(5/20 9-17 ? * MON-FRI *)", T0, datetime(2026, 3, 2, 10, 25, tzinfo=UTC)),
        ("cron(0 8 ? * SAT,SUN *)", T0, datetime(2026, 3, 7, 8, 0, tzinfo=UTC)),
        ("cron(0 0 1 JAN,JUL ? *)", T0, datetime(2026, 7, 1, 0, 0, tzinfo=UTC)),
        ("cron(30 6 ? * 2 2027)", T0, datetime(2027, 1, 4, 6, 30, tzinfo=UTC)),
        ("cron(0 10 2 3 ? 2026)", T0, None),
    ],
)
def test_cron_next_fire_time(expression: str, after: datetime, expected: datetime | None) -> None:
    schedule = parse_schedule(expression)
    assert schedule.first_due(after) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("cron(0 12 L * ? *)", "L, W and #"),
        ("cron(0 12 15W * ? *)", "L, W and #"),
        ("cron(0 12 ? * 6#3 *)", "L, W and #"),
        ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 25 * * ? *)", "outside 0-23"),
        ("cron(0 12 * * ?)", "six fields"),
        ("rate(1 minutes)", "'1 minute' for one"),
        ("rate(5 minute)", "'N minutes' otherwise"),
        ("rate(0 minutes)", "positive"),
        ("at(2026-01-01T00:00:00)", "not a rate"),
    ],
)
def test_schedule_expressions_the_runtime_cannot_honour_are_errors_naming_them(expression: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message) as failure:
        parse_schedule(expression)
    assert expression in str(failure.value)


def test_rate_schedules_stay_on_their_grid() -> None:
    schedule = parse_schedule("rate(5 minutes)")
    first = schedule.first_due(T0)
    assert first == T0 + timedelta(minutes=5)
    assert schedule.next_due(first, first + timedelta(minutes=12)) == first + timedelta(minutes=15)


def _recorded_events(cloud: LocalCloud) -> list[Any]:
    dynamodb = boto3.client("dynamodb", endpoint_url=cloud.backend_url, region_name="us-east-1")
    items = dynamodb.scan(TableName=cloud.physical_id("Events"))["Items"]
    return [json.loads(item["event"]["S"]) for item in items]


def _scheduled_template(rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return template(
        {
            "Events": table(),
            "Recorder": function("recorder", service="vigil-probe", env={"TABLE_NAME": {"Ref": "Events"}}),
            **{
                name: {
                    "Type": "AWS::Events::Rule",
                    "Properties": {
                        "State": "ENABLED",
                        "Targets": [{"Arn": {"Fn::GetAtt": ["Recorder", "Arn"]}, "Id": "Target0"}],
                        **properties,
                    },
                }
                for name, properties in rules.items()
            },
        }
    )


def test_a_rate_rule_fires_once_due_with_its_constant_input(start_cloud: StartCloud) -> None:
    # Given a rate(1 minute) rule with a constant Input, on a clock stopped at T0
    body = _scheduled_template({"Every": {"ScheduleExpression": "rate(1 minute)"}})
    body["Resources"]["Every"]["Properties"]["Targets"][0]["Input"] = json.dumps({"probe": "all"})
    cloud = start_cloud(body, clock=FixedClock(T0))

    # When time has not come, nothing fires; when it has, the target runs once
    assert cloud.scheduler.fire_due(T0 + timedelta(seconds=59)) == []
    records = cloud.scheduler.fire_due(T0 + timedelta(minutes=1))

    # Then the handler ran (it wrote through AWS_ENDPOINT_URL) with the Input as its event
    assert [(record.function, record.ok) for record in records] == [("probe", True)]
    assert _recorded_events(cloud) == [{"probe": "all"}]
    assert cloud.scheduler.rule("Every").next_due == T0 + timedelta(minutes=2)


def test_a_cron_rule_sends_the_scheduled_event_eventbridge_sends(start_cloud: StartCloud) -> None:
    cloud = start_cloud(
        _scheduled_template({"Hourly": {"ScheduleExpression": "cron(0 * * * ? *)"}}), clock=FixedClock(T0)
    )

    records = cloud.scheduler.fire_due(T0 + timedelta(hours=3))

    assert len(records) == 1  # missed runs are not replayed
    (event,) = _recorded_events(cloud)
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-03-02T11:00:00Z"
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert event["resources"] == [cloud.attribute("Hourly", "Arn")]
    assert event["detail"] == {}
    assert event["version"] == "0"
    assert event["id"]
    assert cloud.scheduler.rule("Hourly").next_due == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_input_path_selects_part_of_the_scheduled_event(start_cloud: StartCloud) -> None:
    body = _scheduled_template({"Every": {"ScheduleExpression": "rate(2 minutes)"}})
    body["Resources"]["Every"]["Properties"]["Targets"][0]["InputPath"] = "$.resources"
    cloud = start_cloud(body, clock=FixedClock(T0))

    cloud.scheduler.fire_due(T0 + timedelta(minutes=2))

    assert _recorded_events(cloud) == [[cloud.attribute("Every", "Arn")]]


def test_disabled_rules_never_fire(start_cloud: StartCloud) -> None:
    cloud = start_cloud(
        _scheduled_template({"Off": {"ScheduleExpression": "rate(1 minute)", "State": "DISABLED"}}),
        clock=FixedClock(T0),
    )
    assert cloud.scheduler.fire_due(T0 + timedelta(days=1)) == []
    assert _recorded_events(cloud) == []


def test_event_pattern_rules_are_refused(start_cloud: StartCloud) -> None:
    body = _scheduled_template({"Pattern": {"EventPattern": {"source": ["aws.ec2"]}}})
    with pytest.raises(UnsupportedResourceError, match=r"AWS::Events::Rule \(Pattern\).*event patterns"):
        start_cloud(body)


def test_an_unsupported_cron_fails_the_start_naming_the_expression(start_cloud: StartCloud) -> None:
    with pytest.raises(ScheduleError, match=r"cron\(0 0 L \* \? \*\)"):
        start_cloud(_scheduled_template({"Monthly": {"ScheduleExpression": "cron(0 0 L * ? *)"}}))


def test_the_scheduler_thread_fires_on_a_fast_clock(start_cloud: StartCloud) -> None:
    # Given a rate(1 minute) rule and time running 120x (a minute every half second)
    cloud = start_cloud(
        _scheduled_template({"Every": {"ScheduleExpression": "rate(1 minute)"}}),
        time_factor=120,
        start_schedules=True,
    )

    # Then the thread invokes the handler without anyone calling fire_due
    wait_until(lambda: _recorded_events(cloud), timeout_s=10)


def test_scaled_clock_runs_faster_than_real_time() -> None:
    clock = ScaledClock(3600, start=T0)
    assert T0 <= clock.now() < T0 + timedelta(hours=1)
