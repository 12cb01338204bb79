"""vigil's own health: a CloudWatch dashboard of each stage of the pipeline, alarms on what needs an operator, and
the SNS topic the alarms publish to (docs/operations.md).

The dashboard graphs AWS's metrics (API Gateway, Lambda, SQS, Step Functions) and the EMF metrics the handlers emit
through Powertools: namespace METRICS_NAMESPACE, dimension `service` set to the function's POWERTOOLS_SERVICE_NAME
(Powertools adds it to every metric), plus `ChannelType` on the notifiers' metrics (their handler adds it). A metric
is found only with all of its dimensions, so each custom metric here names both where the handler emits both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from vigil_infra.constructs.alerting import Alerting
from vigil_infra.constructs.dashboard_api import DashboardApi
from vigil_infra.constructs.escalation import Escalation
from vigil_infra.constructs.function import METRICS_NAMESPACE, VigilFunction
from vigil_infra.constructs.ingest_api import IngestApi
from vigil_infra.constructs.monitors_api import MonitorsApi
from vigil_infra.constructs.notifications import NOTIFIER_MAX_RECEIVES, ChannelNotifier, Notifications
from vigil_infra.constructs.probes import Probes
from vigil_infra.constructs.sla import Sla

PERIOD: Final = Duration.minutes(5)
DASHBOARD_SUFFIX: Final = "-health"
# A pattern, not a blip: five failed requests in five minutes. A lone 5xx (say a cold start that hit the timeout)
# is retried by the client; the functions' error graphs show it.
API_SERVER_ERRORS_THRESHOLD: Final = 5
# Functions on a schedule or a queue: errors in 2 of the last 3 periods, so one bad minute does not page anyone.
FUNCTION_ERRORS_DATAPOINTS: Final = 2
FUNCTION_ERRORS_PERIODS: Final = 3
# The scheduler is invoked every minute; ten minutes without an invocation means no probe runs at all.
SCHEDULER_SILENT_PERIODS: Final = 2
GRAPH_HEIGHT: Final = 6
FULL_WIDTH: Final = 24


def service_name(function: VigilFunction) -> str:
    """The `service` dimension of a function's EMF metrics: its POWERTOOLS_SERVICE_NAME, as VigilFunction sets it."""
    return f"vigil-{function.name}"


@dataclass(frozen=True)
class DeadLetterQueue:
    """A queue that other queues of the stack send their messages to after too many failed receives."""

    queue: sqs.IQueue
    label: str  # its construct path under the stack, e.g. "Probes/ShardDeadLetters"
    sources: list[str] = field(default_factory=list)  # the source queues' construct paths
    max_receives: int = 0


def find_dead_letter_queues(scope: Construct) -> list[DeadLetterQueue]:
    """Every dead-letter queue of the stack that holds `scope`: each queue some sqs.Queue names in its redrive
    policy, in construct-tree order. It sees only the queues built so far, so call it once the stack is built."""
    stack = Stack.of(scope)
    found: dict[str, DeadLetterQueue] = {}
    for construct in stack.node.find_all():
        if not isinstance(construct, sqs.Queue) or construct.dead_letter_queue is None:
            continue
        target = construct.dead_letter_queue.queue
        path = target.node.path
        if path not in found:
            found[path] = DeadLetterQueue(
                queue=target,
                label=_relative_path(stack, path),
                max_receives=int(construct.dead_letter_queue.max_receive_count),
            )
        found[path].sources.append(_relative_path(stack, construct.node.path))
    return list(found.values())


def _relative_path(stack: Stack, path: str) -> str:
    return path.removeprefix(f"{stack.node.path}/")


