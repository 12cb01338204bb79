"""Notifications: per channel type, the queue and dead-letter queue, the alerts topic's filtered subscription, the
notifier function's trigger and environment, what each notifier may touch, and vigil:notifications.

Most tests read the session's one synthesis; vigil:notifications refusals happen while the configuration is
read, before any construct is built.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from tests.infra.synthesized import (
    PROJECT_ROOT,
    JsonObject,
    SynthesizedVigil,
    getatt_targets,
    grants_of_role,
    make_fake_dependencies_layer,
    referenced_logical_id,
    statements_of_role,
)
from vigil_core.models.notifications import ChannelType
from vigil_core.settings import NotifierSettings, load_settings
from vigil_infra.application import build_app, read_cdk_json_context
from vigil_infra.config import (
    DEPENDENCIES_LAYER_PATH_KEY,
    NOTIFICATIONS_KEY,
    InvalidStackContextError,
    StackConfig,
)
from vigil_infra.constructs.notifications import ChannelNotifier

pytestmark = pytest.mark.infra

CHANNEL_TYPES = list(ChannelType)
SECRET_CHANNEL_TYPES = {ChannelType.SLACK, ChannelType.WEBHOOK, ChannelType.PAGERDUTY}
TLS_REFUSED = {"Bool": {"aws:SecureTransport": "false"}}
MAX_RECEIVES = 5
BATCH_SIZE = 10
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
POWERTOOLS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
NOTIFIER_VARIABLES = {
    "CHANNEL_TYPE",
    "CONFIG_TABLE_NAME",
    "ALERTS_TABLE_NAME",
    "NOTIFIER_QUEUE_URL",
    "HTTP_MAX_ATTEMPTS",
}
# Written out rather than taken from the construct's filter_policy(), so a change to it shows up here.
EXPECTED_FILTER_POLICIES: dict[ChannelType, JsonObject] = {
    ChannelType.SLACK: {"kind": ["notification", "escalation"], "channels": ["slack"]},
    ChannelType.WEBHOOK: {"kind": ["notification", "escalation"], "channels": ["webhook"]},
    ChannelType.PAGERDUTY: {
        "$or": [
            {"kind": ["notification", "escalation"], "channels": ["pagerduty"]},
            # Acknowledgements, so the incidents PagerDuty opened stop paging.
            {"kind": ["transition"], "state": ["acknowledged"]},
        ]
    },
    ChannelType.EMAIL: {"kind": ["notification", "escalation"], "channels": ["email"]},
    ChannelType.SMS: {"kind": ["notification", "escalation"], "channels": ["sms"]},
}
ACCOUNT = "arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:"
SECRETS_ARN = ACCOUNT.format(service="secretsmanager") + "secret:vigil/notify/*"
PARAMETERS_ARN = ACCOUNT.format(service="ssm") + "parameter/vigil/notify/*"
CONSUME = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}
READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


def _notifier(vigil: SynthesizedVigil, channel_type: ChannelType) -> ChannelNotifier:
    return vigil.stack.notifications.notifiers[channel_type]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _arn(resource: Any) -> str:
    """A statement's resource as text: a literal; the logical id a Ref or Fn::GetAtt names; or an Fn::Join with
    each reference in brackets (pseudo parameters read as cdk-nag names them, e.g. <AWS::Region>)."""
    if isinstance(resource, str):
        return resource
    if (logical_id := referenced_logical_id(resource)) is not None:
        return logical_id
    parts = resource["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else f"<{referenced_logical_id(part)}>" for part in parts)


def _service_grants(vigil: SynthesizedVigil, role_id: str, *services: str) -> set[tuple[str, str]]:
    """(action, resource) of every Allow statement of the role whose action belongs to one of the services, or
    is "*" (Deny statements only narrow what is allowed)."""
    grants: set[tuple[str, str]] = set()
    for statement in statements_of_role(vigil.resources, role_id):
        if statement["Effect"] == "Deny":
            continue
        for action in _as_list(statement["Action"]):
            if action == "*" or any(fnmatchcase(action.lower(), f"{service}:*") for service in services):
                grants |= {(action, _arn(resource)) for resource in _as_list(statement["Resource"])}
    return grants


def _grants_by_role(vigil: SynthesizedVigil, *services: str) -> dict[str, set[tuple[str, str]]]:
    """Every role that holds a grant of those services, with those grants."""
    grants = {role_id: _service_grants(vigil, role_id, *services) for role_id in vigil.of_type("AWS::IAM::Role")}
    return {role_id: role_grants for role_id, role_grants in grants.items() if role_grants}


def _role_ids(vigil: SynthesizedVigil, channel_types: set[ChannelType]) -> set[str]:
    return {vigil.logical_id(_notifier(vigil, channel_type).notifier.role) for channel_type in channel_types}


# --- the queues --------------------------------------------------------------------------------------


def test_there_is_one_notifier_per_channel_type_each_with_its_own_queues_and_function(vigil: SynthesizedVigil) -> None:
    # Given the notifications construct
    notifiers = vigil.stack.notifications.notifiers
    # Then there is one notifier per channel type
    assert set(notifiers) == set(ChannelType)
    # And no two share a queue, a dead-letter queue or a function
    for attribute in ("queue", "dead_letters"):
        assert len({vigil.logical_id(getattr(n, attribute)) for n in notifiers.values()}) == len(CHANNEL_TYPES)
    assert len({vigil.logical_id(n.notifier.function) for n in notifiers.values()}) == len(CHANNEL_TYPES)
    # And each function is named after its channel type
    assert {n.notifier.name for n in notifiers.values()} == {f"notifier-{t.value}" for t in ChannelType}


@pytest.mark.parametrize("channel_type", CHANNEL_TYPES)
def test_a_message_is_parked_after_five_receives_and_stays_invisible_for_six_notifier_timeouts(
    vigil: SynthesizedVigil, channel_type: ChannelType
) -> None:
    # Given the channel type's queue, its dead-letter queue and its notifier's timeout
    notifier = _notifier(vigil, channel_type)
    queue, dead_letters = vigil.properties(notifier.queue), vigil.properties(notifier.dead_letters)
    timeout = vigil.properties(notifier.notifier.function)["Timeout"]
    # Then a message received five times without success moves to the channel type's own dead-letter queue
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
    assert referenced_logical_id(queue["RedrivePolicy"]["deadLetterTargetArn"]) == vigil.logical_id(
        notifier.dead_letters
    )
    # And a batch is not handed to a second notifier while the first may still run it (AWS recommends six
    # times the function's timeout for an SQS source)
    assert timeout == 60
    assert queue["VisibilityTimeout"] >= 6 * timeout
    # And the dead-letter queue keeps a message 14 days, for `vigil dlq redrive`, with no redrive of its own
    assert dead_letters["MessageRetentionPeriod"] == DEAD_LETTER_RETENTION_SECONDS
    assert "RedrivePolicy" not in dead_letters
    # And both are encrypted with SQS-managed keys
    for properties in (queue, dead_letters):
        assert properties["SqsManagedSseEnabled"] is True
        assert "KmsMasterKeyId" not in properties


@pytest.mark.parametrize("channel_type", CHANNEL_TYPES)
def test_only_the_alerts_topic_may_send_to_a_notifier_queue_and_only_over_tls(
    vigil: SynthesizedVigil, channel_type: ChannelType
) -> None:
    # Given the policies of the channel type's queue and dead-letter queue
    notifier = _notifier(vigil, channel_type)
    queue_id, dead_letters_id = vigil.logical_id(notifier.queue), vigil.logical_id(notifier.dead_letters)
    statements = {
        queue: [
            statement
            for policy in vigil.of_type("AWS::SQS::QueuePolicy").values()
            if {"Ref": queue} in policy["Properties"]["Queues"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]
        for queue in (queue_id, dead_letters_id)
    }
    # Then each denies every request made without TLS
    for queue, queue_statements in statements.items():
        denials = [s for s in queue_statements if s["Effect"] == "Deny" and s.get("Condition") == TLS_REFUSED]
        assert [set(getatt_targets(s["Resource"])) for s in denials] == [{queue}], queue
    # And the queue lets SNS send to it only on behalf of the alerts topic; the dead-letter queue allows nothing
    allowed = [s for s in statements[queue_id] if s["Effect"] == "Allow"]
    assert [(s["Principal"], s["Action"]) for s in allowed] == [({"Service": "sns.amazonaws.com"}, "sqs:SendMessage")]
    topic = vigil.logical_id(vigil.stack.alerting.topic)
    assert allowed[0]["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": topic}}}
    assert not [s for s in statements[dead_letters_id] if s["Effect"] == "Allow"]


# --- the subscriptions -------------------------------------------------------------------------------


def test_the_alerts_topic_has_exactly_one_subscription_per_notifier_queue_and_the_escalators(
    vigil: SynthesizedVigil,
) -> None:
    # Given every SNS subscription in the template
    subscriptions = vigil.of_type("AWS::SNS::Subscription").values()
    # Then each delivers to a notifier queue or the escalator's, one subscription per queue
    endpoints = [referenced_logical_id(s["Properties"]["Endpoint"]) for s in subscriptions]
    queues = [n.queue for n in vigil.stack.notifications.notifiers.values()] + [vigil.stack.escalation.queue]
    assert sorted(endpoints) == sorted(vigil.logical_id(queue) for queue in queues)


@pytest.mark.parametrize("channel_type", CHANNEL_TYPES)
def test_a_queue_takes_raw_alerts_topic_messages_that_name_its_channel_type(
    vigil: SynthesizedVigil, channel_type: ChannelType
) -> None:
    # Given the subscription that delivers to the channel type's queue
    queue = vigil.logical_id(_notifier(vigil, channel_type).queue)
    [subscription] = [
        s["Properties"]
        for s in vigil.of_type("AWS::SNS::Subscription").values()
        if referenced_logical_id(s["Properties"]["Endpoint"]) == queue
    ]
    # Then it is the alerts topic's, delivered to SQS as the raw message (no SNS envelope to unwrap)
    assert subscription["TopicArn"] == {"Ref": vigil.logical_id(vigil.stack.alerting.topic)}
    assert subscription["Protocol"] == "sqs"
    assert subscription["RawMessageDelivery"] is True
    # And it filters on message attributes: notifications routed to this channel type (PagerDuty also takes
    # acknowledged transitions)
    assert subscription.get("FilterPolicyScope", "MessageAttributes") == "MessageAttributes"
    assert subscription["FilterPolicy"] == EXPECTED_FILTER_POLICIES[channel_type]


# --- the functions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("channel_type", CHANNEL_TYPES)
def test_a_notifier_drains_its_own_queue_ten_at_a_time_reporting_failures_per_message(
    vigil: SynthesizedVigil, channel_type: ChannelType
) -> None:
    # Given the event source mappings on the channel type's queue and dead-letter queue
    notifier = _notifier(vigil, channel_type)
    mappings = vigil.of_type("AWS::Lambda::EventSourceMapping").values()

    def reading(queue: str) -> list[JsonObject]:
        return [m["Properties"] for m in mappings if referenced_logical_id(m["Properties"]["EventSourceArn"]) == queue]

    # Then exactly one function reads the queue: its notifier
    [mapping] = reading(vigil.logical_id(notifier.queue))
    assert referenced_logical_id(mapping["FunctionName"]) == vigil.logical_id(notifier.notifier.function)
    # And it takes batches of ten, and a failed message is retried alone, not with the rest of its batch
    assert mapping["BatchSize"] == BATCH_SIZE
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.get("Enabled", True) is True
    # And nothing drains the dead-letter queue: its messages wait for `vigil dlq redrive`
    assert reading(vigil.logical_id(notifier.dead_letters)) == []


@pytest.mark.parametrize("channel_type", CHANNEL_TYPES)
def test_a_notifier_environment_names_its_channel_type_its_own_queue_and_loads_as_its_settings(
    vigil: SynthesizedVigil, channel_type: ChannelType
) -> None:
    # Given the notifier's environment and the stack's vigil:notifications
    notifier = _notifier(vigil, channel_type)
    variables = vigil.properties(notifier.notifier.function)["Environment"]["Variables"]
    options = vigil.stack.config.notifications
    # Then it holds exactly the Powertools settings and the notifier's, plus the sender for email (cdk.json sets
    # no SMS sender id, so SMS gets none)
    assert options.sms_sender_id == ""
    email = {"EMAIL_SENDER"} if channel_type is ChannelType.EMAIL else set()
    assert set(variables) == POWERTOOLS | NOTIFIER_VARIABLES | email
    assert variables["POWERTOOLS_SERVICE_NAME"] == f"vigil-notifier-{channel_type.value}"
    # And it is told its channel type, the HTTP attempts and (email) the sender from vigil:notifications
    assert variables["CHANNEL_TYPE"] == channel_type.value
    assert variables["HTTP_MAX_ATTEMPTS"] == str(options.http_max_attempts)
    if channel_type is ChannelType.EMAIL:
        assert variables["EMAIL_SENDER"] == options.email_sender
    # And the queue it puts a delayed message back on is its own; the tables are the stack's
    storage = vigil.stack.storage
    assert variables["NOTIFIER_QUEUE_URL"] == {"Ref": vigil.logical_id(notifier.queue)}
    assert variables["CONFIG_TABLE_NAME"] == {"Ref": vigil.logical_id(storage.config_table)}
    assert variables["ALERTS_TABLE_NAME"] == {"Ref": vigil.logical_id(storage.alerts_table)}
    # And the function's settings load from it (resource names stand in for the references)
    literal = {key: value for key, value in variables.items() if isinstance(value, str)}
    stand_ins = {key: f"stand-in-{key.lower()}" for key, value in variables.items() if not isinstance(value, str)}
    settings = load_settings(NotifierSettings, {**literal, **stand_ins})
    assert (settings.channel_type, settings.notifier_queue_url) == (channel_type.value, "stand-in-notifier_queue_url")


# --- least privilege ---------------------------------------------------------------------------------


def test_only_the_slack_webhook_and_pagerduty_notifiers_read_secrets_and_only_under_vigil_notify(
    vigil: SynthesizedVigil,
) -> None:
    # Given every role's Secrets Manager and SSM grants
    grants = _grants_by_role(vigil, "secretsmanager", "ssm")
    # Then only the notifiers of channels with secrets hold any
    assert set(grants) == _role_ids(vigil, SECRET_CHANNEL_TYPES)
    # And each may read one secret or parameter at a time, under the vigil/notify/ prefix, and nothing else
    for role_id, role_grants in grants.items():
        assert role_grants == {("secretsmanager:GetSecretValue", SECRETS_ARN), ("ssm:GetParameter", PARAMETERS_ARN)}, (
            role_id
        )


def test_only_the_email_notifier_may_send_email_and_only_from_its_sender_and_domain(vigil: SynthesizedVigil) -> None:
    # Given every role's SES grants, and the sender from vigil:notifications
    grants = _grants_by_role(vigil, "ses")
    sender = vigil.stack.config.notifications.email_sender
    assert sender == "vigil@example.com"
    # Then only the email notifier holds any: SendEmail on the sender's identity or its domain's
    identity = ACCOUNT.format(service="ses") + "identity/"
    assert grants == {
        vigil.logical_id(_notifier(vigil, ChannelType.EMAIL).notifier.role): {
            ("ses:SendEmail", f"{identity}vigil@example.com"),
            ("ses:SendEmail", f"{identity}example.com"),
        }
    }


def test_only_the_sms_notifier_may_publish_on_star_and_no_other_notifier_uses_sns(vigil: SynthesizedVigil) -> None:
    # Given every role's SNS grants
    grants = _grants_by_role(vigil, "sns")
    sms_role = vigil.logical_id(_notifier(vigil, ChannelType.SMS).notifier.role)
    # Then only the SMS notifier may publish on "*" (a phone number has no ARN), and it may do nothing else in SNS
    assert {role_id for role_id, role_grants in grants.items() if any(r == "*" for _, r in role_grants)} == {sms_role}
    assert grants[sms_role] == {("sns:Publish", "*")}
    # And it is denied publishing to any topic, so "*" reaches phone numbers only
    denied = grants_of_role(vigil.resources, sms_role, effect="Deny")
    assert denied == {
        ("sns:Publish", json.dumps({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sns:*:*:*"]]}))
    }
    # And the other notifiers hold no SNS grant at all
    assert not _role_ids(vigil, set(ChannelType) - {ChannelType.SMS}) & set(grants)


@pytest.mark.parametrize("channel_type", CHANNEL_TYPES)
def test_a_notifier_may_send_to_and_consume_only_its_own_queue(
    vigil: SynthesizedVigil, channel_type: ChannelType
) -> None:
    # Given the notifier's SQS grants
    notifier = _notifier(vigil, channel_type)
    grants = grants_of_role(vigil.resources, vigil.logical_id(notifier.notifier.role))
    sqs = {(action, target) for action, target in grants if action.startswith("sqs:")}
    # Then it may send (a delayed delivery puts its message back) and consume, and only on its own queue
    own_queue = vigil.logical_id(notifier.queue)
    assert {target for _, target in sqs} == {own_queue}
    assert {action for action, _ in sqs} >= CONSUME | {"sqs:SendMessage"}
    # And no other role may send to that queue (SNS sends through the queue policy, not a role)
    senders = {
        role_id
        for role_id in vigil.of_type("AWS::IAM::Role")
        if ("sqs:SendMessage", own_queue) in grants_of_role(vigil.resources, role_id)
    }
    assert senders == {vigil.logical_id(notifier.notifier.role)}


@pytest.mark.parametrize("channel_type", CHANNEL_TYPES)
def test_a_notifier_writes_alerts_reads_the_config_table_and_touches_no_other_table(
    vigil: SynthesizedVigil, channel_type: ChannelType
) -> None:
    # Given the notifier's DynamoDB grants, by table
    role_id = vigil.logical_id(_notifier(vigil, channel_type).notifier.role)
    grants = grants_of_role(vigil.resources, role_id)
    storage = vigil.stack.storage

    def on(table: Any) -> set[str]:
        return {action for action, target in grants if target == vigil.logical_id(table)}

    # Then it reads and writes the alerts table (claims, delivery logs, the alerts it sends about)
    assert on(storage.alerts_table) >= READS | WRITES
    # And it reads the tenant's notification policy in the config table, and never changes it
    assert on(storage.config_table) >= READS
    assert not on(storage.config_table) & WRITES
    # And it cannot touch metrics, monitor states, SLA windows or idempotency records
    for table in (storage.metrics_table, storage.probes_table, storage.sla_windows_table, storage.idempotency_table):
        assert not on(table), table.node.path
    # And every DynamoDB grant is on one of those two tables (or, as Fn::Join, one of their indexes)
    tables = {vigil.logical_id(storage.alerts_table), vigil.logical_id(storage.config_table)}
    for statement in statements_of_role(vigil.resources, role_id):
        if any(action.startswith("dynamodb:") for action in _as_list(statement["Action"])):
            for resource in _as_list(statement["Resource"]):
                targets = set(getatt_targets(resource))
                assert targets and targets <= tables, resource


# --- vigil:notifications -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "named_in_error"),
    [
        ({"emailSender": "vigil.example.com"}, "vigil:notifications.emailSender"),
        ({"emailSender": "vigil@ops@example.com"}, "vigil:notifications.emailSender"),
        ({"emailSender": "vigil alerts@example.com"}, "vigil:notifications.emailSender"),
        ({"smsSenderId": "Vigil-Alerts"}, "vigil:notifications.smsSenderId"),
        ({"smsSenderId": "VigilAlertsXY"}, "vigil:notifications.smsSenderId"),
        ({"httpMaxAttempts": 0}, "vigil:notifications.httpMaxAttempts"),
        ({"httpMaxAttempts": 11}, "vigil:notifications.httpMaxAttempts"),
        ({"emailFrom": "vigil@example.com"}, "vigil:notifications.emailFrom"),
    ],
)
def test_bad_notification_options_fail_naming_the_context_key(change: dict[str, Any], named_in_error: str) -> None:
    # Given cdk.json's context with one bad vigil:notifications value (or an unknown key)
    context = read_cdk_json_context(PROJECT_ROOT)
    context[NOTIFICATIONS_KEY] = {**context[NOTIFICATIONS_KEY], **change}
    # When it is read / Then the error names the key
    with pytest.raises(InvalidStackContextError, match=re.escape(f"context key '{named_in_error}'")):
        StackConfig.from_context(context.get)


def test_notification_options_given_as_json_text_on_the_command_line_are_accepted() -> None:
    # Given vigil:notifications as `cdk synth -c vigil:notifications=...` passes it: a string
    context = read_cdk_json_context(PROJECT_ROOT)
    options = {"emailSender": "alerts@ops.example.org", "smsSenderId": "Vigil", "httpMaxAttempts": 5}
    context[NOTIFICATIONS_KEY] = json.dumps(options)
    # When it is read
    config = StackConfig.from_context(context.get)
    # Then it is decoded like its JSON equivalent
    notifications = config.notifications
    assert (notifications.email_sender, notifications.sms_sender_id, notifications.http_max_attempts) == (
        "alerts@ops.example.org",
        "Vigil",
        5,
    )


def test_building_the_app_with_an_email_sender_without_at_fails_naming_the_key(tmp_path: Path) -> None:
    # Given the app with an email sender that is no address (as `cdk synth -c` or CDK_CONTEXT_JSON would pass)
    notifications = {**read_cdk_json_context(PROJECT_ROOT)[NOTIFICATIONS_KEY], "emailSender": "vigil.example.com"}
    context = {
        DEPENDENCIES_LAYER_PATH_KEY: str(make_fake_dependencies_layer(tmp_path)),
        NOTIFICATIONS_KEY: notifications,
    }
    # When building it / Then construction stops, before any synthesis, with the key and the value in the message
    with pytest.raises(
        InvalidStackContextError, match=r"'vigil:notifications\.emailSender'.*pattern.*'vigil\.example\.com'"
    ):
        build_app(PROJECT_ROOT, context_overrides=context, outdir=str(tmp_path / "cdk.out"))
