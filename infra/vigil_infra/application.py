"""Builds the CDK app: context defaults from cdk.json, the validated stage config, the stack and cdk-nag.

Used by `infra/app.py` (the `cdk synth` entry point and the local emulator's direct synth) and by the
infrastructure tests, so all three build exactly the same app.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App

from vigil_infra.config import StackConfig
from vigil_infra.nag import add_nag_checks
from vigil_infra.paths import ProjectPaths
from vigil_infra.stack import STACK_NAME, VigilStack


@dataclass(frozen=True)
class VigilApp:
    app: App
    stack: VigilStack


def read_cdk_json_context(project_root: Path) -> dict[str, Any]:
    """The `context` block of cdk.json: stage defaults and feature flags.

    The CDK CLI passes it to the app itself; reading it here as well makes a direct
    `python infra/app.py` (the emulator's synth) produce the same template as `cdk synth`.
    """
    cdk_json = json.loads((project_root / "cdk.json").read_text(encoding="utf-8"))
    context: dict[str, Any] = cdk_json.get("context", {})
    return context


def build_app(
    project_root: Path,
    *,
    context_overrides: Mapping[str, Any] | None = None,
    outdir: str | None = None,
) -> VigilApp:
    """Precedence, lowest first: cdk.json context, CDK_CONTEXT_JSON (CLI / emulator), `context_overrides`."""
    app = App(
        context=read_cdk_json_context(project_root),
        post_cli_context=dict(context_overrides or {}),
        outdir=outdir,
    )
    config = StackConfig.from_context(app.node.try_get_context)
    stack = VigilStack(
        app,
        STACK_NAME,
        stack_name=STACK_NAME,
        description=f"vigil: serverless metrics and monitoring (stage {config.stage})",
        config=config,
        paths=ProjectPaths.from_config(project_root, config),
        # No AWS::CDK::Metadata resource: the template is the same whether the CLI or the emulator
        # synthesizes it, and a self-hosted tool sends no usage telemetry from its users' accounts.
        analytics_reporting=False,
    )
    add_nag_checks(app)
    return VigilApp(app=app, stack=stack)
