"""Synthetic probes: one schedule rule per interval class → the probe scheduler, which runs a class's
monitors itself or queues shards for probe workers; transitions go to a queue for alert evaluation.

monitors.yaml is validated here, at synth time (a bad definition fails the synth, naming the field),
and shipped beside the scheduler's handler as normalized JSON; the scheduler applies it when it changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from vigil_core.models.monitors import INTERVAL_CLASSES, format_duration
from vigil_core.services.monitors_as_code import parse_monitors_document, to_document
from vigil_infra.config import StackConfig
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.constructs.layers import VigilLayers
from vigil_infra.constructs.queues import consumed_queue, dead_letter_queue
from vigil_infra.constructs.storage import VigilStorage
from vigil_infra.documents import handler_with_document, load_document_file
from vigil_infra.paths import ProjectPaths

MONITORS_JSON: Final = "monitors.json"
# A failing shard is retried twice, then parked in the dead-letter queue for inspection.
MAX_RECEIVES: Final = 3
PROBE_MEMORY_MB: Final = 1769
# Six times the alert evaluator's 60 s timeout.
TRANSITIONS_VISIBILITY_S: Final = 360


class InvalidMonitorsFileError(ValueError):
    """monitors.yaml cannot be read or has invalid monitors; the message lists each problem."""


def load_monitors_file(path: Path) -> dict[str, object]:
    """The normalized monitors document, or an error naming the file, each bad field and why."""
    return load_document_file(path, lambda data: to_document(parse_monitors_document(data)), InvalidMonitorsFileError)


class Probes(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        storage: VigilStorage,
        layers: VigilLayers,
        paths: ProjectPaths,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._storage = storage
        self._layers = layers
        self._paths = paths
        self.transitions_dead_letters = self._dead_letter_queue("TransitionsDeadLetters")
        # The alert evaluator consumes it. A message stays invisible for six times the evaluator's timeout (as
        # Lambda advises), so a slow batch is not received twice and pushed towards the dead-letter queue.
        self.transitions_queue = self._queue(
            "TransitionsQueue", self.transitions_dead_letters, Duration.seconds(TRANSITIONS_VISIBILITY_S)
        )
        self.shard_dead_letters = self._dead_letter_queue("ShardDeadLetters")
        # A shard stays invisible for as long as a worker may take on it, so no second worker runs it at once.
        self.shard_queue = self._queue(
            "ShardQueue", self.shard_dead_letters, Duration.seconds(config.probes.timeout_seconds * 6)
        )
        self.scheduler = self._build_function(
            "SchedulerFunction",
            "probe-scheduler",
            self._scheduler_code(),
            {"MONITORS_FILE": MONITORS_JSON if config.monitors_file else ""},
        )
        self.worker = self._build_function("WorkerFunction", "probe-worker", paths.function_code("probe_worker"), {})
        self._grant()
        self.worker.function.add_event_source(
            event_sources.SqsEventSource(self.shard_queue, batch_size=1, report_batch_item_failures=True)
        )
        self.rules = [self._schedule_rule(interval) for interval in INTERVAL_CLASSES]

    def _scheduler_code(self) -> Path:
        source = self._paths.function_code("probe_scheduler")
        monitors_file = self._config.monitors_file
        if not monitors_file:
            return source
        document = load_monitors_file(self._paths.root / monitors_file)
        return handler_with_document(source, document, MONITORS_JSON)

    def _build_function(
        self, construct_id: str, name: str, code_dir: Path, extra_environment: dict[str, str]
    ) -> VigilFunction:
        probes = self._config.probes
        storage = self._storage
        return VigilFunction(
            self,
            construct_id,
            name=name,
            code_dir=code_dir,
            layers=self._layers.all_layers,
            log_retention=self._config.log_retention,
            removal_policy=self._config.removal_policy,
            timeout=Duration.seconds(probes.timeout_seconds),
            # A run of a thousand checks is CPU-bound (TLS, HTTP parsing, one event loop): 1,769 MB is where
            # Lambda gives a whole vCPU, so the run finishes sooner and response times are not inflated by
            # checks waiting for the loop (docs/benchmarks.md).
            memory_size=PROBE_MEMORY_MB,
            environment={
                "CONFIG_TABLE_NAME": storage.config_table.table_name,
                "PROBES_TABLE_NAME": storage.probes_table.table_name,
                "SLA_WINDOWS_TABLE_NAME": storage.sla_windows_table.table_name,
                "PROBE_SHARD_QUEUE_URL": self.shard_queue.queue_url,
                "PROBE_TRANSITIONS_QUEUE_URL": self.transitions_queue.queue_url,
                "PROBE_CONCURRENCY": str(probes.concurrency),
                "PROBE_DEADLINE_SECONDS": str(probes.deadline_seconds),
                "PROBE_MAX_SHARD_SIZE": str(probes.max_shard_size),
                "PROBE_CANARY_URL": probes.canary_url,
                **extra_environment,
            },
        )

    def _grant(self) -> None:
        storage = self._storage
        for probe in (self.scheduler, self.worker):
            storage.probes_table.grant_read_write_data(probe.function)
            storage.sla_windows_table.grant_read_write_data(probe.function)
            self.transitions_queue.grant_send_messages(probe.function)
        storage.grant_config_access(self.worker.function, write=False)
        # The scheduler applies monitors.yaml to the config table.
        storage.grant_config_access(self.scheduler.function, write=True, monitors_index=True)
        self.shard_queue.grant_send_messages(self.scheduler.function)

    def _schedule_rule(self, interval: int) -> events.Rule:
        # EventBridge fires at most once a minute: the 30 s class runs twice per firing (see the scheduler).
        period = max(interval, 60)
        label = format_duration(interval)
        rule = events.Rule(
            self,
            f"Every{label}",
            description=f"vigil: run the {label} probe monitors",
            schedule=events.Schedule.rate(Duration.seconds(period)),
        )
        rule.add_target(
            targets.LambdaFunction(
                self.scheduler.function,
                # The scheduled time (not the arrival time) picks the slot, so a late delivery checks the
                # slot it was meant for.
                event=events.RuleTargetInput.from_object({"interval": interval, "time": events.EventField.time}),
                retry_attempts=0,  # a late run is worth less than the next one, a minute later
            )
        )
        return rule

    def _queue(self, construct_id: str, dead_letters: sqs.Queue, visibility: Duration) -> sqs.Queue:
        return consumed_queue(
            self,
            construct_id,
            dead_letters=dead_letters,
            max_receives=MAX_RECEIVES,
            visibility_timeout=visibility,
            removal_policy=self._config.removal_policy,
        )

    def _dead_letter_queue(self, construct_id: str) -> sqs.Queue:
        return dead_letter_queue(self, construct_id, self._config.removal_policy)
