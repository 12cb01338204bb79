"""The escalation record on moto: what the escalator, the alerts API and the escalation state machine rely on.

The record shares its item with the state machine, which writes to it with DynamoDB expressions of its own
(infra/vigil_infra/constructs/escalation.py): these tests write exactly as it does, raw, so a change to the
item's layout on either side shows up here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.integration.test_dynamodb_alert_adapters import create_tables
from vigil_core.adapters.dynamodb_escalations import DynamoDbEscalationStore
from vigil_core.models.alerts import Severity
from vigil_core.models.escalation import Escalation, PageSent, ScheduledPage

pytestmark = pytest.mark.integration
TENANT = "acme"
FINGERPRINT = "fp-1"
# The record's key as the state machine is given it: T#<tenant> / E#<fingerprint> in the alerts table.
RECORD_KEY = {"pk": {"S": f"T#{TENANT}"}, "sk": {"S": f"E#{FINGERPRINT}"}}
# Firing at 05:19:49 in Berlin: the schedule is in UTC, the start in the zone it was reported in.
T0 = datetime(2026, 11, 23, 5, 19, 49, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def dynamodb(aws: None) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_tables(client)
    return client


@pytest.fixture
def store(dynamodb: Any) -> DynamoDbEscalationStore:
    return DynamoDbEscalationStore("alerts", client=dynamodb)


def escalation(firing: int = 1, started_at: datetime = T0, levels: int = 3) -> Escalation:
    """A critical alert's escalation: level 1 (PagerDuty and SMS) after a minute, then levels 2 and 3."""
    pages = [
        ScheduledPage(
            step=0,
            level=1,
            round=0,
            due_at=(started_at + timedelta(minutes=1)).astimezone(UTC),
            targets=("pagerduty", "sms"),
            channels=("pager", "oncall-sms"),
        ),
        ScheduledPage(
            step=1,
            level=2,
            round=0,
            due_at=(started_at + timedelta(minutes=6)).astimezone(UTC),
            targets=("oncall-2",),
            channels=("oncall-2",),
        ),
        ScheduledPage(
            step=2,
            level=3,
            round=0,
            due_at=(started_at + timedelta(minutes=21)).astimezone(UTC),
            targets=("email",),
            channels=("oncall-mail", "leads-mail"),
        ),
    ]
    return Escalation(
        tenant_id=TENANT,
        fingerprint=FINGERPRINT,
        firing=firing,
        severity=Severity.CRITICAL,
        execution_name=f"{FINGERPRINT}-{firing}",
        started_at=started_at,
        schedule=tuple(pages[:levels]),
    )


# -- what the state machine writes, as it writes it -------------------------------------------------------


def record_page(dynamodb: Any, page: ScheduledPage, firing: int = 1, at: str = "2026-11-23T04:20:49.123Z") -> None:
    """The RecordPage task: the page appended, next_step moved on (`at` is $$.State.EnteredTime)."""
    dynamodb.update_item(
        TableName="alerts",
        Key=RECORD_KEY,
        UpdateExpression="SET next_step = :next, pages = list_append(pages, :page)",
        ConditionExpression="#state = :running AND firing = :firing AND next_step = :step",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={
            ":next": {"N": str(page.step + 1)},
            ":step": {"N": str(page.step)},
            ":page": {
                "L": [
                    {
                        "M": {
                            "step": {"N": str(page.step)},
                            "level": {"N": str(page.level)},
                            "round": {"N": str(page.round)},
                            "channels": {"S": json.dumps(list(page.channels))},
                            "at": {"S": at},
                        }
                    }
                ]
            },
            ":running": {"S": "running"},
            ":firing": {"N": str(firing)},
        },
    )


def record_failure(dynamodb: Any, error: str, firing: int = 1, at: str = "2026-11-23T04:26:51.004Z") -> None:
    """The RecordFailure task: a page could not be sent or recorded even after retries."""
    dynamodb.update_item(
        TableName="alerts",
        Key=RECORD_KEY,
        UpdateExpression="SET #state = :failed, #error = :error, ended_at = :at",
        ConditionExpression="#state = :running AND firing = :firing",
        ExpressionAttributeNames={"#state": "state", "#error": "error"},
        ExpressionAttributeValues={
            ":failed": {"S": "failed"},
            ":error": {"S": error},
            ":at": {"S": at},
            ":running": {"S": "running"},
            ":firing": {"N": str(firing)},
        },
    )


