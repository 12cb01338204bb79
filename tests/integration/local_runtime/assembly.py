"""A small cloud assembly written by hand: a template over the toy handlers, its asset manifest and manifest.json,
shaped like `cdk synth` output, for deploying through a backend's CloudFormation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from .templates import ASSEMBLY_DIR

STACK_ARTIFACT = "Toy"
ASSETS_BUCKET = "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"


def write_assembly(outdir: Path, body: dict[str, Any], assets: list[str]) -> Path:
    """Write ``body`` as Toy.template.json with the toy ``assets`` (e.g. "echo"); returns the template's path.

    Each asset goes where templates.function() points its Code: <bucket>/<asset>.zip.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    for asset in assets:
        shutil.copytree(ASSEMBLY_DIR / f"asset.{asset}", outdir / f"asset.{asset}", dirs_exist_ok=True)
    template_file = f"{STACK_ARTIFACT}.template.json"
    (outdir / template_file).write_text(json.dumps(body, indent=1))
    files = {
        f"{asset}-hash": {
            "displayName": f"{asset}/Code",
            "source": {"path": f"asset.{asset}", "packaging": "zip"},
            "destinations": {"current": {"bucketName": ASSETS_BUCKET, "objectKey": f"{asset}.zip"}},
        }
        for asset in assets
    }
    files["template-hash"] = {
        "displayName": "Toy Template",
        "source": {"path": template_file, "packaging": "file"},
        "destinations": {"current": {"bucketName": ASSETS_BUCKET, "objectKey": "toy-template.json"}},
    }
    (outdir / f"{STACK_ARTIFACT}.assets.json").write_text(
        json.dumps({"version": "55.0.0", "files": files, "dockerImages": {}}, indent=1)
    )
    manifest = {
        "version": "55.0.0",
        "artifacts": {
            f"{STACK_ARTIFACT}.assets": {
                "type": "cdk:asset-manifest",
                "properties": {"file": f"{STACK_ARTIFACT}.assets.json"},
            },
            STACK_ARTIFACT: {
                "type": "aws:cloudformation:stack",
                "environment": "aws://unknown-account/unknown-region",
                "properties": {"templateFile": template_file},
                "dependencies": [f"{STACK_ARTIFACT}.assets"],
                "displayName": STACK_ARTIFACT,
            },
        },
    }
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return outdir / template_file
