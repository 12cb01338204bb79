"""Notification fan-out: the alerts topic to one SQS queue (and DLQ) per channel type, each drained by its
notifier function with partial batch responses.

A queue's filter policy takes notifications and escalation pages whose `channels` attribute names its type (the
evaluator sets it from the tenant's routes, severity and state; the escalation state machine from the level's
targets); the PagerDuty queue also takes acknowledgements, so incidents
it opened stop paging. Notifiers read channel secrets only under vigil/notify/ (Secrets Manager) and
/vigil/notify/ (SSM).
"""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sns as sns
from constructs import Construct

from vigil_core.models.notifications import PARAMETERS_PREFIX, SECRET_CHANNELS, SECRETS_PREFIX, ChannelType
from vigil_infra.config import StackConfig
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.constructs.layers import VigilLayers
from vigil_infra.constructs.queues import consumed_queue, dead_letter_queue, subscribe_queue
from vigil_infra.constructs.storage import VigilStorage
from vigil_infra.nag import acknowledge_nag_finding, cfn_resource_of
from vigil_infra.paths import ProjectPaths

NOTIFIER_TIMEOUT: Final = Duration.seconds(60)
# Five receives: with the visibility timeout below, a channel has about half an hour to come back before its
# messages go to the dead-letter queue (and `vigil dlq redrive` can replay them).
NOTIFIER_MAX_RECEIVES: Final = 5
NOTIFIER_BATCH_SIZE: Final = 10


def filter_policy(channel_type: ChannelType) -> dict[str, Any]:
    # Group notifications and escalation pages, each published with the channel types it is for.
    notifications = {"kind": ["notification", "escalation"], "channels": [channel_type.value]}
    if channel_type is not ChannelType.PAGERDUTY:
        return notifications
    return {"$or": [notifications, {"kind": ["transition"], "state": ["acknowledged"]}]}


class ChannelNotifier(Construct):
    """One channel type's queue, dead-letter queue, subscription and function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        channel_type: ChannelType,
        topic: sns.ITopic,
        config: StackConfig,
        storage: VigilStorage,
        layers: VigilLayers,
        paths: ProjectPaths,
    ) -> None:
        super().__init__(scope, construct_id)
        self.channel_type = channel_type
        self.dead_letters = dead_letter_queue(self, "DeadLetters", config.removal_policy)
        self.queue = consumed_queue(
            self,
            "Queue",
            dead_letters=self.dead_letters,
            max_receives=NOTIFIER_MAX_RECEIVES,
            # Six times the function's timeout, as Lambda advises for SQS sources.
            visibility_timeout=Duration.seconds(NOTIFIER_TIMEOUT.to_seconds() * 6),
            removal_policy=config.removal_policy,
        )
        subscribe_queue(topic, self.queue, filter_policy(channel_type))
        options = config.notifications
        environment = {
            "CHANNEL_TYPE": channel_type.value,
            "CONFIG_TABLE_NAME": storage.config_table.table_name,
            "ALERTS_TABLE_NAME": storage.alerts_table.table_name,
            "NOTIFIER_QUEUE_URL": self.queue.queue_url,
            "HTTP_MAX_ATTEMPTS": str(options.http_max_attempts),
        }
        if channel_type is ChannelType.EMAIL:
            environment["EMAIL_SENDER"] = options.email_sender
        if channel_type is ChannelType.SMS and options.sms_sender_id:
            environment["SMS_SENDER_ID"] = options.sms_sender_id
        self.notifier = VigilFunction(
            self,
            "Function",
            name=f"notifier-{channel_type.value}",
            code_dir=paths.function_code("notifier"),
            layers=layers.all_layers,
            log_retention=config.log_retention,
            removal_policy=config.removal_policy,
            timeout=NOTIFIER_TIMEOUT,
            environment=environment,
        )
        function = self.notifier.function
        function.add_event_source(
            event_sources.SqsEventSource(self.queue, batch_size=NOTIFIER_BATCH_SIZE, report_batch_item_failures=True)
        )
        self.queue.grant_send_messages(function)  # a delayed route puts its message back with a delay
        storage.grant_alerts_access(function, write=True)  # claims, delivery logs, alerts read back
        storage.grant_config_access(function, write=False)  # the tenant's notification policy
        self._grant_channel(function, options.email_sender)

    def _grant_channel(self, function: lambda_.IFunction, email_sender: str) -> None:
        """What this channel type sends through, in a policy of its own so each wildcard has its reason."""
        stack = Stack.of(self)
        if self.channel_type in SECRET_CHANNELS:
            secrets = stack.format_arn(
                service="secretsmanager",
                resource="secret",
                resource_name=f"{SECRETS_PREFIX}*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            parameters = stack.format_arn(
                service="ssm", resource="parameter", resource_name=f"{PARAMETERS_PREFIX.lstrip('/')}*"
            )
            statements = [
                iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secrets]),
                iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[parameters]),
            ]
            findings = [f"IAM5[Resource::{_nag_arn(arn)}]" for arn in ("secretsmanager", "ssm")]
            reason = (
                "Channel secrets are created by operators under the vigil/notify/ prefix, one per channel; the "
                "notifier may read that prefix and nothing else."
            )
        elif self.channel_type is ChannelType.EMAIL:
            domain = email_sender.rpartition("@")[2]
            identities = [
                stack.format_arn(service="ses", resource="identity", resource_name=name)
                for name in (email_sender, domain)
            ]
            statements = [iam.PolicyStatement(actions=["ses:SendEmail"], resources=identities)]
            findings, reason = [], ""
        elif self.channel_type is ChannelType.SMS:
            statements = [
                iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]),
                # Phone numbers only: no topic (the alerts topic included) may be published to with this grant.
                iam.PolicyStatement(
                    effect=iam.Effect.DENY,
                    actions=["sns:Publish"],
                    resources=[stack.format_arn(service="sns", resource="*", region="*", account="*")],
                ),
            ]
            findings = ["IAM5[Resource::*]"]
            reason = "SMS is sent with sns:Publish to a phone number, which has no ARN: SNS authorizes it on *."
        else:
            return
        policy = iam.Policy(self, "ChannelAccess", statements=statements)
        policy.attach_to_role(self.notifier.role)
        for finding in findings:
            acknowledge_nag_finding(cfn_resource_of(policy), rule=finding, reason=reason)


def _nag_arn(service: str) -> str:
    """The wildcard ARN as cdk-nag names it in a finding (CloudFormation pseudo parameters in brackets)."""
    account = "<AWS::Partition>", "<AWS::Region>", "<AWS::AccountId>"
    if service == "secretsmanager":
        return f"arn:{account[0]}:secretsmanager:{account[1]}:{account[2]}:secret:{SECRETS_PREFIX}*"
    return f"arn:{account[0]}:ssm:{account[1]}:{account[2]}:parameter{PARAMETERS_PREFIX}*"


class Notifications(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        config: StackConfig,
        storage: VigilStorage,
        layers: VigilLayers,
        paths: ProjectPaths,
    ) -> None:
        super().__init__(scope, construct_id)
        self.notifiers = {
            channel_type: ChannelNotifier(
                self,
                channel_type.value.capitalize(),
                channel_type=channel_type,
                topic=topic,
                config=config,
                storage=storage,
                layers=layers,
                paths=paths,
            )
            for channel_type in ChannelType
        }
