"""Benchmark 1: CPU per 1,000-point batch through the ingest handler, against the parse-and-validate floor.

The floor is what any implementation must do: `json.loads` plus pydantic validation of the same batch.
Everything above it (authentication, Powertools routing and logging, aggregation, the store, the EMF
metrics line, the response) is the handler's overhead. CPU time (process_time_ns), not wall time, so
a busy machine slows both sides alike; the verdict is on the ratio of medians.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    BENCH_TENANT,
    BenchmarkResult,
    Check,
    FakeLambdaContext,
    apply_handler_env,
    batch_body,
    in_memory_ingest_dependencies,
    ingest_event,
    interleaved_cpu_ns,
    load_handler,
    make_points,
    make_series,
    median_ms,
    quartiles_ms,
    sample_api_key,
    silenced_stdout,
    spread_over,
)

POINTS = 1000
SERIES = 50
TARGET_RATIO = 2.0
NO_TIMESTAMPS = "1,000 points / 50 series, no timestamps"


def _variants(now: datetime) -> dict[str, str]:
    series = make_series(SERIES)
    return {
        NO_TIMESTAMPS: batch_body(make_points(POINTS, series)),
        "1,000 points / 50 series, timestamps over 5 min": batch_body(
            make_points(POINTS, series, spread_over(now, timedelta(minutes=5)))
        ),
    }


def run(repetitions: int = 200, block: int = 10, warmup: int = 20) -> BenchmarkResult:
    apply_handler_env()
    handler = load_handler("ingest")
    from vigil_core.models.metrics import MetricBatch

    deps = in_memory_ingest_dependencies(sample_api_key())
    handler.dependencies.use(deps)  # one store for the whole run: steady state, items already exist
    context = FakeLambdaContext()
    checks: list[Check] = []
    details: dict[str, Any] = {"points": POINTS, "series": SERIES, "repetitions": repetitions, "block": block}

    for case, body in _variants(datetime.now(UTC)).items():
        event = ingest_event(body)

        def run_handler(event: dict[str, Any] = event) -> None:
            response = handler.handler(event, context)
            if response["statusCode"] != 202:
                raise RuntimeError(f"ingest handler answered {response['statusCode']}: {response['body']}")

        def run_floor(body: str = body) -> None:
            MetricBatch.model_validate(json.loads(body), context={"now": datetime.now(UTC)})

        operations: dict[str, Callable[[], object]] = {"handler": run_handler, "floor": run_floor}
        with silenced_stdout():
            for operation in operations.values():
                for _ in range(warmup):
                    operation()
            samples = interleaved_cpu_ns(operations, repetitions, block)
        handler_ms, floor_ms = median_ms(samples["handler"]), median_ms(samples["floor"])
        checks.append(
            Check(
                case=case,
                metric="handler / floor (CPU)",
                value=round(handler_ms / floor_ms, 3),
                limit=TARGET_RATIO,
                values={
                    "handler_ms": round(handler_ms, 3),
                    "floor_ms": round(floor_ms, 3),
                    "ratio": round(handler_ms / floor_ms, 3),
                    "handler_iqr_ms": _spread(quartiles_ms(samples["handler"])),
                    "floor_iqr_ms": _spread(quartiles_ms(samples["floor"])),
                },
                note=f"handler {handler_ms:.2f} ms, floor {floor_ms:.2f} ms",
            )
        )

    details["breakdown_no_timestamps"] = _breakdown(
        handler, deps, context, _variants(datetime.now(UTC))[NO_TIMESTAMPS], repetitions // 2, block, warmup
    )
    details["note"] = (
        "breakdown: stages timed separately on the no-timestamps batch; 'powertools_and_http' is the handler "
        "minus submit_batch (routing, request/response mapping, logger context, EMF flush)"
    )
    return BenchmarkResult(
        name="ingest_cpu",
        title="Ingest CPU per 1,000-point batch",
        unit="ms CPU",
        target=f"handler <= {TARGET_RATIO}x (json.loads + pydantic validation)",
        checks=checks,
        details=details,
    )


def _spread(quartiles: tuple[float, float]) -> float:
    return round(quartiles[1] - quartiles[0], 3)


def _breakdown(
    handler: Any, deps: Any, context: FakeLambdaContext, body: str, repetitions: int, block: int, warmup: int
) -> dict[str, float]:
    """Median CPU of each stage of the handler, to say where the time goes."""
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

    from vigil_core.api import request_from
    from vigil_core.models.metrics import MetricBatch
    from vigil_core.models.rollups import aggregate
    from vigil_core.services.ingest import Retention, parse_batch, submit_batch

    event = ingest_event(body)
    request = request_from(APIGatewayProxyEvent(event))
    raw = body.encode()
    now = datetime.now(UTC)
    batch = MetricBatch.model_validate_json(raw, context={"now": now})
    deltas = aggregate(batch.points, now)
    expires = Retention().seconds_by_resolution()
    batch_ids = itertools.count()  # a fresh batch id per call, or the store would skip it as a replay

    operations: dict[str, Callable[[], object]] = {
        "handler": lambda: handler.handler(event, context),
        "submit_batch": lambda: submit_batch(request, deps, datetime.now(UTC)),
        "parse_batch": lambda: parse_batch(raw, now),
        "json_loads_plus_validate": lambda: MetricBatch.model_validate(json.loads(body), context={"now": now}),
        "aggregate": lambda: aggregate(batch.points, now),
        "store_apply": lambda: deps.store.apply(BENCH_TENANT, f"b{next(batch_ids)}", deltas, expires),
    }
    with silenced_stdout():
        for operation in operations.values():
            for _ in range(warmup):
                operation()
        samples = interleaved_cpu_ns(operations, repetitions, block)
    medians = {name: round(median_ms(values), 3) for name, values in samples.items()}
    medians["powertools_and_http"] = round(medians["handler"] - medians["submit_batch"], 3)
    return medians
