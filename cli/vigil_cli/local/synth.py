"""Synthesizes the CDK app (infra/app.py) into a cloud assembly and finds the stack's template.

The app runs as a plain Python subprocess, the way the cdk CLI runs it: ``CDK_OUTDIR`` and
``CDK_CONTEXT_JSON`` carry the output folder and the context (cdk.json's context, asset metadata on,
then the caller's extras), so asset paths end up in each resource's ``aws:asset:path`` metadata.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vigil_cli.local.errors import SynthError
from vigil_cli.local.template import DEFAULT_STACK_NAME

APP_PATH = Path("infra") / "app.py"
_STDERR_TAIL_LINES = 30


def find_repo_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the working directory) with infra/app.py."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / APP_PATH).is_file():
            return folder
    raise SynthError(f"no {APP_PATH} found in {here} or its parents; run vigil from the repository")


def synth_context(repo_root: Path, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {}
    cdk_json = repo_root / "cdk.json"
    if cdk_json.is_file():
        try:
            context.update(json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {}))
        except ValueError as exc:
            raise SynthError(f"cannot read {cdk_json}: {exc}") from exc
    context["aws:cdk:enable-asset-metadata"] = True
    context.update(extra or {})
    return context


def synthesize(
    outdir: Path,
    *,
    repo_root: Path | None = None,
    context: Mapping[str, Any] | None = None,
    stack_name: str = DEFAULT_STACK_NAME,
    timeout_s: float = 600,
) -> Path:
    """Run the CDK app into ``outdir``; returns the path of the stack's template."""
    root = repo_root or find_repo_root()
    outdir = outdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(synth_context(root, context)),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argv: this interpreter and the repo's app
            [sys.executable, str(APP_PATH)],
            cwd=root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SynthError(f"cdk synth ({APP_PATH}) did not finish within {timeout_s:.0f} s") from exc
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-_STDERR_TAIL_LINES:])
        raise SynthError(f"cdk synth ({APP_PATH}) failed with exit code {completed.returncode}:\n{tail}")
    return template_path(outdir, stack_name)


def template_path(outdir: Path, stack_name: str = DEFAULT_STACK_NAME) -> Path:
    """The stack's template file, as named by the assembly's manifest.json."""
    manifest_path = outdir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SynthError(f"cannot read the cloud assembly manifest {manifest_path}: {exc}") from exc
    stacks = {
        name: artifact
        for name, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == "aws:cloudformation:stack"
    }
    for name, artifact in stacks.items():
        if stack_name in (name, artifact.get("displayName")):
            return outdir / str(artifact["properties"]["templateFile"])
    raise SynthError(f"stack {stack_name!r} is not in {manifest_path}; stacks: {sorted(stacks)}")
