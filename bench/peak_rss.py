"""Benchmark 4: peak RSS of a fresh process that imports the ingest handler and ingests one 1,000-point batch.

`python -m bench.peak_rss --child` is the measured process: it records ru_maxrss (KiB on Linux) before
anything is imported, after the handler and its in-memory adapters are loaded, and after one batch went
through `handler(event, context)`. The parent runs it a few times and keeps the median (and the max).

Linux carries ru_maxrss over fork and exec, so a child started straight from the (large) benchmark
process would report the parent's peak. The child is therefore started through /bin/sh, which forks it
from a small process; /proc/self/status VmHWM (per address space, reset by exec) is recorded as a check.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    FAKE_AWS_CREDENTIALS,
    HANDLER_ENV,
    REPO_ROOT,
    BenchmarkResult,
    Check,
    FakeLambdaContext,
    apply_handler_env,
    batch_body,
    in_memory_ingest_dependencies,
    ingest_event,
    load_handler,
    make_points,
    make_series,
    sample_api_key,
    silenced_stdout,
    spread_over,
)

TARGET_MB = 128.0
MARKER = "BENCH_RSS"


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _vmhwm_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return None


def child() -> None:
    start_mb = _maxrss_mb()
    apply_handler_env()
    handler = load_handler("ingest")
    handler.dependencies.use(in_memory_ingest_dependencies(sample_api_key()))
    after_import_mb = _maxrss_mb()
    now = datetime.now(UTC)
    body = batch_body(make_points(1000, make_series(50), spread_over(now, timedelta(minutes=5))))
    event = ingest_event(body)
    with silenced_stdout():
        response = handler.handler(event, FakeLambdaContext())
    if response["statusCode"] != 202:
        raise RuntimeError(f"ingest handler answered {response['statusCode']}: {response['body']}")
    result = {
        "interpreter_mb": round(start_mb, 1),
        "after_imports_mb": round(after_import_mb, 1),
        "peak_mb": round(_maxrss_mb(), 1),
        "vmhwm_mb": _round(_vmhwm_mb()),
        "body_bytes": len(body),
    }
    print(MARKER, json.dumps(result))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _env(pycache: str | None) -> dict[str, str]:
    env = {**os.environ, **HANDLER_ENV, **FAKE_AWS_CREDENTIALS}
    env.pop("PYTHONPYCACHEPREFIX", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _child_run(env: dict[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        # `; exit $?` keeps sh from exec-ing python in its own (forked from us) process.
        ["/bin/sh", "-c", '"$0" "$@"; exit $?', sys.executable, "-m", "bench.peak_rss", "--child"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    for line in completed.stdout.splitlines():
        if line.startswith(MARKER + " "):
            parsed: dict[str, Any] = json.loads(line.removeprefix(MARKER + " "))
            return parsed
    raise RuntimeError(f"no result in the RSS subprocess output: {completed.stdout[-500:]!r}")


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    return round(float(statistics.median(float(run[key]) for run in runs)), 1)


def run(repetitions: int = 3) -> BenchmarkResult:
    with tempfile.TemporaryDirectory(prefix="vigil-bench-pyc-") as pycache:
        cached_env = _env(pycache)
        _child_run(cached_env)  # priming: writes the .pyc files
        cached = [_child_run(cached_env) for _ in range(repetitions)]
    # Compiling from source (no .pyc, as the Lambda layer is built today) holds ASTs and code objects
    # in memory while importing, so it can only raise the peak: measured too, and the verdict takes the worse.
    source = [_child_run(_env(None)) for _ in range(repetitions)]
    variants = {"cached_bytecode": cached, "no_bytecode": source}
    summary = {
        name: {key: _median_of(runs, key) for key in ("interpreter_mb", "after_imports_mb", "peak_mb", "vmhwm_mb")}
        | {"peak_mb_max": max(run["peak_mb"] for run in runs)}
        for name, runs in variants.items()
    }
    checks = [
        Check(
            case=f"ingest, 1,000 points ({name.replace('_', ' ')})",
            metric="peak RSS",
            value=values["peak_mb"],
            limit=TARGET_MB,
            unit="MiB",
            values={"after_imports_mb": values["after_imports_mb"], "peak_mb": values["peak_mb"]},
            note=f"after imports {values['after_imports_mb']:.1f} MiB",
        )
        for name, values in summary.items()
    ]
    return BenchmarkResult(
        name="peak_rss",
        title="Peak RSS ingesting a 1,000-point batch",
        unit="MiB (ru_maxrss / 1024)",
        target=f"<= {TARGET_MB:.0f} MiB",
        checks=checks,
        details={
            "repetitions": repetitions,
            "summary": summary,
            "runs": variants,
            "body_bytes": cached[0]["body_bytes"],
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true", help="be the measured process")
    args = parser.parse_args()
    if args.child:
        child()
    else:
        print(json.dumps(run().as_dict(), indent=2))


if __name__ == "__main__":
    main()
