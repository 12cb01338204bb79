"""Synthesizes the vigil app ONCE per test session (5-15 s); every infra test reads that one result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Template

from tests.infra.synthesized import (
    ACKNOWLEDGED_RULES_METADATA,
    PROJECT_ROOT,
    RecordedAcknowledgment,
    SynthesizedVigil,
    make_fake_dependencies_layer,
)
from vigil_infra.application import build_app
from vigil_infra.config import DEPENDENCIES_LAYER_PATH_KEY
from vigil_infra.nag import NAG_PACK_NAME


def _stack_metadata(assembly_dir: Path, artifact_id: str) -> dict[str, list[dict[str, Any]]]:
    """Construct path -> metadata entries, read from the manifest.

    Read as JSON because the jsii binding of CloudArtifact.find_metadata_by_type fails on asset entries
    ("Unknown interface: aws-cdk-lib.cloud_assembly_schema.FileAssetMetadataEntry").
    """
    artifact = json.loads((assembly_dir / "manifest.json").read_text())["artifacts"][artifact_id]
    metadata: dict[str, list[dict[str, Any]]] = dict(artifact.get("metadata", {}))
    if "additionalMetadataFile" in artifact:  # newer CDKs move stack metadata into <stack>.metadata.json
        metadata.update(json.loads((assembly_dir / artifact["additionalMetadataFile"]).read_text()))
    return metadata


@pytest.fixture(scope="session")
def fake_dependencies_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_dependencies_layer(tmp_path_factory.mktemp("fake-layer"))


@pytest.fixture(scope="session")
def vigil(fake_dependencies_layer: Path, tmp_path_factory: pytest.TempPathFactory) -> SynthesizedVigil:
    outdir = tmp_path_factory.mktemp("cdk.out")
    built = build_app(
        PROJECT_ROOT,
        context_overrides={
            DEPENDENCIES_LAYER_PATH_KEY: str(fake_dependencies_layer),
            # What `cdk synth` and the local emulator both pass: asset paths recorded in the template.
            "aws:cdk:enable-asset-metadata": True,
        },
        outdir=str(outdir),
    )
    report_file = outdir / "validation-report.json"
    try:
        # The one synthesis: Annotations.from_stack forces it; Template.from_stack and app.synth() below
        # return the same cached cloud assembly.
        annotations = Annotations.from_stack(built.stack)
    except RuntimeError as error:
        report = report_file.read_text() if report_file.exists() else "(no validation report written)"
        pytest.fail(f"synthesis failed: {error}\n{report}")
    template = Template.from_stack(built.stack)
    assembly = built.app.synth()

    nag_reports = [
        plugin
        for plugin in json.loads(report_file.read_text())["pluginReports"]
        if plugin["pluginName"] == NAG_PACK_NAME
    ]
    assert len(nag_reports) == 1, "the AwsSolutions pack did not run"
    assembly_dir = Path(assembly.directory)
    acknowledgments = [
        RecordedAcknowledgment(construct_path=path.lstrip("/"), rule_id=rule_id, reason=reason)
        for path, entries in _stack_metadata(assembly_dir, built.stack.artifact_id).items()
        for entry in entries
        if entry["type"] == ACKNOWLEDGED_RULES_METADATA
        for rule_id, reason in entry["data"].items()
    ]
    return SynthesizedVigil(
        stack=built.stack,
        template=template,
        annotations=annotations,
        assembly_dir=assembly_dir,
        nag_report=nag_reports[0],
        acknowledgments=acknowledgments,
    )
