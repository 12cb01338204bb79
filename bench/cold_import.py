"""Benchmark 3: cold import time of each handler module against `import boto3, pydantic` alone.

Each import runs in a fresh interpreter (a Lambda cold start imports the module once per container) and
is timed from inside it with perf_counter, so interpreter start-up is excluded. Runs are interleaved
(baseline, ingest, query, baseline, ...) and the verdict is on the ratio of medians.

Bytecode matters more than anything else here, so it is pinned down explicitly:
- "cached bytecode" (the verdict): .pyc files exist for everything, as for boto3 in the Lambda runtime.
  They are written once, by an untimed priming run, under a private PYTHONPYCACHEPREFIX in a temporary
  directory, so neither the repository nor the venv is touched.
- "no bytecode": as this venv is installed (uv writes no .pyc) and as `make layer-deps` builds the layer,
  so every third-party module is compiled from source on each cold start (Lambda's /opt is read-only, the
  compiled code cannot be cached there). Reported for context.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import (
    FAKE_AWS_CREDENTIALS,
    HANDLER_ENV,
    HANDLER_PATHS,
    REPO_ROOT,
    BenchmarkResult,
    Check,
)

TARGET_RATIO = 1.5
MARKER = "BENCH_IMPORT_MS"

_TIMER = (
    "import time as _t\n_start = _t.perf_counter()\n{body}\nprint('{marker}', (_t.perf_counter() - _start) * 1000)\n"
)
_BASELINE_BODY = "import boto3, pydantic"
# `import pydantic` is lazy: it does not load the model machinery. For context only (not the verdict),
# a baseline that defines one model, so pydantic's real start-up cost is on both sides.
_BASELINE_ONE_MODEL_BODY = "import boto3, pydantic\nclass _Model(pydantic.BaseModel):\n    x: int"
_HANDLER_BODY = (
    "import importlib.util as _u\n"
    "_spec = _u.spec_from_file_location('handler', {path!r})\n"
    "_module = _u.module_from_spec(_spec)\n"
    "_spec.loader.exec_module(_module)"
)


def _programs() -> dict[str, str]:
    programs = {
        "baseline": _TIMER.format(body=_BASELINE_BODY, marker=MARKER),
        "baseline_one_model": _TIMER.format(body=_BASELINE_ONE_MODEL_BODY, marker=MARKER),
    }
    for kind, path in HANDLER_PATHS.items():
        programs[kind] = _TIMER.format(body=_HANDLER_BODY.format(path=str(path)), marker=MARKER)
    return programs


def _env(pycache: Path | None) -> dict[str, str]:
    env = {**os.environ, **HANDLER_ENV, **FAKE_AWS_CREDENTIALS}
    env.pop("PYTHONPYCACHEPREFIX", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("AWS_ENDPOINT_URL", None)
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def _run(program: str, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", program],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def _timed(program: str, env: dict[str, str]) -> float:
    output = _run(program, env).stdout
    match = re.search(rf"^{MARKER} ([0-9.]+)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no timing in the import subprocess output: {output[-500:]!r}")
    return float(match.group(1))


def _measure(env: dict[str, str], repetitions: int) -> dict[str, list[float]]:
    programs = _programs()
    samples: dict[str, list[float]] = {name: [] for name in programs}
    names = list(programs)
    for index in range(repetitions):
        for name in names if index % 2 == 0 else reversed(names):
            samples[name].append(_timed(programs[name], env))
    return samples


def _summary(samples: dict[str, list[float]]) -> dict[str, Any]:
    medians = {name: round(statistics.median(values), 1) for name, values in samples.items()}
    return {
        "median_ms": medians,
        "ratio": {kind: round(medians[kind] / medians["baseline"], 3) for kind in HANDLER_PATHS},
        "ratio_vs_baseline_one_model": {
            kind: round(medians[kind] / medians["baseline_one_model"], 3) for kind in HANDLER_PATHS
        },
        "samples_ms": {name: [round(value, 1) for value in values] for name, values in samples.items()},
    }


def _importtime_rows(env: dict[str, str], kind: str) -> list[tuple[str, float, float]]:
    """(module, self ms, cumulative ms) for what the handler imports on top of boto3 + pydantic."""
    program = f"import boto3, pydantic\n{_HANDLER_BODY.format(path=str(HANDLER_PATHS[kind]))}"
    stderr = _run(program, env, "-X", "importtime").stderr
    rows = re.findall(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$", stderr, re.MULTILINE)
    # Modules are listed as they finish: everything up to the top-level boto3 and pydantic lines is the
    # baseline (and interpreter start-up), everything after is the handler's.
    seen_baseline: set[str] = set()
    extra: list[tuple[str, float, float]] = []
    for self_us, cumulative_us, indent, module in rows:
        if len(seen_baseline) < 2:
            if len(indent) == 1 and module in {"boto3", "pydantic"}:
                seen_baseline.add(module)
            continue
        extra.append((module, int(self_us) / 1000, int(cumulative_us) / 1000))
    return extra


def import_profile(env: dict[str, str], kind: str, runs: int = 3, top: int = 12) -> dict[str, Any]:
    """Where the handler's extra import time goes, from `-X importtime` self times (ms, median of `runs`):
    summed per top-level package, and the heaviest single modules."""
    per_package: defaultdict[str, list[float]] = defaultdict(list)
    per_module: defaultdict[str, list[tuple[float, float]]] = defaultdict(list)
    totals = []
    for _ in range(runs):
        rows = _importtime_rows(env, kind)
        packages: defaultdict[str, float] = defaultdict(float)
        for module, self_ms, cumulative_ms in rows:
            packages[module.split(".")[0]] += self_ms
            per_module[module].append((self_ms, cumulative_ms))
        for package, ms in packages.items():
            per_package[package].append(ms)
        totals.append(sum(packages.values()))
    package_ms = {package: statistics.median(values) for package, values in per_package.items()}
    module_ms = {
        module: (statistics.median(s for s, _ in values), statistics.median(c for _, c in values))
        for module, values in per_module.items()
    }
    heaviest = sorted(module_ms.items(), key=lambda item: -item[1][0])[:top]
    return {
        "runs": runs,
        "extra_self_ms_by_package": {
            package: round(ms, 1) for package, ms in sorted(package_ms.items(), key=lambda kv: -kv[1])[:top]
        },
        "heaviest_modules": [
            {"module": module, "self_ms": round(self_ms, 1), "cumulative_ms": round(cumulative_ms, 1)}
            for module, (self_ms, cumulative_ms) in heaviest
        ],
        "extra_self_ms_total": round(statistics.median(totals), 1),
    }


def run(repetitions: int = 9, source_repetitions: int = 5) -> BenchmarkResult:
    with tempfile.TemporaryDirectory(prefix="vigil-bench-pyc-") as pycache:
        cached_env = _env(Path(pycache))
        for program in _programs().values():  # priming: writes the .pyc files, not timed
            _run(program, cached_env)
        cached = _summary(_measure(cached_env, repetitions))
        profiles = {kind: import_profile(cached_env, kind) for kind in HANDLER_PATHS}
    source = _summary(_measure(_env(None), source_repetitions)) if source_repetitions else None

    baseline_ms = cached["median_ms"]["baseline"]
    checks = [
        Check(
            case=f"{kind} handler (cached bytecode)",
            metric="handler / baseline import",
            value=cached["ratio"][kind],
            limit=TARGET_RATIO,
            unit="x",
            values={
                "handler_ms": cached["median_ms"][kind],
                "baseline_ms": baseline_ms,
                "ratio": cached["ratio"][kind],
            },
            note=f"handler {cached['median_ms'][kind]:.0f} ms, baseline {baseline_ms:.0f} ms",
        )
        for kind in HANDLER_PATHS
    ]
    details: dict[str, Any] = {
        "repetitions": repetitions,
        "cached_bytecode": cached,
        "no_bytecode": source,
        "import_profile_cached_bytecode": profiles,
    }
    return BenchmarkResult(
        name="cold_import",
        title="Cold import of each handler module",
        unit="ms wall (import only, fresh interpreter)",
        target=f"handler <= {TARGET_RATIO}x (import boto3, pydantic)",
        checks=checks,
        details=details,
    )
