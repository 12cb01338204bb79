"""Least privilege: what each function's role may do, table by table."""

from __future__ import annotations

import pytest

from tests.infra.synthesized import SynthesizedVigil, grants_of_role, statements_of_role

pytestmark = pytest.mark.infra

WRITE_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}
READ_ACTIONS = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"}
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# What Queue.grant_send_messages grants: sending, and finding the queue; never receiving or deleting.
QUEUE_SEND_ACTIONS = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}


def _actions_on(grants: set[tuple[str, str]], target: str) -> set[str]:
    return {action for action, granted_target in grants if granted_target == target}


def _role_grants(vigil: SynthesizedVigil, function_attribute: str) -> set[tuple[str, str]]:
    function = getattr(vigil.stack.ingest_api, function_attribute)
    return grants_of_role(vigil.resources, vigil.logical_id(function.role))


def _table_ids(vigil: SynthesizedVigil) -> dict[str, str]:
    storage = vigil.stack.storage
    return {
        "config": vigil.logical_id(storage.config_table),
        "metrics": vigil.logical_id(storage.metrics_table),
        "idempotency": vigil.logical_id(storage.idempotency_table),
    }


def test_ingest_writes_metrics_and_idempotency_records_and_only_adds_to_config(vigil: SynthesizedVigil) -> None:
    # Given the ingest function's effective grants
    grants = _role_grants(vigil, "ingest_function")
    tables = _table_ids(vigil)
    # Then it can read and write rollups and idempotency records
    for table in ("metrics", "idempotency"):
        assert _actions_on(grants, tables[table]) >= READ_ACTIONS | WRITE_ACTIONS, table
    # And it can read tenants and API keys; its one write action is the metric catalogue's batch of puts (no
    # single put, update or delete)
    assert _actions_on(grants, tables["config"]) >= READ_ACTIONS
    assert WRITE_ACTIONS & _actions_on(grants, tables["config"]) == {"dynamodb:BatchWriteItem"}


def test_query_only_reads_and_never_touches_idempotency(vigil: SynthesizedVigil) -> None:
    # Given the query function's effective grants
    grants = _role_grants(vigil, "query_function")
    tables = _table_ids(vigil)
    # Then it reads config and metrics
    assert _actions_on(grants, tables["config"]) >= READ_ACTIONS
    assert _actions_on(grants, tables["metrics"]) >= READ_ACTIONS
    # And it cannot write anything anywhere, nor see idempotency records
    assert not {action for action, _ in grants} & WRITE_ACTIONS
    assert not _actions_on(grants, tables["idempotency"])


def test_ingest_may_only_send_to_the_alert_evaluation_queue(vigil: SynthesizedVigil) -> None:
    # Given the ingest function's grants on the alert evaluation queue
    grants = _role_grants(vigil, "ingest_function")
    queue = vigil.logical_id(vigil.stack.alerting.evaluation_queue)
    # Then it may ask for the pushed metrics' rules to be evaluated, and do nothing else with the queue
    assert _actions_on(grants, queue) == QUEUE_SEND_ACTIONS
    # And it touches no other queue and no topic
    assert {target for action, target in grants if action.startswith("sqs:")} == {queue}
    assert not [action for action, _ in grants if action.startswith("sns:")]


@pytest.mark.parametrize("function_attribute", ["ingest_function", "query_function"])
def test_role_may_do_nothing_beyond_its_tables_log_group_and_xray(
    vigil: SynthesizedVigil, function_attribute: str
) -> None:
    # Given one function's grants (ingest's also reach the alert evaluation queue and the SLA windows table, where
    # metric SLOs count the pushed events)
    function = getattr(vigil.stack.ingest_api, function_attribute)
    grants = _role_grants(vigil, function_attribute)
    allowed_targets = {*_table_ids(vigil).values(), vigil.logical_id(function.log_group)}
    if function_attribute == "ingest_function":
        allowed_targets.add(vigil.logical_id(vigil.stack.alerting.evaluation_queue))
        allowed_targets.add(vigil.logical_id(vigil.stack.storage.sla_windows_table))
    # Then logs go only to its own log group
    assert {action for action, target in grants if action.startswith("logs:")} == LOG_ACTIONS
    assert _actions_on(grants, vigil.logical_id(function.log_group)) == LOG_ACTIONS
    # And the only wildcard resource is X-Ray, which has no resource-level permissions
    wildcard_statements = [
        statement
        for statement in statements_of_role(vigil.resources, vigil.logical_id(function.role))
        if statement["Resource"] == "*"
    ]
    assert [set(statement["Action"]) for statement in wildcard_statements] == [XRAY_ACTIONS]
    # And every other grant names one of its tables, its log group or (ingest) the evaluation queue and the SLA
    # windows table
    assert {target for _, target in grants} - {'"*"'} <= allowed_targets
