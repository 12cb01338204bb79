"""Benchmarks 6 and 7: alerting.

6. Detection latency in the local cloud: from the HTTP push of a breaching point to the publish of the alert's
   transition on the SNS topic, with `for: 0`. The stack is the synthesized template on the embedded moto, the
   local runtime's SQS pollers running the evaluator in the background as Lambda's pollers would (long polls
   of 1 s). Each round pushes a point for a new host (a new alert) and reads the subscribed queue; the latency
   is SNS's own `Timestamp` on the delivered message minus the moment before the push. Target: median
   <= 1 s (Alertmanager waits group_wait, 30 s by default, before its first notification).

7. 10,000 rules evaluated in one minute's run (`AlertEngine.evaluate_all`): 100 tenants x 100 threshold
   rules over 10 metrics each (data on 2 of them: 2 series, minute rollups for the last 5 minutes; 1 rule in
   100 breaching), on the same embedded moto. Counted with a botocore hook: DynamoDB read requests (GetItem,
   BatchGetItem, Query pages) per rule; wall time on moto is moto's speed (its queries scan whole tables), so
   the same evaluation also runs on in-memory stores for the cost of vigil's own code. Target: <= 0.25 read
   requests per rule (rules on one metric share one read; a tenant costs a policy read and three open-alert
   queries).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import REPO_ROOT, BenchmarkResult, Check, first_topic_message_time

DETECTION_TARGET_S = 1.0
READS_PER_RULE_TARGET = 0.25
READ_OPERATIONS = ("GetItem", "BatchGetItem", "Query", "Scan")


def _cloud(state_dir: Path) -> Any:
    from vigil_cli.local.cloud import LocalCloud
    from vigil_cli.local.synth import synth_context, synthesize

    probes = synth_context(REPO_ROOT)["vigil:probes"] | {"canaryUrl": ""}
    context = {"vigil:probes": probes, "vigil:monitorsFile": "", "vigil:alertRulesFile": ""}
    template = synthesize(state_dir / "cdk.out", repo_root=REPO_ROOT, context=context)
    return LocalCloud(template, state_dir=state_dir, start_schedules=False, start_pollers=True, start_sweeper=False)


def detection_latency(cloud: Any, rounds: int) -> dict[str, Any]:
    import boto3
    import httpx

    from vigil_cli.bootstrap import create_demo_tenant

    key = create_demo_tenant(cloud).api_key
    sqs = boto3.client("sqs", endpoint_url=cloud.backend_url, region_name="us-east-1")
    sns = boto3.client("sns", endpoint_url=cloud.backend_url, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="bench-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = cloud.functions.get("alerts").environment["ALERTS_TOPIC_ARN"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicy": json.dumps({"kind": ["transition"]})},
    )
    latencies: list[float] = []
    with httpx.Client(base_url=cloud.api_url, timeout=30, headers={"x-api-key": key}) as api:
        rule = {
            "name": "Disk full",
            "metric": "disk_used_percent",
            "window": "1m",
            "group_by": ["host"],
            "thresholds": [{"severity": "critical", "condition": "gt", "value": 90, "for": 0}],
        }
        assert api.post("/v1/alert-rules", json=rule).status_code == 201
        for round_number in range(rounds + 1):  # the first round warms the functions up and is not counted
            host = f"bench-{round_number}"
            point = {"name": "disk_used_percent", "type": "gauge", "value": 99, "labels": {"host": host}}
            started = time.time()
            response = api.post("/v1/metrics", json={"points": [point]})
            assert response.status_code == 202, response.text
            published = _wait_for_transition(sqs, queue_url, host, timeout_s=30)
            if round_number:
                latencies.append(published - started)
    latencies.sort()
    return {
        "rounds": rounds,
        "median_s": statistics.median(latencies),
        "p95_s": latencies[max(0, round(0.95 * len(latencies)) - 1)],
        "max_s": latencies[-1],
        "min_s": latencies[0],
    }


def _wait_for_transition(sqs: Any, queue_url: str, host: str, timeout_s: float) -> float:
    """SNS's publish time (epoch seconds) of the first transition for `host` to land in the queue."""
    return first_topic_message_time(
        sqs, queue_url, lambda body: body["alert"]["labels"].get("host") == host, timeout_s, f"transition for {host}"
    )


