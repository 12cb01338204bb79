"""The two Lambda layers every vigil function carries."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from vigil_infra.paths import ProjectPaths

LAMBDA_RUNTIME: Final = lambda_.Runtime.PYTHON_3_13
LAMBDA_ARCHITECTURE: Final = lambda_.Architecture.ARM_64

# The byte-code caches in the source tree are the developer's (Python 3.11, checked by timestamp): useless on
# the python3.13 runtime, and they would only change the asset hash.
ASSET_EXCLUDES: Final = ["**/__pycache__", "**/*.pyc"]
# `make layer-deps` bookkeeping (its up-to-date marker, uv's install lock): not code, and not worth a new hash.
_LAYER_BUILD_MARKERS: Final = [".ready", "python/.lock"]


class DependenciesLayerNotBuiltError(FileNotFoundError):
    """The third-party wheels folder for the dependencies layer has not been built yet."""


class VigilLayers(Construct):
    """`core_layer` ships vigil_core (our shared code); `dependencies_layer` the arm64 third-party wheels."""

    def __init__(
        self, scope: Construct, construct_id: str, *, paths: ProjectPaths, removal_policy: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        self._removal_policy = removal_policy
        self.core_layer = self._build_core_layer(paths.core_layer)
        self.dependencies_layer = self._build_dependencies_layer(paths.dependencies_layer)

    @property
    def all_layers(self) -> list[lambda_.ILayerVersion]:
        return [self.core_layer, self.dependencies_layer]

    def _build_core_layer(self, layer_dir: Path) -> lambda_.LayerVersion:
        return self._build_layer(
            "CoreLayer",
            layer_dir,
            "vigil_core: domain models, rules, SLA math, ports and AWS adapters",
            excludes=ASSET_EXCLUDES,
        )

    def _build_dependencies_layer(self, layer_dir: Path) -> lambda_.LayerVersion:
        # Lambda puts a layer's python/ folder on sys.path; without it the functions cannot import anything.
        if not (layer_dir / "python").is_dir():
            raise DependenciesLayerNotBuiltError(
                f"dependencies layer not built: run `make layer-deps` (expected {layer_dir}/python)"
            )
        return self._build_layer(
            "DependenciesLayer",
            layer_dir,
            "third-party packages for python3.13 on arm64 (make layer-deps)",
            # Keeps the byte-code `make layer-deps` compiled for 3.13: /opt is read-only on Lambda, so
            # without it every cold start would compile the packages again.
            excludes=_LAYER_BUILD_MARKERS,
        )

    def _build_layer(
        self, construct_id: str, layer_dir: Path, description: str, excludes: list[str]
    ) -> lambda_.LayerVersion:
        return lambda_.LayerVersion(
            self,
            construct_id,
            code=lambda_.Code.from_asset(str(layer_dir), exclude=excludes),
            compatible_runtimes=[LAMBDA_RUNTIME],
            compatible_architectures=[LAMBDA_ARCHITECTURE],
            description=description,
            removal_policy=self._removal_policy,
        )