def raw_item(dynamodb: Any) -> dict[str, Any]:
    item: dict[str, Any] = dynamodb.get_item(TableName="alerts", Key=RECORD_KEY, ConsistentRead=True)["Item"]
    return item


# -- begin and get ------------------------------------------------------------------------------------------


def test_a_new_escalation_is_stored_beside_the_alert_and_reads_back_equal(
    store: DynamoDbEscalationStore, dynamodb: Any
) -> None:
    # Given a critical alert's escalation, started in Berlin time, with a three-level schedule
    started = escalation()
    # When it begins
    outcome = store.begin(started)
    # Then it is created, under the key the state machine is given, running from its first step
    assert outcome == "created"
    item = raw_item(dynamodb)
    assert (item["firing"], item["state"], item["next_step"], item["pages"]) == (
        {"N": "1"},
        {"S": "running"},
        {"N": "0"},
        {"L": []},
    )
    # And it reads back equal, schedule and all, its times still aware of their offsets
    stored = store.get(TENANT, FINGERPRINT)
    assert stored == started
    assert stored is not None and stored.schedule == started.schedule
    assert stored.started_at.utcoffset() == timedelta(hours=1)
    assert all(page.due_at.utcoffset() == timedelta(0) for page in stored.schedule)
    assert stored.schedule[1].due_at == datetime(2026, 11, 23, 4, 25, 49, tzinfo=UTC)
    assert (stored.state, stored.next_step, stored.pages, stored.current_level) == ("running", 0, (), 0)
    assert stored.next_due == started.schedule[0]


def test_a_missing_record_reads_as_none(store: DynamoDbEscalationStore) -> None:
    # Given one alert escalating
    store.begin(escalation())
    # Then another alert, and the same alert of another tenant, have no escalation
    assert store.get(TENANT, "fp-2") is None
    assert store.get("globex", FINGERPRINT) is None


def test_beginning_the_same_occurrence_again_leaves_the_record_as_the_state_machine_left_it(
    store: DynamoDbEscalationStore, dynamodb: Any
) -> None:
    # Given an escalation whose state machine has sent and recorded its first page
    original = escalation()
    store.begin(original)
    record_page(dynamodb, original.schedule[0])
    before = raw_item(dynamodb)
    # When the same firing begins again (a redelivered transition), planned differently meanwhile
    again = store.begin(escalation(started_at=T0 + timedelta(seconds=5), levels=1))
    # Then it already exists, and the record is untouched: page, next step and schedule as they were
    assert again == "exists"
    assert raw_item(dynamodb) == before
    stored = store.get(TENANT, FINGERPRINT)
    assert stored is not None
    assert (stored.next_step, len(stored.pages), stored.schedule) == (1, 1, original.schedule)
    assert stored.started_at == T0


def test_a_later_occurrence_replaces_the_record_of_an_earlier_one(
    store: DynamoDbEscalationStore, dynamodb: Any
) -> None:
    # Given the first firing's escalation, one page sent, then acknowledged
    first = escalation(firing=1)
    store.begin(first)
    record_page(dynamodb, first.schedule[0])
    assert store.end(TENANT, FINGERPRINT, 1, "acknowledged", T0 + timedelta(minutes=3), "alice")
    # When the alert fires again, a second firing beginning an hour later
    second = escalation(firing=2, started_at=T0 + timedelta(hours=1))
    outcome = store.begin(second)
    # Then it is created in the first one's place, from scratch: no pages, not ended
    assert outcome == "created"
    stored = store.get(TENANT, FINGERPRINT)
    assert stored == second
    assert stored is not None and (stored.execution_name, stored.pages, stored.ended_by) == ("fp-1-2", (), None)
    assert "ended_at" not in raw_item(dynamodb)


