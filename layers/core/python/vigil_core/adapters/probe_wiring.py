"""The probe service assembled from its AWS adapters, as both probe functions use it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from vigil_core.adapters.checks.network import NetworkChecks
from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
from vigil_core.adapters.sqs_probes import SqsShardQueue, SqsTransitionPublisher
from vigil_core.probes.runner import ProbeRunner, RunLimits
from vigil_core.services.monitors_as_code import CodeMonitor, parse_monitors_document
from vigil_core.services.probing import ProbeService
from vigil_core.settings import ProbeSettings


def _now() -> datetime:
    return datetime.now(UTC)


def build_probe_service(settings: ProbeSettings) -> ProbeService:
    limits = RunLimits(concurrency=settings.probe_concurrency, deadline_s=settings.probe_deadline_seconds)
    return ProbeService(
        monitors=DynamoDbMonitorRepository(settings.config_table_name),
        store=DynamoDbProbeStore(settings.probes_table_name, settings.sla_windows_table_name),
        runner=ProbeRunner(NetworkChecks(), limits, canary_url=settings.probe_canary_url or None),
        publisher=SqsTransitionPublisher(settings.probe_transitions_queue_url),
        shard_queue=SqsShardQueue(settings.probe_shard_queue_url),
        limits=limits,
        max_shard_size=settings.probe_max_shard_size,
        clock=_now,
    )


def load_code_monitors(monitors_file: str, relative_to: Path) -> list[CodeMonitor]:
    """The monitors the stack was deployed with (none when the stack ships no file)."""
    if not monitors_file:
        return []
    path = relative_to / monitors_file
    return parse_monitors_document(json.loads(path.read_text(encoding="utf-8")))