class Observability(Construct):
    """The `<stack name>-health` dashboard, the alarms on vigil's own failures and the ops alarms topic.

    Build it after every other construct of the stack: it finds the dead-letter queues by walking the stack's
    construct tree and gives each one an alarm.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        ingest_api: IngestApi,
        monitors_api: MonitorsApi,
        probes: Probes,
        alerting: Alerting,
        notifications: Notifications,
        escalation: Escalation,
        sla: Sla,
        dashboard_api: DashboardApi,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stack_name = Stack.of(self).stack_name
        self._ingest_api = ingest_api
        self._monitors_api = monitors_api
        self._probes = probes
        self._alerting = alerting
        self._notifiers = list(notifications.notifiers.values())
        self._escalation = escalation
        self._sla = sla
        self._dashboard_api = dashboard_api
        self.dead_letter_queues = find_dead_letter_queues(self)
        self.alarms_topic = self._build_alarms_topic()
        self._action = cloudwatch_actions.SnsAction(self.alarms_topic)
        self.alarms: list[cloudwatch.Alarm] = []
        self.dead_letter_alarms = [self._dead_letter_alarm(dead_letters) for dead_letters in self.dead_letter_queues]
        self.api_server_errors_alarm = self._api_server_errors_alarm()
        self.probe_errors_alarms = [
            self._function_errors_alarm(
                "ProbeSchedulerErrors",
                "probe-scheduler-errors",
                probes.scheduler,
                "the probe scheduler failed: monitors of the failing interval class are not checked on time",
            ),
            self._function_errors_alarm(
                "ProbeWorkerErrors",
                "probe-worker-errors",
                probes.worker,
                "probe workers failed: the shards they held are retried, then parked in Probes/ShardDeadLetters",
            ),
        ]
        self.scheduler_silent_alarm = self._scheduler_silent_alarm()
        self.evaluator_errors_alarm = self._function_errors_alarm(
            "EvaluatorErrors",
            "alert-evaluator-errors",
            alerting.evaluator,
            "the alert evaluator failed: alerts may start, resolve or notify late",
        )
        self.notifier_errors_alarms = [self._notifier_errors_alarm(notifier) for notifier in self._notifiers]
        self.escalator_errors_alarm = self._function_errors_alarm(
            "EscalatorErrors",
            "escalator-errors",
            escalation.escalator,
            "the escalator failed: escalations may not start when alerts fire, or not stop when they are handled",
        )
        self.escalations_failed_alarm = self._escalations_failed_alarm()
        self.sla_report_errors_alarm = self._sla_report_errors_alarm()
        self.dashboard = self._build_dashboard()

    # --- the topic ---------------------------------------------------------------------------------------------

    def _build_alarms_topic(self) -> sns.Topic:
        # No KMS key: an alarm message carries the alarm's name, state and metric, no tenant data; and CloudWatch
        # would need a key policy to publish to an encrypted topic.
        topic = sns.Topic(self, "AlarmsTopic", display_name="vigil operations alarms", enforce_ssl=True)
        # The TLS policy takes the place of SNS's default topic policy, which let the account's alarms publish; this
        # statement lets CloudWatch publish again, for this account's alarms named after the stack only.
        stack = Stack.of(self)
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisStacksAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name=f"{self._stack_name}-*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )
        return topic

    # --- the alarms --------------------------------------------------------------------------------------------

    def _alarm(
        self,
        construct_id: str,
        *,
        name: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int = 1,
        missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=f"{self._stack_name}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            treat_missing_data=missing_data,
        )
        # OK as well: whoever was told it broke is told when it recovered.
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm

    def _dead_letter_alarm(self, dead_letters: DeadLetterQueue) -> cloudwatch.Alarm:
        queue_name = dead_letters.queue.queue_name
        sources = ", ".join(dead_letters.sources)
        return self._alarm(
            f"DeadLetters{dead_letters.label.replace('/', '')}",
            name=f"dlq-{dead_letters.label.replace('/', '-')}",
            metric=dead_letters.queue.metric_approximate_number_of_messages_visible(
                statistic=cloudwatch.Stats.MAXIMUM, period=PERIOD
            ),
            threshold=1,
            description=(
                f"Messages of {sources} failed {dead_letters.max_receives} receives and wait in the dead-letter "
                f"queue {queue_name} ({dead_letters.label}): what they carried has not been done. See them with "
                f"`vigil dlq list --aws --show 5` and the consuming function's log group for the error; once the "
                f"cause is fixed, send them back with `vigil dlq redrive --aws {queue_name}`. The alarm stays in "
                "ALARM while any message is left (messages expire after 14 days)."
            ),
        )

    def _api_server_errors_alarm(self) -> cloudwatch.Alarm:
        return self._alarm(
            "ApiServerErrors",
            name="api-5xx",
            metric=self._ingest_api.rest_api.metric_server_error(statistic=cloudwatch.Stats.SUM, period=PERIOD),
            threshold=API_SERVER_ERRORS_THRESHOLD,
            description=(
                f"The vigil API answered {API_SERVER_ERRORS_THRESHOLD} or more requests with 5xx in 5 minutes: "
                "metric pushes, heartbeats or API calls are failing. On the dashboard, find the function whose "
                'errors or server errors rose; read its log group ("unexpected error", "request failed" or a '
                "timeout); check Lambda throttles and DynamoDB errors. Roll back the last deploy if it started then."
            ),
        )

    def _function_errors_alarm(
        self, construct_id: str, name: str, function: VigilFunction, what_is_wrong: str
    ) -> cloudwatch.Alarm:
        return self._alarm(
            construct_id,
            name=name,
            metric=function.function.metric_errors(statistic=cloudwatch.Stats.SUM, period=PERIOD),
            threshold=1,
            evaluation_periods=FUNCTION_ERRORS_PERIODS,
            datapoints_to_alarm=FUNCTION_ERRORS_DATAPOINTS,
            description=(
                f"{function.name} invocations failed (an exception or a timeout) in {FUNCTION_ERRORS_DATAPOINTS} "
                f"of the last {FUNCTION_ERRORS_PERIODS} 5-minute periods: {what_is_wrong}. Read the log group "
                f'{function.log_group.log_group_name} for the error (a "Task timed out" line is a timeout); fix '
                "the configuration or roll back the last deploy."
            ),
        )

    def _scheduler_silent_alarm(self) -> cloudwatch.Alarm:
        scheduler = self._probes.scheduler
        minutes = SCHEDULER_SILENT_PERIODS * int(PERIOD.to_minutes())
        return self._alarm(
            "ProbeSchedulerSilent",
            name="probe-scheduler-silent",
            metric=scheduler.function.metric_invocations(statistic=cloudwatch.Stats.SUM, period=PERIOD),
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=SCHEDULER_SILENT_PERIODS,
            datapoints_to_alarm=SCHEDULER_SILENT_PERIODS,
            # No datapoint at all is exactly the failure: the function was not invoked.
            missing_data=cloudwatch.TreatMissingData.BREACHING,
            description=(
                f"The probe scheduler was not invoked for {minutes} minutes although EventBridge should invoke it "
                "every minute: no monitor is being checked. Check that the stack's Probes/Every* EventBridge rules "
                "are enabled and their targets have no failed invocations, and that the function is not throttled "
                "(reserved concurrency 0)."
            ),
        )

    def _notifier_errors_alarm(self, notifier: ChannelNotifier) -> cloudwatch.Alarm:
        channel = notifier.channel_type.value
        return self._function_errors_alarm(
            f"Notifier{channel.capitalize()}Errors",
            f"notifier-{channel}-errors",
            notifier.notifier,
            f"whole batches of {channel} notifications failed (a crash, a timeout, or every message of the batch; "
            "a single failed delivery is retried without an error), and their messages go to the dead-letter "
            f"queue after {NOTIFIER_MAX_RECEIVES} receives",
        )

    def _escalations_failed_alarm(self) -> cloudwatch.Alarm:
        machine = self._escalation.state_machine
        return self._alarm(
            "EscalationsFailed",
            name="escalations-failed",
            metric=machine.metric_failed(statistic=cloudwatch.Stats.SUM, period=PERIOD),
            threshold=1,
            description=(
                "An escalation execution failed: an alert that fires unacknowledged may not page its next levels. "
                "Open the escalation state machine's failed executions in the Step Functions console (the failed "
                "state's error: DynamoDB or SNS), or read its log group "
                f"{self._escalation.log_group.log_group_name}; the alert is still shown by `GET /v1/alerts`, "
                "so page the people on call by hand until the cause is fixed."
            ),
        )

    def _sla_report_errors_alarm(self) -> cloudwatch.Alarm:
        report = self._sla.report_function
        return self._alarm(
            "SlaReportErrors",
            name="sla-report-errors",
            metric=report.function.metric_errors(statistic=cloudwatch.Stats.SUM, period=PERIOD),
            threshold=1,
            description=(
                "The monthly SLA report job failed; Lambda retries it twice. Read the log group "
                f"{report.log_group.log_group_name} for the tenants whose report was not written, and check that a "
                "retry wrote them (reports/<YYYY-MM>/ in the reports bucket). If not, once the cause is fixed, "
                'invoke the function again with {"time": "<the scheduled time>"}: it skips the tenants already done.'
            ),
        )

    # --- the dashboard -----------------------------------------------------------------------------------------

    def _build_dashboard(self) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{self._stack_name}{DASHBOARD_SUFFIX}",
            default_interval=Duration.hours(3),
        )
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=(
                    f"# vigil health ({self._stack_name})\nEvery alarm below publishes to the ops alarms topic "
                    "(stack output OpsAlarmsTopicArn); what each means and what to do: docs/operations.md."
                ),
                width=FULL_WIDTH,
                height=2,
            )
        )
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(alarms=self.alarms, title="Alarms", width=FULL_WIDTH, height=GRAPH_HEIGHT)
        )
        for title, blurb, widgets in (
            ("Ingest", "The API and `POST /v1/metrics`.", self._ingest_widgets()),
            ("Probes", "Scheduler runs, shards on the shard queue, worker runs.", self._probe_widgets()),
            ("Alerting", "The alert evaluator: rules, transitions, group notifications.", self._alerting_widgets()),
            ("Notifications", "The notifiers per channel type, and every dead-letter queue.", self._notify_widgets()),
            ("Escalation", "The escalator and the escalation state machine.", self._escalation_widgets()),
            ("SLA reports", "The monthly SLA report job.", self._sla_widgets()),
        ):
            dashboard.add_widgets(cloudwatch.TextWidget(markdown=f"## {title}\n{blurb}", width=FULL_WIDTH, height=2))
            for row in widgets:
                dashboard.add_widgets(*row)
        return dashboard

    def _ingest_widgets(self) -> list[list[cloudwatch.IWidget]]:
        api = self._ingest_api.rest_api
        ingest = self._ingest_api.ingest_function
        api_functions = [
            self._ingest_api.ingest_function,
            self._ingest_api.query_function,
            self._monitors_api.monitors_function,
            self._monitors_api.heartbeat_function,
            self._alerting.api_function,
            self._sla.api_function,
            self._dashboard_api.dashboard_function,
            self._dashboard_api.account_function,
        ]
        return [
            [
                _graph("API requests", [api.metric_count(statistic=cloudwatch.Stats.SUM, label="requests")]),
                _graph(
                    "API errors",
                    [
                        api.metric_client_error(statistic=cloudwatch.Stats.SUM, label="4XXError"),
                        api.metric_server_error(statistic=cloudwatch.Stats.SUM, label="5XXError"),
                    ],
                ),
                _graph(
                    "API latency (ms)",
                    [
                        api.metric_latency(statistic=cloudwatch.Stats.p(50), label="Latency p50"),
                        api.metric_latency(statistic=cloudwatch.Stats.p(99), label="Latency p99"),
                        api.metric_integration_latency(
                            statistic=cloudwatch.Stats.p(99), label="IntegrationLatency p99"
                        ),
                    ],
                ),
                _graph(
                    "Points accepted",
                    [
                        _emitted(ingest, "PointsAccepted"),
                        _emitted(ingest, "BatchesReplayed"),
                        _emitted(ingest, "ClientErrors", label="batches refused (4xx)"),
                        _emitted(ingest, "ServerErrors", label="batches failed (5xx)"),
                    ],
                ),
            ],
            [
                _graph("Ingest function", _invocations_and_errors(ingest), width=8),
                _graph("Ingest duration (ms)", _durations(ingest), width=8),
                _graph(
                    "API functions: errors and server errors",
                    [
                        metric
                        for function in api_functions
                        for metric in (
                            function.function.metric_errors(label=f"{function.name} Errors"),
                            _emitted(function, "ServerErrors", label=f"{function.name} ServerErrors"),
                        )
                    ],
                    width=8,
                ),
            ],
        ]

    def _probe_widgets(self) -> list[list[cloudwatch.IWidget]]:
        scheduler, worker = self._probes.scheduler, self._probes.worker
        shards = self._probes.shard_queue
        return [
            [
                _graph(
                    "Probe runs: checks",
                    [
                        _emitted(scheduler, "MonitorsDue"),
                        _emitted(scheduler, "ChecksRun", label="ChecksRun by the scheduler"),
                        _emitted(worker, "ChecksRun", label="ChecksRun by workers"),
                        _emitted(scheduler, "ShardsQueued"),
                    ],
                ),
                _graph(
                    "Monitor transitions",
                    [
                        _emitted(scheduler, "Transitions", label="Transitions by the scheduler"),
                        _emitted(worker, "Transitions", label="Transitions by workers"),
                    ],
                ),
                _graph("Probe scheduler", _invocations_and_errors(scheduler), right=_durations(scheduler)[1:]),
                _graph("Probe workers", _invocations_and_errors(worker), right=_durations(worker)[1:]),
            ],
            [
                _graph(
                    "Shard queue",
                    [
                        shards.metric_approximate_number_of_messages_visible(
                            statistic=cloudwatch.Stats.MAXIMUM, label="shards waiting"
                        ),
                        shards.metric_approximate_age_of_oldest_message(
                            statistic=cloudwatch.Stats.MAXIMUM, label="oldest shard (s)"
                        ),
                    ],
                    width=FULL_WIDTH,
                ),
            ],
        ]

    def _alerting_widgets(self) -> list[list[cloudwatch.IWidget]]:
        evaluator = self._alerting.evaluator
        return [
            [
                _graph(
                    "Alert transitions",
                    [
                        _emitted(evaluator, "AlertTransitions"),
                        _emitted(evaluator, "GroupNotifications"),
                        _emitted(evaluator, "PublishErrors"),
                    ],
                ),
                _graph("Rules evaluated", [_emitted(evaluator, "RulesEvaluated")]),
                _graph("Alert evaluator", _invocations_and_errors(evaluator)),
                _graph(
                    "Evaluator backlog (s)",
                    [
                        queue.metric_approximate_age_of_oldest_message(
                            statistic=cloudwatch.Stats.MAXIMUM, label=f"{label}: oldest message"
                        )
                        for label, queue in (
                            ("evaluation queue", self._alerting.evaluation_queue),
                            ("transitions queue", self._probes.transitions_queue),
                        )
                    ],
                    right=_durations(evaluator)[1:],
                ),
            ]
        ]

    def _notify_widgets(self) -> list[list[cloudwatch.IWidget]]:
        notifiers = self._notifiers
        return [
            [
                _graph(
                    "Notifications delivered",
                    [_notified(notifier, "NotificationsDelivered") for notifier in notifiers],
                    width=8,
                ),
                _graph(
                    "Notifications failed (retried)",
                    [_notified(notifier, "NotificationsFailed") for notifier in notifiers],
                    width=8,
                ),
                _graph(
                    "Notifier errors",
                    [
                        notifier.notifier.function.metric_errors(label=f"{notifier.channel_type.value} Errors")
                        for notifier in notifiers
                    ],
                    width=8,
                ),
            ],
            [
                _graph(
                    "Dead-letter queues: messages waiting",
                    [
                        dead_letters.queue.metric_approximate_number_of_messages_visible(
                            statistic=cloudwatch.Stats.MAXIMUM, label=dead_letters.label
                        )
                        for dead_letters in self.dead_letter_queues
                    ],
                    width=FULL_WIDTH,
                ),
            ],
        ]

    def _escalation_widgets(self) -> list[list[cloudwatch.IWidget]]:
        machine = self._escalation.state_machine
        escalator = self._escalation.escalator
        return [
            [
                _graph(
                    "Escalation executions",
                    [
                        machine.metric_started(label="ExecutionsStarted"),
                        machine.metric_succeeded(label="ExecutionsSucceeded"),
                        machine.metric_failed(label="ExecutionsFailed"),
                        machine.metric_timed_out(label="ExecutionsTimedOut"),
                        machine.metric_aborted(label="ExecutionsAborted (stopped by the escalator)"),
                    ],
                    width=8,
                ),
                _graph(
                    "Escalator outcomes",
                    [
                        _emitted(escalator, name)
                        for name in (
                            "EscalationsStarted",
                            "EscalationsAlreadyStarted",
                            "EscalationsStopped",
                            "EscalationTransitionsIgnored",
                        )
                    ],
                    width=8,
                ),
                _graph("Escalator", _invocations_and_errors(escalator), width=8),
            ]
        ]

    def _sla_widgets(self) -> list[list[cloudwatch.IWidget]]:
        report = self._sla.report_function
        return [
            [
                _graph("SLA report job", _invocations_and_errors(report), width=8),
                _graph("SLA report job duration (ms)", _durations(report)[1:], width=8),
                _graph("SLA reports written", [_emitted(report, "SlaReportsWritten")], width=8),
            ]
        ]


def _graph(
    title: str,
    left: Sequence[cloudwatch.IMetric],
    *,
    right: Sequence[cloudwatch.IMetric] = (),
    width: int = 6,
) -> cloudwatch.GraphWidget:
    """A graph of 5-minute points; `right`: durations (ms) beside counts, on an axis of their own."""
    return cloudwatch.GraphWidget(
        title=title, left=list(left), right=list(right), width=width, height=GRAPH_HEIGHT, period=PERIOD
    )


def _emitted(function: VigilFunction, name: str, *, label: str | None = None) -> cloudwatch.Metric:
    """A metric the function's handler emits with Powertools (its `service` dimension only)."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": service_name(function)},
        statistic=cloudwatch.Stats.SUM,
        period=PERIOD,
        label=label or name,
    )


def _notified(notifier: ChannelNotifier, name: str) -> cloudwatch.Metric:
    """A notifier's delivery count: its handler adds the ChannelType dimension to every metric."""
    channel = notifier.channel_type.value
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": service_name(notifier.notifier), "ChannelType": channel},
        statistic=cloudwatch.Stats.SUM,
        period=PERIOD,
        label=channel,
    )


def _invocations_and_errors(function: VigilFunction) -> list[cloudwatch.IMetric]:
    lambda_function = function.function
    return [
        lambda_function.metric_invocations(label="Invocations"),
        lambda_function.metric_errors(label="Errors"),
        lambda_function.metric_throttles(label="Throttles"),
    ]


def _durations(function: VigilFunction) -> list[cloudwatch.IMetric]:
    """p50, p99 and maximum duration (ms); beside counts, the last two are enough."""
    lambda_function = function.function
    return [
        lambda_function.metric_duration(statistic=cloudwatch.Stats.p(50), label="Duration p50"),
        lambda_function.metric_duration(statistic=cloudwatch.Stats.p(99), label="Duration p99"),
        lambda_function.metric_duration(statistic=cloudwatch.Stats.MAXIMUM, label="Duration max"),
    ]