def test_a_later_occurrence_replaces_an_earlier_one_still_running(store: DynamoDbEscalationStore) -> None:
    # Given the first firing still escalating (its end was never recorded)
    store.begin(escalation(firing=1))
    # When a later firing begins
    outcome = store.begin(escalation(firing=4, started_at=T0 + timedelta(hours=2)))
    # Then it takes the record over
    stored = store.get(TENANT, FINGERPRINT)
    assert outcome == "created" and stored is not None and stored.firing == 4


def test_an_earlier_occurrence_arriving_after_a_later_one_is_superseded(
    store: DynamoDbEscalationStore, dynamodb: Any
) -> None:
    # Given the third firing escalating, its first page sent
    third = escalation(firing=3)
    store.begin(third)
    record_page(dynamodb, third.schedule[0], firing=3)
    before = raw_item(dynamodb)
    # When the second firing's transition arrives late, then the third's again
    late = store.begin(escalation(firing=2))
    repeated = store.begin(escalation(firing=3))
    # Then the late one is superseded, the repeat merely exists, and the record stays the third's
    assert (late, repeated) == ("superseded", "exists")
    assert raw_item(dynamodb) == before
    stored = store.get(TENANT, FINGERPRINT)
    assert stored is not None and (stored.firing, stored.next_step) == (3, 1)


# -- the pages the state machine records ------------------------------------------------------------------


def test_pages_the_state_machine_recorded_read_back_as_pages_sent(
    store: DynamoDbEscalationStore, dynamodb: Any
) -> None:
    # Given an escalation whose state machine paged levels 1 and 2
    started = escalation()
    store.begin(started)
    record_page(dynamodb, started.schedule[0], at="2026-11-23T04:20:49.123Z")
    record_page(dynamodb, started.schedule[1], at="2026-11-23T04:25:50Z")
    # When it is read
    stored = store.get(TENANT, FINGERPRINT)
    # Then both pages read back in order, their channel lists as tuples, their times in UTC
    assert stored is not None
    assert stored.pages == (
        PageSent(
            step=0,
            level=1,
            round=0,
            at=datetime(2026, 11, 23, 4, 20, 49, 123000, tzinfo=UTC),
            channels=("pager", "oncall-sms"),
        ),
        PageSent(step=1, level=2, round=0, at=datetime(2026, 11, 23, 4, 25, 50, tzinfo=UTC), channels=("oncall-2",)),
    )
    assert isinstance(stored.pages[0].channels, tuple)
    # And the escalation is at level 2, level 3 due next
    assert (stored.next_step, stored.current_level, stored.next_due) == (2, 2, started.schedule[2])
    public = stored.to_public()
    assert (public["current_level"], public["next_level"]) == (2, 3)
    assert [page["channels"] for page in public["history"]] == [["pager", "oncall-sms"], ["oncall-2"]]


def test_the_state_machine_cannot_record_a_page_out_of_turn(store: DynamoDbEscalationStore, dynamodb: Any) -> None:
    # Given an escalation with its first page recorded
    started = escalation()
    store.begin(started)
    record_page(dynamodb, started.schedule[0])
    # When the same page is recorded again (a retried task)
    with pytest.raises(ClientError) as refused:
        record_page(dynamodb, started.schedule[0])
    # Then the condition refuses it and the record keeps one page
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    stored = store.get(TENANT, FINGERPRINT)
    assert stored is not None and len(stored.pages) == 1


# -- how it ends --------------------------------------------------------------------------------------------


def test_ending_a_running_escalation_records_how_and_succeeds_once(
    store: DynamoDbEscalationStore, dynamodb: Any
) -> None:
    # Given a running escalation, one page sent
    started = escalation()
    store.begin(started)
    record_page(dynamodb, started.schedule[0])
    acknowledged_at = datetime(2026, 11, 23, 4, 22, 1, 500000, tzinfo=UTC)
    # When it is acknowledged by alice, and the acknowledgement is handled again
    first = store.end(TENANT, FINGERPRINT, 1, "acknowledged", acknowledged_at, "alice")
    second = store.end(TENANT, FINGERPRINT, 1, "acknowledged", acknowledged_at, "alice")
    # Then only the first ends it
    assert (first, second) == (True, False)
    # And the record says how, when and by whom, keeping its page, with nothing due any more
    stored = store.get(TENANT, FINGERPRINT)
    assert stored is not None
    assert (stored.state, stored.ended_at, stored.ended_by) == ("acknowledged", acknowledged_at, "alice")
    assert (len(stored.pages), stored.next_due, stored.error) == (1, None, None)
    # And the state machine can no longer record a page
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        record_page(dynamodb, started.schedule[1])


