"""The SQS queues vigil's functions consume, each with its dead-letter queue: encrypted with SQS-managed keys,
refusing requests without TLS, and a dead letter kept 14 days for a look and a redrive."""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

DEAD_LETTER_RETENTION: Final = Duration.days(14)


def dead_letter_queue(scope: Construct, construct_id: str, removal_policy: RemovalPolicy) -> sqs.Queue:
    return sqs.Queue(
        scope,
        construct_id,
        retention_period=DEAD_LETTER_RETENTION,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        removal_policy=removal_policy,
    )


def consumed_queue(
    scope: Construct,
    construct_id: str,
    *,
    dead_letters: sqs.IQueue,
    max_receives: int,
    visibility_timeout: Duration,
    removal_policy: RemovalPolicy,
) -> sqs.Queue:
    """A queue whose messages go to `dead_letters` after `max_receives` receives."""
    return sqs.Queue(
        scope,
        construct_id,
        visibility_timeout=visibility_timeout,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=max_receives),
        removal_policy=removal_policy,
    )


def subscribe_queue(topic: sns.ITopic, queue: sqs.IQueue, filter_policy: dict[str, Any]) -> None:
    """Deliver the topic's messages that match `filter_policy` (message attributes) to the queue, raw (no SNS
    envelope to unwrap). CDK's filter types cannot say "$or"; the policy is set on the CloudFormation resource."""
    subscription = topic.add_subscription(subscriptions.SqsSubscription(queue, raw_message_delivery=True))
    cfn_subscription = subscription.node.default_child
    assert isinstance(cfn_subscription, sns.CfnSubscription)
    cfn_subscription.filter_policy = filter_policy
