"""Run every benchmark, print a summary and write the results as JSON.

    python -m bench.run [--output bench/results/latest.json] [--only NAME ...] [--quick] [--probe-moto]

A missed target is reported as MISSED, but the exit code stays 0: this measures, it does not test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import (
    alerting,
    cold_import,
    dashboard,
    dynamodb_writes,
    escalation,
    ingest_cpu,
    notifications,
    peak_rss,
    probe_run,
    sla,
)
from bench.common import REPO_ROOT, BenchmarkResult

DEFAULT_OUTPUT = REPO_ROOT / "bench" / "results" / "latest.json"
PACKAGES = (
    "boto3",
    "botocore",
    "pydantic",
    "pydantic-core",
    "aws-lambda-powertools",
    "aws-xray-sdk",
    "moto",
    "httpx",
    "httpcore",
    "anyio",
    "h11",
)


def _benchmarks(quick: bool, probe_moto: bool = False) -> dict[str, Callable[[], BenchmarkResult]]:
    """Name -> runner; --quick trades precision for a fast smoke run."""
    if quick:
        return {
            "ingest_cpu": lambda: ingest_cpu.run(repetitions=40, block=10, warmup=5),
            "dynamodb_writes": dynamodb_writes.run,
            "cold_import": lambda: cold_import.run(repetitions=3, source_repetitions=1),
            "peak_rss": lambda: peak_rss.run(repetitions=1),
            "probe_run": lambda: probe_run.run(rounds=2, rss_repetitions=1, breakdown_rounds=1, with_moto=probe_moto),
            "alerting": lambda: alerting.run(rounds=5, tenants=10),
            "notifications": lambda: notifications.run(rounds=5, batches=4, run_messages=100),
            "escalation": lambda: escalation.run(rounds=5, page_rounds=5, repetitions=1),
            "sla": lambda: sla.run(monitors=200),
            "dashboard": lambda: dashboard.run(calls=5_000, repetitions=2),
        }
    return {
        "ingest_cpu": ingest_cpu.run,
        "dynamodb_writes": dynamodb_writes.run,
        "cold_import": cold_import.run,
        "peak_rss": peak_rss.run,
        "probe_run": lambda: probe_run.run(with_moto=probe_moto),
        "alerting": alerting.run,
        "notifications": notifications.run,
        "escalation": escalation.run,
        "sla": sla.run,
        "dashboard": dashboard.run,
    }


def machine_info() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "packages": versions,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _format_value(value: float, unit: str) -> str:
    text = f"{value:g}"
    return f"{text} {unit}".strip()


def summary_table(results: list[BenchmarkResult]) -> str:
    rows = [("benchmark", "case", "measured", "target", "verdict")]
    for result in results:
        for check in result.checks:
            measured = _format_value(check.value, check.unit) + (f"  ({check.note})" if check.note else "")
            target = f"<= {_format_value(check.limit, check.unit)}"
            rows.append((result.name, check.case, measured, target, "ok" if check.passed else "MISSED"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON results")
    parser.add_argument("--only", nargs="+", choices=list(_benchmarks(False)), help="run just these benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: a smoke run, not a measurement")
    parser.add_argument(
        "--probe-moto",
        action="store_true",
        help="probe_run also records its 1,000 results through the DynamoDB store on moto (slow: minutes)",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    results: list[BenchmarkResult] = []
    for name, runner in _benchmarks(args.quick, args.probe_moto).items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} ...", flush=True)
        began = time.perf_counter()
        result = runner()
        result.seconds = time.perf_counter() - began
        results.append(result)
        verdict = "ok" if result.passed else "MISSED"
        print(f"  {verdict} in {result.seconds:.1f}s", flush=True)

    total = time.perf_counter() - started
    print()
    print(summary_table(results))
    missed = [check.case for result in results for check in result.checks if not check.passed]
    print()
    if missed:
        print(f"MISSED: {len(missed)} target(s): " + "; ".join(missed))
    else:
        print("all targets met")
    print(f"total {total:.1f}s")

    report = {
        "suite": "vigil benchmarks",
        "quick": args.quick,
        "machine": machine_info(),
        "total_seconds": round(total, 1),
        "all_passed": not missed,
        "benchmarks": [result.as_dict() for result in results],
    }
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results written to {output}")
    return 0  # a missed target is a finding, not a failure


if __name__ == "__main__":
    sys.exit(main())