def test_an_escalation_that_ended_cannot_end_again_another_way(store: DynamoDbEscalationStore) -> None:
    # Given an escalation resolved when its condition cleared (by nobody)
    store.begin(escalation())
    resolved_at = T0 + timedelta(minutes=2)
    assert store.end(TENANT, FINGERPRINT, 1, "resolved", resolved_at, None)
    # When an acknowledgement arrives afterwards
    late = store.end(TENANT, FINGERPRINT, 1, "acknowledged", resolved_at + timedelta(seconds=1), "bob")
    # Then it changes nothing: resolved, by nobody
    stored = store.get(TENANT, FINGERPRINT)
    assert late is False
    assert stored is not None and (stored.state, stored.ended_at, stored.ended_by) == ("resolved", resolved_at, None)


def test_ending_another_occurrence_changes_nothing(store: DynamoDbEscalationStore, dynamodb: Any) -> None:
    # Given the second firing escalating
    store.begin(escalation(firing=2))
    before = raw_item(dynamodb)
    # When the first or a third firing is acknowledged, or an alert that never escalated
    earlier = store.end(TENANT, FINGERPRINT, 1, "acknowledged", T0, "alice")
    later = store.end(TENANT, FINGERPRINT, 3, "acknowledged", T0, "alice")
    unknown = store.end(TENANT, "fp-2", 1, "acknowledged", T0, "alice")
    # Then none of them ends anything, and the second firing keeps running
    assert (earlier, later, unknown) == (False, False, False)
    assert raw_item(dynamodb) == before
    assert store.get(TENANT, "fp-2") is None


def test_an_escalation_the_state_machine_marked_failed_reads_back_with_its_error(
    store: DynamoDbEscalationStore, dynamodb: Any
) -> None:
    # Given an escalation whose second page could not be published even after retries
    started = escalation()
    store.begin(started)
    record_page(dynamodb, started.schedule[0])
    record_failure(dynamodb, "SNS.AuthorizationErrorException")
    # When it is read
    stored = store.get(TENANT, FINGERPRINT)
    # Then it failed, when and why, at the level it had reached
    assert stored is not None
    assert (stored.state, stored.error, stored.ended_by) == ("failed", "SNS.AuthorizationErrorException", None)
    assert stored.ended_at == datetime(2026, 11, 23, 4, 26, 51, 4000, tzinfo=UTC)
    assert (stored.current_level, stored.next_due) == (1, None)
    assert stored.to_public()["error"] == "SNS.AuthorizationErrorException"
    # And it is not running any more: acknowledging it afterwards ends nothing
    assert store.end(TENANT, FINGERPRINT, 1, "acknowledged", T0 + timedelta(minutes=10), "alice") is False


def test_the_record_expires_ninety_days_after_the_alert_started_firing(
    store: DynamoDbEscalationStore, dynamodb: Any
) -> None:
    # Given an escalation that started at T0
    store.begin(escalation())
    # Then its item carries the table's TTL attribute, 90 days on, in epoch seconds
    ttl = dynamodb.describe_time_to_live(TableName="alerts")["TimeToLiveDescription"]["AttributeName"]
    assert ttl == "expires_at"
    expires = int(raw_item(dynamodb)[ttl]["N"])
    assert expires == int(datetime(2027, 2, 21, 4, 19, 49, tzinfo=UTC).timestamp())
    # And a later firing starts the 90 days again
    store.begin(escalation(firing=2, started_at=T0 + timedelta(days=30)))
    assert int(raw_item(dynamodb)[ttl]["N"]) == expires + 30 * 86400