def rule_evaluation(cloud: Any, tenants: int, rules_per_tenant: int) -> dict[str, Any]:
    import boto3

    from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
    from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
    from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
    from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
    from vigil_core.adapters.dynamodb_rollups import DynamoDBRollupStore
    from vigil_core.adapters.memory import InMemoryRollupStore
    from vigil_core.adapters.memory_alerts import (
        MemoryAlertRuleRepository,
        MemoryAlertStore,
        RecordingAlertPublisher,
        RecordingEvaluationQueue,
    )
    from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
    from vigil_core.models.alerts import AlertRule
    from vigil_core.models.metrics import MetricBatch
    from vigil_core.services.alert_rules import parse_rule
    from vigil_core.services.alerting import AlertDesk, AlertEngine
    from vigil_core.services.ingest import Retention, ingest_batch

    # The evaluation runs alone: the background pollers' long polls would compete for moto's server threads.
    for poller in cloud.pollers:
        poller.stop_async()
    for poller in cloud.pollers:
        poller.join(5)
    environment = cloud.functions.get("alert-evaluator").environment
    client = boto3.client("dynamodb", endpoint_url=cloud.backend_url, region_name="us-east-1")
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.update([model.name]))
    rules_repo = DynamoDbAlertRuleRepository(environment["CONFIG_TABLE_NAME"], client)
    rollups = DynamoDBRollupStore(environment["METRICS_TABLE_NAME"], client)
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    metrics = [f"bench_metric_{index}" for index in range(10)]

    def points_of(tenant: str) -> MetricBatch:
        # Data on two of the ten metrics: moto's queries scan the whole table, so more data only slows moto.
        points = [
            {
                "name": metric,
                "type": "gauge",
                "value": 50.0,
                "labels": {"host": host},
                "timestamp": now - timedelta(minutes=m),
            }
            for metric in metrics[:2]
            for host in ("a", "b")
            for m in range(5)
        ]
        return MetricBatch.model_validate({"points": points})

    def set_up_tenant(tenant_number: int) -> None:
        tenant = f"bench-{tenant_number:03d}"
        ingest_batch(tenant, points_of(tenant), f"setup-{tenant}", rollups, Retention(), now)
        for rule_number in range(rules_per_tenant):
            threshold = 40 if rule_number == 0 else 60 + rule_number % 30  # one rule in a hundred breaches
            definition = parse_rule(
                {
                    "name": f"Rule {rule_number}",
                    "metric": metrics[rule_number % len(metrics)],
                    "aggregation": ("avg", "max", "min", "count")[rule_number % 4],
                    "window": "5m",
                    "group_by": ["host"],
                    "thresholds": [{"severity": "warning", "condition": "gt", "value": threshold}],
                }
            )
            rules_repo.create(
                AlertRule(
                    tenant_id=tenant, id=definition.rule_id, definition=definition, created_at=now, updated_at=now
                )
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(set_up_tenant, range(tenants)))
    publisher = RecordingAlertPublisher()
    desk = AlertDesk(
        rules_repo,
        DynamoDbAlertStore(environment["ALERTS_TABLE_NAME"], client),
        publisher,
        RecordingEvaluationQueue(),
        lambda: now,
    )
    engine = AlertEngine(
        desk,
        rollups,
        DynamoDbMonitorRepository(environment["CONFIG_TABLE_NAME"], client),
        DynamoDbProbeStore(environment["PROBES_TABLE_NAME"], environment["SLA_WINDOWS_TABLE_NAME"], client=client),
    )
    calls.clear()
    started = time.perf_counter()
    report = engine.evaluate_all(now)
    seconds = time.perf_counter() - started
    reads = sum(count for operation, count in calls.items() if operation in READ_OPERATIONS)
    rules = tenants * rules_per_tenant
    # The same evaluation on in-memory stores: what vigil's own code costs, without moto's table scans.
    memory_rules = MemoryAlertRuleRepository()
    memory_rollups = InMemoryRollupStore()
    for rule in rules_repo.all_rules():
        memory_rules.create(rule)
    for tenant in sorted({rule.tenant_id for rule in rules_repo.all_rules()}):
        ingest_batch(tenant, points_of(tenant), f"setup-{tenant}", memory_rollups, Retention(), now)
    memory_engine = AlertEngine(
        AlertDesk(memory_rules, MemoryAlertStore(), RecordingAlertPublisher(), RecordingEvaluationQueue(), lambda: now),
        memory_rollups,
        InMemoryMonitorRepository(),
        InMemoryProbeStore(),
    )
    memory_started = time.perf_counter()
    memory_report = memory_engine.evaluate_all(now)
    memory_seconds = time.perf_counter() - memory_started
    return {
        "rules": rules,
        "rules_evaluated": report.rules,
        "tenants": tenants,
        "seconds": seconds,
        "rules_per_second": rules / seconds,
        "read_requests": reads,
        "reads_per_rule": reads / rules,
        "requests_by_operation": dict(sorted(calls.items())),
        "alerts_fired": len(publisher.transitions),
        "observations": report.observations,
        "in_memory_seconds": memory_seconds,
        "in_memory_rules_per_second": rules / memory_seconds,
        "in_memory_alerts_fired": memory_report.transitions,
    }


def run(rounds: int = 20, tenants: int = 100, rules_per_tenant: int = 100) -> BenchmarkResult:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vigil-bench-alerting-") as state, _cloud(Path(state)) as cloud:
        detection = detection_latency(cloud, rounds)
        evaluation = rule_evaluation(cloud, tenants, rules_per_tenant)
    checks = [
        Check(
            case="detection latency, push to SNS publish, for: 0",
            metric="median seconds",
            value=round(detection["median_s"], 3),
            limit=DETECTION_TARGET_S,
            unit="s",
            values={k: round(v, 3) for k, v in detection.items() if k.endswith("_s")},
            note=f"{rounds} alerts; p95 {detection['p95_s']:.3f} s, max {detection['max_s']:.3f} s",
        ),
        Check(
            case=f"{evaluation['rules']:,} rules in one evaluation",
            metric="DynamoDB read requests per rule",
            value=round(evaluation["reads_per_rule"], 4),
            limit=READS_PER_RULE_TARGET,
            values={"seconds": round(evaluation["seconds"], 2), "read_requests": evaluation["read_requests"]},
            note=(
                f"{evaluation['read_requests']} reads; {evaluation['seconds']:.1f} s on moto, "
                f"{evaluation['in_memory_seconds']:.2f} s on in-memory stores; "
                f"{evaluation['alerts_fired']} alerts fired"
            ),
        ),
    ]
    return BenchmarkResult(
        name="alerting",
        title="Alert detection latency and the cost of evaluating 10,000 rules",
        unit="seconds; read requests per rule",
        target=f"median detection <= {DETECTION_TARGET_S} s; <= {READS_PER_RULE_TARGET} reads per rule",
        checks=checks,
        details={"detection": detection, "evaluation": evaluation, "backend": "embedded moto server (local cloud)"},
        seconds=time.perf_counter() - started,
    )
